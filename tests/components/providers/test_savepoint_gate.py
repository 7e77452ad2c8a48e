"""SavepointGate provider against a real local Flink 2.3 session cluster.

The gate's update must fail (so a dependent FlinkDeployment is not changed) whenever the job is missing, unhealthy
or its savepoint fails, and must record the savepoint path as the rollback point when it succeeds. Jobs are
started directly through the REST client, as the operator would have started them.
"""

from __future__ import annotations

import re

import time
from pathlib import Path

import pytest

from flink_rest.client import FlinkRestClient
from components.providers.savepoint_gate import GateError, SavepointGateProvider
from tests.components.providers.provider_helpers import closed_port_url

pytestmark = pytest.mark.flink


@pytest.fixture
def gate() -> SavepointGateProvider:
    return SavepointGateProvider()


def start_job(client: FlinkRestClient, jars, output, *extra: str, wait: bool = True) -> str:
    jar_id = client.upload_jar(str(jars.v1))
    job_id = client.new_job_id()
    client.run_jar(jar_id, job_id=job_id, entry_class=jars.entry_class, args=output.args("v1", *extra))
    client.delete_jar(jar_id)
    if wait:
        client.wait_all_vertices_running(job_id, deadline_s=60)
    return job_id


def gate_inputs(gate: SavepointGateProvider, rest_url: str, **overrides) -> dict:
    news = {"restUrl": rest_url, "specHash": "spec-1", "timeouts": {"runningS": 30, "savepointS": 30,
                                                                    "checkpointS": 30}, **overrides}
    result = gate.check({}, news)
    assert result.failures == []
    return result.inputs


def created(gate: SavepointGateProvider, inputs: dict) -> dict:
    return gate.create(inputs).outs


def test_first_deploy_does_nothing(gate):
    outs = created(gate, gate_inputs(gate, closed_port_url()))  # no JobManager needed at all
    assert outs["rollbackSavepoint"] is None and outs["checkedJobId"] is None
    assert outs["skipped"].startswith("first deploy")


def test_spec_change_takes_a_savepoint_and_the_job_keeps_running(gate, flink_cluster, flink_client, job_jars,
                                                                 job_output):
    job_id = start_job(flink_client, job_jars, job_output)
    inputs = gate_inputs(gate, flink_cluster.rest_url)
    outs = created(gate, inputs)
    changed = {**inputs, "specHash": "spec-2"}
    assert gate.diff("gate", outs, changed).changes is True
    outs2 = gate.update("gate", outs, changed).outs

    assert outs2["checkedJobId"] == job_id and outs2["specHash"] == "spec-2" and outs2["skipped"] is None
    location = outs2["rollbackSavepoint"]
    assert location == flink_client.latest_savepoint_location(job_id)
    assert (Path(location.removeprefix("file:")) / "_metadata").is_file()
    assert len(outs2["savepointTriggerId"]) == 32 and outs2["checkedAt"]
    assert flink_client.job(job_id)["state"] == "RUNNING"


def savepoints_of(client: FlinkRestClient, job_id: str) -> list[str]:
    """Every completed savepoint the JobManager lists for the job, oldest first."""
    history = client.checkpoints(job_id).get("history") or []
    done = [h for h in history if h.get("checkpoint_type", "").endswith("SAVEPOINT") and h.get("status") == "COMPLETED"]
    return [h["external_path"] for h in sorted(done, key=lambda h: h["id"])]


def apply_guarded_change(client: FlinkRestClient, jars, output, job_id: str) -> str:
    """What the operator does when the guarded FlinkDeployment changes: stop with savepoint, submit again."""
    savepoint = client.stop_with_savepoint(job_id, target_directory=None, deadline_s=60)
    jar_id = client.upload_jar(str(jars.v1))
    new_id = client.run_jar(jar_id, job_id=client.new_job_id(), entry_class=jars.entry_class,
                            args=output.args("v1"), savepoint_path=savepoint)
    client.delete_jar(jar_id)
    client.wait_all_vertices_running(new_id, deadline_s=60)
    return new_id


def test_failed_guarded_update_gets_a_new_savepoint_on_retry(gate, flink_cluster, flink_client, job_jars,
                                                             job_output):
    job_id = start_job(flink_client, job_jars, job_output)
    inputs = gate_inputs(gate, flink_cluster.rest_url)
    outs = created(gate, inputs)
    assert outs["appliedHash"] == "spec-1" and gate.diff("gate", outs, inputs).changes is False
    changed = {**inputs, "specHash": "spec-2"}

    first = gate.update("gate", outs, changed).outs  # `pulumi up` #1: the gate saves ...
    assert first["savedForHash"] == "spec-2" and first["appliedHash"] == "spec-1"
    assert savepoints_of(flink_client, job_id) == [first["rollbackSavepoint"]]
    # ... then the guarded FlinkDeployment fails to update: nothing reaches the cluster, the job runs on.
    job_output.wait_for_counts(min(job_output.read_counts(job_id=job_id).values()) + 2, job_id=job_id)

    assert gate.diff("gate", first, changed).changes is True  # `pulumi up` #2 (the retry) runs the gate again
    retry = gate.update("gate", first, changed).outs
    assert retry["rollbackSavepoint"] != first["rollbackSavepoint"] and retry["savedForHash"] == "spec-2"
    assert savepoints_of(flink_client, job_id) == [first["rollbackSavepoint"], retry["rollbackSavepoint"]]
    assert retry["checkedJobId"] == job_id and retry["appliedHash"] == "spec-1"
    assert flink_client.job(job_id)["state"] == "RUNNING"  # the retried change still finds the job running

    new_job = apply_guarded_change(flink_client, job_jars, job_output, job_id)  # the retried change succeeds
    assert gate.diff("gate", retry, changed).changes is True  # `pulumi up` #3: the gate confirms ...
    settled = gate.update("gate", retry, changed).outs
    assert settled["appliedHash"] == "spec-2" and settled["rollbackSavepoint"] == retry["rollbackSavepoint"]
    assert savepoints_of(flink_client, new_job) == []  # ... without a savepoint: the change already happened
    assert gate.diff("gate", settled, changed).changes is False  # and from then on nothing is pending

    third = {**inputs, "specHash": "spec-3"}  # the next change is guarded by a savepoint of the new job
    outs3 = gate.update("gate", settled, third).outs
    assert outs3["checkedJobId"] == new_job and savepoints_of(flink_client, new_job) == [outs3["rollbackSavepoint"]]


def test_other_changes_only_record_and_call_nothing(gate, flink_cluster, flink_client, job_jars, job_output):
    job_id = start_job(flink_client, job_jars, job_output)
    inputs = gate_inputs(gate, flink_cluster.rest_url)
    changed = {**inputs, "specHash": "spec-2"}
    saved = gate.update("gate", created(gate, inputs), changed).outs
    apply_guarded_change(flink_client, job_jars, job_output, job_id)
    outs = gate.update("gate", saved, changed).outs
    assert outs["appliedHash"] == "spec-2"
    moved = {**outs, **gate_inputs(gate, closed_port_url(), specHash="spec-2", skipWhenNoJob=True)}
    assert gate.diff("gate", outs, moved).changes is True
    outs3 = gate.update("gate", outs, moved).outs  # same, applied hash: must not even try the (closed) endpoint
    assert outs3["rollbackSavepoint"] == saved["rollbackSavepoint"] and outs3["skipWhenNoJob"] is True


def test_unhealthy_job_fails_the_gate(gate, flink_cluster, flink_client, job_jars, job_output):
    job_id = start_job(flink_client, job_jars, job_output, "--fail-in-open", "true", wait=False)
    inputs = gate_inputs(gate, flink_cluster.rest_url, jobId=job_id,
                         timeouts={"runningS": 3, "savepointS": 30, "checkpointS": 30})
    with pytest.raises(GateError) as info:
        gate.update("gate", created(gate, inputs), {**inputs, "specHash": "spec-2"})
    message = str(info.value)
    assert f"job {job_id} is not healthy" in message and "guarded deployment was not changed" in message
    assert "fail in open()" in message  # the root cause from /jobs/:id/exceptions


def test_stale_checkpoint_fails_the_gate_when_a_recent_one_is_required(gate, flink_cluster, flink_client,
                                                                       job_jars, job_output):
    jar_id = flink_client.upload_jar(str(job_jars.v1))
    job_id = flink_client.run_jar(jar_id, job_id=flink_client.new_job_id(), entry_class=job_jars.entry_class,
                                  args=job_output.args("v1"),
                                  flink_configuration={"execution.checkpointing.interval": "1 h"})
    flink_client.wait_all_vertices_running(job_id, deadline_s=60)
    first = flink_client.wait_completed_checkpoint(job_id, deadline_s=60)  # Flink takes one at start, then 1 h
    time.sleep(1.0)  # let that checkpoint age past maxCheckpointAgeS
    inputs = gate_inputs(gate, flink_cluster.rest_url, maxCheckpointAgeS=0.5,
                         timeouts={"runningS": 30, "savepointS": 30, "checkpointS": 2})
    with pytest.raises(GateError) as info:
        gate.update("gate", created(gate, inputs), {**inputs, "specHash": "spec-2"})
    # The gate names the newest completed checkpoint it found too old: the one taken at start, or a later one if
    # Flink completed another meanwhile (the first periodic checkpoint's time is randomised by Flink).
    named = re.search(rf"job {job_id} has no completed checkpoint newer than checkpoint (\d+)", str(info.value))
    assert named, str(info.value)
    latest = flink_client.checkpoints(job_id)["latest"]["completed"]["id"]
    assert first["id"] <= int(named.group(1)) <= latest
    assert "maxCheckpointAgeS=0.5" in str(info.value)
    for relaxed in ({"maxCheckpointAgeS": 3600}, {"requireCheckpoint": False}):
        changed = {**inputs, **relaxed, "specHash": "spec-2"}
        assert gate.update("gate", created(gate, inputs), changed).outs["checkedJobId"] == job_id


def test_failed_savepoint_fails_the_gate_and_the_job_keeps_running(gate, flink_cluster, flink_client, job_jars,
                                                                   job_output, tmp_path):
    job_id = start_job(flink_client, job_jars, job_output)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    inputs = gate_inputs(gate, flink_cluster.rest_url, savepointDir=(blocker / "sp").as_uri())
    with pytest.raises(GateError) as info:
        gate.update("gate", created(gate, inputs), {**inputs, "specHash": "spec-2"})
    assert "savepoint" in str(info.value) and job_id in str(info.value)
    assert "guarded deployment was not changed" in str(info.value)
    assert flink_client.job(job_id)["state"] == "RUNNING"


def test_no_running_job_fails_unless_skipped(gate, flink_cluster, flink_client):
    inputs = gate_inputs(gate, flink_cluster.rest_url)
    with pytest.raises(GateError, match="no running job .* skipWhenNoJob=true"):
        gate.update("gate", created(gate, inputs), {**inputs, "specHash": "spec-2"})
    skipping = {**inputs, "skipWhenNoJob": True, "specHash": "spec-2"}
    outs = gate.update("gate", created(gate, inputs), skipping).outs
    assert outs["rollbackSavepoint"] is None and "skipWhenNoJob" in outs["skipped"]


def test_two_jobs_need_a_job_id(gate, flink_cluster, flink_client, job_jars, job_output):
    first = start_job(flink_client, job_jars, job_output)
    second = start_job(flink_client, job_jars, job_output)
    inputs = gate_inputs(gate, flink_cluster.rest_url)
    with pytest.raises(GateError, match="2 jobs run on the cluster .* set jobId or jobName") as info:
        gate.update("gate", created(gate, inputs), {**inputs, "specHash": "spec-2"})
    assert first in str(info.value) and second in str(info.value)
    pinned = {**inputs, "jobId": second, "specHash": "spec-2"}
    assert gate.update("gate", created(gate, inputs), pinned).outs["checkedJobId"] == second


def test_jobmanager_down_fails_the_gate(gate):
    down = closed_port_url()
    inputs = gate_inputs(gate, down)
    with pytest.raises(GateError) as info:
        gate.update("gate", created(gate, inputs), {**inputs, "specHash": "spec-2"})
    assert down in str(info.value) and "connection refused" in str(info.value)
