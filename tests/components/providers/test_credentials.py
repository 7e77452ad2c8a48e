"""Credentials and secret-looking Flink config of the dynamic providers, without a real cluster.

- credentials over plain http:// are refused (in check for inputs, at operation time for stack config) unless
  `allowInsecureCredentials` is set, and the refusal happens before any connection;
- every credential input is registered as a Pulumi secret (so state holds it encrypted) and never reaches outputs;
- secret-looking `flinkConfiguration` values are masked in outputs and failure messages, registered as secrets,
  scrubbed from errors, yet sent to Flink unchanged on run (checked on the fake JobManager's recorded request).
"""

from __future__ import annotations

import hashlib
import json
import socket
import traceback

import pulumi
import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from components.providers import secret_config
from components.providers.connection import (
    ALLOW_INSECURE_KEY,
    CONFIG_REST_CREDENTIAL_HOSTS,
    CONFIG_REST_PASSWORD,
    CONFIG_REST_TOKEN,
    CONFIG_REST_USERNAME,
    PATH_INPUT_KEYS,
    SECRET_INPUT_KEYS,
    ProviderError,
)
from components.providers.flink_job import FlinkJob, FlinkJobArgs, FlinkJobInputs, FlinkJobProvider
from components.providers.savepoint_gate import (
    SavepointGate,
    SavepointGateArgs,
    SavepointGateInputs,
    SavepointGateProvider,
)
from tests.components.providers.provider_helpers import PASSWORD, TOKEN, assert_no_secret
from tests.fake_flink_server import FakeFlink, Reply

SHA = "cd" * 32
#: A secret-looking Flink config value; only its masked form may leave the provider (except towards Flink).
CONF_SECRET = "s3-key-7e41c0-secret-value"
HTTP_URL = "http://jm.example.invalid:8081"
HTTPS_URL = "https://jm.example.invalid:8081"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self, *args, **kwargs):
        raise AssertionError(f"the provider tried to connect to {args} before refusing")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def configured(provider_cls, **config):
    provider = provider_cls()
    provider.configure(ConfigureRequest(Config(config, "flink-platform")))
    return provider


def job_news(**overrides) -> dict:
    return {"restUrl": HTTP_URL, "jar": "/opt/jobs/job.jar", "jarSha256": SHA, "parallelism": 1, **overrides}


def gate_news(**overrides) -> dict:
    return {"restUrl": HTTP_URL, "specHash": "spec-1", **overrides}


def reasons(result) -> dict[str, str]:
    return {f.property: f.reason for f in result.failures}


# --- (a) no credentials over plain http ------------------------------------------------------------------------
@pytest.mark.parametrize("provider_cls, news", [(FlinkJobProvider, job_news), (SavepointGateProvider, gate_news)])
@pytest.mark.parametrize("credential", [{"bearerToken": TOKEN}, {"basicUsername": "ops", "basicPassword": PASSWORD}],
                         ids=["bearer", "basic"])
def test_check_refuses_credential_inputs_over_http(provider_cls, news, credential, no_network):
    [field] = [k for k in credential if k in SECRET_INPUT_KEYS]
    found = reasons(provider_cls().check({}, news(**credential)))
    assert set(found) == {field}
    assert "plain http://" in found[field] and HTTP_URL in found[field]
    assert f"{ALLOW_INSECURE_KEY}: true" in found[field] and "https://" in found[field]
    assert TOKEN not in found[field] and PASSWORD not in found[field]
    assert provider_cls().check({}, news(restUrl=HTTPS_URL, **credential)).failures == []
    allowed = provider_cls().check({}, news(**credential, **{ALLOW_INSECURE_KEY: True}))
    assert allowed.failures == [] and allowed.inputs[ALLOW_INSECURE_KEY] is True


def test_check_defers_the_http_rule_while_the_flag_or_url_is_unknown(no_network):
    from pulumi.runtime import rpc
    for unknown in ({ALLOW_INSECURE_KEY: rpc.UNKNOWN}, {"restUrl": rpc.UNKNOWN}):
        assert FlinkJobProvider().check({}, job_news(bearerToken=TOKEN, **unknown)).failures == []


JM_HOST = {CONFIG_REST_CREDENTIAL_HOSTS: '["jm.example.invalid"]'}


@pytest.mark.parametrize("config, key", [({CONFIG_REST_TOKEN: TOKEN, **JM_HOST}, CONFIG_REST_TOKEN),
                                         ({CONFIG_REST_USERNAME: "ops", CONFIG_REST_PASSWORD: PASSWORD, **JM_HOST},
                                          CONFIG_REST_PASSWORD)], ids=["token", "basic"])
def test_configured_credentials_over_http_are_refused_before_connecting(config, key, no_network, tmp_path):
    job = configured(FlinkJobProvider, **config)
    inputs = job.check({}, job_news()).inputs
    stored = {**inputs, "jobId": "1" * 32, "jarId": "x.jar", "state": "RUNNING"}
    gate = configured(SavepointGateProvider, **config)
    gate_inputs = gate.check({}, gate_news()).inputs
    gate_outs = gate.create(gate_inputs).outs  # first deploy: no REST call, so nothing to refuse
    operations = {
        "create": lambda: job.create(inputs),
        "update": lambda: job.update("1" * 32, stored, {**inputs, "parallelism": 2}),
        "delete": lambda: job.delete("1" * 32, stored),
        "read": lambda: job.read("1" * 32, stored),
        "gate update": lambda: gate.update("g", gate_outs, {**gate_inputs, "specHash": "spec-2"}),
    }
    for name, operation in operations.items():
        with pytest.raises(ProviderError) as info:
            operation()
        message = str(info.value)
        assert key in message and "plain http://" in message and f"{ALLOW_INSECURE_KEY}: true" in message, name
        assert TOKEN not in "".join(traceback.format_exception(info.value))
        assert PASSWORD not in "".join(traceback.format_exception(info.value))


def test_configured_credentials_over_http_are_used_when_allowed():
    with FakeFlink() as fake:
        fake.script("GET", "/jobs/overview", Reply(200, {"jobs": []}))
        gate = configured(SavepointGateProvider, **{CONFIG_REST_TOKEN: TOKEN, CONFIG_REST_CREDENTIAL_HOSTS: "127.0.0.1"})
        inputs = gate.check({}, gate_news(restUrl=fake.url, skipWhenNoJob=True, **{ALLOW_INSECURE_KEY: True})).inputs
        outs = gate.update("g", gate.create(inputs).outs, {**inputs, "specHash": "spec-2"}).outs
        assert "skipWhenNoJob" in outs["skipped"]
        assert fake.last("GET", "/jobs/overview").headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("hosts", [None, '["flink.payments.acme.internal"]', "jm.example.invalid, other.example"],
                         ids=["unset", "other-host", "comma-list"])
def test_configured_credentials_go_only_to_their_hosts(hosts):
    """Issue 19: the stack's token is not sent to a restUrl whose host it is not for (an attacker's collector, or
    the in-cluster default http://<cluster>-rest.<ns>.svc:8081), and such a gate is not refused for it."""
    config = {CONFIG_REST_TOKEN: TOKEN, **({CONFIG_REST_CREDENTIAL_HOSTS: hosts} if hosts else {})}
    with FakeFlink() as fake:
        fake.script("GET", "/jobs/overview", Reply(200, {"jobs": []}))
        gate = configured(SavepointGateProvider, **config)
        inputs = gate.check({}, gate_news(restUrl=fake.url, skipWhenNoJob=True)).inputs  # plain http, no flag
        outs = gate.update("g", gate.create(inputs).outs, {**inputs, "specHash": "spec-2"}).outs
        assert "skipWhenNoJob" in outs["skipped"]
        assert "Authorization" not in fake.last("GET", "/jobs/overview").headers


# --- (b) every credential input is a secret, in state and never in outputs ---------------------------------------
def test_every_credential_looking_input_is_a_secret_input_or_a_file_path():
    for model in (FlinkJobInputs, SavepointGateInputs):
        aliases = [f.alias or n for n, f in model.model_fields.items()]
        looks_secret = {a for a in aliases if secret_config.is_secret_key(a)}
        not_secret = {*PATH_INPUT_KEYS, ALLOW_INSECURE_KEY}  # file paths, and the boolean flag
        assert looks_secret - not_secret == set(SECRET_INPUT_KEYS), model.__name__
    assert set(SECRET_INPUT_KEYS) == {"bearerToken", "basicPassword"}


@pytest.mark.parametrize("resource", ["FlinkJob", "SavepointGate"])
@pytest.mark.parametrize("secret_key", SECRET_INPUT_KEYS)
def test_every_credential_input_is_registered_as_a_secret(pulumi_runtime, resource, secret_key):
    value = TOKEN if secret_key == "bearerToken" else PASSWORD
    creds = {"bearer_token": TOKEN} if secret_key == "bearerToken" else {"basic_username": "ops",
                                                                          "basic_password": PASSWORD}

    @pulumi.runtime.test
    def program():
        if resource == "FlinkJob":
            res = FlinkJob("r", FlinkJobArgs(rest_url=HTTPS_URL, jar="/jobs/a.jar", jar_sha256=SHA, **creds))
        else:
            res = SavepointGate("r", SavepointGateArgs(rest_url=HTTPS_URL, spec_hash="abc", **creds))
        return res.urn.apply(lambda _: None)

    program()
    [reg] = [r for r in pulumi_runtime.registrations if r.name == "r"]
    assert reg.inputs[secret_key] == "[secret]"
    assert value not in json.dumps(reg.inputs, default=str)


@pytest.mark.parametrize("secret_key", SECRET_INPUT_KEYS)
def test_outputs_never_hold_credential_inputs(secret_key):
    creds = {"bearerToken": TOKEN} if secret_key == "bearerToken" else {"basicUsername": "ops",
                                                                        "basicPassword": PASSWORD}
    gate = SavepointGateProvider()
    outs = gate.create(gate.check({}, gate_news(restUrl=HTTPS_URL, **creds)).inputs).outs
    job = FlinkJobProvider()
    model = FlinkJobInputs.model_validate(job.check({}, job_news(restUrl=HTTPS_URL, **creds)).inputs)
    job_outs = job._outputs(model, job_id="1" * 32, jar_id="x.jar", state="RUNNING", last_savepoint=None,
                            history=[], last_upgrade=None)
    for value in (outs, job_outs):
        assert secret_key not in value
        assert_no_secret(value)


# --- (c) secret-looking flinkConfiguration values -----------------------------------------------------------------
@pytest.mark.parametrize("key, secret", [("s3.secret-key", True), ("s3.access-key", True),
                                         ("security.ssl.rest.keystore-password", True),
                                         ("metrics.reporter.dd.apikey", True), ("fs.azure.account.key.acct", True),
                                         ("gcs.auth.token", True), ("my_db_credential", True),
                                         ("security.ssl.rest.keystore", False), ("parallelism.default", False),
                                         ("execution.checkpointing.interval", False), ("pipeline.name", False)])
def test_secret_looking_config_keys(key, secret):
    assert secret_config.is_secret_key(key) is secret


def test_config_secrets_are_masked_in_outputs_and_diff_still_sees_their_changes():
    provider = FlinkJobProvider()
    news = provider.check({}, job_news(restUrl=HTTPS_URL, flinkConfiguration={"s3.secret-key": CONF_SECRET,
                                                                             "pipeline.name": "orders"})).inputs
    assert news["flinkConfiguration"]["s3.secret-key"] == CONF_SECRET  # the checked input keeps the value
    model = FlinkJobInputs.model_validate(news)
    outs = provider._outputs(model, job_id="1" * 32, jar_id="x.jar", state="RUNNING", last_savepoint=None,
                             history=[], last_upgrade=None)
    masked = outs["flinkConfiguration"]["s3.secret-key"]
    assert CONF_SECRET not in json.dumps(outs) and secret_config.is_masked(masked)
    assert outs["flinkConfiguration"]["pipeline.name"] == "orders"
    assert hashlib.sha256(CONF_SECRET.encode()).hexdigest() not in masked  # salted and slow, not a plain hash

    assert provider.diff("1" * 32, outs, news).changes is False
    rotated = {**news, "flinkConfiguration": {**news["flinkConfiguration"], "s3.secret-key": "rotated"}}
    assert provider.diff("1" * 32, outs, rotated).changes is True


def test_old_plaintext_outputs_compare_equal_and_get_masked():
    old = {"s3.secret-key": CONF_SECRET}
    assert secret_config.comparable_config(old, old) == old  # stored before masking existed: no spurious diff
    masked = secret_config.masked_config(old)
    assert secret_config.masked_config(masked) == masked  # masking is idempotent (refresh does not churn)
    assert secret_config.unmasked_config(masked, {"s3.secret-key": "new"}) == {"s3.secret-key": "new"}


def test_config_secrets_are_masked_in_failure_messages():
    pairs = [["s3.secret-key", CONF_SECRET], ["pipeline.name", "x"]]  # a list of pairs instead of a mapping
    found = reasons(FlinkJobProvider().check({}, job_news(restUrl=HTTPS_URL, flinkConfiguration=pairs)))
    assert set(found) == {"flinkConfiguration"} and "a list, not shown" in found["flinkConfiguration"]
    assert CONF_SECRET not in json.dumps(found)


def test_config_secrets_go_to_flink_but_not_into_errors(tmp_path):
    jar = tmp_path / "job.jar"
    jar.write_bytes(b"PK fake jar")
    config = {"s3.secret-key": CONF_SECRET, "pipeline.name": "orders"}
    with FakeFlink() as fake:
        fake.script("GET", "/config", Reply(200, {"features": {"web-submit": True}}))
        fake.script("POST", "/jars/upload", Reply(200, {"filename": "/tmp/up/abc_job.jar", "status": "success"}))
        fake.script("POST", "/jars/abc_job.jar/run",
                    Reply(400, {"errors": [f"Could not parse value '{CONF_SECRET}' for key 's3.secret-key'"]}))
        provider = FlinkJobProvider()
        news = provider.check({}, job_news(restUrl=fake.url, jar=str(jar), flinkConfiguration=config,
                                           jarSha256=hashlib.sha256(jar.read_bytes()).hexdigest())).inputs
        with pytest.raises(ProviderError) as info:
            provider.create(news)
        sent = fake.last("POST", "/jars/abc_job.jar/run").json()
    assert sent["flinkConfiguration"]["s3.secret-key"] == CONF_SECRET  # Flink gets the real value
    text = "".join(traceback.format_exception(info.value))
    assert "Could not parse value" in text and CONF_SECRET not in text


def test_config_secrets_are_registered_as_secrets(pulumi_runtime):
    @pulumi.runtime.test
    def program():
        job = FlinkJob("conf", FlinkJobArgs(rest_url=HTTPS_URL, jar="/jobs/a.jar", jar_sha256=SHA,
                                            flink_configuration={"s3.secret-key": CONF_SECRET, "a.b": "c"}))
        return job.urn.apply(lambda _: None)

    program()
    [reg] = [r for r in pulumi_runtime.registrations if r.name == "conf"]
    assert CONF_SECRET not in json.dumps(reg.inputs, default=str)
    # The map holding a secret is stored encrypted as a whole: its plain entry is masked too (the recording
    # monitor shows a secret value's leaves as the marker).
    assert reg.inputs["flinkConfiguration"] == {"s3.secret-key": "[secret]", "a.b": "[secret]"}


@pytest.mark.flink
def test_config_secrets_stay_out_of_outputs_and_logs_on_a_real_cluster(flink_cluster, flink_client, job_jars,
                                                                       job_output, capsys):
    from tests.components.providers.provider_helpers import job_inputs

    provider = FlinkJobProvider()
    news = job_inputs(flink_cluster.rest_url, job_jars, job_output,
                      flinkConfiguration={"s3.secret-key": CONF_SECRET, "pipeline.name": "orders"})
    outs = provider.create(news).outs
    job_output.wait_for_counts(2, job_id=outs["jobId"])
    assert provider.diff(outs["jobId"], outs, news).changes is False
    rotated = {**news, "flinkConfiguration": {"s3.secret-key": "rotated-" + CONF_SECRET, "pipeline.name": "orders"}}
    assert provider.diff(outs["jobId"], outs, rotated).changes is True  # a rotated secret is a change ...
    outs2 = provider.update(outs["jobId"], outs, rotated).outs
    assert outs2["jobId"] != outs["jobId"] and outs2["lastUpgrade"]["result"] == "upgraded"  # ... that restarts
    assert provider.diff(outs2["jobId"], outs2, rotated).changes is False
    refreshed = provider.read(outs2["jobId"], outs2).outs
    assert refreshed["flinkConfiguration"] == outs2["flinkConfiguration"]  # refresh does not churn the mask
    captured = capsys.readouterr()
    for value in (outs, outs2, refreshed, captured.out + captured.err):
        assert_no_secret(value, CONF_SECRET)
