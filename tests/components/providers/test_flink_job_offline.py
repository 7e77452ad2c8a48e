"""FlinkJob without a cluster: new inputs, diff of transient job states, restore-point ordering and discovery,
the lineage seed, old stored state without the newer output keys, and the polling backoff.

Real-cluster behaviour of the same features is in test_flink_job_safety.py; the fake server is used here only to
count the requests of a wait (a real cluster cannot be held in one state on demand).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pulumi
import pytest

from flink_rest.client import (
    POLL_FIRST_S,
    POLL_MAX_S,
    Backoff,
    FlinkRestClient,
    OperationTimeoutError,
    RestEndpoint,
)
from flink_rest.transport import RestTransport
from components.providers import restore_points as rp
from components.providers.connection import ProviderError
from components.providers.flink_job import FlinkJob, FlinkJobArgs, FlinkJobProvider
from components.providers.flink_job_model import OUTPUT_KEYS, lineage_seed
from components.providers.job_lifecycle import (
    JobGoneError,
    first_job_id,
    jar_upload_name,
    lineage_prefix,
    successor_id,
    successor_prefix,
)
from components.providers.restore_points import RestorePoint
from tests.components.providers.provider_helpers import closed_port_url
from tests.fake_flink_server import FakeFlink, Reply

SHA = "ab" * 32
URL = closed_port_url()
JOB = "c" * 32


def news(**overrides) -> dict:
    return {"restUrl": URL, "jar": "/opt/jobs/job.jar", "jarSha256": SHA, "parallelism": 1, **overrides}


def checked(raw: dict) -> dict:
    result = FlinkJobProvider().check({}, raw)
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return result.inputs


def reasons(raw: dict) -> dict[str, str]:
    return {f.property: f.reason for f in FlinkJobProvider().check({}, raw).failures}


# --- inputs -------------------------------------------------------------------------------------------------------
def test_new_inputs_have_safe_defaults_and_are_validated():
    inputs = checked(news())
    assert inputs["onMissingJob"] == "fail" and inputs["maxCheckpointAgeS"] is None and inputs["lineageSeed"] is None
    assert checked(news(maxCheckpointAgeS=0))["maxCheckpointAgeS"] == 0  # 0 turns the age limit off
    found = reasons(news(onMissingJob="restoreOldest", maxCheckpointAgeS=-1, lineageSeed="Orders\n"))
    assert "'fail' or 'restoreLatest'" in found["onMissingJob"] and "'restoreOldest'" in found["onMissingJob"]
    assert "greater than or equal to 0" in found["maxCheckpointAgeS"]
    assert "16 to 64 lowercase hex" in found["lineageSeed"] and "'Orders\\n'" in found["lineageSeed"]


def test_lineage_seed_is_stable_and_distinct_per_project_stack_and_name():
    seed = lineage_seed("flink-platform", "dev", "orders")
    assert seed == lineage_seed("flink-platform", "dev", "orders") and len(seed) == 32
    assert len({seed, lineage_seed("flink-platform", "prod", "orders"), lineage_seed("other", "dev", "orders"),
                lineage_seed("flink-platform", "dev", "payments")}) == 4


def test_flink_job_constructor_sets_the_lineage_seed(pulumi_runtime):
    @pulumi.runtime.test
    def program():
        job = FlinkJob("orders", FlinkJobArgs(rest_url="http://jm:8081", jar="/jobs/a.jar", jar_sha256=SHA,
                                              on_missing_job="restoreLatest"))
        return job.urn.apply(lambda _: None)

    program()
    [reg] = [r for r in pulumi_runtime.registrations if r.name == "orders"]
    assert reg.inputs["lineageSeed"] == lineage_seed(pulumi.get_project(), pulumi.get_stack(), "orders")
    assert reg.inputs["onMissingJob"] == "restoreLatest"


def test_same_name_under_another_parent_gets_another_seed(pulumi_runtime):
    @pulumi.runtime.test
    def program():
        team = pulumi.ComponentResource("flink-platform:tenant:Team", "team-a")
        args = FlinkJobArgs(rest_url="http://jm:8081", jar="/jobs/a.jar", jar_sha256=SHA)
        job = FlinkJob("orders", args, pulumi.ResourceOptions(parent=team))
        return job.urn.apply(lambda _: None)

    program()
    [reg] = [r for r in pulumi_runtime.registrations if r.name == "orders"]
    assert reg.inputs["lineageSeed"] == lineage_seed(pulumi.get_project(), pulumi.get_stack(), "orders",
                                                     "flink-platform:tenant:Team$team-a")
    assert reg.inputs["lineageSeed"] != lineage_seed(pulumi.get_project(), pulumi.get_stack(), "orders")


def test_job_ids_and_jar_names_derive_from_the_seed():
    seed, spec = "0123456789abcdef" * 2, "9" * 64
    first = first_job_id(spec, seed, 0)
    assert first == lineage_prefix(seed, 0) + spec[:16] and first != first_job_id(spec, seed, 1)
    assert first_job_id(spec)[:16] != first_job_id(spec)[:16]  # without a seed: random, as before
    assert successor_id(first, spec).startswith(successor_prefix(first))
    assert jar_upload_name(seed, SHA) == f"flinkjob-{seed[:16]}-{SHA[:12]}.jar" and jar_upload_name(None, SHA) is None


# --- diff: transient states are not drift; stored state without the newer keys -----------------------------------
@pytest.mark.parametrize("state", ["RESTARTING", "INITIALIZING", "CREATED", "RECONCILING", "FAILING", "RUNNING"])
def test_diff_does_not_report_a_live_job_in_a_transient_state(state):
    inputs = checked(news())
    olds = {**inputs, "jobId": JOB, "jarId": "x.jar", "state": state}
    assert FlinkJobProvider().diff(JOB, olds, inputs).changes is False


def test_stored_outputs_from_before_the_new_keys_still_diff_cleanly():
    inputs = checked(news())
    old_state = {k: v for k, v in inputs.items() if k not in ("onMissingJob", "lineageSeed")}
    old_state.update(jobId=JOB, jarId="x.jar", state="RUNNING", lastSavepoint=None, savepointHistory=[],
                     lastUpgrade=None)  # no lastCheckpoint: written before it existed
    assert "lastCheckpoint" in OUTPUT_KEYS and "lastCheckpoint" not in old_state
    assert FlinkJobProvider().diff(JOB, old_state, inputs).changes is False
    seeded = {**inputs, "lineageSeed": "ab" * 16}  # the constructor now adds a seed: not a change
    assert FlinkJobProvider().diff(JOB, old_state, seeded).changes is False
    assert rp.recorded(old_state) == []


# --- restore points: the newest wins, whatever its kind -------------------------------------------------------
def point(kind: str, path: str, at_ms: int | None, final: bool = False) -> RestorePoint:
    return RestorePoint(kind, path, at_ms, "test", final)


def test_newest_restore_point_wins_whatever_its_kind():
    savepoint, checkpoint = point("savepoint", "s3://b/sp-1", 2_000), point("checkpoint", "s3://b/c/chk-9", 1_000)
    assert rp.newest([checkpoint, savepoint])[0] == savepoint
    newer = point("checkpoint", "s3://b/c/chk-12", 3_000)
    assert [p.path for p in rp.newest([savepoint, newer, checkpoint])] == ["s3://b/c/chk-12", "s3://b/sp-1",
                                                                           "s3://b/c/chk-9"]
    assert rp.newest([point("savepoint", "s3://x", None), savepoint])[0] == savepoint  # unknown time sorts last
    same = rp.newest([point("savepoint", "s3://b/sp-1/", 1_500, final=True), savepoint])
    assert len(same) == 1 and same[0].final and same[0].at_ms == 2_000  # one entry per path


def test_recorded_points_come_with_their_times():
    olds = {"lastSavepoint": "s3://b/sp-1",
            "savepointHistory": [{"path": "s3://b/sp-1", "timestamp": "2026-01-02T03:04:05+00:00"}],
            "lastCheckpoint": {"path": "s3://b/c/chk-3", "atMs": 1_767_323_100_000}}
    sp, ck = rp.recorded(olds)
    assert (sp.kind, sp.path, rp.iso_ms(sp.at_ms)) == ("savepoint", "s3://b/sp-1", "2026-01-02T03:04:05+00:00")
    assert (ck.kind, ck.at_ms) == ("checkpoint", 1_767_323_100_000)


def make_point(directory: Path, mtime: float) -> Path:
    directory.mkdir(parents=True)
    (directory / "_metadata").write_bytes(b"meta")
    os.utime(directory / "_metadata", (mtime, mtime))
    return directory


def test_discovery_follows_the_lineage_in_visible_directories(tmp_path):
    spec = "1" * 64
    root = first_job_id(spec, "ab" * 16, 0)
    child = successor_id(root, spec)
    other = successor_id("e" * 32, spec)  # another resource's job: never picked up
    now = time.time()
    make_point(tmp_path / "ck" / root / "chk-3", now - 30)
    make_point(tmp_path / "ck" / root / "chk-10", now - 20)
    (tmp_path / "ck" / root / "chk-11").mkdir()  # incomplete: no _metadata
    newest = make_point(tmp_path / "ck" / child / "chk-12", now - 5)
    make_point(tmp_path / "ck" / other / "chk-99", now)
    stop = make_point(tmp_path / "sp" / root / "savepoint-abc123-0123456789ab", now - 10)

    checkpoints = rp.checkpoints_under((tmp_path / "ck").as_uri(), root, successor_prefix)
    assert sorted(p.path for p in checkpoints) == sorted(["file:" + str(tmp_path / "ck" / root / "chk-10"),
                                                          "file:" + str(newest)])
    stops = rp.stop_savepoints_under((tmp_path / "sp").as_uri(), root, successor_prefix)
    assert [p.path for p in stops] == ["file:" + str(stop)] and stops[0].final
    ordered = rp.newest([*checkpoints, *stops])
    assert ordered[0].path == "file:" + str(newest) and not ordered[0].final  # newer than the stop: not final
    assert rp.checkpoints_under("s3://bucket/ck", root, successor_prefix) == []  # not listable
    gone = point("checkpoint", "file:" + str(tmp_path / "ck" / root / "chk-1"), int(now * 1000))
    assert rp.newest([gone]) == []  # a local point whose files are gone is no restore point


# --- polling backoff and request counting ----------------------------------------------------------------------
def test_backoff_starts_small_and_grows_to_two_seconds():
    delays = Backoff().delays(12)
    assert 0.1 <= delays[0] <= 0.2 and delays[0] == POLL_FIRST_S
    assert all(b >= a for a, b in zip(delays, delays[1:])) and max(delays) == POLL_MAX_S == 2.0


def test_a_long_wait_polls_a_few_times_not_every_50_ms():
    with FakeFlink() as fake:
        fake.script("GET", f"/jobs/{JOB}", Reply(200, {"jid": JOB, "state": "CREATED", "vertices": []}))
        client = FlinkRestClient(RestEndpoint(fake.url))
        before = RestTransport.sent_total
        with pytest.raises(OperationTimeoutError):
            client.wait_job_state(JOB, {"RUNNING"}, deadline_s=4)
        polls = fake.count("GET", f"/jobs/{JOB}")
        # delays 0.1, 0.15, 0.225, 0.34, 0.51, 0.76, 1.14, then the remainder up to 4 s: at most 9 polls
        assert 2 <= polls <= 9, polls
        assert RestTransport.sent_total - before == polls == client._transport.sent


def test_job_gone_with_unlistable_storage_names_where_the_stop_savepoint_would_be():
    """A real cluster here only has local directories; the fake JobManager stands for one writing to s3://."""
    with FakeFlink() as fake:
        fake.script("GET", "/jobs/overview", Reply(200, {"jobs": []}))
        fake.script("GET", "/jobmanager/config", Reply(200, [{"key": "execution.checkpointing.dir",
                                                              "value": "s3://bucket/ck"}]))
        inputs = checked(news(restUrl=fake.url, savepointDir="s3://bucket/sp"))
        older = "s3://bucket/sp/" + "d" * 32 + "/savepoint-dddddd-0123456789ab"
        olds = {**inputs, "jobId": JOB, "jarId": "x.jar", "state": "RUNNING", "lastSavepoint": older,
                "savepointHistory": [{"path": older, "timestamp": "2026-01-02T03:04:05+00:00"}]}
        with pytest.raises(JobGoneError) as info:
            FlinkJobProvider().update(JOB, olds, {**inputs, "parallelism": 2})
        message = str(info.value)
        assert f"savepoint {older} (taken 2026-01-02T03:04:05+00:00; recorded lastSavepoint)" in message
        assert f"would be in s3://bucket/sp/{JOB}/" in message and "s3://bucket/ck/<jobId>/chk-<n>" in message
        assert "onMissingJob: restoreLatest" in message
        assert [r.method for r in fake.requests if r.method != "GET"] == []  # nothing uploaded, run or stopped


def test_default_gate_refuses_to_stop_a_job_whose_last_checkpoint_is_minutes_old(tmp_path):
    """The default limit max(3 × interval, 60 s) on a job whose checkpoints stopped 5 minutes ago (the real
    cluster shows the explicit limit; holding a real job's checkpoints stale for minutes would slow the suite)."""
    jar = tmp_path / "job.jar"
    jar.write_bytes(b"PK fake jar")
    sha = hashlib.sha256(jar.read_bytes()).hexdigest()
    now_ms = 1_800_000_000_000
    running = {"jid": JOB, "state": "RUNNING", "now": now_ms, "vertices": [{"status": "RUNNING"}]}
    with FakeFlink() as fake:
        fake.script("GET", "/jobs/overview", Reply(200, {"jobs": [{"jid": JOB, "state": "RUNNING"}]}))
        fake.script("GET", "/config", Reply(200, {"features": {"web-submit": True}}))
        fake.script("POST", "/jars/upload", Reply(200, {"filename": "/up/1_new.jar", "status": "success"}))
        fake.script("DELETE", "/jars/1_new.jar", Reply(200, {}))
        fake.script("GET", "/jobmanager/config", Reply(200, []))
        fake.script("GET", f"/jobs/{JOB}", Reply(200, running))
        fake.script("GET", f"/jobs/{JOB}/checkpoints/config", Reply(200, {"interval": 10_000}))
        fake.script("GET", f"/jobs/{JOB}/checkpoints", Reply(200, {"latest": {"completed": {
            "id": 7, "latest_ack_timestamp": now_ms - 300_000, "external_path": "file:/ck/chk-7"}}}))
        inputs = checked(news(restUrl=fake.url, jar=str(jar), jarSha256=sha,
                              timeouts={"runningS": 5, "savepointS": 5, "checkpointS": 1}))
        olds = {**inputs, "jobId": JOB, "jarId": "0_old.jar", "state": "RUNNING"}
        with pytest.raises(ProviderError) as info:
            FlinkJobProvider().update(JOB, olds, {**inputs, "parallelism": 2})
        message = str(info.value)
        assert "older than 60 s, the default limit max(3 × checkpoint interval, 60 s)" in message
        assert "stop-with-savepoint was not attempted" in message and f"Job {JOB} is RUNNING" in message
        assert fake.count("POST", f"/jobs/{JOB}/stop") == 0 and fake.count("POST", "/jars/1_new.jar/run") == 0
        assert fake.count("DELETE", "/jars/1_new.jar") == 1  # the upload for the new version is discarded
