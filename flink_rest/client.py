"""A small, strict client for the Flink REST API of a session cluster (Flink 2.x, ``/v1`` paths without prefix).

It covers what savepoint-aware upgrades need: upload and run jars with a caller-chosen job id, savepoints and
stop-with-savepoint with caller-chosen trigger ids (so a retry never takes a second savepoint), cancel, and
waits with explicit deadlines. Shapes follow ``shared/upstream/flink-rest-v1-dispatcher.yml``; the transport
rules (timeouts, GET-only retries, TLS, auth, error mapping) are in :mod:`flink_rest.transport`.
``run_jar`` is made idempotent by the job id: it looks the id up before posting and again after a transport
error, and never re-posts by itself. Every wait polls with a backoff (:class:`Backoff`: 0.1 s, growing ×1.5 up
to 2 s), so a long wait costs a few requests, not one every 50 ms.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flink_rest.errors import (
    FlinkNotFoundError,
    FlinkRestError,
    FlinkUnreachableError,
    JobStateError,
    OperationTimeoutError,
    SavepointFailedError,
    decode_failure_cause,
    scrub,
    summarize_errors,
    summarize_java_text,
)
from flink_rest.transport import RestEndpoint, RestTransport, body_field as _get

__all__ = [
    "FlinkNotFoundError", "FlinkRestClient", "FlinkRestError", "FlinkUnreachableError", "JobStateError",
    "OperationTimeoutError", "RestEndpoint", "RunResult", "SavepointFailedError",
]

# --- REST paths (Flink REST API v1, see shared/upstream/flink-rest-v1-dispatcher.yml) -------------------------
PATH_CONFIG = "/config"
PATH_OVERVIEW = "/overview"
PATH_JARS = "/jars"
PATH_JARS_UPLOAD = "/jars/upload"
PATH_JAR = "/jars/{jar_id}"
PATH_JAR_RUN = "/jars/{jar_id}/run"
PATH_JOBS_OVERVIEW = "/jobs/overview"
PATH_JOB = "/jobs/{job_id}"
PATH_JOB_CHECKPOINTS = "/jobs/{job_id}/checkpoints"
PATH_JOB_CHECKPOINT_CONFIG = "/jobs/{job_id}/checkpoints/config"
PATH_JOBMANAGER_CONFIG = "/jobmanager/config"
PATH_JOB_EXCEPTIONS = "/jobs/{job_id}/exceptions"
PATH_JOB_STOP = "/jobs/{job_id}/stop"
PATH_JOB_SAVEPOINTS = "/jobs/{job_id}/savepoints"
PATH_JOB_SAVEPOINT_STATUS = "/jobs/{job_id}/savepoints/{trigger_id}"

# --- Other upstream facts -------------------------------------------------------------------------------------
#: Cluster option that enables the /jars handlers; mirrored by ``GET /config`` -> ``features.web-submit``.
WEB_SUBMIT_CONFIG_KEY = "web.submit.enable"
#: Multipart field and part content type of ``POST /jars/upload``.
JAR_UPLOAD_FIELD = "jarfile"
JAR_CONTENT_TYPE = "application/x-java-archive"
#: Text of the 400 error Flink gives when deleting an unknown jar ("File <id> does not exist in <dir>.").
JAR_MISSING_MARKER = "does not exist"
#: Query of ``PATCH /jobs/{jobid}`` that cancels, and of ``GET /jobs/{jobid}/exceptions``.
CANCEL_QUERY = {"mode": "cancel"}
EXCEPTIONS_QUERY = {"maxExceptions": 5}
#: ``JobID`` / ``TriggerId`` pattern from the spec.
ID_PATTERN = re.compile(r"[0-9a-f]{32}")  # use with fullmatch: the whole string
#: ``JobStatus`` values (the spec's enum) that code branches on.
JOB_RUNNING = "RUNNING"
JOB_FINISHED = "FINISHED"
JOB_CANCELED = "CANCELED"
JOB_FAILED = "FAILED"
#: Job states after which a job never runs again in this cluster (SUSPENDED is terminal for the JobManager).
TERMINAL_JOB_STATES = frozenset({JOB_FAILED, JOB_CANCELED, JOB_FINISHED, "SUSPENDED"})
#: Job states in which cancelling makes sense.
CANCELLABLE_JOB_STATES = frozenset({"INITIALIZING", "CREATED", JOB_RUNNING, "RESTARTING", "FAILING", "RECONCILING"})
#: ``status.id`` of an asynchronous operation that has finished (successfully or not).
OPERATION_COMPLETED = "COMPLETED"
#: ``claimMode`` values accepted by ``POST /jars/{jarid}/run``.
CLAIM_MODES = frozenset({"CLAIM", "NO_CLAIM", "LEGACY"})
#: Cluster config keys (``GET /jobmanager/config``) naming the default savepoint and checkpoint directories
#: (Flink 2.x name first, the 1.x name it replaced second).
SAVEPOINT_DIR_KEYS = ("execution.checkpointing.savepoint-dir", "state.savepoints.dir")
CHECKPOINT_DIR_KEYS = ("execution.checkpointing.dir", "state.checkpoints.dir")

#: Polling of every wait backs off: the first delay, the growth factor and the longest delay (seconds).
POLL_FIRST_S = 0.1
POLL_FACTOR = 1.5
POLL_MAX_S = 2.0


class Backoff:
    """Delays between polls: ``first``, then ×``factor`` per poll up to ``maximum``; never sleeps past ``end``."""

    def __init__(self, first: float = POLL_FIRST_S, *, factor: float = POLL_FACTOR, maximum: float = POLL_MAX_S):
        if not 0 < first <= maximum or factor < 1:
            raise ValueError(f"Backoff needs 0 < first <= maximum and factor >= 1, got {first}, {factor}, {maximum}")
        self.delay = first
        self.factor = factor
        self.maximum = maximum

    def delays(self, count: int) -> list[float]:
        """The next ``count`` delays without sleeping (for documentation and tests)."""
        out, delay = [], self.delay
        for _ in range(count):
            out.append(delay)
            delay = min(delay * self.factor, self.maximum)
        return out

    def sleep(self, end: float) -> None:
        """Sleep the next delay, cut short so that the caller polls once more at the deadline ``end``."""
        time.sleep(max(0.0, min(self.delay, end - time.monotonic())))
        self.delay = min(self.delay * self.factor, self.maximum)


@dataclass(frozen=True)
class RunResult:
    """Outcome of :meth:`FlinkRestClient.submit_jar`: the job id and whether the job already existed."""

    job_id: str
    duplicate: bool


def _check_id(kind: str, value: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise ValueError(f"{kind} must be 32 lowercase hex characters, got {value!r}")
    return value


class FlinkRestClient:
    """Client for one JobManager. Use as a context manager or call :meth:`close`."""

    def __init__(self, endpoint: RestEndpoint):
        self.endpoint = endpoint
        self._transport = RestTransport(endpoint)
        self._request = self._transport.request
        self._secrets = self._transport.secrets

    def __repr__(self) -> str:
        return f"FlinkRestClient({self.endpoint!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self._transport.close()

    def __enter__(self) -> FlinkRestClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @staticmethod
    def new_job_id() -> str:
        """A fresh Flink JobID (32 lowercase hex)."""
        return uuid.uuid4().hex

    @staticmethod
    def new_trigger_id() -> str:
        """A fresh savepoint/stop TriggerId (32 lowercase hex)."""
        return uuid.uuid4().hex

    # --- cluster -----------------------------------------------------------------------------------------------
    def config(self) -> dict:
        """``GET /config``: dashboard configuration (``flink-version``, ``features``)."""
        body = self._request("GET", PATH_CONFIG)
        _get(body, "features", f"GET {PATH_CONFIG}", types=dict)
        return body

    def overview(self) -> dict:
        """``GET /overview``: task managers, slots, job counts, version."""
        body = self._request("GET", PATH_OVERVIEW)
        _get(body, "taskmanagers", f"GET {PATH_OVERVIEW}", types=int)
        return body

    def ensure_web_submit(self) -> None:
        """Raise FlinkRestError when the cluster has jar submission switched off (``features.web-submit``)."""
        call = f"GET {PATH_CONFIG}"
        enabled = _get(self.config(), "features.web-submit", call, types=bool)
        if not enabled:
            raise FlinkRestError(
                f"Flink REST call {call}: the cluster has jar submission disabled (features.web-submit=false), so "
                f"/jars/* is not served; set `{WEB_SUBMIT_CONFIG_KEY}: true` on the JobManager",
                call=call, errors=[f"{WEB_SUBMIT_CONFIG_KEY} is false"])

    # --- jars --------------------------------------------------------------------------------------------------
    def upload_jar(self, path: str, *, filename: str | None = None) -> str:
        """``POST /jars/upload`` (after :meth:`ensure_web_submit`); returns the jar id.

        ``filename`` (default: the file's own name) is the name Flink keeps: the jar id is ``<uuid>_<filename>``
        and ``GET /jars`` lists it as ``name``, so a caller can recognise its own uploads later.
        """
        self.ensure_web_submit()
        call = f"POST {PATH_JARS_UPLOAD}"
        with open(path, "rb") as fh:
            body = self._request("POST", PATH_JARS_UPLOAD,
                                 files={JAR_UPLOAD_FIELD: (filename or os.path.basename(path), fh,
                                                           JAR_CONTENT_TYPE)})
        filename = _get(body, "filename", call, types=str)
        jar_id = filename.replace("\\", "/").rsplit("/", 1)[-1]
        if not jar_id:
            raise FlinkRestError(f"Flink REST call {call} returned an unexpected body: field 'filename' "
                                 f"{filename!r} has no file name", call=call, errors=["bad filename"])
        return jar_id

    def list_jars(self) -> list[dict]:
        """``GET /jars``: ``[{"id", "name", "uploaded", "entry"}]`` for every uploaded jar."""
        return _get(self._request("GET", PATH_JARS), "files", f"GET {PATH_JARS}", types=list)

    def delete_jar(self, jar_id: str) -> None:
        """``DELETE /jars/{jarid}``; a jar that is already gone is fine.

        Flink 2.3 answers 400 "File <id> does not exist in <dir>" for an unknown jar (not 404); both count as gone.
        """
        try:
            self._request("DELETE", PATH_JAR.format(jar_id=quote(jar_id, safe="")), expect_json=False)
        except FlinkNotFoundError:
            pass
        except FlinkRestError as exc:
            if not (exc.status == 400 and any(JAR_MISSING_MARKER in e for e in exc.errors)):
                raise

    def run_jar(self, jar_id: str, *, job_id: str, entry_class: str | None = None, args: list[str] | None = None,
                parallelism: int | None = None, savepoint_path: str | None = None,
                allow_non_restored_state: bool = False, flink_configuration: dict[str, str] | None = None,
                claim_mode: str | None = None) -> str:
        """``POST /jars/{jarid}/run`` under the caller's ``job_id``; returns the job id. See :meth:`submit_jar`."""
        return self.submit_jar(jar_id, job_id=job_id, entry_class=entry_class, args=args, parallelism=parallelism,
                               savepoint_path=savepoint_path, allow_non_restored_state=allow_non_restored_state,
                               flink_configuration=flink_configuration, claim_mode=claim_mode).job_id

    def submit_jar(self, jar_id: str, *, job_id: str, entry_class: str | None = None,
                   args: list[str] | None = None, parallelism: int | None = None, savepoint_path: str | None = None,
                   allow_non_restored_state: bool = False, flink_configuration: dict[str, str] | None = None,
                   claim_mode: str | None = None) -> RunResult:
        """Run a jar exactly once per ``job_id``.

        If a job with ``job_id`` already exists (a previous attempt got through), nothing is posted and the result
        says ``duplicate=True``. The POST is never retried; after a transport error the job id is looked up again
        and, if the job exists, the run is reported as done (``duplicate=True``). Otherwise the transport error is
        raised and a retry with the same ``job_id`` is safe.
        """
        _check_id("job_id", job_id)
        if claim_mode is not None and claim_mode not in CLAIM_MODES:
            raise ValueError(f"claim_mode must be one of {sorted(CLAIM_MODES)}, got {claim_mode!r}")
        if parallelism is not None and parallelism < 1:
            raise ValueError(f"parallelism must be >= 1, got {parallelism}")
        if self.find_job(job_id) is not None:
            return RunResult(job_id, duplicate=True)
        body: dict[str, Any] = {"jobId": job_id, "programArgsList": list(args or []),
                                "allowNonRestoredState": bool(allow_non_restored_state)}
        if entry_class:
            body["entryClass"] = entry_class
        if parallelism is not None:
            body["parallelism"] = parallelism
        if savepoint_path:
            body["savepointPath"] = savepoint_path
        if flink_configuration:
            body["flinkConfiguration"] = {str(k): str(v) for k, v in flink_configuration.items()}
        if claim_mode:
            body["claimMode"] = claim_mode
        path = PATH_JAR_RUN.format(jar_id=quote(jar_id, safe=""))
        call = f"POST {path}"
        try:
            answer = self._request("POST", path, json_body=body)
        except FlinkUnreachableError as exc:
            try:
                existing = self.find_job(job_id)
            except FlinkRestError as lookup:
                raise FlinkUnreachableError(f"{exc}; checking whether job {job_id} was created anyway also "
                                            f"failed ({lookup}); retry with the same job id", call=exc.call,
                                            errors=exc.errors) from None
            if existing is None:
                raise FlinkUnreachableError(f"{exc}; no job {job_id} exists (yet), so retry with the same job id: "
                                            f"that is safe because Flink refuses a second job with one id",
                                            call=exc.call, errors=exc.errors) from None
            return RunResult(job_id, duplicate=True)
        returned = _get(answer, "jobid", call, types=str)
        if returned != job_id:
            raise FlinkRestError(f"Flink REST call {call} returned jobid {returned!r}, expected the requested "
                                 f"{job_id!r}", call=call, errors=["jobid mismatch"])
        return RunResult(job_id, duplicate=False)

    # --- jobs --------------------------------------------------------------------------------------------------
    def job(self, job_id: str) -> dict:
        """``GET /jobs/{jobid}``; FlinkNotFoundError when the cluster does not know the job."""
        path = PATH_JOB.format(job_id=_check_id("job_id", job_id))
        body = self._request("GET", path)
        _get(body, "state", f"GET {path}", types=str)
        return body

    def find_job(self, job_id: str) -> dict | None:
        """Like :meth:`job` but ``None`` on 404."""
        try:
            return self.job(job_id)
        except FlinkNotFoundError:
            return None

    def jobs_overview(self) -> list[dict]:
        """``GET /jobs/overview``: ``[{"jid", "name", "state", ...}]`` for every job the cluster keeps."""
        return _get(self._request("GET", PATH_JOBS_OVERVIEW), "jobs", f"GET {PATH_JOBS_OVERVIEW}", types=list)

    def checkpoints(self, job_id: str) -> dict:
        """``GET /jobs/{jobid}/checkpoints``: counts, latest completed/savepoint/failed/restored, history."""
        return self._request("GET", PATH_JOB_CHECKPOINTS.format(job_id=_check_id("job_id", job_id)))

    def checkpoint_config(self, job_id: str) -> dict:
        """``GET /jobs/{jobid}/checkpoints/config``: ``interval`` (ms), ``externalization`` (retention), ..."""
        return self._request("GET", PATH_JOB_CHECKPOINT_CONFIG.format(job_id=_check_id("job_id", job_id)))

    def trigger_checkpoint(self, job_id: str) -> str:
        """``POST /jobs/{jobid}/checkpoints``: a manual checkpoint; returns the trigger id (not awaited)."""
        path = PATH_JOB_CHECKPOINTS.format(job_id=_check_id("job_id", job_id))
        return _get(self._request("POST", path, json_body={}), "request-id", f"POST {path}", types=str)

    def cluster_config(self) -> dict[str, str]:
        """``GET /jobmanager/config`` as a ``{key: value}`` dict (the cluster's effective configuration)."""
        entries = self._request("GET", PATH_JOBMANAGER_CONFIG)
        if not isinstance(entries, list):
            call = f"GET {PATH_JOBMANAGER_CONFIG}"
            raise FlinkRestError(f"Flink REST call {call} returned an unexpected body: a {type(entries).__name__}, "
                                 "expected a list of {key, value}", call=call, errors=["not a list"])
        return {str(e["key"]): str(e.get("value")) for e in entries if isinstance(e, dict) and "key" in e}

    def exceptions(self, job_id: str) -> dict:
        """``GET /jobs/{jobid}/exceptions?maxExceptions=5``."""
        path = PATH_JOB_EXCEPTIONS.format(job_id=_check_id("job_id", job_id))
        return self._request("GET", path, params=EXCEPTIONS_QUERY)

    def root_cause(self, job_id: str) -> str | None:
        """A one-line summary of the newest entry in the job's exception history, or ``None``."""
        try:
            entries = (self.exceptions(job_id).get("exceptionHistory") or {}).get("entries") or []
        except FlinkRestError:
            return None
        if not entries or not isinstance(entries[0], dict):
            return None
        newest = entries[0]
        text = newest.get("stacktrace") or newest.get("exceptionName") or ""
        where = f" (in {newest['taskName']})" if newest.get("taskName") else ""
        return scrub(summarize_java_text(str(text)), self._secrets) + where or None

    def cancel(self, job_id: str) -> None:
        """``PATCH /jobs/{jobid}?mode=cancel`` (202). FlinkNotFoundError when the job is unknown."""
        path = PATH_JOB.format(job_id=_check_id("job_id", job_id))
        self._request("PATCH", path, params=CANCEL_QUERY, expect_json=False)

    # --- savepoints --------------------------------------------------------------------------------------------
    def trigger_stop(self, job_id: str, *, target_directory: str | None, drain: bool = False,
                     trigger_id: str) -> str:
        """``POST /jobs/{jobid}/stop`` (camelCase body); returns the trigger id Flink registered."""
        path = PATH_JOB_STOP.format(job_id=_check_id("job_id", job_id))
        body: dict[str, Any] = {"drain": bool(drain), "triggerId": _check_id("trigger_id", trigger_id)}
        if target_directory:
            body["targetDirectory"] = target_directory
        return self._trigger(path, body)

    def trigger_savepoint(self, job_id: str, *, target_directory: str | None, trigger_id: str,
                          cancel_job: bool = False) -> str:
        """``POST /jobs/{jobid}/savepoints`` (kebab-case body); returns the trigger id Flink registered."""
        path = PATH_JOB_SAVEPOINTS.format(job_id=_check_id("job_id", job_id))
        body: dict[str, Any] = {"cancel-job": bool(cancel_job), "triggerId": _check_id("trigger_id", trigger_id)}
        if target_directory:
            body["target-directory"] = target_directory
        return self._trigger(path, body)

    def _trigger(self, path: str, body: dict) -> str:
        call = f"POST {path}"
        try:
            answer = self._request("POST", path, json_body=body)
        except FlinkRestError as exc:
            if isinstance(exc, (FlinkUnreachableError, FlinkNotFoundError)):
                raise
            raise SavepointFailedError(f"{exc} (the savepoint was refused)", call=exc.call, status=exc.status,
                                       errors=exc.errors, failure=summarize_errors(exc.errors)) from None
        return _get(answer, "request-id", call, types=str)

    def savepoint_status(self, job_id: str, trigger_id: str) -> dict:
        """``GET /jobs/{jobid}/savepoints/{triggerid}``, raw (serves stop and savepoint triggers alike)."""
        path = PATH_JOB_SAVEPOINT_STATUS.format(job_id=_check_id("job_id", job_id),
                                                trigger_id=_check_id("trigger_id", trigger_id))
        return self._request("GET", path)

    def wait_savepoint(self, job_id: str, trigger_id: str, *, deadline_s: float,
                       poll_s: float = POLL_FIRST_S) -> str:
        """Poll a savepoint/stop trigger until it completes; returns ``operation.location``.

        COMPLETED with ``failure-cause`` raises SavepointFailedError; no completion within ``deadline_s`` raises
        OperationTimeoutError (the trigger id is in the message so the caller can resume polling).
        """
        path = PATH_JOB_SAVEPOINT_STATUS.format(job_id=job_id, trigger_id=trigger_id)
        call = f"GET {path}"
        end = time.monotonic() + deadline_s
        backoff = Backoff(min(poll_s, POLL_MAX_S))
        last: object = None
        while True:
            body = self.savepoint_status(job_id, trigger_id)
            last = _get(body, "status.id", call, types=str)
            if last == OPERATION_COMPLETED:
                operation = _get(body, "operation", call, types=dict)
                if operation.get("failure-cause") is not None:
                    failure = scrub(decode_failure_cause(operation["failure-cause"]), self._secrets)
                    raise SavepointFailedError(
                        f"Flink REST call {call}: savepoint {trigger_id} of job {job_id} failed: {failure}",
                        call=call, status=200, errors=[failure], failure=failure)
                return _get(operation, "location", call, types=str)
            if time.monotonic() >= end:
                raise OperationTimeoutError(
                    f"Flink REST call {call}: savepoint {trigger_id} of job {job_id} did not complete within "
                    f"{deadline_s} s (last status {last!r}); poll the same trigger id to resume",
                    call=call, last_state=last)
            backoff.sleep(end)

    def stop_with_savepoint(self, job_id: str, *, target_directory: str | None, drain: bool = False,
                            trigger_id: str | None = None, deadline_s: float = 120.0) -> str:
        """Stop the job with a savepoint and return its location. Re-use ``trigger_id`` on retry."""
        trigger_id = trigger_id or self.new_trigger_id()
        registered = self.trigger_stop(job_id, target_directory=target_directory, drain=drain,
                                       trigger_id=trigger_id)
        return self.wait_savepoint(job_id, registered, deadline_s=deadline_s)

    def savepoint(self, job_id: str, *, target_directory: str | None, trigger_id: str | None = None,
                  deadline_s: float = 120.0) -> str:
        """Take a savepoint of a running job (it keeps running) and return its location."""
        trigger_id = trigger_id or self.new_trigger_id()
        registered = self.trigger_savepoint(job_id, target_directory=target_directory, trigger_id=trigger_id)
        return self.wait_savepoint(job_id, registered, deadline_s=deadline_s)

    def latest_savepoint_location(self, job_id: str) -> str | None:
        """``latest.savepoint.external_path`` from the checkpoint statistics (works for finished jobs too)."""
        call = f"GET {PATH_JOB_CHECKPOINTS.format(job_id=job_id)}"
        return _get(self.checkpoints(job_id), "latest.savepoint.external_path", call, types=str, optional=True)

    # --- waits -------------------------------------------------------------------------------------------------
    def _terminal(self, job_id: str, state: str, wanted: str, call: str) -> JobStateError:
        cause = self.root_cause(job_id) if state != JOB_FINISHED else None
        why = f"; latest exception: {cause}" if cause else ""
        return JobStateError(f"Flink REST call {call}: job {job_id} reached terminal state {state} while waiting "
                             f"for {wanted}{why}", call=call, state=state, root_cause=cause)

    def wait_job_state(self, job_id: str, states: set[str], *, deadline_s: float,
                       poll_s: float = POLL_FIRST_S) -> dict:
        """Poll ``GET /jobs/{jobid}`` until its state is in ``states``; returns the job.

        A terminal state not in ``states`` raises JobStateError at once (with the root cause); the deadline
        raises OperationTimeoutError naming the last state.
        """
        call = f"GET {PATH_JOB.format(job_id=job_id)}"
        wanted = "/".join(sorted(states))
        end = time.monotonic() + deadline_s
        backoff = Backoff(min(poll_s, POLL_MAX_S))
        while True:
            job = self.job(job_id)
            state = job["state"]
            if state in states:
                return job
            if state in TERMINAL_JOB_STATES:
                raise self._terminal(job_id, state, wanted, call)
            if time.monotonic() >= end:
                raise OperationTimeoutError(f"Flink REST call {call}: job {job_id} did not reach {wanted} within "
                                            f"{deadline_s} s (last state {state})", call=call, last_state=state)
            backoff.sleep(end)

    def wait_all_vertices_running(self, job_id: str, *, deadline_s: float, poll_s: float = POLL_FIRST_S) -> dict:
        """Wait until the job is RUNNING and every vertex is RUNNING; returns the job.

        A terminal job state raises JobStateError with the root cause from ``/jobs/{id}/exceptions``; on the
        deadline the OperationTimeoutError names the job and vertex states and the latest root cause (a job that
        keeps restarting shows up here).
        """
        call = f"GET {PATH_JOB.format(job_id=job_id)}"
        end = time.monotonic() + deadline_s
        backoff = Backoff(min(poll_s, POLL_MAX_S))
        while True:
            job = self.job(job_id)
            state = job["state"]
            vertices = _get(job, "vertices", call, types=list)
            vertex_states = sorted({str(v.get("status")) for v in vertices if isinstance(v, dict)})
            if state == JOB_RUNNING and vertices and vertex_states == [JOB_RUNNING]:
                return job
            if state in TERMINAL_JOB_STATES:
                raise self._terminal(job_id, state, "all vertices RUNNING", call)
            if time.monotonic() >= end:
                cause = self.root_cause(job_id)
                why = f"; latest exception: {cause}" if cause else ""
                seen = f"job {state}, vertices {vertex_states}"
                raise OperationTimeoutError(f"Flink REST call {call}: job {job_id} did not get all vertices "
                                            f"RUNNING within {deadline_s} s (last seen {seen}){why}",
                                            call=call, last_state=seen)
            backoff.sleep(end)

    def wait_completed_checkpoint(self, job_id: str, *, after_id: int = -1, deadline_s: float,
                                  poll_s: float = POLL_FIRST_S) -> dict:
        """Wait until ``latest.completed.id > after_id``; returns ``latest.completed``.

        Raises JobStateError if the job ends meanwhile and OperationTimeoutError on the deadline.
        """
        call = f"GET {PATH_JOB_CHECKPOINTS.format(job_id=job_id)}"
        end = time.monotonic() + deadline_s
        backoff = Backoff(min(poll_s, POLL_MAX_S))
        while True:
            stats = self.checkpoints(job_id)
            completed = _get(stats, "latest.completed", call, types=dict, optional=True)
            if completed is not None and _get(completed, "id", call, types=int) > after_id:
                return completed
            state = self.job(job_id)["state"]
            if state in TERMINAL_JOB_STATES:
                raise self._terminal(job_id, state, f"a completed checkpoint after id {after_id}", call)
            if time.monotonic() >= end:
                counts = stats.get("counts") if isinstance(stats, dict) else None
                raise OperationTimeoutError(f"Flink REST call {call}: job {job_id} completed no checkpoint after "
                                            f"id {after_id} within {deadline_s} s (job {state}, counts {counts})",
                                            call=call, last_state=counts)
            backoff.sleep(end)
