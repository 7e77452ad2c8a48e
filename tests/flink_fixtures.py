"""Pytest fixtures for tests against a real local Flink session cluster (import them into tests/conftest.py).

- ``flink_cluster`` (session): one :class:`testbed.flink.cluster.FlinkLocalCluster` in a temp dir. Stopped at the end
  of the session and, as a backstop, at interpreter exit, so no JVM outlives pytest. If any test failed (or the
  start failed), the cluster logs are copied to ``build/test-logs/flink/<timestamp>-<dir>/`` and the path is printed (tests/local_clusters.py).
  Missing Java or Flink jars make the fixture error with the install command.
- ``job_jars`` (session): :class:`tests.jobs.build.JobJars` with ``.v1``, ``.v2``, ``.broken``, ``.entry_class``
  and ``.sha256(path)``.
- ``flink_client`` (function): a :class:`flink_rest.client.FlinkRestClient` for the cluster; on teardown every
  job that is still active on the cluster is cancelled and awaited, so tests do not see each other's jobs.
- ``job_output`` (function): :class:`JobOutput`, a fresh output dir for the test job and its count readers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from flink_rest.client import CANCELLABLE_JOB_STATES, TERMINAL_JOB_STATES, FlinkRestClient
from tests.jobs import counts
from tests.jobs.build import JobJars, build_job_jars
from tests.local_clusters import running
from testbed.flink.cluster import FlinkLocalCluster

__all__ = ["JobOutput", "cancel_active_jobs", "flink_client", "flink_cluster", "job_jars", "job_output"]

CANCEL_DEADLINE_S = 30.0


@pytest.fixture(scope="session")
def flink_cluster(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> FlinkLocalCluster:
    """A running local Flink session cluster shared by the whole session."""
    yield from running(FlinkLocalCluster(tmp_path_factory.mktemp("flink-cluster")), request, "flink")


@pytest.fixture(scope="session")
def job_jars(tmp_path_factory: pytest.TempPathFactory) -> JobJars:
    """The v1, v2 and broken test job jars, built once per session."""
    return build_job_jars(tmp_path_factory.mktemp("job-jars"))


def cancel_active_jobs(client: FlinkRestClient, deadline_s: float = CANCEL_DEADLINE_S) -> list[str]:
    """Cancel every job that is not in a terminal state and wait until all are terminal; returns their ids."""
    active = [j["jid"] for j in client.jobs_overview() if j.get("state") in CANCELLABLE_JOB_STATES]
    for job_id in active:
        client.cancel(job_id)
    for job_id in active:
        client.wait_job_state(job_id, set(TERMINAL_JOB_STATES), deadline_s=deadline_s)
    return active


@pytest.fixture
def flink_client(flink_cluster: FlinkLocalCluster) -> FlinkRestClient:
    """A REST client for the session cluster; cancels the jobs left running when the test ends."""
    client = FlinkRestClient(flink_cluster.endpoint())
    try:
        yield client
    finally:
        try:
            cancel_active_jobs(client)
        finally:
            client.close()


@dataclass(frozen=True)
class JobOutput:
    """An output dir for the test job plus readers bound to it (see :mod:`tests.jobs.counts`)."""

    dir: Path

    def args(self, version: str | None = None, *extra: str) -> list[str]:
        """Program arguments for the test job writing here."""
        return ["--out", str(self.dir), *(["--version", version] if version else []), *extra]

    def lines(self) -> list[counts.CountLine]:
        return counts.read_lines(self.dir)

    def read_counts(self, *, job_id: str | None = None, version: str | None = None) -> dict[str, int]:
        return counts.read_counts(self.dir, job_id=job_id, version=version)

    def first_counts(self, *, job_id: str | None = None, version: str | None = None) -> dict[str, int]:
        return counts.first_counts(self.dir, job_id=job_id, version=version)

    def counts_by_version(self) -> dict[str, dict[str, int]]:
        return counts.counts_by_version(self.dir)

    def job_ids(self) -> set[str]:
        return counts.job_ids(self.dir)

    def wait_for_counts(self, minimum: int, *, keys: int = 4, job_id: str | None = None,
                        deadline_s: float = 30.0) -> dict[str, int]:
        """Wait until ``keys`` keys each reached ``minimum`` (for ``job_id`` if given); returns the counts."""
        end = time.monotonic() + deadline_s
        while True:
            seen = self.read_counts(job_id=job_id)
            if len(seen) >= keys and all(c >= minimum for c in seen.values()):
                return seen
            if time.monotonic() >= end:
                raise TimeoutError(f"job output in {self.dir} did not reach count {minimum} on {keys} keys within "
                                   f"{deadline_s} s (job {job_id or 'any'}; last counts {seen})")
            time.sleep(0.05)


@pytest.fixture
def job_output(tmp_path: Path) -> JobOutput:
    """A fresh, empty output dir for the test job."""
    out = tmp_path / "job-output"
    out.mkdir()
    return JobOutput(out)
