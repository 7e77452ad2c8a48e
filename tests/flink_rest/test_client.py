"""FlinkRestClient against the real local Flink 2.3 session cluster (one per session; jobs cancelled per test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flink_rest.client import (
    FlinkNotFoundError,
    FlinkRestClient,
    FlinkRestError,
    JobStateError,
    SavepointFailedError,
)
from testbed.flink.config import KEY_RESTART_STRATEGY_TYPE

pytestmark = pytest.mark.flink

DEADLINE_S = 60.0


@pytest.fixture
def v1_jar(flink_client, job_jars):
    jar_id = flink_client.upload_jar(str(job_jars.v1))
    yield jar_id
    flink_client.delete_jar(jar_id)


def start_job(client: FlinkRestClient, jar_id: str, args: list[str], **kwargs) -> str:
    """Run a jar under a fresh job id and wait until every vertex runs."""
    job_id = client.run_jar(jar_id, job_id=client.new_job_id(), args=args, **kwargs)
    client.wait_all_vertices_running(job_id, deadline_s=DEADLINE_S)
    return job_id


def savepoint_dirs(cluster, job_id: str) -> list[Path]:
    """Savepoint directories Flink wrote for ``job_id`` (named ``savepoint-<first 6 hex of the job id>-...``)."""
    return sorted(cluster.savepoint_dir.glob(f"savepoint-{job_id[:6]}-*"))


def local_path(location: str) -> Path:
    assert location.startswith("file:"), location
    return Path(location[len("file:"):])


def test_cluster_config_and_overview(flink_client):
    config = flink_client.config()
    assert config["flink-version"] == "2.3.0" and config["features"]["web-submit"] is True
    flink_client.ensure_web_submit()
    overview = flink_client.overview()
    assert overview["taskmanagers"] == 1 and overview["slots-total"] == 4


def test_upload_run_and_wait_until_running_and_checkpointing(flink_client, v1_jar, job_output):
    job_id = flink_client.new_job_id()
    result = flink_client.submit_jar(v1_jar, job_id=job_id, args=job_output.args())
    assert (result.job_id, result.duplicate) == (job_id, False)
    job = flink_client.wait_all_vertices_running(job_id, deadline_s=DEADLINE_S)
    assert job["state"] == "RUNNING" and {v["status"] for v in job["vertices"]} == {"RUNNING"}
    assert [j["state"] for j in flink_client.jobs_overview() if j["jid"] == job_id] == ["RUNNING"]
    assert flink_client.wait_completed_checkpoint(job_id, deadline_s=DEADLINE_S)["id"] >= 1
    counts = job_output.wait_for_counts(2, job_id=job_id)
    assert set(counts) == {"k0", "k1", "k2", "k3"}
    assert {line.version for line in job_output.lines()} == {"v1"}


def test_savepoint_keeps_the_job_running(flink_client, flink_cluster, v1_jar, job_output):
    job_id = start_job(flink_client, v1_jar, job_output.args())
    location = flink_client.savepoint(job_id, target_directory=None, deadline_s=DEADLINE_S)
    assert local_path(location).parent == flink_cluster.savepoint_dir
    assert (local_path(location) / "_metadata").is_file()
    assert flink_client.job(job_id)["state"] == "RUNNING"
    assert flink_client.latest_savepoint_location(job_id) == location


def test_stop_with_savepoint_retried_with_the_same_trigger_id_takes_one_savepoint(flink_client, flink_cluster,
                                                                                  v1_jar, job_output):
    job_id = start_job(flink_client, v1_jar, job_output.args())
    trigger_id = flink_client.new_trigger_id()
    location = flink_client.stop_with_savepoint(job_id, target_directory=None, trigger_id=trigger_id,
                                                deadline_s=DEADLINE_S)
    assert flink_client.job(job_id)["state"] == "FINISHED"
    savepoint_id = flink_client.checkpoints(job_id)["latest"]["savepoint"]["id"]

    again = flink_client.stop_with_savepoint(job_id, target_directory=None, trigger_id=trigger_id,
                                             deadline_s=DEADLINE_S)
    assert again == location
    assert savepoint_dirs(flink_cluster, job_id) == [local_path(location)]
    assert flink_client.checkpoints(job_id)["latest"]["savepoint"]["id"] == savepoint_id
    assert flink_client.latest_savepoint_location(job_id) == location  # recoverable after the job finished


def test_restore_from_savepoint_continues_every_counter(flink_client, job_jars, v1_jar, job_output):
    old_job = start_job(flink_client, v1_jar, job_output.args())
    job_output.wait_for_counts(3, job_id=old_job)
    location = flink_client.stop_with_savepoint(old_job, target_directory=None, deadline_s=DEADLINE_S)
    saved = job_output.read_counts(job_id=old_job)

    v2_jar = flink_client.upload_jar(str(job_jars.v2))
    try:
        new_job = start_job(flink_client, v2_jar, job_output.args(), savepoint_path=location)
        job_output.wait_for_counts(1, job_id=new_job)
        restored = flink_client.checkpoints(new_job)["latest"]["restored"]
    finally:
        flink_client.delete_jar(v2_jar)
    assert job_output.first_counts(job_id=new_job) == {key: count + 1 for key, count in saved.items()}
    assert {line.version for line in job_output.lines() if line.job_id == new_job} == {"v2"}
    assert restored["is_savepoint"] is True and restored["external_path"] == location


def test_stop_into_an_unwritable_directory_fails_and_the_job_keeps_running(flink_client, v1_jar, job_output,
                                                                         tmp_path):
    job_id = start_job(flink_client, v1_jar, job_output.args())
    regular_file = tmp_path / "not-a-dir"
    regular_file.write_text("x")
    with pytest.raises(SavepointFailedError) as info:
        flink_client.stop_with_savepoint(job_id, target_directory=(regular_file / "sp").as_uri(),
                                         deadline_s=DEADLINE_S)
    assert "FileAlreadyExistsException" in info.value.failure and str(regular_file) in info.value.failure
    assert info.value.call.startswith(f"GET /jobs/{job_id}/savepoints/")
    assert flink_client.job(job_id)["state"] == "RUNNING"


def test_run_from_a_missing_savepoint_is_an_error_that_leaves_a_failed_job(flink_client, v1_jar, job_output,
                                                                         tmp_path):
    job_id = flink_client.new_job_id()
    missing = (tmp_path / "no-such-savepoint").as_uri()
    with pytest.raises(FlinkRestError) as info:
        flink_client.run_jar(v1_jar, job_id=job_id, args=job_output.args(), savepoint_path=missing)
    assert info.value.status == 400 and "Cannot find checkpoint or savepoint" in str(info.value)
    assert flink_client.job(job_id)["state"] == "FAILED"  # Flink keeps the failed job (flink-local-facts.md)


def test_a_broken_build_fails_at_submission_without_creating_a_job(flink_client, job_jars, job_output):
    jar_id = flink_client.upload_jar(str(job_jars.broken))
    job_id = flink_client.new_job_id()
    try:
        with pytest.raises(FlinkRestError) as info:
            flink_client.run_jar(jar_id, job_id=job_id, entry_class=job_jars.entry_class, args=job_output.args())
    finally:
        flink_client.delete_jar(jar_id)
    assert "broken on purpose" in str(info.value)
    assert flink_client.find_job(job_id) is None


def test_a_job_failing_at_runtime_reports_its_root_cause(flink_client, v1_jar, job_output):
    job_id = flink_client.run_jar(v1_jar, job_id=flink_client.new_job_id(),
                                  args=job_output.args(None, "--fail-in-open", "true"),
                                  flink_configuration={KEY_RESTART_STRATEGY_TYPE: "none"})
    with pytest.raises(JobStateError) as info:
        flink_client.wait_all_vertices_running(job_id, deadline_s=DEADLINE_S)
    assert info.value.state == "FAILED"
    assert "counter asked to fail in open()" in info.value.root_cause


def test_unknown_job_is_not_found(flink_client):
    unknown = flink_client.new_job_id()
    with pytest.raises(FlinkNotFoundError) as info:
        flink_client.job(unknown)
    assert info.value.call == f"GET /jobs/{unknown}" and unknown in str(info.value)
    assert flink_client.find_job(unknown) is None
    with pytest.raises(FlinkNotFoundError):
        flink_client.cancel(unknown)


def test_running_the_same_job_id_twice_is_detected_as_a_duplicate(flink_client, v1_jar, job_output):
    job_id = flink_client.new_job_id()
    first = flink_client.submit_jar(v1_jar, job_id=job_id, args=job_output.args())
    second = flink_client.submit_jar(v1_jar, job_id=job_id, args=job_output.args())
    assert (first.duplicate, second.duplicate) == (False, True)
    assert flink_client.run_jar(v1_jar, job_id=job_id, args=job_output.args()) == job_id
    assert [j["jid"] for j in flink_client.jobs_overview()].count(job_id) == 1
    flink_client.wait_all_vertices_running(job_id, deadline_s=DEADLINE_S)
    assert job_output.job_ids() <= {job_id}


def test_cancel_ends_the_job_and_is_idempotent(flink_client, v1_jar, job_output):
    job_id = start_job(flink_client, v1_jar, job_output.args())
    flink_client.cancel(job_id)
    assert flink_client.wait_job_state(job_id, {"CANCELED"}, deadline_s=DEADLINE_S)["state"] == "CANCELED"
    flink_client.cancel(job_id)  # Flink answers 202 again for a cancelled job
    assert flink_client.job(job_id)["state"] == "CANCELED"
