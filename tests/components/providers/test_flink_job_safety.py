"""FlinkJob: one copy, newest state. The events that used to run a second copy or rewind state, on real clusters.

Two local Flink 2.3 clusters: the session-wide one (`flink_cluster`) and a second one started for this module
(`second_cluster`, its own JobManager, job store expiry 3 s so a stopped job disappears quickly). The second one
is restarted by one test (JobManager SIGKILLed, no HA: its jobs are gone) and stopped when the module ends.
State continuity is proven with the test job's per-key counters (see test_flink_job).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from flink_rest.client import TERMINAL_JOB_STATES, FlinkRestClient
from components.providers.connection import ProviderError
from components.providers.flink_job import FlinkJobProvider
from components.providers.flink_job_model import JOB_SPEC_KEYS, spec_hash
from components.providers.job_health import HealthPolicy, age_limit_s
from components.providers.job_lifecycle import (
    JobElsewhereError,
    JobGoneError,
    RolledBackError,
    SavepointAbortError,
    jar_name_prefix,
    successor_id,
)
from tests.components.providers.provider_helpers import (
    assert_state_continued,
    closed_port_url,
    job_inputs,
)
from tests.flink_fixtures import cancel_active_jobs
from tests.local_clusters import running
from testbed.flink.cluster import FlinkLocalCluster, free_port

pytestmark = pytest.mark.flink

RETAIN = {"execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION"}
EXPIRY_DEADLINE_S = 60.0


class SimulatedCrash(BaseException):
    """Stands for the provider process dying: not an Exception, so no handler in the provider catches it."""


@pytest.fixture(scope="module")
def second_cluster(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> FlinkLocalCluster:
    """Another JobManager (+ TaskManager) on a fixed port, finished jobs expire from its job store after 3 s."""
    yield from running(FlinkLocalCluster(tmp_path_factory.mktemp("flink-second"), rest_port=free_port(),
                                         extra_config={"jobstore.expiration-time": "3"}), request, "flink")


@pytest.fixture
def second_client(second_cluster: FlinkLocalCluster) -> FlinkRestClient:
    client = FlinkRestClient(second_cluster.endpoint())
    try:
        yield client
    finally:
        try:
            if second_cluster.status().running:
                cancel_active_jobs(client)
        finally:
            client.close()


@pytest.fixture
def provider() -> FlinkJobProvider:
    return FlinkJobProvider()


def live_jobs(client: FlinkRestClient) -> list[str]:
    return sorted(j["jid"] for j in client.jobs_overview() if j["state"] not in TERMINAL_JOB_STATES)


def jobs_and_states(client: FlinkRestClient) -> list[tuple[str, str]]:
    return sorted((j["jid"], j["state"]) for j in client.jobs_overview())


def own_jars(client: FlinkRestClient, news: dict) -> list[str]:
    """Ids of the jars uploaded for the resource whose inputs are `news` (recognised by name)."""
    prefix = jar_name_prefix(news["lineageSeed"])
    return sorted(j["id"] for j in client.list_jars() if j["name"].startswith(prefix))


def spec_of(inputs: dict) -> str:
    return spec_hash({k: inputs.get(k) for k in JOB_SPEC_KEYS})


def created(provider: FlinkJobProvider, news: dict, job_output, minimum: int = 3) -> dict:
    outs = provider.create(news).outs
    job_output.wait_for_counts(minimum, job_id=outs["jobId"])
    return outs


def local(path: str) -> Path:
    return Path(path.removeprefix("file:"))


# --- restUrl moves to another JobManager ----------------------------------------------------------------------
def test_restUrl_moving_to_another_jobmanager_is_refused_and_both_stay_untouched(
        provider, flink_cluster, flink_client, second_cluster, second_client, job_jars, job_output):
    news = job_inputs(flink_cluster.rest_url, job_jars, job_output)
    outs = created(provider, news, job_output)
    job = outs["jobId"]
    before_a = (jobs_and_states(flink_client), own_jars(flink_client, news))
    before_b = (live_jobs(second_client), second_client.list_jars())
    moved = {**news, "restUrl": second_cluster.rest_url}

    for change in ({}, {"parallelism": 2}, {"args": job_output.args("v2")}):
        with pytest.raises(JobElsewhereError) as info:
            provider.update(job, outs, {**moved, **change})
        message = str(info.value)
        assert f"still runs (RUNNING) at the previous JobManager {flink_cluster.rest_url}" in message
        assert job in message and second_cluster.rest_url in message
        assert "nothing was changed on either JobManager" in message and "initialSavepoint" in message

    assert live_jobs(flink_client) == [job]
    assert (jobs_and_states(flink_client), own_jars(flink_client, news)) == before_a
    assert (live_jobs(second_client), second_client.list_jars()) == before_b
    seen = job_output.read_counts(job_id=job)
    job_output.wait_for_counts(max(seen.values()) + 2, job_id=job)  # still the one copy, still processing
    assert job_output.job_ids() == {job}


def test_restUrl_moving_while_the_previous_jobmanager_is_unreachable_is_refused(
        provider, flink_cluster, flink_client, second_cluster, second_client, job_jars, job_output):
    news = job_inputs(flink_cluster.rest_url, job_jars, job_output)
    outs = created(provider, news, job_output, minimum=1)
    unreachable_old = {**outs, "restUrl": closed_port_url()}  # the previous JobManager cannot be asked
    before_b = (live_jobs(second_client), second_client.list_jars())
    with pytest.raises(JobElsewhereError) as info:
        provider.update(outs["jobId"], unreachable_old, {**news, "restUrl": second_cluster.rest_url})
    message = str(info.value)
    assert "cannot be asked whether it still runs there" in message and "connection refused" in message
    assert (live_jobs(second_client), second_client.list_jars()) == before_b
    assert live_jobs(flink_client) == [outs["jobId"]]


def test_another_url_of_the_same_jobmanager_is_only_recorded(provider, flink_cluster, flink_client, job_jars,
                                                             job_output):
    news = job_inputs(flink_cluster.rest_url, job_jars, job_output)
    outs = created(provider, news, job_output, minimum=1)
    alias = flink_cluster.rest_url.replace("127.0.0.1", "localhost")
    outs2 = provider.update(outs["jobId"], outs, {**news, "restUrl": alias}).outs
    assert outs2["jobId"] == outs["jobId"] and outs2["restUrl"] == alias and outs2["lastUpgrade"] is None
    assert live_jobs(flink_client) == [outs["jobId"]]


# --- the job is gone: JobManager restarted without HA ---------------------------------------------------------
def newest_checkpoint_on_disk(cluster: FlinkLocalCluster, job_id: str) -> str:
    chks = [d for d in (cluster.checkpoint_dir / job_id).glob("chk-*") if (d / "_metadata").is_file()]
    assert chks, f"no retained checkpoint of {job_id} in {cluster.checkpoint_dir}"
    return "file:" + str(max(chks, key=lambda d: int(d.name.split("-")[1])))


def test_job_gone_after_a_jobmanager_restart_fails_by_default_and_restores_the_newest_on_request(
        provider, second_cluster, second_client, job_jars, job_output):
    news = job_inputs(second_cluster.rest_url, job_jars, job_output, flinkConfiguration=RETAIN)
    outs = created(provider, news, job_output)
    news2 = {**news, "args": job_output.args("v2")}
    outs2 = provider.update(outs["jobId"], outs, news2).outs  # a savepoint, then the job checkpoints on
    job = outs2["jobId"]
    savepoint = outs2["lastSavepoint"]
    assert outs2["lastCheckpoint"]["jobId"] == job and outs2["lastCheckpoint"]["atMs"] > 0

    refreshed = provider.read(job, outs2).outs
    recorded = refreshed["lastCheckpoint"]
    assert recorded["jobId"] == job and recorded["path"].startswith("file:") and recorded["at"]
    end = time.monotonic() + 30  # let the job checkpoint past what refresh recorded: a newer point exists
    while second_client.checkpoints(job)["latest"]["completed"]["id"] < recorded["id"] + 2:
        assert time.monotonic() < end, "the job did not checkpoint on"
        time.sleep(0.2)
    second_cluster.kill_jobmanager()  # no HA: the JobManager forgets every job
    second_cluster.stop()
    second_cluster.start()
    newest = newest_checkpoint_on_disk(second_cluster, job)
    assert newest != recorded["path"]
    jars_before = second_client.list_jars()

    for attempt in (lambda: provider.read(job, refreshed),                  # refresh
                    lambda: provider.update(job, refreshed, news2),         # drift repair
                    lambda: provider.update(job, refreshed, {**news2, "parallelism": 2})):  # update
        with pytest.raises(JobGoneError) as info:
            attempt()
        message = str(info.value)
        assert f"job {job} is not known to it (MISSING" in message and second_cluster.rest_url in message
        assert f"savepoint {savepoint} (taken 20" in message
        assert f"checkpoint {newest} (completed 20" in message
        assert "onMissingJob: restoreLatest" in message and "nothing was started" in message
    assert live_jobs(second_client) == [] and second_client.list_jars() == jars_before

    restored = provider.update(job, refreshed, {**news2, "onMissingJob": "restoreLatest"}).outs
    new = restored["jobId"]
    assert new == successor_id(job, spec_of(news2)) and live_jobs(second_client) == [new]
    assert restored["lastUpgrade"]["result"] == "resumed" and restored["lastUpgrade"]["savepoint"] == newest
    assert second_client.checkpoints(new)["latest"]["restored"]["external_path"] == newest
    assert second_client.checkpoints(new)["latest"]["completed"] is not None  # it checkpointed before returning
    job_output.wait_for_counts(1, job_id=new)
    first, at_savepoint, last = (job_output.first_counts(job_id=new), job_output.first_counts(job_id=job),
                                 job_output.read_counts(job_id=job))
    assert all(at_savepoint[k] < first[k] <= last[k] + 1 for k in last), (at_savepoint, first, last)
    assert own_jars(second_client, news) == [restored["jarId"]]

    provider.delete(new, restored)
    assert own_jars(second_client, news) == []


# --- interrupted upgrade, then the stopped job expires from the job store -------------------------------------
def test_interrupted_upgrade_resumes_from_the_stop_savepoint_after_the_stopped_job_expired(
        provider, second_cluster, second_client, job_jars, job_output, monkeypatch):
    news = job_inputs(second_cluster.rest_url, job_jars, job_output)
    outs = created(provider, news, job_output)
    news2 = {**news, "args": job_output.args("v2")}
    outs2 = provider.update(outs["jobId"], outs, news2).outs  # an older savepoint is recorded
    older = outs2["lastSavepoint"]
    old = outs2["jobId"]
    job_output.wait_for_counts(3, job_id=old)

    news3 = {**news, "args": job_output.args("v3")}

    def crash(*args, **kwargs):
        raise SimulatedCrash("provider process died before POST /jars/:id/run")
    monkeypatch.setattr(FlinkRestClient, "submit_jar", crash)
    with pytest.raises(SimulatedCrash):
        provider.update(old, outs2, news3)
    monkeypatch.undo()
    stopped_at = second_client.latest_savepoint_location(old)
    assert stopped_at != older and local(stopped_at).parent.name == old  # <savepoint dir>/<jobId>/savepoint-*
    end = time.monotonic() + EXPIRY_DEADLINE_S
    while second_client.find_job(old) is not None:
        assert time.monotonic() < end, f"job {old} did not expire from the job store"
        time.sleep(0.5)

    refreshed = provider.read(old, outs2).outs  # no error: the stop's savepoint is its final state
    assert refreshed["state"] == "MISSING" and provider.diff(old, refreshed, news3).changes is True

    outs3 = provider.update(old, outs2, news3).outs
    new = outs3["jobId"]
    assert new == successor_id(old, spec_of(news3)) and live_jobs(second_client) == [new]
    assert outs3["lastSavepoint"] == stopped_at and outs3["lastUpgrade"]["savepoint"] == stopped_at
    assert second_client.checkpoints(new)["latest"]["restored"]["external_path"] == stopped_at
    assert_state_continued(job_output, old, new)
    assert own_jars(second_client, news) == [outs3["jarId"]]  # the crashed run's upload is gone


# --- interrupted create -----------------------------------------------------------------------------------------
def test_interrupted_create_is_adopted_not_started_twice_and_leaves_no_jar(provider, flink_cluster, flink_client,
                                                                           job_jars, job_output, monkeypatch):
    news = job_inputs(flink_cluster.rest_url, job_jars, job_output)

    def crash(self, job_id, **kwargs):
        raise SimulatedCrash("provider process died right after POST /jars/:id/run")
    monkeypatch.setattr(FlinkRestClient, "wait_all_vertices_running", crash)
    with pytest.raises(SimulatedCrash):
        provider.create(news)
    monkeypatch.undo()
    [started] = live_jobs(flink_client)
    [stale_jar] = own_jars(flink_client, news)

    outs = provider.create(news).outs  # the engine retries the create
    assert outs["jobId"] == started and live_jobs(flink_client) == [started]
    assert flink_client.checkpoints(started)["latest"]["completed"] is not None  # adoption waited for one
    assert own_jars(flink_client, news) == [outs["jarId"]] and outs["jarId"] != stale_jar
    job_output.wait_for_counts(2, job_id=started)
    assert job_output.job_ids() == {started}

    provider.delete(started, outs)
    assert own_jars(flink_client, news) == [] and live_jobs(flink_client) == []


def test_create_after_delete_starts_a_new_generation(provider, flink_cluster, flink_client, job_jars, job_output):
    news = job_inputs(flink_cluster.rest_url, job_jars, job_output)
    outs = created(provider, news, job_output, minimum=1)
    provider.delete(outs["jobId"], outs)
    again = provider.create(news).outs  # the deleted job is still in the job store: no collision, no adoption
    assert again["jobId"] != outs["jobId"] and live_jobs(flink_client) == [again["jobId"]]


# --- rollback waits for a checkpoint ------------------------------------------------------------------------------
def test_rollback_waits_for_a_completed_checkpoint(provider, flink_cluster, flink_client, job_jars, job_output):
    news = job_inputs(flink_cluster.rest_url, job_jars, job_output)
    outs = created(provider, news, job_output)
    broken = job_inputs(flink_cluster.rest_url, job_jars, job_output, version="broken")
    with pytest.raises(RolledBackError):
        provider.update(outs["jobId"], outs, broken)
    rollback = successor_id(outs["jobId"], spec_of(news))
    latest = flink_client.checkpoints(rollback)["latest"]
    assert latest["completed"] is not None and latest["completed"]["id"] > latest["restored"]["id"]
    assert own_jars(flink_client, news) == [outs["jarId"]]


# --- health gate: a stale checkpoint stops nothing -----------------------------------------------------------------
def test_stale_checkpoint_is_not_stopped_for_an_upgrade(provider, flink_cluster, flink_client, job_jars,
                                                        job_output):
    hourly = {"execution.checkpointing.interval": "1 h"}
    news = job_inputs(flink_cluster.rest_url, job_jars, job_output, flinkConfiguration=hourly, maxCheckpointAgeS=1,
                      timeouts={"runningS": 60, "savepointS": 60, "checkpointS": 3})
    outs = created(provider, news, job_output, minimum=1)
    job = outs["jobId"]
    flink_client.wait_completed_checkpoint(job, deadline_s=60)  # Flink takes one at start, then one per hour
    time.sleep(1.5)
    with pytest.raises(SavepointAbortError) as info:
        provider.update(job, outs, {**news, "args": job_output.args("v2")})
    message = str(info.value)
    assert "older than maxCheckpointAgeS=1" in message and "stop-with-savepoint was not attempted" in message
    assert "no new job was started" in message
    assert flink_client.job(job)["state"] == "RUNNING" and live_jobs(flink_client) == [job]
    assert own_jars(flink_client, news) == [outs["jarId"]]

    default = HealthPolicy(running_s=10, checkpoint_s=10, auto_age=(3, 60.0))
    assert age_limit_s(flink_client, job, default) == 3 * 3600  # max(3 × 1 h, 60 s)


def test_default_checkpoint_age_limit_is_at_least_a_minute(provider, flink_cluster, flink_client, job_jars,
                                                           job_output):
    outs = created(provider, job_inputs(flink_cluster.rest_url, job_jars, job_output), job_output, minimum=1)
    default = HealthPolicy(running_s=10, checkpoint_s=10, auto_age=(3, 60.0))
    assert age_limit_s(flink_client, outs["jobId"], default) == 60.0  # 3 × 1 s is less than the floor


# --- refresh of a restarting job ----------------------------------------------------------------------------------
def test_refresh_of_a_restarting_job_is_not_drift(provider, flink_cluster, flink_client, job_jars, job_output):
    restarting = {"restart-strategy.type": "fixed-delay", "restart-strategy.fixed-delay.attempts": "1000",
                  "restart-strategy.fixed-delay.delay": "30 s"}
    news = job_inputs(flink_cluster.rest_url, job_jars, job_output, flinkConfiguration=restarting)
    jar = flink_client.upload_jar(str(job_jars.v1))
    job = flink_client.run_jar(jar, job_id=successor_id("0" * 32, spec_of(news)), entry_class=job_jars.entry_class,
                               args=[*job_output.args("v1"), "--fail-in-open", "true"], flink_configuration=restarting)
    flink_client.wait_job_state(job, {"RESTARTING"}, deadline_s=60)
    olds = {**{k: v for k, v in news.items() if k != "bearerToken"}, "jobId": job, "jarId": jar, "state": "RUNNING"}
    refreshed = provider.read(job, olds).outs
    assert refreshed["state"] == "RESTARTING" and refreshed["jobId"] == job
    assert provider.diff(job, refreshed, news).changes is False
    flink_client.delete_jar(jar)


def test_job_gone_with_nothing_known_says_so(provider, flink_cluster, job_jars, job_output):
    """An unknown job id with nothing recorded: the error says that nothing is known and how to restore."""
    news = job_inputs(flink_cluster.rest_url, job_jars, job_output)
    olds = {**news, "jobId": "f" * 32, "jarId": None, "state": "RUNNING"}
    with pytest.raises(ProviderError, match="no savepoint is known and no retained checkpoint"):
        provider.update("f" * 32, olds, {**news, "parallelism": 2})


# --- adoption after a crashed update waits for a checkpoint and leaves one jar ------------------------------------
def test_crashed_update_is_adopted_after_a_checkpoint_with_one_jar_left(provider, flink_cluster, flink_client,
                                                                        job_jars, job_output, monkeypatch):
    news = job_inputs(flink_cluster.rest_url, job_jars, job_output)
    outs = created(provider, news, job_output)
    old = outs["jobId"]
    news2 = job_inputs(flink_cluster.rest_url, job_jars, job_output, version="v2")
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
    assert len(own_jars(flink_client, news)) == 2  # the recorded v1 jar and the crashed run's v2 upload

    outs2 = provider.update(old, outs, news2).outs
    assert outs2["jobId"] == started and outs2["lastUpgrade"]["result"] == "adopted"
    assert flink_client.checkpoints(started)["latest"]["completed"] is not None  # adoption waited for one
    assert live_jobs(flink_client) == [started] and own_jars(flink_client, news) == [outs2["jarId"]]
    assert_state_continued(job_output, old, started)
    provider.delete(started, outs2)
    assert own_jars(flink_client, news) == []


# --- a rollback job cancelled outside Pulumi: the stopped job's savepoint is no longer its newest state -----------
def test_cancelled_rollback_job_is_not_silently_rewound_to_the_stop_savepoint(provider, flink_cluster, flink_client,
                                                                              job_jars, job_output):
    news = job_inputs(flink_cluster.rest_url, job_jars, job_output)
    outs = created(provider, news, job_output)
    old = outs["jobId"]
    broken = job_inputs(flink_cluster.rest_url, job_jars, job_output, version="broken")
    with pytest.raises(RolledBackError):
        provider.update(old, outs, broken)  # the engine keeps the old outputs (job `old`, now FINISHED)
    rollback = successor_id(old, spec_of(news))
    job_output.wait_for_counts(3, job_id=rollback)  # the rollback job runs on past the stop's savepoint
    flink_client.cancel(rollback)
    flink_client.wait_job_state(rollback, {"CANCELED"}, deadline_s=30)
    stop_savepoint = flink_client.latest_savepoint_location(old)

    assert provider.read(old, outs).outs["state"] == "CANCELED"
    with pytest.raises(JobGoneError) as info:
        provider.update(old, outs, news)
    message = str(info.value)
    assert f"job {rollback} is CANCELED" in message and f"savepoint {stop_savepoint}" in message
    assert "a successor ran after it" in message and "onMissingJob: restoreLatest" in message
    assert live_jobs(flink_client) == []


def test_retried_create_with_another_spec_refuses_instead_of_starting_a_second_job(provider, flink_cluster,
                                                                                   flink_client, job_jars,
                                                                                   job_output, monkeypatch):
    news = job_inputs(flink_cluster.rest_url, job_jars, job_output)

    def crash(self, job_id, **kwargs):
        raise SimulatedCrash("provider process died right after POST /jars/:id/run")
    monkeypatch.setattr(FlinkRestClient, "wait_all_vertices_running", crash)
    with pytest.raises(SimulatedCrash):
        provider.create(news)
    monkeypatch.undo()
    [started] = live_jobs(flink_client)
    with pytest.raises(ProviderError) as info:
        provider.create({**news, "args": job_output.args("v2")})
    assert f"job {started} of this resource's lineage runs" in str(info.value)
    assert "another job spec" in str(info.value) and "nothing was changed" in str(info.value)
    assert live_jobs(flink_client) == [started]
