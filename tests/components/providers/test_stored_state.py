"""Existing stacks keep working: delete and read from state written by an earlier version of the providers.

`tests/fixtures/stored_state/` holds the `__provider` strings exactly as `pulumi.dynamic` serialized the providers
at commit 68e0ae9, and the outputs those providers stored. The engine hands exactly such a property bag to
Delete and Read, and the dynamic-provider process unpickles the provider from its `__provider` (by reference:
module path and class name). These tests drive a real `python -m pulumi.dynamic` over gRPC with those bags, the
fixture's `restUrl`/`jobId`/`jarId` rewritten to a job started on the local cluster for the purpose, plus keys
a later version added (absent) and removed (present), as an old stack would send them.
"""

from __future__ import annotations

import base64
import json

import dill
import pytest
import requests
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from components.providers.flink_job import FlinkJobProvider
from components.providers.savepoint_gate import SavepointGateProvider
from components.providers.stored import stored_inputs
from components.providers.flink_job_model import FlinkJobInputs
from components.providers.connection import ProviderError
from tests.conftest import ROOT
from tests.components.providers.test_dynamic_grpc import (  # noqa: F401 (provider_stub is a fixture)
    configure,
    from_struct,
    provider_stub,
    to_struct,
)

FIXTURES = ROOT / "tests" / "fixtures" / "stored_state"
JOB_URN = "urn:pulumi:test::flink-platform::pulumi-python:dynamic/flink:FlinkJob::orders"
GATE_URN = "urn:pulumi:test::flink-platform::pulumi-python:dynamic/flink:SavepointGate::orders-gate"
#: What an old stack's outputs may hold that today's provider does not know (a key removed since).
REMOVED_KEY = {"legacyField": {"kept": "by an older version"}}


def stored(name: str) -> dict:
    """{"id", "type", "outputs"} of a fixture, outputs including `__provider`."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.mark.parametrize("name, cls", [("flink_job", FlinkJobProvider), ("savepoint_gate", SavepointGateProvider)])
def test_stored_providers_unpickle_to_todays_classes(name, cls):
    raw = base64.b64decode(stored(name)["outputs"]["__provider"])
    provider = dill.loads(raw)
    assert type(provider) is cls
    assert provider._configured.credentials.secrets == ()  # and they carried no credentials then either
    for reference in (cls.__module__.encode(), cls.__name__.encode(), b"components.providers.connection",
                      b"ConfiguredCredentials"):
        assert reference in raw  # the names listed as the stored contract in the README


def test_stored_outputs_are_parsed_leniently():
    outs = {**stored("flink_job")["outputs"], **REMOVED_KEY, "onDelete": "shred"}
    outs.pop("requestTimeoutS")
    inputs = stored_inputs(FlinkJobInputs, outs, what="FlinkJob delete")
    assert inputs.request_timeout_s == 10.0 and inputs.on_delete == "savepoint"  # defaults for missing/invalid
    assert inputs.allow_insecure_credentials is False  # added after the fixture was written
    with pytest.raises(ProviderError, match=r"FlinkJob delete: .*restUrl: .*the resource is kept"):
        stored_inputs(FlinkJobInputs, {k: v for k, v in outs.items() if k != "restUrl"}, what="FlinkJob delete")
    with pytest.raises(ProviderError, match=r"'jobId'"):
        FlinkJobProvider().read("x", {k: v for k, v in outs.items() if k != "jobId"})


def test_stored_gate_outputs_keep_their_meaning():
    outs = stored("savepoint_gate")["outputs"]  # written before appliedHash existed
    same = {k: outs[k] for k in ("restUrl", "specHash", "timeouts")}
    gate = SavepointGateProvider()
    assert gate.diff("g", outs, gate.check({}, same).inputs).changes is False  # its specHash counts as applied
    assert gate.diff("g", outs, gate.check({}, {**same, "specHash": "spec-3"}).inputs).changes is True


def test_stored_flink_job_outputs_show_no_change_for_inputs_added_since():
    outs = stored("flink_job")["outputs"]  # written before allowInsecureCredentials existed
    keys = ("restUrl", "jar", "jarSha256", "entryClass", "args", "parallelism", "flinkConfiguration", "timeouts")
    job = FlinkJobProvider()
    news = job.check({}, {k: outs[k] for k in keys}).inputs
    assert job.diff(outs["jobId"], outs, news).changes is False
    assert job.diff(outs["jobId"], outs, {**news, "allowInsecureCredentials": True}).changes is True


def jar_ids(rest_url: str) -> set[str]:
    return {f["id"] for f in requests.get(f"{rest_url}/jars", timeout=10).json()["files"]}


@pytest.mark.flink
def test_flink_job_read_and_delete_from_stored_state(provider_stub, flink_cluster, flink_client, job_jars,
                                                     job_output):
    stub, _ = provider_stub
    configure(stub, {})
    doc = stored("flink_job")
    jar_id = flink_client.upload_jar(str(job_jars.v1))
    job_id = flink_client.run_jar(jar_id, job_id=flink_client.new_job_id(), entry_class=job_jars.entry_class,
                                  args=job_output.args("v1"))
    flink_client.wait_all_vertices_running(job_id, deadline_s=60)
    flink_client.wait_completed_checkpoint(job_id, deadline_s=60)
    outs = {**doc["outputs"], **REMOVED_KEY, "restUrl": flink_cluster.rest_url, "jobId": job_id, "jarId": jar_id}
    outs.pop("requestTimeoutS")  # and a key the provider has a default for is missing

    read = from_struct(stub.Read(provider_pb2.ReadRequest(id=doc["id"], urn=JOB_URN,
                                                          properties=to_struct(outs))).properties)
    assert read["jobId"] == job_id and read["state"] == "RUNNING"
    assert read["__provider"] == doc["outputs"]["__provider"] and read["lastSavepoint"] == outs["lastSavepoint"]

    stub.Delete(provider_pb2.DeleteRequest(id=doc["id"], urn=JOB_URN, properties=to_struct(outs)))
    assert flink_client.job(job_id)["state"] == "FINISHED"
    assert flink_client.latest_savepoint_location(job_id)  # stopped with a savepoint, per the stored onDelete
    assert jar_id not in jar_ids(flink_cluster.rest_url)


@pytest.mark.flink
def test_savepoint_gate_read_delete_and_update_from_stored_state(provider_stub, flink_cluster, flink_client,
                                                                 job_jars, job_output):
    stub, _ = provider_stub
    configure(stub, {})
    doc = stored("savepoint_gate")
    outs = {**doc["outputs"], **REMOVED_KEY, "restUrl": flink_cluster.rest_url}

    read = from_struct(stub.Read(provider_pb2.ReadRequest(id=doc["id"], urn=GATE_URN,
                                                          properties=to_struct(outs))).properties)
    assert read["rollbackSavepoint"] == outs["rollbackSavepoint"] and read["specHash"] == outs["specHash"]

    jar_id = flink_client.upload_jar(str(job_jars.v1))
    job_id = flink_client.run_jar(jar_id, job_id=flink_client.new_job_id(), entry_class=job_jars.entry_class,
                                  args=job_output.args("v1"))
    flink_client.delete_jar(jar_id)
    flink_client.wait_all_vertices_running(job_id, deadline_s=60)
    news = {k: outs[k] for k in ("__provider", "restUrl", "specHash", "timeouts")}
    news["specHash"] = "spec-3"
    updated = from_struct(stub.Update(provider_pb2.UpdateRequest(id=doc["id"], urn=GATE_URN, olds=to_struct(outs),
                                                                 news=to_struct(news))).properties)
    assert updated["checkedJobId"] == job_id and updated["savedForHash"] == "spec-3"
    assert updated["rollbackSavepoint"] == flink_client.latest_savepoint_location(job_id)
    assert updated["appliedHash"] == "spec-2"  # the stored specHash: the change to spec-3 is pending

    stub.Delete(provider_pb2.DeleteRequest(id=doc["id"], urn=GATE_URN, properties=to_struct(outs)))
    assert flink_client.job(job_id)["state"] == "RUNNING"  # the gate owns nothing in Flink
    assert rpc.UNKNOWN not in json.dumps(updated)
