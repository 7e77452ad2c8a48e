"""Savepoint-aware lifecycle of one Flink job on a session cluster: start, upgrade with rollback, resume, stop.

**Job ids carry their lineage.** A job id is 32 hex: the first 16 say where the job came from, the last 16 are the
job spec's fingerprint (`spec_hash`: HMAC-SHA256 under the stack's `jobIdKey`, or plain sha256 for stacks without
one and for ids started before the key was set, which stay recognised). The first job of a resource gets the prefix
`sha256("lineage:" + lineageSeed + ":" + generation)[:16]` (`lineageSeed` is set by the FlinkJob constructor
from project, stack, parent and resource name; `generation` is the first n whose prefix no job of the cluster uses
yet, so a re-created resource does not collide with its deleted predecessor); without a seed (older programs) the
prefix is random. A job started from the savepoint of job P gets the prefix `sha256("successor:" + P)[:16]`.
Because P can be stopped with a savepoint only once, every job that continues P's state is found by that prefix
in `GET /jobs/overview`, and whether a job runs a given spec is read off its id. This is what makes a re-run safe:

- `pulumi up` died between stop and run: the engine kept the old outputs (old job id, now FINISHED). The next
  update follows the chain (`resolve_current`) and finds either the successor that the crashed run started
  (adopted; never started twice) or none, in which case it runs the successor from the old job's savepoint
  (`latest.savepoint.external_path` of `/jobs/:id/checkpoints`).
- The new version failed and the previous one was restarted from the same savepoint (rollback): the rollback job
  is also a successor of the stopped job, so refresh and the next update find it.
- `pulumi up` died right after the first run call of a create: the retry derives the same first job id and adopts
  the running job (`first_job`) instead of starting a second one.

**Jars are named after the lineage.** Uploads are named `flinkjob-<seed[:16]>-<sha256[:12]>.jar` (Flink's jar id
is `<uuid>_<name>`), so after a crash, a retry or an adoption the provider deletes every jar of its own except the
one it records (`clean_jars`), and delete removes them all.

**Stops write to a directory named after the job**: `<savepointDir or the cluster's>/<jobId>/savepoint-*`, so the
savepoint an interrupted stop took is found even after the stopped job expired from the JobManager's job store
(see restore_points).

Every wait has an explicit deadline from the inputs' `timeouts`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flink_rest.client import (
    CHECKPOINT_DIR_KEYS,
    JOB_CANCELED,
    JOB_FINISHED,
    SAVEPOINT_DIR_KEYS,
    TERMINAL_JOB_STATES,
    FlinkRestClient,
    FlinkRestError,
    FlinkUnreachableError,
    OperationTimeoutError,
)
from components.providers import restore_points as rp
from components.providers.connection import ProviderError
from components.providers.flink_job_model import (
    CHECKPOINT_AGE_FLOOR_S,
    CHECKPOINT_AGE_INTERVALS,
    RESTORE_CLAIM_MODE,
    FlinkJobInputs,
)
from components.providers.jar_source import fetched_jar
from components.providers.job_health import HealthPolicy, check_health
from components.providers.restore_points import RestorePoint

LINEAGE_HEX = 16
#: How many stopped jobs `resolve_current` follows before giving up (each upgrade adds one).
MAX_CHAIN = 64
#: Pseudo-state of a job the cluster no longer knows.
MISSING = "MISSING"
#: What a cancelled job ends as.
CANCELED_STATES = frozenset({JOB_CANCELED})
#: How many generations of first job ids `first_job` tries (each re-creation of a resource uses the next one
#: while its predecessors are still in the JobManager's job store).
MAX_GENERATIONS = 1000
#: Upload names: JAR_NAME_PREFIX + seed[:16] + "-" + sha256[:12] + ".jar".
JAR_NAME_PREFIX = "flinkjob-"


class SavepointAbortError(ProviderError):
    """The savepoint before an upgrade failed; the old job keeps running and nothing changed."""


class RolledBackError(ProviderError):
    """The new version failed; the previous version was restarted from the same savepoint (state kept)."""


class RestoreRequiredError(ProviderError):
    """No job runs and no savepoint is known to resume from; an operator must restore by hand."""


class JobGoneError(RestoreRequiredError):
    """The job is gone and the newest restore point is not proven to be its final state: the operator decides
    (`onMissingJob: restoreLatest`); nothing was started."""


class JobElsewhereError(ProviderError):
    """`restUrl` moved to another JobManager while the job may still run on the previous one; nothing changed."""


def log(message: str) -> None:
    """Progress line on stderr (the dynamic-provider process has no engine log connection)."""
    print(f"[flink-job] {message}", file=sys.stderr, flush=True)


def lineage_prefix(seed: str, generation: int) -> str:
    """Prefix of the first job id of generation `generation` of the resource with `lineageSeed` `seed`."""
    return hashlib.sha256(f"lineage:{seed}:{generation}".encode()).hexdigest()[:LINEAGE_HEX]


def first_job_id(spec_hash: str, seed: str | None = None, generation: int = 0) -> str:
    """Id of a resource's first job: the lineage prefix (random without a seed) + the spec fingerprint."""
    prefix = lineage_prefix(seed, generation) if seed else uuid.uuid4().hex[:LINEAGE_HEX]
    return prefix + spec_hash[:LINEAGE_HEX]


def jar_name_prefix(seed: str) -> str:
    """Start of the upload name of every jar of the resource with `lineageSeed` `seed`."""
    return f"{JAR_NAME_PREFIX}{seed[:LINEAGE_HEX]}-"


def jar_upload_name(seed: str | None, sha256: str) -> str | None:
    """Upload name of a jar (None without a seed: Flink keeps the file's own name)."""
    return f"{jar_name_prefix(seed)}{sha256[:12]}.jar" if seed else None


def successor_prefix(parent_job_id: str) -> str:
    return hashlib.sha256(f"successor:{parent_job_id}".encode()).hexdigest()[:LINEAGE_HEX]


def successor_id(parent_job_id: str, spec_hash: str) -> str:
    """Id of the job that continues `parent_job_id`'s savepoint running the spec `spec_hash`."""
    return successor_prefix(parent_job_id) + spec_hash[:LINEAGE_HEX]


def runs_spec(job_id: str, spec_hash: str | tuple[str, ...]) -> bool:
    """True when the job id says the job runs the spec `spec_hash` (one fingerprint, or all a spec may carry)."""
    hashes = (spec_hash,) if isinstance(spec_hash, str) else spec_hash
    return any(job_id[LINEAGE_HEX:] == h[:LINEAGE_HEX] for h in hashes)


@dataclass(frozen=True)
class Resolved:
    """The job that currently carries the resource's state, and how it was reached."""

    job_id: str
    state: str
    chain: tuple[str, ...]

    @property
    def live(self) -> bool:
        return self.state not in TERMINAL_JOB_STATES and self.state != MISSING


def resolve_current(client: FlinkRestClient, job_id: str) -> Resolved:
    """Follow successors from `job_id` (recorded in outputs) to the job that carries the state now.

    A live job ends the walk. A terminal job is followed to its live successor, else to its FINISHED successor
    (stopped by a later upgrade), else to its most recently started failed or cancelled successor (e.g. a rollback
    job cancelled outside Pulumi: it ran after the stopped job, so the stopped job's savepoint is not the newest
    state), else the walk ends on it. Two live successors of one job cannot come from this provider and raise.
    """
    overview = client.jobs_overview()
    states = {j.get("jid"): j for j in overview if isinstance(j, dict)}
    current, chain = job_id, [job_id]
    for _ in range(MAX_CHAIN):
        state = str(states.get(current, {}).get("state", MISSING))
        if state not in TERMINAL_JOB_STATES and state != MISSING:
            return Resolved(current, state, tuple(chain))
        prefix = successor_prefix(current)
        successors = [j for j in overview if isinstance(j, dict) and str(j.get("jid", "")).startswith(prefix)]
        live = [j for j in successors if j.get("state") not in TERMINAL_JOB_STATES]
        if len(live) > 1:
            raise ProviderError(f"job {current} has {len(live)} running successors "
                                f"({', '.join(j['jid'] for j in live)}); expected at most one. Cancel the one "
                                "that should not run, then `pulumi refresh`")
        finished = sorted((j for j in successors if j.get("state") == JOB_FINISHED),
                          key=lambda j: j.get("end-time") or 0)
        ended = sorted((j for j in successors if j.get("state") in TERMINAL_JOB_STATES),
                       key=lambda j: j.get("start-time") or 0)
        nxt = live[0] if live else finished[-1] if finished else ended[-1] if ended else None
        if nxt is None:
            return Resolved(current, state, tuple(chain))
        current = str(nxt["jid"])
        chain.append(current)
    raise ProviderError(f"job lineage from {job_id} is longer than {MAX_CHAIN} jobs; `pulumi refresh` first")


@dataclass
class Started:
    """A job that was started and reached all vertices RUNNING."""

    job_id: str
    jar_id: str
    running_at: float  # time.monotonic() when all vertices were RUNNING


class JobLifecycle:
    """REST sequences for one FlinkJob operation. Holds the client for the duration of that operation."""

    def __init__(self, client: FlinkRestClient, inputs: FlinkJobInputs, *, seed: str | None = None):
        self.client = client
        self.inputs = inputs
        self.timeouts = inputs.timeouts
        self.seed = seed if seed is not None else inputs.lineage_seed
        self._cluster_config: dict[str, str] | None = None

    # --- building blocks ------------------------------------------------------------------------------------
    def upload(self, inputs: FlinkJobInputs) -> str:
        """Fetch (sha256-checked) and upload `inputs`' jar under this resource's jar name; returns the jar id."""
        with fetched_jar(inputs.jar, inputs.jar_sha256, ca_bundle=inputs.jar_ca_bundle,
                         timeout_s=max(60.0, inputs.request_timeout_s)) as path:
            return self.client.upload_jar(path, filename=jar_upload_name(self.seed, inputs.jar_sha256))

    def clean_jars(self, keep: tuple[str | None, ...] = ()) -> list[str]:
        """Delete every jar this resource uploaded (recognised by name) except `keep`. Best effort."""
        if not self.seed:
            return []
        prefix, kept = jar_name_prefix(self.seed), {k for k in keep if k}
        try:
            jars = self.client.list_jars()
        except FlinkRestError as exc:
            log(f"listing jars to delete stale uploads failed (continuing): {exc}")
            return []
        deleted = []
        for jar in jars:
            jar_id, name = str(jar.get("id", "")), str(jar.get("name", ""))
            if (name.startswith(prefix) or f"_{prefix}" in jar_id) and jar_id not in kept:
                try:
                    self.client.delete_jar(jar_id)
                    deleted.append(jar_id)
                except FlinkRestError as exc:
                    log(f"deleting stale jar {jar_id} failed (continuing): {exc}")
        if deleted:
            log(f"deleted {len(deleted)} stale jar(s) of this resource: {', '.join(deleted)}")
        return deleted

    def cluster_setting(self, keys: tuple[str, ...]) -> str | None:
        """A value of the cluster's configuration (`GET /jobmanager/config`, read once per operation)."""
        if self._cluster_config is None:
            try:
                self._cluster_config = self.client.cluster_config()
            except FlinkUnreachableError:
                raise
            except FlinkRestError as exc:
                log(f"reading the cluster configuration failed (continuing without it): {exc}")
                self._cluster_config = {}
        return next((self._cluster_config[k] for k in keys if self._cluster_config.get(k)), None)

    def savepoint_base(self) -> str | None:
        """`savepointDir`, else the cluster's default savepoint directory."""
        return self.inputs.savepoint_dir or self.cluster_setting(SAVEPOINT_DIR_KEYS)

    def checkpoint_base(self) -> str | None:
        """The job's checkpoint directory (`flinkConfiguration`), else the cluster's."""
        conf = self.inputs.flink_configuration
        return next((conf[k] for k in CHECKPOINT_DIR_KEYS if conf.get(k)), None) or \
            self.cluster_setting(CHECKPOINT_DIR_KEYS)

    def stop_target(self, job_id: str) -> str | None:
        """Where a stop of `job_id` writes its savepoint: `<savepoint base>/<jobId>` (None: Flink's default)."""
        base = self.savepoint_base()
        return f"{base.rstrip('/')}/{job_id}" if base else None

    def checkpoint_record(self, job_id: str) -> dict | None:
        """`lastCheckpoint` output: the job's latest completed checkpoint if checkpoints are retained, else None."""
        try:
            config = self.client.checkpoint_config(job_id)
            if not isinstance(config.get("externalization"), dict) or not config["externalization"].get("enabled"):
                return None
            done = ((self.client.checkpoints(job_id).get("latest") or {}).get("completed"))
        except FlinkUnreachableError:
            raise
        except FlinkRestError:
            return None
        if not isinstance(done, dict) or not isinstance(done.get("external_path"), str):
            return None
        at = done.get("latest_ack_timestamp") if isinstance(done.get("latest_ack_timestamp"), int) else None
        return {"path": done["external_path"], "id": done.get("id"), "jobId": job_id, "at": rp.iso_ms(at),
                "atMs": at}

    def _rest_points(self, job_id: str, state: str) -> list[RestorePoint]:
        try:
            latest = self.client.checkpoints(job_id).get("latest") or {}
            retained = bool((self.client.checkpoint_config(job_id).get("externalization") or {}).get("enabled"))
        except FlinkUnreachableError:
            raise
        except FlinkRestError:
            return []
        points, source = [], f"GET /jobs/{job_id}/checkpoints"
        savepoint = latest.get("savepoint")
        if isinstance(savepoint, dict) and isinstance(savepoint.get("external_path"), str):
            points.append(RestorePoint("savepoint", savepoint["external_path"], savepoint.get("latest_ack_timestamp"),
                                       source, final=(state == JOB_FINISHED), job_id=job_id))
        done = latest.get("completed")
        if retained and isinstance(done, dict) and isinstance(done.get("external_path"), str):
            points.append(RestorePoint("checkpoint", done["external_path"], done.get("latest_ack_timestamp"),
                                       source))
        return points

    def restore_points(self, current: Resolved, olds: Mapping[str, Any]) -> list[RestorePoint]:
        """Every restore point known for the lineage of the recorded job, newest first (see restore_points).

        A stop's savepoint counts as the job's final state only if no successor of that job is known (in
        `/jobs/overview` or as a directory): a successor ran after it, so its state may be newer.
        """
        root = str(olds.get("jobId") or current.job_id)
        points = rp.recorded(olds)
        if current.state != MISSING:
            points += self._rest_points(current.job_id, current.state)
        savepoint_bases = {self.savepoint_base()}  # and where recorded stop savepoints went (<base>/<jobId>/...)
        savepoint_bases.update(parts[0] for parts in (p.path.rstrip("/").rsplit("/", 2) for p in points
                                                      if p.kind == "savepoint")
                               if len(parts) == 3 and len(parts[1]) == 32)
        for base in sorted(b for b in savepoint_bases if b):
            points += rp.stop_savepoints_under(base, root, successor_prefix)
        bases = {self.checkpoint_base()}
        bases.update(p.path.rstrip("/").rsplit("/", 2)[0] for p in points if p.kind == "checkpoint")
        for base in sorted(b for b in bases if b):
            points += rp.checkpoints_under(base, root, successor_prefix)
        known = {str(j.get("jid", "")) for j in self.client.jobs_overview() if isinstance(j, dict)}
        for base in (*savepoint_bases, *bases):
            known.update(rp.job_dirs(base))
        points = [p if not (p.final and p.job_id and any(k.startswith(successor_prefix(p.job_id)) for k in known))
                  else dataclasses.replace(p, final=False, source=p.source + "; a successor ran after it")
                  for p in points]
        return rp.newest(points)

    def recovery_point(self, current: Resolved, olds: Mapping[str, Any], *, operation: str) -> RestorePoint | None:
        """What to restart a job that no longer runs from; None in stateless mode. Raises JobGoneError.

        The newest restore point is used when it is the job's final state (a stop-with-savepoint) or when
        `onMissingJob` is `restoreLatest`; otherwise the operator decides and the error names the points.
        """
        if self.inputs.upgrade_mode == "stateless":
            return None
        points = self.restore_points(current, olds)
        if points and (points[0].final or self.inputs.on_missing_job == "restoreLatest"):
            why = "its final savepoint" if points[0].final else "the newest restore point (onMissingJob=restoreLatest)"
            log(f"job {current.job_id} is {current.state}; restoring from {why}: {points[0].describe()}")
            if not points[0].final and rp.local_dir(self.savepoint_base()) is None:
                log(f"warning: {self.savepoint_base()} cannot be listed; a newer savepoint may exist in "
                    f"{str(self.savepoint_base()).rstrip('/')}/{current.job_id}/")
            return points[0]
        raise JobGoneError(self.gone_message(current, points, operation=operation))

    def gone_message(self, current: Resolved, points: list[RestorePoint], *, operation: str) -> str:
        what = ("not known to it (MISSING: the JobManager lost it, e.g. it restarted without HA, or the stopped "
                "job expired from its job store)" if current.state == MISSING else current.state)
        head = (f"FlinkJob {operation}: job {current.job_id} is {what} at JobManager {self.client.endpoint.base_url};"
                " nothing was started.")
        unseen = ""
        savepoints, checkpoints = self.savepoint_base(), self.checkpoint_base()
        if savepoints and rp.local_dir(savepoints) is None:
            unseen += (f" The provider cannot list {savepoints}: a savepoint that an interrupted stop of this job "
                       f"took would be in {savepoints.rstrip('/')}/{current.job_id}/ (check there first).")
        if checkpoints and rp.local_dir(checkpoints) is None:
            unseen += (f" The provider cannot list {checkpoints}: newer retained checkpoints may be in "
                       f"{checkpoints.rstrip('/')}/<jobId>/chk-<n>.")
        if not points:
            return (f"{head} No restore point is known: no savepoint is known and no retained checkpoint (none in "
                    f"GET /jobs/{current.job_id}/checkpoints, no lastSavepoint or lastCheckpoint recorded, none "
                    f"found in the savepoint or checkpoint directories), so its state cannot be restored "
                    f"automatically.{unseen} Restore by hand (e.g. recreate the resource with initialSavepoint) or "
                    "set upgradeMode='stateless' to start without state")
        known = "; ".join(p.describe() for p in rp.newest_of_each_kind(points))
        return (f"{head} Newest restore points known: {known}. None is proven to hold the job's final state, so "
                f"the provider does not pick one by itself.{unseen} To restore from the newest ({points[0].path}), "
                "set the input onMissingJob: restoreLatest (FlinkJobArgs(on_missing_job='restoreLatest')) and run "
                "`pulumi up`; or set upgradeMode='stateless' to start without state")

    def needs_checkpoint(self, inputs: FlinkJobInputs) -> bool:
        return inputs.require_checkpoint and inputs.upgrade_mode == "savepoint"

    def health_policy(self) -> HealthPolicy:
        """maxCheckpointAgeS: unset → max(3 × the job's checkpoint interval, 60 s); 0 → no age limit."""
        age = self.inputs.max_checkpoint_age_s
        return HealthPolicy(running_s=self.timeouts.running_s, checkpoint_s=self.timeouts.checkpoint_s,
                            require_checkpoint=self.needs_checkpoint(self.inputs),
                            max_checkpoint_age_s=age or None,
                            auto_age=(CHECKPOINT_AGE_INTERVALS, CHECKPOINT_AGE_FLOOR_S) if age is None else None)

    def run(self, inputs: FlinkJobInputs, jar_id: str, job_id: str, savepoint: str | None) -> Started:
        """Run the jar under `job_id` (from `savepoint` if given) and wait until every vertex runs."""
        self.client.run_jar(jar_id, job_id=job_id, entry_class=inputs.entry_class, args=list(inputs.args),
                            parallelism=inputs.parallelism, savepoint_path=savepoint,
                            allow_non_restored_state=inputs.allow_non_restored_state,
                            flink_configuration=dict(inputs.flink_configuration) or None,
                            claim_mode=RESTORE_CLAIM_MODE if savepoint else None)
        self.client.wait_all_vertices_running(job_id, deadline_s=inputs.timeouts.running_s)
        return Started(job_id, jar_id, time.monotonic())

    def confirm(self, inputs: FlinkJobInputs, job_id: str) -> None:
        """After a restart: wait for the first completed checkpoint (when the inputs require checkpoints)."""
        if self.needs_checkpoint(inputs):
            self.client.wait_completed_checkpoint(job_id, deadline_s=inputs.timeouts.checkpoint_s)

    def discard(self, job_id: str | None, jar_id: str | None) -> None:
        """Best-effort cleanup of a failed start: cancel the job if it still runs, delete the jar."""
        for action in (lambda: self._cancel_if_live(job_id), lambda: jar_id and self.client.delete_jar(jar_id)):
            try:
                action()
            except FlinkRestError as exc:
                log(f"cleanup failed (continuing): {exc}")

    def _cancel_if_live(self, job_id: str | None) -> None:
        if job_id:
            job = self.client.find_job(job_id)
            if job is not None and job["state"] not in TERMINAL_JOB_STATES:
                self.client.cancel(job_id)
                self.client.wait_job_state(job_id, set(CANCELED_STATES), deadline_s=self.timeouts.running_s)

    def stop(self, job_id: str, *, mode: str, target: str | None = None) -> str | None:
        """Stop for an upgrade or delete. `mode`: savepoint | drain | cancel. Returns the savepoint location.

        The savepoint goes to `target` (default: `stop_target(job_id)`, a directory named after the job).
        """
        if mode == "cancel":
            self.client.cancel(job_id)
            self.client.wait_job_state(job_id, set(CANCELED_STATES), deadline_s=self.timeouts.running_s)
            return None
        return self.client.stop_with_savepoint(job_id, target_directory=target or self.stop_target(job_id),
                                               drain=(mode == "drain"), deadline_s=self.timeouts.savepoint_s)

    # --- first job ------------------------------------------------------------------------------------------
    def first_job(self, spec_hash: str) -> tuple[str, Resolved | None]:
        """(id for the resource's first job, the live job an interrupted create already started or None)."""
        if not self.seed:
            return first_job_id(spec_hash), None
        ids = [str(j.get("jid", "")) for j in self.client.jobs_overview() if isinstance(j, dict)]
        for generation in range(MAX_GENERATIONS):
            prefix = lineage_prefix(self.seed, generation)
            mine = sorted(i for i in ids if i.startswith(prefix))
            if not mine:
                return first_job_id(spec_hash, self.seed, generation), None
            for job_id in mine:
                current = resolve_current(self.client, job_id)
                if current.live:
                    return current.job_id, current
        raise ProviderError(f"{MAX_GENERATIONS} generations of this resource's jobs are still in the JobManager's "
                            "job store; wait for them to expire (jobstore.expiration-time) and retry")

    def adopt(self, job_id: str) -> Started:
        """Take over a job an interrupted run started: wait until it runs and checkpoints; upload the jar again."""
        self.client.wait_all_vertices_running(job_id, deadline_s=self.timeouts.running_s)
        self.confirm(self.inputs, job_id)
        return Started(job_id, self.upload(self.inputs), time.monotonic())

    # --- operations ------------------------------------------------------------------------------------------
    def create(self, job_id: str) -> Started:
        """Upload, run (from initialSavepoint if given), wait until every vertex runs. Transactional."""
        jar_id = self.upload(self.inputs)
        try:
            return self.run(self.inputs, jar_id, job_id, self.inputs.initial_savepoint)
        except Exception:
            self.discard(job_id, jar_id)
            raise

    def upgrade(self, current: str, previous: FlinkJobInputs, previous_jar_id: str | None, new_job_id: str,
                rollback_job_id: str) -> tuple[Started, str | None, float]:
        """Health check → stop (with savepoint) → run the new version from it → wait → confirm a checkpoint.

        Returns (started, savepoint, downtime_s). The new jar is uploaded before the stop, so a bad jar aborts
        with nothing changed and the upload does not add to the downtime.
        """
        new_jar = self.upload(self.inputs)
        mode = "savepoint" if self.inputs.upgrade_mode == "savepoint" else "cancel"
        try:
            target = self.stop_target(current) if mode == "savepoint" else None
            check_health(self.client, current, self.health_policy(), purpose="the upgrade's stop-with-savepoint")
            stop_started = time.monotonic()
            savepoint = self.stop(current, mode=mode, target=target)
        except FlinkUnreachableError:
            self.discard(None, new_jar)
            raise
        except (FlinkRestError, ProviderError) as exc:
            self.discard(None, new_jar)
            seen = self._state_text(current)
            later = (" The stop may still complete; if the job ends FINISHED, the next `pulumi up` resumes from its "
                     "savepoint." if isinstance(exc, OperationTimeoutError) else "")
            raise SavepointAbortError(f"upgrade aborted before anything changed: {exc}. Job {current} is {seen}; "
                                      f"no new job was started.{later}") from None
        log(f"stopped job {current} with savepoint {savepoint}")
        return self.start_successor(new_jar, savepoint, new_job_id, stop_started, previous, previous_jar_id,
                                    rollback_job_id)

    def resume(self, savepoint: str | None, previous: FlinkJobInputs, previous_jar_id: str | None,
               new_job_id: str, rollback_job_id: str) -> tuple[Started, str | None, float]:
        """Run the successor of a stopped job from its savepoint (recovery after a crashed `pulumi up`)."""
        existing = self.client.find_job(new_job_id)
        if existing is not None:
            raise RestoreRequiredError(
                f"job {new_job_id} (this spec from savepoint {savepoint}) already ran and is {existing['state']}, "
                f"and nothing else runs. Restore by hand from {savepoint} or change the job spec")
        new_jar = self.upload(self.inputs)
        return self.start_successor(new_jar, savepoint, new_job_id, time.monotonic(), previous, previous_jar_id,
                                    rollback_job_id)

    def start_successor(self, new_jar: str, savepoint: str | None, new_job_id: str, stop_started: float,
                        previous: FlinkJobInputs, previous_jar_id: str | None,
                        rollback_job_id: str) -> tuple[Started, str | None, float]:
        """Run the new version from `savepoint`; if it does not run and checkpoint, roll back (which raises)."""
        try:
            started = self.run(self.inputs, new_jar, new_job_id, savepoint)
            downtime = started.running_at - stop_started
            self.confirm(self.inputs, new_job_id)
            return started, savepoint, downtime
        except FlinkUnreachableError as exc:
            raise ProviderError(f"the JobManager became unreachable while starting job {new_job_id} from "
                                f"savepoint {savepoint}: {exc}. The next `pulumi up` resumes from that "
                                "savepoint without starting a duplicate") from None
        except Exception as exc:  # noqa: BLE001 - any failure of the new version triggers the rollback
            cause = str(exc)
        self.discard(new_job_id, new_jar)
        self.rollback(savepoint, previous, previous_jar_id, rollback_job_id, new_job_id, cause)
        raise AssertionError("rollback returns only by raising")  # pragma: no cover

    def rollback(self, savepoint: str | None, previous: FlinkJobInputs, previous_jar_id: str | None,
                 rollback_job_id: str, failed_job_id: str, cause: str) -> None:
        """Restart the previous version from the same savepoint; always raises (RolledBackError on success)."""
        where = f"from savepoint {savepoint}" if savepoint else "without state (stateless)"
        if rollback_job_id == failed_job_id:
            raise ProviderError(f"job {failed_job_id} failed to start {where}: {cause}. The previous spec is the "
                                "same, so there is nothing to roll back to; nothing runs now")
        try:
            self._run_previous(previous, previous_jar_id, rollback_job_id, savepoint)
        except Exception as exc:  # noqa: BLE001
            raise ProviderError(f"the new version failed to start {where} as job {failed_job_id}: {cause}. The "
                                f"rollback to the previous version as job {rollback_job_id} failed too: {exc}. "
                                f"Nothing runs now; restore by hand {where}") from None
        try:  # as after a normal upgrade: the rolled-back job must complete a checkpoint
            self.confirm(previous, rollback_job_id)
        except Exception as exc:  # noqa: BLE001
            raise ProviderError(f"the new version failed to start {where} as job {failed_job_id}: {cause}. Rolled "
                                f"back: the previous version runs again as job {rollback_job_id} {where}, but it "
                                f"completed no checkpoint within checkpointS: {exc}. Check that job; the new "
                                "version was not applied") from None
        raise RolledBackError(f"the new version failed to start {where} as job {failed_job_id}: {cause}. Rolled "
                              f"back: the previous version runs again as job {rollback_job_id} {where} (state "
                              "kept); the new version was not applied. `pulumi refresh` records the rollback job")

    def _run_previous(self, previous: FlinkJobInputs, jar_id: str | None, job_id: str,
                      savepoint: str | None) -> None:
        """Run the previous spec: with its still-uploaded jar, else re-uploaded from its (sha-checked) source."""
        if jar_id:
            try:
                self.run(previous, jar_id, job_id, savepoint)
                log(f"rolled back to job {job_id} with jar {jar_id}")
                return
            except FlinkUnreachableError:
                raise
            except FlinkRestError as exc:
                if self.client.find_job(job_id) is not None:
                    raise
                log(f"previous jar {jar_id} is unusable ({exc}); uploading it again from {previous.jar}")
        fresh = self.upload(previous)
        try:
            self.run(previous, fresh, job_id, savepoint)
        finally:
            self.client.delete_jar(fresh)  # the job keeps its classes; the recorded jar id stays the old one

    def _state_text(self, job_id: str) -> str:
        try:
            job = self.client.find_job(job_id)
        except FlinkRestError as exc:
            return f"in an unknown state (looking it up failed: {exc})"
        return "gone" if job is None else f"{job['state']}"

    def last_savepoint_of(self, job_id: str) -> str | None:
        """The latest savepoint recorded for a (stopped) job, or None if the cluster no longer knows it."""
        try:
            return self.client.latest_savepoint_location(job_id)
        except FlinkRestError as exc:
            if isinstance(exc, FlinkUnreachableError):
                raise
            return None
