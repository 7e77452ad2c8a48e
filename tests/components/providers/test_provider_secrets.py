"""Credential hygiene of the dynamic providers, without a cluster.

- a serialized provider (what `pulumi.dynamic` stores in `__provider`) never carries credentials, even after
  `configure()` loaded them, and it deserializes again;
- the resources mark secret inputs secret and validate known inputs in the constructor;
- errors against an unreachable JobManager are clear and never contain a token or password.
"""

from __future__ import annotations

import base64
import hashlib
import traceback

import dill
import pulumi
import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.dynamic.dynamic import serialize_provider

from components.providers.connection import (
    CONFIG_REST_CREDENTIAL_HOSTS,
    CONFIG_REST_PASSWORD,
    CONFIG_REST_TOKEN,
    CONFIG_REST_USERNAME,
    ProviderError,
    scrubbed,
)
from components.providers.flink_job import FlinkJob, FlinkJobArgs, FlinkJobProvider
from components.providers.savepoint_gate import SavepointGate, SavepointGateArgs, SavepointGateProvider
from tests.components.providers.provider_helpers import PASSWORD, TOKEN, assert_no_secret, closed_port_url

SHA = "cd" * 32


def configured(provider_cls, **config):
    provider = provider_cls()
    provider.configure(ConfigureRequest(Config(config, "flink-platform")))
    return provider


@pytest.mark.parametrize("provider_cls", [FlinkJobProvider, SavepointGateProvider])
def test_serialized_provider_carries_no_credentials(provider_cls):
    provider = configured(provider_cls, **{CONFIG_REST_TOKEN: TOKEN, CONFIG_REST_PASSWORD: PASSWORD,
                                           CONFIG_REST_USERNAME: "ops"})
    assert provider._configured.credentials.bearer_token == TOKEN  # configure() did load them
    raw = base64.b64decode(serialize_provider(provider))
    assert TOKEN.encode() not in raw and PASSWORD.encode() not in raw
    restored = dill.loads(raw)
    assert type(restored) is provider_cls
    assert restored._configured.credentials.secrets == ()
    assert f"{provider_cls.__module__}" in raw.decode("latin-1")  # pickled by reference, not by value


def test_configure_reads_namespaced_stack_config():
    provider = configured(FlinkJobProvider, **{CONFIG_REST_USERNAME: "ops", CONFIG_REST_PASSWORD: PASSWORD})
    creds = provider._configured.credentials
    assert (creds.basic_username, creds.basic_password, creds.bearer_token) == ("ops", PASSWORD, None)
    assert PASSWORD not in repr(creds)


def job_news(**overrides):
    return {"restUrl": closed_port_url(), "jar": __file__, "jarSha256": SHA, "parallelism": 1, **overrides}


def test_unreachable_jobmanager_error_is_clear_and_secret_free(tmp_path):
    jar = tmp_path / "job.jar"
    jar.write_bytes(b"PK fake jar")
    news = job_news(jar=str(jar), jarSha256=hashlib.sha256(jar.read_bytes()).hexdigest(), bearerToken=TOKEN,
                    allowInsecureCredentials=True)
    provider = FlinkJobProvider()
    with pytest.raises(ProviderError) as info:
        provider.create(provider.check({}, news).inputs)
    message = str(info.value)
    assert news["restUrl"] in message and "connection refused" in message and "nothing was created" in message
    assert TOKEN not in "".join(traceback.format_exception(info.value))


def test_unreachable_jobmanager_on_delete_uses_configured_credentials_without_leaking_them():
    provider = configured(FlinkJobProvider, **{CONFIG_REST_TOKEN: TOKEN, CONFIG_REST_CREDENTIAL_HOSTS: "127.0.0.1"})
    outs = {k: v for k, v in provider.check({}, job_news(allowInsecureCredentials=True)).inputs.items()
            if k != "bearerToken"}
    outs.update(jobId="1" * 32, jarId="x.jar", state="RUNNING")
    with pytest.raises(ProviderError) as info:
        provider.delete("id", outs)
    assert "connection refused" in str(info.value) and "the resource is kept" in str(info.value)
    assert TOKEN not in "".join(traceback.format_exception(info.value))


def test_scrubbed_masks_secrets_in_any_exception():
    with pytest.raises(ProviderError) as info:
        with scrubbed([TOKEN]):
            raise RuntimeError(f"boom with {TOKEN} inside")
    assert TOKEN not in str(info.value) and "***" in str(info.value)
    with pytest.raises(KeyError):  # exceptions without secrets pass through unchanged
        with scrubbed([TOKEN]):
            raise KeyError("plain")


def test_flink_job_resource_registers_secrets_as_secret(pulumi_runtime):
    @pulumi.runtime.test
    def program():
        job = FlinkJob("orders", FlinkJobArgs(rest_url="http://jm:8081", jar="/jobs/a.jar", jar_sha256=SHA,
                                              parallelism=2, bearer_token=TOKEN, basic_username=None))
        return job.urn.apply(lambda _: None)

    program()
    [reg] = [r for r in pulumi_runtime.registrations if r.name == "orders"]
    assert reg.type == "pulumi-python:dynamic/flink:FlinkJob"
    assert reg.inputs["bearerToken"] == "[secret]" and reg.inputs["parallelism"] == 2
    assert_no_secret(reg.inputs)


def test_savepoint_gate_resource_registers(pulumi_runtime):
    @pulumi.runtime.test
    def program():
        gate = SavepointGate("orders-gate", SavepointGateArgs(rest_url="http://jm:8081", spec_hash="abc",
                                                              basic_username="ops", basic_password=PASSWORD))
        return gate.urn.apply(lambda _: None)

    program()
    [reg] = [r for r in pulumi_runtime.registrations if r.name == "orders-gate"]
    assert reg.type == "pulumi-python:dynamic/flink:SavepointGate"
    assert reg.inputs["basicPassword"] == "[secret]" and reg.inputs["specHash"] == "abc"


def test_resource_constructor_validates_known_inputs_and_skips_outputs(pulumi_runtime):
    with pytest.raises(ValueError, match=r"FlinkJob 'bad': jarSha256: must be the jar's sha256"):
        FlinkJob("bad", FlinkJobArgs(rest_url="http://jm:8081", jar="/jobs/a.jar", jar_sha256="nope"))
    with pytest.raises(ValueError, match=r"SavepointGate 'g': jobId: must be a Flink JobID"):
        SavepointGate("g", SavepointGateArgs(rest_url="http://jm:8081", spec_hash="x", job_id="12"))

    @pulumi.runtime.test
    def program():  # an Output value cannot be checked yet: the provider's check will do it
        job = FlinkJob("later", FlinkJobArgs(rest_url=pulumi.Output.from_input("http://jm:8081"),
                                             jar="/jobs/a.jar", jar_sha256=pulumi.Output.from_input(SHA)))
        return job.urn.apply(lambda _: None)

    program()
    assert [r.name for r in pulumi_runtime.registrations if r.name == "later"] == ["later"]
