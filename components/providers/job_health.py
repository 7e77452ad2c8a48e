"""The health gate run before a savepoint is taken: the job runs and has a recent completed checkpoint.

Shared by FlinkJob (before stop-with-savepoint) and SavepointGate (before a FlinkDeployment changes). A job counts
as healthy when its state and every vertex are RUNNING (a savepoint triggered earlier fails) and, if required,
it has a completed checkpoint, optionally no older than a limit measured on the JobManager's clock (the `now`
field of `GET /jobs/:id`). The limit is either fixed (`max_checkpoint_age_s`) or derived from the job's own
checkpoint interval (`auto_age=(k, floor)`: max(k × interval, floor), the interval read from
`GET /jobs/:id/checkpoints/config`). A stale job is not waited on forever: the gate waits (within its deadline) for
a newer checkpoint and otherwise fails, so nothing is stopped. Each wait has its own deadline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flink_rest.client import FlinkRestClient, FlinkRestError
from components.providers.connection import ProviderError


class UnhealthyJobError(ProviderError):
    """The job failed the health gate; nothing was changed."""


@dataclass(frozen=True)
class HealthPolicy:
    """What "healthy" means and how long each wait may take."""

    running_s: float
    checkpoint_s: float
    require_checkpoint: bool = True
    max_checkpoint_age_s: float | None = None
    #: (intervals, floor_s): when set and max_checkpoint_age_s is None, the limit is max(intervals × the job's
    #: checkpoint interval, floor_s).
    auto_age: tuple[float, float] | None = None


def age_limit_s(client: FlinkRestClient, job_id: str, policy: HealthPolicy) -> float | None:
    """The checkpoint age limit that applies to `job_id` under `policy` (None: no limit)."""
    if policy.max_checkpoint_age_s is not None or policy.auto_age is None:
        return policy.max_checkpoint_age_s
    intervals, floor_s = policy.auto_age
    interval_ms = client.checkpoint_config(job_id).get("interval")
    interval_s = interval_ms / 1000.0 if isinstance(interval_ms, (int, float)) and interval_ms > 0 else 0.0
    return max(intervals * interval_s, floor_s)


@dataclass(frozen=True)
class Health:
    """The job as seen when it passed the gate, and its latest completed checkpoint (None if not required)."""

    job: dict
    checkpoint: dict | None


def _age_s(job: dict, checkpoint: dict) -> float:
    now_ms = job.get("now") if isinstance(job.get("now"), int) else int(time.time() * 1000)
    acked = checkpoint.get("latest_ack_timestamp") or checkpoint.get("trigger_timestamp") or 0
    return max(0.0, (now_ms - int(acked)) / 1000.0)


def check_health(client: FlinkRestClient, job_id: str, policy: HealthPolicy, *, purpose: str) -> Health:
    """Wait (within the policy's deadlines) until `job_id` passes the gate, or raise UnhealthyJobError.

    `purpose` completes the sentence "the job must be healthy before ..." in the error message.
    """
    try:
        job = client.wait_all_vertices_running(job_id, deadline_s=policy.running_s)
    except FlinkRestError as exc:
        raise UnhealthyJobError(f"job {job_id} is not healthy, so {purpose} was not attempted and nothing changed: "
                                f"{exc}") from None
    if not policy.require_checkpoint:
        return Health(job, None)
    try:
        limit = age_limit_s(client, job_id, policy)
    except FlinkRestError as exc:
        raise UnhealthyJobError(f"job {job_id}: reading its checkpoint interval failed, so {purpose} was not "
                                f"attempted and nothing changed: {exc}") from None
    end = time.monotonic() + policy.checkpoint_s
    after_id = -1
    while True:
        try:
            checkpoint = client.wait_completed_checkpoint(job_id, after_id=after_id,
                                                          deadline_s=max(0.0, end - time.monotonic()))
        except FlinkRestError as exc:
            rule = (f"maxCheckpointAgeS={policy.max_checkpoint_age_s}" if policy.max_checkpoint_age_s is not None
                    else f"{limit:g} s, the default limit max(3 × checkpoint interval, 60 s); set maxCheckpointAgeS "
                         "(0 turns the limit off)")
            extra = f" newer than checkpoint {after_id}, which is older than {rule}" if after_id >= 0 else ""
            raise UnhealthyJobError(
                f"job {job_id} has no completed checkpoint{extra} within checkpointS={policy.checkpoint_s}, so "
                f"{purpose} was not attempted and nothing changed (a job must checkpoint before its state is "
                f"trusted; set requireCheckpoint=false for a job without checkpointing): {exc}") from None
        if limit is None:
            return Health(job, checkpoint)
        job = client.job(job_id)
        if _age_s(job, checkpoint) <= limit:
            return Health(job, checkpoint)
        after_id = int(checkpoint["id"])
