"""`FlinkJob`: a Pulumi dynamic resource for one streaming job on a Flink session cluster, managed through REST.

- create: upload the jar (sha256-checked), run it (from `initialSavepoint` if given), wait until every vertex runs.
- diff: any input change is an in-place update, never a replace (a replace would run two jobs side by side and
  lose the state hand-over). Only a change of the job spec (`JOB_SPEC_KEYS`: jar digest, entry class, args,
  parallelism, flinkConfiguration) restarts the job; other inputs are just recorded (a jar moved to another
  path or URL with the same sha256 is the same job). A job found not RUNNING by
  refresh (failed or cancelled outside Pulumi) is also reported as a change, so `pulumi up` repairs it.
- update: health check (RUNNING, a completed checkpoint) → stop with savepoint → run the new version from it →
  wait until it runs and completes a checkpoint. A failed savepoint aborts with the old job running and nothing
  changed. A failed new version is rolled back: the previous version is restarted from the same savepoint and
  the update fails saying so. A run that died between stop and restart is resumed by the next update (see
  job_lifecycle for how job ids make that safe).
- delete: stop with savepoint (default), stop with drain, or cancel (`onDelete`); the final savepoint is logged
  and stays visible through REST (`GET /jobs/<jobId>/checkpoints`).
- read (refresh): follows the job lineage and records the current job id and state; drift shows in `state`.

Credentials: see components.providers.connection (stack config for every operation, or secret inputs for
create/update; never in outputs). The provider holds only plain data and builds a REST client per call.
Outputs: the inputs without secrets, plus jobId, jarId, state, lastSavepoint, savepointHistory (last
SAVEPOINT_HISTORY_LIMIT entries) and lastUpgrade.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

import pulumi
from pulumi import dynamic

from components.flink_rest import JOB_FINISHED, JOB_RUNNING, FlinkRestClient, FlinkRestError
from components.providers.base import RestResourceProvider
from components.providers.connection import (
    SECRET_INPUT_KEYS,
    ProviderError,
    endpoint_for,
    public_outputs,
    scrubbed,
    secrets_in,
)
from components.providers.flink_job_model import (
    JOB_SPEC_KEYS,
    OUTPUT_KEYS,
    SAVEPOINT_HISTORY_LIMIT,
    FlinkJobArgs,
    FlinkJobInputs,
    spec_hash,
)
from components.providers.inputs import changed_keys, input_keys, validate
from components.providers.secret_config import comparable, unmasked
from components.providers.stored import stored_inputs, stored_value, with_defaults
from components.providers.job_lifecycle import (
    MISSING,
    JobLifecycle,
    Resolved,
    RestoreRequiredError,
    first_job_id,
    log,
    resolve_current,
    runs_spec,
    successor_id,
)

#: Input keys compared by diff (secrets are never stored in outputs, so they cannot be compared).
DIFF_KEYS = tuple(k for k in input_keys(FlinkJobInputs) if k not in SECRET_INPUT_KEYS)
HEALTHY_STATE = JOB_RUNNING


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _inputs_only(props: Mapping[str, Any]) -> dict[str, Any]:
    keys = set(input_keys(FlinkJobInputs))
    return {k: v for k, v in props.items() if k in keys}


def parse_inputs(props: Mapping[str, Any], *, what: str) -> FlinkJobInputs:
    """Validated inputs from a property bag (news, or stored outputs), or ProviderError naming every problem."""
    model, failures = validate(FlinkJobInputs, _inputs_only(props), secret_fields=SECRET_INPUT_KEYS)
    if failures:
        raise ProviderError(f"FlinkJob {what}: invalid inputs: " + "; ".join(r for _, r in failures))
    if model is None:
        raise ProviderError(f"FlinkJob {what}: inputs still contain unknown values")
    return model  # type: ignore[return-value]


def _history(olds: Mapping[str, Any], path: str | None, job_id: str, reason: str) -> list[dict]:
    entries = [dict(e) for e in (olds.get("savepointHistory") or []) if isinstance(e, Mapping)]
    if path:
        entries.append({"path": path, "jobId": job_id, "reason": reason, "timestamp": _now()})
    return entries[-SAVEPOINT_HISTORY_LIMIT:]


class FlinkJobProvider(RestResourceProvider):
    """Dynamic provider behind FlinkJob. Holds no client and no credentials that could be serialized."""

    inputs_model = FlinkJobInputs
    output_keys = OUTPUT_KEYS

    # --- no network (check: RestResourceProvider) ---------------------------------------------------------------
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        """Changed inputs → update in place; a job refresh found not RUNNING → update (repair). No network."""
        changed = changed_keys(with_defaults(FlinkJobInputs, olds), comparable(news, olds), DIFF_KEYS)
        drift = olds.get("state") not in (None, HEALTHY_STATE)
        return dynamic.DiffResult(changes=bool(changed) or drift, replaces=[], delete_before_replace=False)

    # --- REST ---------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _client(self, conn: Any, props: Mapping[str, Any], what: str) -> Iterator[FlinkRestClient]:
        configured = self._configured.credentials
        with scrubbed(secrets_in(props, configured)):
            endpoint = endpoint_for(conn, configured)
            try:
                with FlinkRestClient(endpoint) as client:
                    yield client
            except FlinkRestError as exc:
                raise ProviderError(f"FlinkJob {what} against {endpoint.base_url} failed: {exc}") from None

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        inputs = parse_inputs(props, what="create")
        job_id = first_job_id(spec_hash(inputs.spec()))
        with self._client(inputs, props, "create (nothing was created)") as client:
            started = JobLifecycle(client, inputs).create(job_id)
        log(f"created job {job_id} (jar {started.jar_id})")
        initial = inputs.initial_savepoint
        outs = self._outputs(inputs, job_id=job_id, jar_id=started.jar_id, state=HEALTHY_STATE,
                             last_savepoint=initial, history=_history({}, initial, job_id, "initial"),
                             last_upgrade=None)
        return dynamic.CreateResult(id_=job_id, outs=outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        inputs = parse_inputs(news, what="update")
        previous = parse_inputs(unmasked(olds, news), what="update (stored outputs)")
        new_hash, old_hash = spec_hash(inputs.spec()), spec_hash(previous.spec())
        with self._client(inputs, news, "update") as client:
            life = JobLifecycle(client, inputs)
            current = resolve_current(client, str(olds["jobId"]))
            if current.live and runs_spec(current.job_id, new_hash):
                return self._no_restart(client, life, inputs, olds, current)
            rollback_id = successor_id(current.job_id, old_hash)
            new_id = successor_id(current.job_id, new_hash)
            if current.live:
                started, savepoint, downtime = life.upgrade(current.job_id, previous, olds.get("jarId"), new_id,
                                                            rollback_id)
                result, reason = "upgraded", "upgrade"
            else:
                savepoint = self._resume_point(life, inputs, olds, current.job_id, current.state)
                log(f"job {current.job_id} is {current.state}; resuming as {new_id} from {savepoint}")
                started, savepoint, downtime = life.resume(savepoint, previous, olds.get("jarId"), new_id,
                                                           rollback_id)
                result, reason = "resumed", "recovery"
            if olds.get("jarId") and olds.get("jarId") != started.jar_id:
                with contextlib.suppress(FlinkRestError):
                    client.delete_jar(str(olds["jarId"]))
        log(f"{result} job {current.job_id} -> {new_id} (downtime {downtime:.3f} s, savepoint {savepoint})")
        upgrade = {"from": current.job_id, "to": new_id, "result": result, "durationS": round(downtime, 3),
                   "savepoint": savepoint, "at": _now()}
        outs = self._outputs(inputs, job_id=new_id, jar_id=started.jar_id, state=HEALTHY_STATE,
                             last_savepoint=savepoint or olds.get("lastSavepoint"),
                             history=_history(olds, savepoint, current.job_id, reason), last_upgrade=upgrade)
        return dynamic.UpdateResult(outs=outs)

    def _no_restart(self, client: FlinkRestClient, life: JobLifecycle, inputs: FlinkJobInputs,
                    olds: Mapping[str, Any], current: Resolved) -> dynamic.UpdateResult:
        """The live job already runs the new spec: a change that needs no new job, or a job a crashed run started."""
        jar_id, upgrade, state = olds.get("jarId"), olds.get("lastUpgrade"), current.state
        last_savepoint, history = olds.get("lastSavepoint"), _history(olds, None, current.job_id, "")
        if current.job_id != olds.get("jobId"):  # adopt what an interrupted run started; its jar id was lost
            client.wait_all_vertices_running(current.job_id, deadline_s=inputs.timeouts.running_s)
            jar_id, state = life.upload(inputs), HEALTHY_STATE
            if olds.get("jarId"):
                with contextlib.suppress(FlinkRestError):
                    client.delete_jar(str(olds["jarId"]))
            stopped = current.chain[-2]
            savepoint = life.last_savepoint_of(stopped)
            last_savepoint = savepoint or last_savepoint
            history = _history(olds, savepoint, stopped, "recovery")
            upgrade = {"from": stopped, "to": current.job_id, "result": "adopted", "durationS": None,
                       "savepoint": savepoint, "at": _now()}
            log(f"adopted job {current.job_id}, started by an interrupted run from {savepoint}")
        return dynamic.UpdateResult(outs=self._outputs(
            inputs, job_id=current.job_id, jar_id=jar_id, state=state, last_savepoint=last_savepoint,
            history=history, last_upgrade=upgrade))

    @staticmethod
    def _resume_point(life: JobLifecycle, inputs: FlinkJobInputs, olds: Mapping[str, Any], job_id: str,
                      state: str) -> str | None:
        """Savepoint to restart a job that no longer runs from; None in stateless mode."""
        if inputs.upgrade_mode == "stateless":
            return None
        found = life.last_savepoint_of(job_id) if state != MISSING else None
        if found and state == JOB_FINISHED:  # stopped with a savepoint by an interrupted upgrade
            return found
        fallback = found or olds.get("lastSavepoint")
        if not fallback:
            raise RestoreRequiredError(
                f"job {job_id} is {state} and no savepoint is known (none in /jobs/{job_id}/checkpoints, no "
                "lastSavepoint recorded), so its state cannot be restored automatically. Restore by hand (e.g. "
                "recreate the resource with initialSavepoint) or set upgradeMode='stateless' to start without state")
        log(f"job {job_id} is {state}; restarting from its latest known savepoint {fallback}")
        return str(fallback)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        self.stop_for_delete(props)

    def stop_for_delete(self, props: Mapping[str, Any]) -> str | None:
        """Stop the job per `onDelete` and delete its jar; returns the final savepoint (also logged)."""
        inputs = stored_inputs(FlinkJobInputs, props, what="FlinkJob delete (stored outputs)")
        job_id = str(stored_value(props, "jobId", what="FlinkJob delete"))
        savepoint = None
        with self._client(inputs, props, "delete (the resource is kept)") as client:
            current = resolve_current(client, job_id)
            if current.live:
                savepoint = JobLifecycle(client, inputs).stop(current.job_id, mode=inputs.on_delete)
                log(f"deleted job {current.job_id} ({inputs.on_delete}); final savepoint: {savepoint} (also in "
                    f"GET /jobs/{current.job_id}/checkpoints latest.savepoint.external_path)")
            else:
                log(f"job {current.job_id} was already {current.state}; nothing to stop")
            if props.get("jarId"):
                client.delete_jar(str(props["jarId"]))
        return savepoint

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        """Refresh jobId/state by following the job lineage; a job failed or cancelled outside Pulumi is drift."""
        conn = stored_inputs(FlinkJobInputs, props, what="FlinkJob read (stored outputs)")
        job_id = str(stored_value(props, "jobId", what="FlinkJob read"))
        with self._client(conn, props, "read") as client:
            current = resolve_current(client, job_id)
        outs = public_outputs({k: v for k, v in props.items() if not k.startswith("__")})  # masks old plaintext
        outs.update(jobId=current.job_id, state=current.state)
        return dynamic.ReadResult(id_=id_, outs=outs)

    @staticmethod
    def _outputs(inputs: FlinkJobInputs, *, job_id: str, jar_id: Any, state: str,
                 last_savepoint: Any, history: list[dict], last_upgrade: Any) -> dict[str, Any]:
        outs = public_outputs(inputs.model_dump(by_alias=True, mode="json"))
        outs.update(jobId=job_id, jarId=jar_id, state=state, lastSavepoint=last_savepoint,
                    savepointHistory=history, lastUpgrade=last_upgrade)
        return outs


class FlinkJob(dynamic.Resource, module="flink", name="FlinkJob"):
    """A Flink streaming job on a session cluster, upgraded through savepoints. See the module docstring."""

    jobId: pulumi.Output[str]
    jarId: pulumi.Output[str]
    state: pulumi.Output[str]
    lastSavepoint: pulumi.Output[str | None]
    savepointHistory: pulumi.Output[list[dict]]
    lastUpgrade: pulumi.Output[dict | None]

    def __init__(self, name: str, args: FlinkJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = args.to_wire()
        _, failures = validate(FlinkJobInputs, props, secret_fields=SECRET_INPUT_KEYS)
        if failures:
            raise ValueError(f"FlinkJob {name!r}: " + "; ".join(r for _, r in failures))
        props.update({k: None for k in OUTPUT_KEYS})
        super().__init__(FlinkJobProvider(), name, props, opts)


__all__ = ["FlinkJob", "FlinkJobArgs", "FlinkJobInputs", "FlinkJobProvider", "JOB_SPEC_KEYS"]
