"""`SavepointGate`: a dynamic resource placed before an operator-managed FlinkDeployment, which depends on it.

Its `specHash` input is a fingerprint of the FlinkDeployment spec. When that changes, the gate's update runs
before the custom resource is touched: it finds the running job, checks it is healthy (every vertex RUNNING and a
completed checkpoint, optionally no older than `maxCheckpointAgeS`) and takes a savepoint through REST (the job
keeps running). If the job is unhealthy or the savepoint fails, the update raises, so `pulumi up` stops before
the CR changes. The savepoint path is recorded as `rollbackSavepoint`: the point to restore from if the
operator's upgrade goes wrong.

- create (first deploy): does nothing but record the hash; there is no job to protect yet.
- diff: a specHash change is an update (never a replace); other input changes are a no-op update that only
  records them. No network in check/diff.
- the job: `jobId` if given, else the single live job of the cluster (optionally filtered by `jobName`). No job:
  an error, unless `skipWhenNoJob` (e.g. the deployment is suspended), which records that nothing was saved.
- delete and read: no REST calls (the gate owns nothing in Flink).

Credentials follow components.providers.connection.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pulumi
import pydantic
from pulumi import dynamic

from components.flink_rest import ID_PATTERN, TERMINAL_JOB_STATES, FlinkRestClient, FlinkRestError
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
from components.providers.inputs import changed_keys, input_keys, validate, wire_props
from components.providers.job_health import HealthPolicy, check_health

OUTPUT_KEYS = ("rollbackSavepoint", "savepointTriggerId", "checkedJobId", "checkedAt", "skipped")


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
        return dynamic.DiffResult(changes=bool(changed_keys(olds, news, DIFF_KEYS)), replaces=[],
                                  delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        inputs = _parse(props, "create")
        outs = self._outputs(inputs, rollbackSavepoint=None, savepointTriggerId=None, checkedJobId=None,
                             checkedAt=None, skipped="first deploy: nothing to protect yet")
        return dynamic.CreateResult(id_=f"gate-{uuid.uuid4().hex}", outs=outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        inputs = _parse(news, "update")
        if olds.get("specHash") == inputs.spec_hash:  # other inputs changed: record them, keep the last check
            kept = {k: olds.get(k) for k in OUTPUT_KEYS}
            return dynamic.UpdateResult(outs=self._outputs(inputs, **kept))
        return dynamic.UpdateResult(outs=self._outputs(inputs, **self.save(inputs, news)))

    def save(self, inputs: SavepointGateInputs, props: Mapping[str, Any]) -> dict[str, Any]:
        """Health check and savepoint of the target job; returns the gate's computed outputs."""
        configured = self._configured.credentials
        with scrubbed(secrets_in(props, configured)):
            endpoint = endpoint_for(inputs, configured)
            try:
                with FlinkRestClient(endpoint) as client:
                    job_id = find_target(client, inputs)
                    if job_id is None:
                        return self._no_job(inputs)
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
        return {"rollbackSavepoint": location, "savepointTriggerId": trigger, "checkedJobId": job_id,
                "checkedAt": _now(), "skipped": None}

    @staticmethod
    def _no_job(inputs: SavepointGateInputs) -> dict[str, Any]:
        which = f"job {inputs.job_id}" if inputs.job_id else (
            f"job named {inputs.job_name!r}" if inputs.job_name else "job")
        if not inputs.skip_when_no_job:
            raise GateError(f"no running {which} on {inputs.rest_url}, so no savepoint protects this change; set "
                            "skipWhenNoJob=true if the deployment is meant to have no running job (e.g. suspended)")
        return {"rollbackSavepoint": None, "savepointTriggerId": None, "checkedJobId": None, "checkedAt": _now(),
                "skipped": f"no running {which} (skipWhenNoJob)"}

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

    def __init__(self, name: str, args: SavepointGateArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = wire_props(args, SavepointGateInputs, secret_keys=SECRET_INPUT_KEYS)
        _, failures = validate(SavepointGateInputs, props, secret_fields=SECRET_INPUT_KEYS)
        if failures:
            raise ValueError(f"SavepointGate {name!r}: " + "; ".join(r for _, r in failures))
        props.update({k: None for k in OUTPUT_KEYS})
        super().__init__(SavepointGateProvider(), name, props, opts)


__all__ = ["SavepointGate", "SavepointGateArgs", "SavepointGateInputs", "SavepointGateProvider"]
