"""`SavepointGate`: a dynamic resource placed before an operator-managed FlinkDeployment, which depends on it.

Its `specHash` input is a fingerprint of the FlinkDeployment spec. When the guarded deployment is about to change,
the gate's update runs before the custom resource is touched: it finds the running job, checks it is healthy
(every vertex RUNNING and a completed checkpoint, optionally no older than `maxCheckpointAgeS`) and takes a
savepoint through REST (the job keeps running). If the job is unhealthy or the savepoint fails, the update raises,
so `pulumi up` stops before the CR changes. The savepoint path is recorded as `rollbackSavepoint`: the point to
restore from if the operator's upgrade goes wrong.

**A change is pending until the cluster shows it.** Every change that reaches the cluster must have a savepoint
taken for it beforehand, in the same `pulumi up`. Recording the new `specHash` when the savepoint is taken is not
enough: if the guarded CR then fails to update, the retry sees an unchanged gate, skips it and changes the CR with
no fresh savepoint (the job ran on since the first one). So the gate keeps two hashes:

- `savedForHash`: the spec the latest `rollbackSavepoint` was taken for, with the job incarnation it was taken
  from (`checkedJobId` and `checkedJobStartTime`, the job's `start-time`);
- `appliedHash`: the spec the cluster is known to run. It moves only when the gate *sees* that the change
  reached the job: the job it saved was replaced (another job id or a later `start-time`: the operator's upgrade
  stops the job and submits it again), or no job runs and `skipWhenNoJob` says that is expected.

`diff` reports a change whenever `specHash` differs from `appliedHash` (not from the gate's own last input), so
the retry after a failed CR update runs the gate again; its update finds the same job incarnation still running
and takes a new savepoint before the retried change. The run after a successful change shows the gate updating
once more: that update only confirms (no savepoint) and settles `appliedHash`.
A job replaced by other means between a failed guarded update and its retry (resubmitted by hand) is taken
for the change applied; the README says so.

Why not an acknowledging resource after the CR, or an `appliedHash` input fed from the CR's outputs? The CR
depends on the gate, so an input of the gate taken from anything after the CR is a dependency cycle, and a
program cannot read a resource's outputs from the previous run. The job on the JobManager, which the gate
already reads, is the one witness of "the change reached the cluster" that the gate can consult in time.

- create (first deploy): does nothing but record the hash as applied; there is no job to protect yet.
- diff: as above; other input changes are a no-op update that only records them. No network in check/diff.
- the job: `jobId` if given, else the single live job of the cluster (optionally filtered by `jobName`). No job:
  an error, unless `skipWhenNoJob` (e.g. the deployment is suspended), which records that nothing was saved.
- delete and read: no REST calls (the gate owns nothing in Flink). Stored outputs written by older versions
  (without `appliedHash`) are read leniently: their `specHash` counts as applied.

Credentials follow components.providers.connection.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pulumi
import pydantic
from pulumi import dynamic

from flink_rest.client import ID_PATTERN, TERMINAL_JOB_STATES, FlinkRestClient, FlinkRestError
from components.providers.base import RestResourceProvider
from components.providers.connection import (
    SECRET_INPUT_KEYS,
    ConnectionArgs,
    ConnectionInputs,
    ProviderError,
    endpoint_for,
    public_outputs,
    scrubbed,
    secrets_in,
)
from components.providers.flink_job_model import Timeouts
from components.providers.inputs import changed_keys, input_keys, unwrap_secrets, validate, wire_props
from components.providers.job_health import HealthPolicy, check_health
from components.providers.stored import with_defaults


def log(message: str) -> None:
    """Progress line on stderr (the dynamic-provider process has no engine log connection)."""
    print(f"[savepoint-gate] {message}", file=sys.stderr, flush=True)


OUTPUT_KEYS = ("rollbackSavepoint", "savepointTriggerId", "checkedJobId", "checkedAt", "skipped", "appliedHash",
               "savedForHash", "checkedJobStartTime")


class SavepointGateInputs(ConnectionInputs):
    """Validated SavepointGate inputs (camelCase aliases are the wire keys)."""

    spec_hash: str = pydantic.Field(alias="specHash", min_length=1,
                                    description="fingerprint of the guarded FlinkDeployment spec")
    job_id: str | None = pydantic.Field(None, alias="jobId", description="the job to save; default: the only one")
    job_name: str | None = pydantic.Field(None, alias="jobName", min_length=1)
    savepoint_dir: str | None = pydantic.Field(None, alias="savepointDir", min_length=1)
    require_checkpoint: bool = pydantic.Field(True, alias="requireCheckpoint")
    max_checkpoint_age_s: float | None = pydantic.Field(None, alias="maxCheckpointAgeS", gt=0)
    skip_when_no_job: bool = pydantic.Field(False, alias="skipWhenNoJob")
    timeouts: Timeouts = pydantic.Field(default_factory=Timeouts)

    @pydantic.field_validator("job_id")
    @classmethod
    def _job_id(cls, value: str | None) -> str | None:
        if value is not None and not ID_PATTERN.fullmatch(value):
            raise ValueError("must be a Flink JobID: 32 lowercase hex characters")
        return value


DIFF_KEYS = tuple(k for k in input_keys(SavepointGateInputs) if k not in SECRET_INPUT_KEYS)


class GateError(ProviderError):
    """The gate refused the change: the job is missing or unhealthy, or the savepoint failed."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _inputs_only(props: Mapping[str, Any]) -> dict[str, Any]:
    keys = set(input_keys(SavepointGateInputs))
    return {k: v for k, v in props.items() if k in keys}


def _parse(props: Mapping[str, Any], what: str) -> SavepointGateInputs:
    model, failures = validate(SavepointGateInputs, _inputs_only(props), secret_fields=SECRET_INPUT_KEYS)
    if failures or model is None:
        reasons = "; ".join(r for _, r in failures) or "inputs still contain unknown values"
        raise ProviderError(f"SavepointGate {what}: invalid inputs: {reasons}")
    return model  # type: ignore[return-value]


def applied_hash(olds: Mapping[str, Any]) -> Any:
    """The spec hash the cluster is known to run, from stored outputs (older outputs: their last `specHash`)."""
    return olds["appliedHash"] if "appliedHash" in olds else olds.get("specHash")


def _incarnation(job: Mapping[str, Any]) -> tuple[str, int | None]:
    start = job.get("start-time")
    return str(job["jid"]), int(start) if isinstance(start, (int, float)) else None


def find_target(client: FlinkRestClient, inputs: SavepointGateInputs) -> str | None:
    """The job to save: `jobId`, else the single live job (named `jobName` if set). None = no job."""
    if inputs.job_id:
        job = client.find_job(inputs.job_id)
        return inputs.job_id if job is not None and job["state"] not in TERMINAL_JOB_STATES else None
    live = [j for j in client.jobs_overview()
            if j.get("state") not in TERMINAL_JOB_STATES and (inputs.job_name is None or j.get("name") ==
                                                                inputs.job_name)]
    if len(live) > 1:
        listed = ", ".join(f"{j.get('jid')} ({j.get('name')!r}, {j.get('state')})" for j in live)
        raise GateError(f"{len(live)} jobs run on the cluster ({listed}); set jobId or jobName so the gate knows "
                        "which job's savepoint protects the change")
    return str(live[0]["jid"]) if live else None


class SavepointGateProvider(RestResourceProvider):
    """Dynamic provider behind SavepointGate. Holds no client and no serializable credentials."""

    inputs_model = SavepointGateInputs
    output_keys = OUTPUT_KEYS

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        """An input change, or a spec change not yet seen applied (see the module docstring). No network."""
        pending = applied_hash(olds) != unwrap_secrets(news.get("specHash"))
        changed = changed_keys(with_defaults(SavepointGateInputs, olds), news, DIFF_KEYS)
        return dynamic.DiffResult(changes=bool(changed) or pending, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        inputs = _parse(props, "create")
        outs = self._outputs(inputs, rollbackSavepoint=None, savepointTriggerId=None, checkedJobId=None,
                             checkedAt=None, skipped="first deploy: nothing to protect yet",
                             appliedHash=inputs.spec_hash, savedForHash=None, checkedJobStartTime=None)
        return dynamic.CreateResult(id_=f"gate-{uuid.uuid4().hex}", outs=outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        inputs = _parse(news, "update")
        kept = {k: olds.get(k) for k in OUTPUT_KEYS}
        kept["appliedHash"] = applied_hash(olds)
        if kept["appliedHash"] == inputs.spec_hash:  # nothing pending: record other inputs, keep the last check
            return dynamic.UpdateResult(outs=self._outputs(inputs, **kept))
        return dynamic.UpdateResult(outs=self._outputs(inputs, **self.save(inputs, news, kept)))

    def save(self, inputs: SavepointGateInputs, props: Mapping[str, Any],
             kept: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Before the guarded change: settle it if the job shows it already applied, else check health and save.

        `kept` holds the stored computed outputs (empty for a first check). Returns the gate's computed outputs.
        """
        kept = dict(kept or {})
        configured = self._configured.credentials
        with scrubbed(secrets_in(props, configured)):
            endpoint = endpoint_for(inputs, configured)
            try:
                with FlinkRestClient(endpoint) as client:
                    job_id = find_target(client, inputs)
                    if job_id is None:
                        return self._no_job(inputs)
                    job, started = _incarnation(client.job(job_id) | {"jid": job_id})
                    if kept.get("savedForHash") == inputs.spec_hash and kept.get("checkedJobId") and (
                            (job, started) != (kept.get("checkedJobId"), kept.get("checkedJobStartTime"))):
                        log(f"change {inputs.spec_hash} reached the cluster: job {kept['checkedJobId']}, saved "
                            f"as {kept.get('rollbackSavepoint')}, was replaced by job {job} (start-time {started})")
                        return {**kept, "appliedHash": inputs.spec_hash}
                    policy = HealthPolicy(running_s=inputs.timeouts.running_s,
                                          checkpoint_s=inputs.timeouts.checkpoint_s,
                                          require_checkpoint=inputs.require_checkpoint,
                                          max_checkpoint_age_s=inputs.max_checkpoint_age_s)
                    check_health(client, job_id, policy, purpose="the savepoint guarding this change")
                    trigger = FlinkRestClient.new_trigger_id()
                    location = client.savepoint(job_id, target_directory=inputs.savepoint_dir, trigger_id=trigger,
                                                deadline_s=inputs.timeouts.savepoint_s)
            except FlinkRestError as exc:
                raise GateError(f"SavepointGate against {endpoint.base_url}: {exc}. The guarded deployment was "
                                "not changed") from None
            except ProviderError as exc:
                raise GateError(f"SavepointGate: {exc}. The guarded deployment was not changed") from None
        log(f"savepoint {location} of job {job_id} guards change {inputs.spec_hash}")
        return {"rollbackSavepoint": location, "savepointTriggerId": trigger, "checkedJobId": job_id,
                "checkedAt": _now(), "skipped": None, "appliedHash": kept.get("appliedHash"),
                "savedForHash": inputs.spec_hash, "checkedJobStartTime": started}

    @staticmethod
    def _no_job(inputs: SavepointGateInputs) -> dict[str, Any]:
        which = f"job {inputs.job_id}" if inputs.job_id else (
            f"job named {inputs.job_name!r}" if inputs.job_name else "job")
        if not inputs.skip_when_no_job:
            raise GateError(f"no running {which} on {inputs.rest_url}, so no savepoint protects this change; set "
                            "skipWhenNoJob=true if the deployment is meant to have no running job (e.g. suspended)")
        # nothing runs, so nothing can be lost: the change counts as applied (a later job is a new deployment)
        return {"rollbackSavepoint": None, "savepointTriggerId": None, "checkedJobId": None, "checkedAt": _now(),
                "skipped": f"no running {which} (skipWhenNoJob)", "appliedHash": inputs.spec_hash,
                "savedForHash": None, "checkedJobStartTime": None}

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to delete: the gate owns nothing in Flink (its savepoints stay where they are)."""

    @staticmethod
    def _outputs(inputs: SavepointGateInputs, **computed: Any) -> dict[str, Any]:
        outs = public_outputs(inputs.model_dump(by_alias=True, mode="json"))
        outs.update(computed)
        return outs


@dataclass(kw_only=True)
class SavepointGateArgs(ConnectionArgs):
    """Arguments of a SavepointGate (values may be Inputs). See SavepointGateInputs for meanings and defaults."""

    spec_hash: pulumi.Input[str]
    job_id: pulumi.Input[str] | None = None
    job_name: pulumi.Input[str] | None = None
    savepoint_dir: pulumi.Input[str] | None = None
    require_checkpoint: pulumi.Input[bool] | None = None
    max_checkpoint_age_s: pulumi.Input[float] | None = None
    skip_when_no_job: pulumi.Input[bool] | None = None
    timeouts: pulumi.Input[dict[str, float]] | None = None


class SavepointGate(dynamic.Resource, module="flink", name="SavepointGate"):
    """Savepoint-before-change gate for an operator-managed FlinkDeployment. See the module docstring."""

    rollbackSavepoint: pulumi.Output[str | None]
    savepointTriggerId: pulumi.Output[str | None]
    checkedJobId: pulumi.Output[str | None]
    checkedAt: pulumi.Output[str | None]
    skipped: pulumi.Output[str | None]
    appliedHash: pulumi.Output[str | None]
    savedForHash: pulumi.Output[str | None]
    checkedJobStartTime: pulumi.Output[int | None]

    def __init__(self, name: str, args: SavepointGateArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = wire_props(args, SavepointGateInputs, secret_keys=SECRET_INPUT_KEYS)
        _, failures = validate(SavepointGateInputs, props, secret_fields=SECRET_INPUT_KEYS)
        if failures:
            raise ValueError(f"SavepointGate {name!r}: " + "; ".join(r for _, r in failures))
        props.update({k: None for k in OUTPUT_KEYS})
        super().__init__(SavepointGateProvider(), name, props, opts)


__all__ = ["SavepointGate", "SavepointGateArgs", "SavepointGateInputs", "SavepointGateProvider"]
