"""FlinkJob provider against a real local Flink 2.3 session cluster.

The provider methods are called the way the engine calls them (checked inputs in, stored outputs back). State
continuity is proven with the test job's per-key counters (ValueState): after a restore from a savepoint the new
job's first count of every key is the old job's last count + 1; a job that lost its state would start at 1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flink_rest.client import TERMINAL_JOB_STATES, FlinkRestClient
from components.providers.connection import ProviderError
from components.providers.flink_job import FlinkJobProvider
from components.providers.flink_job_model import JOB_SPEC_KEYS, spec_hash
from components.providers.job_lifecycle import (
    RestoreRequiredError,
    RolledBackError,
    SavepointAbortError,
    successor_id,
    successor_prefix,
)
from tests.components.providers.provider_helpers import (
    TOKEN,
    assert_no_secret,
    assert_state_continued,
    closed_port_url,
    job_inputs,
)

pytestmark = pytest.mark.flink


class SimulatedCrash(BaseException):
    """Stands for the provider process dying: not an Exception, so no handler in the provider catches it."""


@pytest.fixture
def provider() -> FlinkJobProvider:
    return FlinkJobProvider()


@pytest.fixture
def news(flink_cluster, job_jars, job_output) -> dict:
    return job_inputs(flink_cluster.rest_url, job_jars, job_output)


def live_jobs(client: FlinkRestClient) -> list[str]:
    return sorted(j["jid"] for j in client.jobs_overview() if j["state"] not in TERMINAL_JOB_STATES)


def spec_of(inputs: dict) -> str:
    return spec_hash({k: inputs.get(k) for k in JOB_SPEC_KEYS})


def created(provider: FlinkJobProvider, news: dict, job_output, minimum: int = 3) -> dict:
    outs = provider.create(news).outs
    job_output.wait_for_counts(minimum, job_id=outs["jobId"])
    return outs


def test_create_runs_the_job_with_every_vertex_running(provider, news, flink_client, job_output):
    outs = created(provider, news, job_output, minimum=1)
    job = flink_client.job(outs["jobId"])
    assert job["state"] == "RUNNING" and {v["status"] for v in job["vertices"]} == {"RUNNING"}
    assert outs["state"] == "RUNNING" and outs["jarId"].endswith(".jar")
    assert outs["lastSavepoint"] is None and outs["savepointHistory"] == [] and outs["lastUpgrade"] is None
    assert outs["jobId"][16:] == spec_of(news)[:16]  # the id carries the spec fingerprint


def test_update_parallelism_restarts_from_savepoint_with_state(provider, news, flink_client, job_output):
    outs = created(provider, news, job_output)
    old = outs["jobId"]
    news2 = {**news, "parallelism": 2}
    assert provider.diff(old, outs, news2).changes is True
    outs2 = provider.update(old, outs, news2).outs

    new = outs2["jobId"]
    assert new == successor_id(old, spec_of(news2))
    assert flink_client.job(old)["state"] == "FINISHED"
    assert {v["parallelism"] for v in flink_client.job(new)["vertices"]} == {2}
    assert live_jobs(flink_client) == [new]
    restored = flink_client.checkpoints(new)["latest"]["restored"]
    assert restored["is_savepoint"] and restored["external_path"] == outs2["lastSavepoint"]
    assert outs2["lastUpgrade"]["result"] == "upgraded" and outs2["lastUpgrade"]["from"] == old
    assert outs2["lastUpgrade"]["to"] == new and outs2["lastUpgrade"]["durationS"] > 0
    [entry] = outs2["savepointHistory"]
    assert entry["path"] == outs2["lastSavepoint"] and entry["jobId"] == old and entry["reason"] == "upgrade"
    assert_state_continued(job_output, old, new)


def test_update_jar_to_v2_continues_the_counters(provider, news, flink_client, flink_cluster, job_jars,
                                                 job_output):
    outs = created(provider, news, job_output)
    news2 = job_inputs(flink_cluster.rest_url, job_jars, job_output, version="v2")
    outs2 = provider.update(outs["jobId"], outs, news2).outs
    assert outs2["jarId"] != outs["jarId"] and outs2["jarSha256"] == job_jars.sha256(job_jars.v2)
    assert live_jobs(flink_client) == [outs2["jobId"]]
    job_output.wait_for_counts(2, job_id=outs2["jobId"])
    assert job_output.first_counts(version="v2") == {k: c + 1 for k, c in job_output.read_counts(version="v1").items()}
    assert_state_continued(job_output, outs["jobId"], outs2["jobId"])


def test_change_that_needs_no_new_job_keeps_the_job(provider, news, flink_client, job_output):
    outs = created(provider, news, job_output, minimum=1)
    before = {j["jid"] for j in flink_client.jobs_overview()}
    news2 = {**news, "onDelete": "cancel", "timeouts": {"runningS": 30, "savepointS": 30, "checkpointS": 30},
             "allowNonRestoredState": True}
    outs2 = provider.update(outs["jobId"], outs, news2).outs
    assert outs2["jobId"] == outs["jobId"] and outs2["state"] == "RUNNING"
    assert outs2["onDelete"] == "cancel" and outs2["lastUpgrade"] is None
    assert {j["jid"] for j in flink_client.jobs_overview()} == before
    assert flink_client.job(outs["jobId"])["state"] == "RUNNING"


@pytest.mark.parametrize("mode,final_state", [("savepoint", "FINISHED"), ("drain", "FINISHED"),
                                              ("cancel", "CANCELED")])
def test_delete_per_on_delete(provider, news, flink_client, job_output, capsys, mode, final_state):
    outs = created(provider, {**news, "onDelete": mode}, job_output, minimum=1)
    provider.delete(outs["jobId"], outs)
    assert flink_client.job(outs["jobId"])["state"] == final_state
    reported = re.search(r"final savepoint: (\S+)", capsys.readouterr().err).group(1)
    if mode == "cancel":
        assert reported == "None"
        return
    assert reported == flink_client.latest_savepoint_location(outs["jobId"])
    assert (flink_client.checkpoints(outs["jobId"])["latest"]["savepoint"]["external_path"]) == reported
    assert (Path(reported.removeprefix("file:")) / "_metadata").is_file()


def test_savepoint_failure_aborts_and_the_old_job_keeps_running(provider, news, flink_client, job_output,
                                                                tmp_path):
    outs = created(provider, news, job_output)
    blocker = tmp_path / "a-regular-file"
    blocker.write_text("savepoints cannot go under a file, even for root")
    news2 = {**news, "parallelism": 2, "savepointDir": (blocker / "savepoints").as_uri()}
    with pytest.raises(SavepointAbortError) as info:
        provider.update(outs["jobId"], outs, news2)
    message = str(info.value)
    assert "upgrade aborted before anything changed" in message and f"Job {outs['jobId']} is RUNNING" in message
    assert "savepoint" in message and "no new job was started" in message
    assert flink_client.job(outs["jobId"])["state"] == "RUNNING"
    assert live_jobs(flink_client) == [outs["jobId"]]
    seen = job_output.read_counts(job_id=outs["jobId"])
    job_output.wait_for_counts(max(seen.values()) + 2, job_id=outs["jobId"])  # it keeps processing


def test_broken_new_version_rolls_back_from_the_same_savepoint(provider, news, flink_client, flink_cluster,
                                                               job_jars, job_output):
    outs = created(provider, news, job_output)
    old = outs["jobId"]
    broken = job_inputs(flink_cluster.rest_url, job_jars, job_output, version="broken")
    with pytest.raises(RolledBackError) as info:
        provider.update(old, outs, broken)
    message = str(info.value)
    rollback = successor_id(old, spec_of(news))
    assert "broken on purpose" in message and f"runs again as job {rollback}" in message
    assert "state kept" in message and "from savepoint file:" in message
    assert live_jobs(flink_client) == [rollback]
    assert_state_continued(job_output, old, rollback)
    assert job_output.read_counts(version="broken") == {}

    refreshed = provider.read(old, outs).outs  # `pulumi refresh` records the rollback job
    assert refreshed["jobId"] == rollback and refreshed["state"] == "RUNNING"
    assert provider.diff(old, refreshed, news).changes is False


def test_jobmanager_down_gives_a_clear_error_and_changes_nothing(provider, news, flink_client, job_output):
    outs = created(provider, news, job_output, minimum=1)
    down = closed_port_url()
    with pytest.raises(ProviderError) as info:
        provider.update(outs["jobId"], outs, {**news, "restUrl": down, "parallelism": 2})
    assert down in str(info.value) and "connection refused" in str(info.value)
    assert live_jobs(flink_client) == [outs["jobId"]]

    before = {j["jid"] for j in flink_client.jobs_overview()}
    with pytest.raises(ProviderError, match="nothing was created.*connection refused"):
        provider.create({**news, "restUrl": down})
    assert {j["jid"] for j in flink_client.jobs_overview()} == before


def test_crash_between_stop_and_run_resumes_from_the_savepoint(provider, news, flink_client, job_output,
                                                               monkeypatch):
    outs = created(provider, news, job_output)
    old = outs["jobId"]
    news2 = {**news, "parallelism": 2}

    def crash(*args, **kwargs):
        raise SimulatedCrash("provider process died before POST /jars/:id/run")
    monkeypatch.setattr(FlinkRestClient, "submit_jar", crash)
    with pytest.raises(SimulatedCrash):
        provider.update(old, outs, news2)
    monkeypatch.undo()
    assert flink_client.job(old)["state"] == "FINISHED" and live_jobs(flink_client) == []
    stopped_at = flink_client.latest_savepoint_location(old)

    drift = provider.read(old, outs).outs  # refresh would show the stopped job
    assert drift["state"] == "FINISHED" and provider.diff(old, drift, news).changes is True

    outs2 = provider.update(old, outs, news2).outs  # the engine kept the old outputs; `pulumi up` again
    new = outs2["jobId"]
    assert new == successor_id(old, spec_of(news2)) and live_jobs(flink_client) == [new]
    assert outs2["lastUpgrade"]["result"] == "resumed" and outs2["lastSavepoint"] == stopped_at
    assert flink_client.checkpoints(new)["latest"]["restored"]["external_path"] == stopped_at
    assert_state_continued(job_output, old, new)


def test_crash_after_run_adopts_the_started_job_without_a_duplicate(provider, news, flink_client, job_output,
                                                                    monkeypatch):
    outs = created(provider, news, job_output)
    old = outs["jobId"]
    news2 = {**news, "parallelism": 2}
    real_wait = FlinkRestClient.wait_all_vertices_running

    def crash_for_new_job(self, job_id, **kwargs):
        if job_id != old:
            raise SimulatedCrash("provider process died after POST /jars/:id/run")
        return real_wait(self, job_id, **kwargs)
    monkeypatch.setattr(FlinkRestClient, "wait_all_vertices_running", crash_for_new_job)
    with pytest.raises(SimulatedCrash):
        provider.update(old, outs, news2)
    monkeypatch.undo()
    started = successor_id(old, spec_of(news2))
    assert live_jobs(flink_client) == [started]

    outs2 = provider.update(old, outs, news2).outs
    assert outs2["jobId"] == started and outs2["lastUpgrade"]["result"] == "adopted"
    assert outs2["lastSavepoint"] == flink_client.latest_savepoint_location(old)
    assert outs2["savepointHistory"][-1]["jobId"] == old and outs2["savepointHistory"][-1]["reason"] == "recovery"
    assert live_jobs(flink_client) == [started]
    lineage = [j["jid"] for j in flink_client.jobs_overview() if j["jid"].startswith(successor_prefix(old))]
    assert lineage == [started]
    assert_state_continued(job_output, old, started)


def test_job_cancelled_outside_pulumi_shows_as_drift_and_is_repaired(provider, news, flink_client, job_output):
    outs = created(provider, news, job_output, minimum=1)
    flink_client.cancel(outs["jobId"])
    flink_client.wait_job_state(outs["jobId"], {"CANCELED"}, deadline_s=30)
    refreshed = provider.read(outs["jobId"], outs).outs
    assert refreshed["state"] == "CANCELED" and refreshed["jobId"] == outs["jobId"]
    assert provider.diff(outs["jobId"], refreshed, news).changes is True

    with pytest.raises(RestoreRequiredError, match="no savepoint is known"):  # savepoint mode never drops state
        provider.update(outs["jobId"], refreshed, news)
    assert live_jobs(flink_client) == []

    repaired = provider.update(outs["jobId"], refreshed, {**news, "upgradeMode": "stateless"}).outs
    assert repaired["state"] == "RUNNING" and live_jobs(flink_client) == [repaired["jobId"]]
    assert repaired["lastUpgrade"]["result"] == "resumed" and repaired["lastUpgrade"]["savepoint"] is None


def test_outputs_and_logs_never_contain_credentials(provider, news, flink_client, job_output, capsys):
    with_token = {**news, "bearerToken": TOKEN, "allowInsecureCredentials": True}
    outs = created(provider, with_token, job_output, minimum=2)
    outs2 = provider.update(outs["jobId"], outs, {**with_token, "parallelism": 2}).outs
    refreshed = provider.read(outs2["jobId"], outs2).outs
    for value in (outs, outs2, refreshed):
        assert "bearerToken" not in value and "basicPassword" not in value
        assert_no_secret(value)
    captured = capsys.readouterr()
    assert_no_secret(captured.out + captured.err)
