"""`FlinkJob`: a Pulumi dynamic resource for one streaming job on a Flink session cluster, managed through REST.

Guarantees: at most one copy of the job runs, and its state is never silently rewound.

- create: upload the jar (sha256-checked, named after the resource's lineage), run it under a job id derived from
  `lineageSeed` (set by the FlinkJob constructor from project, stack, parent and resource name) and the spec,
  from `initialSavepoint` if given; wait until every vertex runs. A retry after a crash right after the run call finds
  that job by its id and adopts it (waits for a completed checkpoint) instead of starting a second one.
- diff: any input change is an in-place update, never a replace (a replace would run two jobs side by side and
  lose the state hand-over). Only a change of the job spec (`JOB_SPEC_KEYS`: jar digest, entry class, args,
  parallelism, flinkConfiguration) restarts the job; other inputs are just recorded (a jar moved to another
  path or URL with the same sha256 is the same job). A job found gone by refresh (FAILED, CANCELED, FINISHED or
  MISSING) is reported as a change, so `pulumi up` repairs it; RESTARTING, INITIALIZING etc. are not drift.
- update: health gate (every vertex RUNNING, a completed checkpoint no older than `maxCheckpointAgeS`, default
  max(3 × checkpoint interval, 60 s)) → stop with savepoint into `<savepointDir>/<jobId>/` → run the new version
  from it → wait until it runs and completes a checkpoint. A failed savepoint or a stale checkpoint aborts with the
  old job running and nothing changed. A failed new version is rolled back: the previous version is restarted
  from the same savepoint, must complete a checkpoint, and the update fails saying so. A run that died between
  stop and restart is resumed by the next update from the savepoint that stop took, found through REST or, once
  the stopped job expired from the JobManager, in `<savepointDir>/<jobId>/` (see job_lifecycle, restore_points).
- job gone (MISSING after a JobManager restart without HA, FAILED, CANCELED): update and refresh fail naming the
  job id, the JobManager and the newest restore points known (savepoint and retained checkpoint, each with its
  time), unless `onMissingJob: restoreLatest`, which restores from the newest of them.
- restUrl moved to another JobManager while the job runs on the previous one: the update is refused and nothing
  changes on either JobManager (also when the previous one cannot be reached).
- delete: stop with savepoint (default), stop with drain, or cancel (`onDelete`); the final savepoint is logged
  and stays visible through REST (`GET /jobs/<jobId>/checkpoints`); every jar of this resource is deleted.
- read (refresh): follows the job lineage and records the current job id, state and lastCheckpoint.

Credentials: see components.providers.connection (stack config for every operation, or secret inputs for
create/update; never in outputs). The provider holds only plain data and builds a REST client per call.
Outputs: the inputs without secrets, plus jobId, jarId, state, lastSavepoint, savepointHistory (last
SAVEPOINT_HISTORY_LIMIT entries), lastUpgrade and lastCheckpoint (path, id, jobId, time of the last retained
checkpoint seen; None when checkpoints are not retained).

Stored contract (in every stack's state): the class path `components.providers.flink_job.FlinkJobProvider`, the
output keys above, the input keys (camelCase), `lineageSeed` and the job-id and jar-name schemes of job_lifecycle.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

import pulumi
from pulumi import dynamic

from flink_rest.client import JOB_RUNNING, TERMINAL_JOB_STATES, FlinkRestClient, FlinkRestError
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
    lineage_seed,
    spec_fingerprints,
    spec_hash,
)
from components.providers.inputs import changed_keys, input_keys, validate
from components.providers.secret_config import comparable, unmasked
from components.providers.stored import stored_inputs, stored_value, with_defaults
from components.providers.job_lifecycle import (
    MISSING,
    JobElsewhereError,
    JobLifecycle,
    Resolved,
    log,
    resolve_current,
    runs_spec,
    successor_id,
)

#: Input keys compared by diff (secrets are never stored in outputs, so they cannot be compared). `lineageSeed` is
#: not compared: it only names the first job and the jars, and a renamed (aliased) resource keeps its stored seed.
DIFF_KEYS = tuple(k for k in input_keys(FlinkJobInputs) if k not in SECRET_INPUT_KEYS and k != "lineageSeed")
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
    """Dynamic provider behind FlinkJob. Holds no client and no credentials that could be serialized.

    Stored contract: this class is pickled by reference as `components.providers.flink_job.FlinkJobProvider` into
    every resource's state; read and delete parse stored outputs leniently (keys added later, such as
    `lastCheckpoint`, `lineageSeed` and `onMissingJob`, may be absent).
    """

    inputs_model = FlinkJobInputs
    output_keys = OUTPUT_KEYS

    # --- no network (check: RestResourceProvider) ---------------------------------------------------------------
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        """Changed inputs → update in place; a job refresh found gone (terminal or MISSING) → update (repair).

        A job refresh found RESTARTING, INITIALIZING or in another non-terminal state is not drift: it is still
        the live job, and treating it as a change would make every later preview show one. Inputs added by a later
        version compare as their defaults; secret-looking config values compare by their stored fingerprint.
        No network.
        """
        changed = changed_keys(with_defaults(FlinkJobInputs, olds), comparable(news, olds), DIFF_KEYS)
        state = olds.get("state")
        drift = state is not None and (state in TERMINAL_JOB_STATES or state == MISSING)
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
        """Run the first job under an id derived from `lineageSeed`, or adopt the one an interrupted create ran."""
        inputs = parse_inputs(props, what="create")
        key = self._configured.job_id_key
        wanted = spec_hash(inputs.spec(), key)
        with self._client(inputs, props, "create (nothing was created)") as client:
            life = JobLifecycle(client, inputs)
            job_id, running = life.first_job(wanted)
            if running is None:
                started = life.create(job_id)
                how = "created"
            elif runs_spec(running.job_id, spec_fingerprints(inputs.spec(), key)):
                started = life.adopt(running.job_id)
                how = "adopted (started by an interrupted create)"
            else:
                raise ProviderError(
                    f"FlinkJob create: job {running.job_id} of this resource's lineage runs (started by an "
                    "interrupted earlier create, or left running by an earlier copy of this resource that was "
                    "removed from the state), but with another job spec than the one requested; nothing was "
                    "changed. Cancel that job "
                    f"(PATCH /jobs/{running.job_id}?mode=cancel, or take a savepoint first) or restore the previous "
                    "spec, then run `pulumi up` again")
            life.clean_jars(keep=(started.jar_id,))
            checkpoint = life.checkpoint_record(started.job_id)
        log(f"{how} job {started.job_id} (jar {started.jar_id})")
        initial = inputs.initial_savepoint
        outs = self._outputs(inputs, job_id=started.job_id, jar_id=started.jar_id, state=HEALTHY_STATE,
                             last_savepoint=initial, history=_history({}, initial, started.job_id, "initial"),
                             last_upgrade=None, last_checkpoint=checkpoint)
        return dynamic.CreateResult(id_=started.job_id, outs=outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        inputs = parse_inputs(news, what="update")
        previous = parse_inputs(unmasked(olds, news), what="update (stored outputs)")
        seed = olds.get("lineageSeed") or inputs.lineage_seed  # jar names stay those of the first create
        key = self._configured.job_id_key
        new_hash, old_hash = spec_hash(inputs.spec(), key), spec_hash(previous.spec(), key)
        with self._client(inputs, news, "update") as client:
            life = JobLifecycle(client, inputs, seed=seed)
            current = resolve_current(client, str(olds["jobId"]))
            if not current.live and _moved(previous, inputs):
                self._refuse_if_elsewhere(previous, olds, inputs)
            if current.live and runs_spec(current.job_id, spec_fingerprints(inputs.spec(), key)):
                return self._no_restart(client, life, inputs, olds, current, seed)
            rollback_id = successor_id(current.job_id, old_hash)
            new_id = successor_id(current.job_id, new_hash)
            if current.live:
                started, savepoint, downtime = life.upgrade(current.job_id, previous, olds.get("jarId"), new_id,
                                                            rollback_id)
                result, reason = "upgraded", "upgrade"
            else:
                point = life.recovery_point(current, olds, operation="update")
                savepoint = point.path if point else None
                log(f"job {current.job_id} is {current.state}; resuming as {new_id} from {savepoint}")
                started, savepoint, downtime = life.resume(savepoint, previous, olds.get("jarId"), new_id,
                                                           rollback_id)
                result, reason = "resumed", "recovery"
            if olds.get("jarId") and olds.get("jarId") != started.jar_id:  # named before jar names had a seed
                with contextlib.suppress(FlinkRestError):
                    client.delete_jar(str(olds["jarId"]))
            life.clean_jars(keep=(started.jar_id,))
            checkpoint = life.checkpoint_record(new_id)
        log(f"{result} job {current.job_id} -> {new_id} (downtime {downtime:.3f} s, savepoint {savepoint})")
        upgrade = {"from": current.job_id, "to": new_id, "result": result, "durationS": round(downtime, 3),
                   "savepoint": savepoint, "at": _now()}
        outs = self._outputs(inputs, job_id=new_id, jar_id=started.jar_id, state=HEALTHY_STATE,
                             last_savepoint=savepoint or olds.get("lastSavepoint"),
                             history=_history(olds, savepoint, current.job_id, reason), last_upgrade=upgrade,
                             last_checkpoint=checkpoint, seed=seed)
        return dynamic.UpdateResult(outs=outs)

    def _refuse_if_elsewhere(self, previous: FlinkJobInputs, olds: Mapping[str, Any],
                             inputs: FlinkJobInputs) -> None:
        """restUrl changed and the job is not live at the new one: refuse while it may run at the previous one.

        Moving a job between JobManagers is refused (nothing is changed on either); see the README.
        """
        old_url, new_url, job_id = previous.rest_url, inputs.rest_url, str(olds["jobId"])
        how_to = (f"To move the job: set restUrl back to {old_url}, then either delete this resource (its job is "
                  f"stopped with a savepoint, onDelete) and create it against {new_url} with initialSavepoint set "
                  "to that savepoint, or stop the job on the old JobManager yourself and do the same")
        try:
            with self._client(previous, olds, "update (looking up the job at the previous restUrl)") as old:
                there = resolve_current(old, job_id)
        except ProviderError as exc:
            raise JobElsewhereError(
                f"FlinkJob update: restUrl changed from {old_url} to {new_url}; job {job_id} does not run at "
                f"{new_url} and the previous JobManager cannot be asked whether it still runs there ({exc}). The "
                f"update is refused and nothing was changed on either JobManager, so that two copies never run. "
                f"{how_to}") from None
        if there.live:
            raise JobElsewhereError(
                f"FlinkJob update: restUrl changed from {old_url} to {new_url}, but job {there.job_id} still runs "
                f"({there.state}) at the previous JobManager {old_url}. Moving a running job between JobManagers "
                "is refused (a second copy would write to the same sinks); nothing was changed on either "
                f"JobManager. {how_to}")
        log(f"restUrl changed from {old_url} to {new_url}; job {there.job_id} is {there.state} at the previous "
            "JobManager, so it is treated as gone")

    def _no_restart(self, client: FlinkRestClient, life: JobLifecycle, inputs: FlinkJobInputs,
                    olds: Mapping[str, Any], current: Resolved, seed: str | None) -> dynamic.UpdateResult:
        """The live job already runs the new spec: a change that needs no new job, or a job a crashed run started."""
        jar_id, upgrade, state = olds.get("jarId"), olds.get("lastUpgrade"), current.state
        last_savepoint, history = olds.get("lastSavepoint"), _history(olds, None, current.job_id, "")
        if current.job_id != olds.get("jobId"):  # adopt what an interrupted run started; its jar id was lost
            adopted = life.adopt(current.job_id)  # waits for every vertex RUNNING and a completed checkpoint
            jar_id, state = adopted.jar_id, HEALTHY_STATE
            life.clean_jars(keep=(jar_id,))
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
        checkpoint = life.checkpoint_record(current.job_id) or olds.get("lastCheckpoint")
        return dynamic.UpdateResult(outs=self._outputs(
            inputs, job_id=current.job_id, jar_id=jar_id, state=state, last_savepoint=last_savepoint,
            history=history, last_upgrade=upgrade, last_checkpoint=checkpoint, seed=seed))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        self.stop_for_delete(props)

    def stop_for_delete(self, props: Mapping[str, Any]) -> str | None:
        """Stop the job per `onDelete` and delete its jars; returns the final savepoint (also logged)."""
        inputs = stored_inputs(FlinkJobInputs, props, what="FlinkJob delete (stored outputs)")
        job_id = str(stored_value(props, "jobId", what="FlinkJob delete"))
        savepoint = None
        with self._client(inputs, props, "delete (the resource is kept)") as client:
            life = JobLifecycle(client, inputs)
            current = resolve_current(client, job_id)
            if current.live:
                savepoint = life.stop(current.job_id, mode=inputs.on_delete)
                log(f"deleted job {current.job_id} ({inputs.on_delete}); final savepoint: {savepoint} (also in "
                    f"GET /jobs/{current.job_id}/checkpoints latest.savepoint.external_path)")
            else:
                log(f"job {current.job_id} was already {current.state}; nothing to stop")
            if props.get("jarId"):
                client.delete_jar(str(props["jarId"]))
            life.clean_jars()
        return savepoint

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        """Refresh jobId, state and lastCheckpoint by following the job lineage.

        A job failed or cancelled outside Pulumi is drift (`state`). A job the JobManager no longer knows
        (MISSING) fails the refresh with the restore points known, unless its newest restore point is its final
        savepoint or `onMissingJob` is `restoreLatest` (then it is drift, and `pulumi up` restores it).
        Stored outputs are read leniently: a refresh must work from any stored state (see stored.py).
        """
        inputs = stored_inputs(FlinkJobInputs, props, what="FlinkJob read (stored outputs)")
        job_id = str(stored_value(props, "jobId", what="FlinkJob read"))
        checkpoint = None
        with self._client(inputs, props, "read") as client:
            current = resolve_current(client, job_id)
            life = JobLifecycle(client, inputs)
            if current.state == MISSING and inputs.upgrade_mode == "savepoint":
                life.recovery_point(current, props, operation="refresh")
            if current.state != MISSING:
                checkpoint = life.checkpoint_record(current.job_id)
        outs = public_outputs({k: v for k, v in props.items() if not k.startswith("__")})  # masks old plaintext
        outs.update(jobId=current.job_id, state=current.state,
                    lastCheckpoint=checkpoint or props.get("lastCheckpoint"))
        return dynamic.ReadResult(id_=id_, outs=outs)

    @staticmethod
    def _outputs(inputs: FlinkJobInputs, *, job_id: str, jar_id: Any, state: str, last_savepoint: Any,
                 history: list[dict], last_upgrade: Any, last_checkpoint: Any = None,
                 seed: str | None = None) -> dict[str, Any]:
        outs = public_outputs(inputs.model_dump(by_alias=True, mode="json"))
        if seed:
            outs["lineageSeed"] = seed
        outs.update(jobId=job_id, jarId=jar_id, state=state, lastSavepoint=last_savepoint,
                    savepointHistory=history, lastUpgrade=last_upgrade, lastCheckpoint=last_checkpoint)
        return outs


def _moved(previous: FlinkJobInputs, inputs: FlinkJobInputs) -> bool:
    return previous.rest_url.rstrip("/") != inputs.rest_url.rstrip("/")


class FlinkJob(dynamic.Resource, module="flink", name="FlinkJob"):
    """A Flink streaming job on a session cluster, upgraded through savepoints. See the module docstring."""

    jobId: pulumi.Output[str]
    jarId: pulumi.Output[str]
    state: pulumi.Output[str]
    lastSavepoint: pulumi.Output[str | None]
    savepointHistory: pulumi.Output[list[dict]]
    lastUpgrade: pulumi.Output[dict | None]
    lastCheckpoint: pulumi.Output[dict | None]

    def __init__(self, name: str, args: FlinkJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = args.to_wire()
        _, failures = validate(FlinkJobInputs, props, secret_fields=SECRET_INPUT_KEYS)
        if failures:
            raise ValueError(f"FlinkJob {name!r}: " + "; ".join(r for _, r in failures))
        parent = opts.parent if opts is not None else None
        parent_key = f"{parent.pulumi_resource_type}${parent.pulumi_resource_name}" if parent is not None else None
        props.setdefault("lineageSeed", lineage_seed(pulumi.get_project(), pulumi.get_stack(), name, parent_key))
        props.update({k: None for k in OUTPUT_KEYS})
        super().__init__(FlinkJobProvider(), name, props, opts)


__all__ = ["FlinkJob", "FlinkJobArgs", "FlinkJobInputs", "FlinkJobProvider", "JOB_SPEC_KEYS"]
