"""The health gate run before a savepoint is taken: the job runs and has a recent completed checkpoint.

Shared by FlinkJob (before stop-with-savepoint) and SavepointGate (before a FlinkDeployment changes). A job counts
as healthy when its state and every vertex are RUNNING (a savepoint triggered earlier fails) and, if required,
it has a completed checkpoint, optionally no older than a limit measured on the JobManager's clock (the `now`
field of `GET /jobs/:id`). Each wait has its own deadline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from components.flink_rest import FlinkRestClient, FlinkRestError
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
    end = time.monotonic() + policy.checkpoint_s
    after_id = -1
    while True:
        try:
            checkpoint = client.wait_completed_checkpoint(job_id, after_id=after_id,
                                                          deadline_s=max(0.0, end - time.monotonic()))
        except FlinkRestError as exc:
            extra = (f" newer than checkpoint {after_id}, which is older than maxCheckpointAgeS="
                     f"{policy.max_checkpoint_age_s}" if after_id >= 0 else "")
            raise UnhealthyJobError(
                f"job {job_id} has no completed checkpoint{extra} within checkpointS={policy.checkpoint_s}, so "
                f"{purpose} was not attempted and nothing changed (a job must checkpoint before its state is "
                f"trusted; set requireCheckpoint=false for a job without checkpointing): {exc}") from None
        if policy.max_checkpoint_age_s is None:
            return Health(job, checkpoint)
        job = client.job(job_id)
        if _age_s(job, checkpoint) <= policy.max_checkpoint_age_s:
            return Health(job, checkpoint)
        after_id = int(checkpoint["id"])
