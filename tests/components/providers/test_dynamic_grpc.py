"""The FlinkJob provider driven as the Pulumi engine drives it: `python -m pulumi.dynamic` over gRPC.

The provider process is started like the engine starts it (the project venv's python, cwd = project root, port on
the first stdout line) and spoken to with `pulumi.runtime.proto` stubs: Configure, Check, Diff, Create, Update,
Read, Delete, with the serialized provider in the `__provider` property. Its process group is killed on
teardown.
"""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import subprocess
import time

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from components.providers.connection import CONFIG_REST_CREDENTIAL_HOSTS, CONFIG_REST_TOKEN
from components.providers.flink_job import FlinkJobProvider
from tests.conftest import ROOT
from tests.components.providers.provider_helpers import (
    TOKEN,
    assert_no_secret,
    assert_state_continued,
    closed_port_url,
)

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
URN = "urn:pulumi:test::flink-platform::pulumi-python:dynamic/flink:FlinkJob::orders"
PORT_DEADLINE_S = 60.0


def to_struct(props: dict) -> struct_pb2.Struct:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def from_struct(struct: struct_pb2.Struct) -> dict:
    return rpc.deserialize_properties(struct)


@pytest.fixture
def provider_stub(tmp_path):
    """A running `python -m pulumi.dynamic` and a gRPC stub for it; (stub, path of its stderr log)."""
    if not VENV_PYTHON.is_file():
        raise RuntimeError(f"{VENV_PYTHON} is missing: create the project venv with `make test`")
    log = tmp_path / "provider.stderr"
    with open(log, "wb") as err:
        proc = subprocess.Popen([str(VENV_PYTHON), "-u", "-m", "pulumi.dynamic"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=err, start_new_session=True,
                                env={**os.environ, "PULUMI_PROJECT": "flink-platform"})
    channel = None
    try:
        ready, _, _ = select.select([proc.stdout], [], [], PORT_DEADLINE_S)
        line = proc.stdout.readline().decode().strip() if ready else ""
        if not line.isdigit():
            raise RuntimeError(f"pulumi.dynamic printed no port within {PORT_DEADLINE_S} s (got {line!r}); "
                               f"stderr: {log.read_text()[-2000:]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        grpc.channel_ready_future(channel).result(timeout=PORT_DEADLINE_S)
        yield provider_pb2_grpc.ResourceProviderStub(channel), log
    finally:
        if channel is not None:
            channel.close()
        for sig, wait_s in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=wait_s)
                break
            except subprocess.TimeoutExpired:
                continue
        proc.stdout.close()


def configure(stub, config: dict) -> None:
    answer = stub.Configure(provider_pb2.ConfigureRequest(args=to_struct(config), acceptSecrets=True))
    assert answer.acceptSecrets is False  # so the engine sends secrets in plaintext and re-marks them


def check(stub, news: dict, olds: dict | None = None) -> tuple[struct_pb2.Struct, list]:
    """The checked inputs as sent back on the wire (unknowns stay the sentinel `rpc.UNKNOWN`) and the failures."""
    answer = stub.Check(provider_pb2.CheckRequest(urn=URN, olds=to_struct(olds or {}), news=to_struct(news)))
    return answer.inputs, list(answer.failures)


def diff(stub, id_: str, olds: dict, news: dict) -> provider_pb2.DiffResponse:
    return stub.Diff(provider_pb2.DiffRequest(id=id_, urn=URN, olds=to_struct(olds), news=to_struct(news)))


def raw_news(rest_url: str, jars, output, **overrides) -> dict:
    return {"__provider": serialize_provider(FlinkJobProvider()), "restUrl": rest_url, "jar": str(jars.v1),
            "jarSha256": jars.sha256(jars.v1), "entryClass": jars.entry_class, "args": output.args("v1"),
            "parallelism": 1, "timeouts": {"runningS": 60, "savepointS": 60, "checkpointS": 60}, **overrides}


@pytest.mark.flink
def test_engine_lifecycle_over_grpc(provider_stub, flink_cluster, flink_client, job_jars, job_output):
    stub, log = provider_stub
    configure(stub, {CONFIG_REST_TOKEN: TOKEN, CONFIG_REST_CREDENTIAL_HOSTS: "127.0.0.1"})
    checked, failures = check(stub, raw_news(flink_cluster.rest_url, job_jars, job_output, bearerToken=TOKEN,
                                              allowInsecureCredentials=True))  # loopback test cluster
    news = from_struct(checked)
    assert failures == [] and news["upgradeMode"] == "savepoint" and news["__provider"]

    created = stub.Create(provider_pb2.CreateRequest(urn=URN, properties=to_struct(news)))
    outs = from_struct(created.properties)
    job = outs["jobId"]
    assert created.id == job and outs["state"] == "RUNNING" and outs["__provider"] == news["__provider"]
    assert flink_client.job(job)["state"] == "RUNNING"
    assert_no_secret({k: v for k, v in outs.items() if k != "__provider"})
    job_output.wait_for_counts(3, job_id=job)

    same = diff(stub, job, outs, news)
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    # A new version, not a rescale: after scaling the test job up, one source subtask finishes (one split) and
    # a stop-with-savepoint racing with that fails in Flink; the delete below must not depend on that race.
    v2 = {"jar": str(job_jars.v2), "jarSha256": job_jars.sha256(job_jars.v2), "args": job_output.args("v2")}
    checked2, failures = check(stub, {**news, **v2}, olds=outs)
    news2 = from_struct(checked2)
    assert failures == [] and news2["jarSha256"] == v2["jarSha256"]
    changed = diff(stub, job, outs, news2)
    assert changed.changes == provider_pb2.DiffResponse.DIFF_SOME and list(changed.replaces) == []

    updated = stub.Update(provider_pb2.UpdateRequest(id=job, urn=URN, olds=to_struct(outs), news=to_struct(news2)))
    outs2 = from_struct(updated.properties)
    assert outs2["jobId"] != job and outs2["lastUpgrade"]["result"] == "upgraded"
    assert_state_continued(job_output, job, outs2["jobId"])
    assert_no_secret({k: v for k, v in outs2.items() if k != "__provider"})

    read = from_struct(stub.Read(provider_pb2.ReadRequest(id=job, urn=URN, properties=to_struct(outs2))).properties)
    assert read["jobId"] == outs2["jobId"] and read["state"] == "RUNNING"

    stub.Delete(provider_pb2.DeleteRequest(id=job, urn=URN, properties=to_struct(outs2)))
    assert flink_client.job(outs2["jobId"])["state"] == "FINISHED"
    deadline = time.monotonic() + 10  # stderr is written by another process; give the line time to land
    while "final savepoint" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    reported = re.search(r"final savepoint: (\S+)", log.read_text()).group(1)
    assert reported == flink_client.latest_savepoint_location(outs2["jobId"])
    assert_no_secret(log.read_text())


def test_preview_check_and_diff_over_grpc_need_no_cluster(provider_stub):
    stub, _ = provider_stub
    configure(stub, {CONFIG_REST_TOKEN: TOKEN, CONFIG_REST_CREDENTIAL_HOSTS: "127.0.0.1"})
    url = closed_port_url()
    base = {"__provider": serialize_provider(FlinkJobProvider()), "restUrl": url, "jar": "/jobs/a.jar",
            "jarSha256": "ab" * 32}
    inputs, failures = check(stub, {**base, "restUrl": rpc.UNKNOWN, "parallelism": rpc.UNKNOWN})
    assert failures == [] and inputs["restUrl"] == rpc.UNKNOWN

    _, failures = check(stub, {**base, "upgradeMode": "last-state", "jarSha256": "nope"})
    reasons = {f.property: f.reason for f in failures}
    assert set(reasons) == {"upgradeMode", "jarSha256"} and "'savepoint' or 'stateless'" in reasons["upgradeMode"]

    olds = from_struct(check(stub, base)[0])
    olds = {**olds, "jobId": "1" * 32, "jarId": "a.jar", "state": "RUNNING"}
    assert diff(stub, "x", olds, {**base, "parallelism": rpc.UNKNOWN}).changes == provider_pb2.DiffResponse.DIFF_SOME


def test_errors_over_grpc_are_clear_and_secret_free(provider_stub):
    stub, _ = provider_stub
    configure(stub, {CONFIG_REST_TOKEN: TOKEN, CONFIG_REST_CREDENTIAL_HOSTS: "127.0.0.1"})
    url = closed_port_url()
    props = {"__provider": serialize_provider(FlinkJobProvider()), "restUrl": url, "jar": "/jobs/a.jar",
             "jarSha256": "ab" * 32, "jobId": "1" * 32, "jarId": "a.jar", "state": "RUNNING",
             "allowInsecureCredentials": True}
    with pytest.raises(grpc.RpcError) as info:
        stub.Delete(provider_pb2.DeleteRequest(id="x", urn=URN, properties=to_struct(props)))
    details = info.value.details()
    assert "ProviderError" in details and url in details and "connection refused" in details
    assert TOKEN not in details
