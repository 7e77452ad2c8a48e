"""Run a real Flink 2.3 standalone session cluster on 127.0.0.1 from the ``apache-flink-libraries`` wheel.

``python -m tools.flink_local start|stop|status|kill-jobmanager [--dir DIR] [--rest-port N]``

One JobManager (StandaloneSessionClusterEntrypoint) and one TaskManager (TaskManagerRunner) are started directly
with the system Java 17 (JAVA_HOME or ``java`` on PATH), each in its own process group with its log and stdout in
``<dir>/log``. ``start`` waits until ``GET /overview`` shows a TaskManager with free slots, prints the REST URL and
writes ``<dir>/cluster.json`` (pids, ports, URL); if any step fails it kills what it started and shows the log
tails. ``stop`` ends both process groups (SIGTERM, SIGKILL after a grace period) and removes the state file.
``status`` prints running/stopped/degraded and the URL; it exits 0 only when the cluster is running.
``kill-jobmanager`` SIGKILLs only the JobManager (the "JobManager down" fault).

The cluster has 4 slots (a job, its upgraded/restored successor and one more job fit at parallelism 1), a 1 s
checkpoint interval, checkpoint/savepoint directories as ``file://`` under the dir, and the REST caches for
``/jobs/:id`` and ``/jobs/:id/checkpoints`` set to 0 ms so pollers see fresh state. The caches are 0 ms for the CLI
too; ``--flink-default-caches`` (``fresh_rest_caches=False``) keeps Flink's 3 s production defaults.

The JVMs run with ``-XX:TieredStopAtLevel=1`` and AppCDS archives cached in ``build/flink-cds`` (see
:mod:`testbed.flink.cds`; the first start trains them, ``--no-cds`` / ``cds_dir=None`` turns this off).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from flink_rest.client import PATH_OVERVIEW, RestEndpoint
from testbed.flink import cds
from testbed.flink import config as cfg
from testbed.flink.prereqs import PrerequisiteError, find_flink_jars, find_java_tool
from testbed.process_groups import cmdline, is_alive, kill_groups, terminate_groups

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = PROJECT_ROOT / ".flink-local"
#: Where AppCDS archives are cached between runs (git-ignored ``build/``); ``cds_dir=None`` disables AppCDS.
DEFAULT_CDS_DIR = PROJECT_ROOT / "build" / "flink-cds"
DEFAULT_SLOTS = 4
DEFAULT_START_DEADLINE_S = 90.0
DEFAULT_STOP_GRACE_S = 10.0
LOG_TAIL_LINES = 40
ROLES = ("jobmanager", "taskmanager")

__all__ = ["ClusterStatus", "FlinkLocalCluster", "FlinkLocalError", "PrerequisiteError", "main"]


class FlinkLocalError(RuntimeError):
    """The local cluster could not be started or controlled; the message includes the log tails when useful."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((cfg.LOOPBACK, 0))
        return sock.getsockname()[1]


class ClusterStatus(dict):
    """``{"state": "running"|"degraded"|"stopped", "url", "pids": {role: pid}, "alive": {role: bool}}``."""

    @property
    def running(self) -> bool:
        return self["state"] == "running"


class FlinkLocalCluster:
    """A local session cluster rooted at ``work_dir``. ``start()``/``stop()`` or use it as a context manager.

    ``stop()``, ``status()`` and ``kill_jobmanager()`` also work on a cluster started by another process (they read
    the state file and only signal processes whose command line names this work dir).
    """

    def __init__(self, work_dir: str | Path = DEFAULT_DIR, *, rest_port: int | None = None, slots: int = DEFAULT_SLOTS,
                 checkpoint_interval: str = "1 s", fresh_rest_caches: bool = True,
                 extra_config: dict[str, str] | None = None, start_deadline_s: float = DEFAULT_START_DEADLINE_S,
                 cds_dir: str | Path | None = DEFAULT_CDS_DIR):
        self.layout = cfg.ClusterLayout(Path(work_dir).resolve())
        self._requested_rest_port = rest_port
        self.slots = slots
        self.checkpoint_interval = checkpoint_interval
        self.fresh_rest_caches = fresh_rest_caches
        self.extra_config = dict(extra_config or {})
        self.start_deadline_s = start_deadline_s
        self.cds_dir = Path(cds_dir) if cds_dir is not None else None
        self._cds_training: dict[str, list[str]] = {}
        self._procs: dict[str, subprocess.Popen] = {}
        self.rest_port: int | None = None

    # --- paths -------------------------------------------------------------------------------------------------
    @property
    def work_dir(self) -> Path:
        """Root of everything the cluster writes."""
        return self.layout.work_dir

    @property
    def log_dir(self) -> Path:
        """``<role>.log`` (log4j) and ``<role>.out`` (stdout/stderr) of both JVMs."""
        return self.layout.log_dir

    @property
    def savepoint_dir(self) -> Path:
        """Default savepoint directory (``execution.checkpointing.savepoint-dir``) as a local path."""
        return self.layout.savepoint_dir

    @property
    def checkpoint_dir(self) -> Path:
        """Checkpoint directory (``execution.checkpointing.dir``) as a local path."""
        return self.layout.checkpoint_dir

    @property
    def rest_url(self) -> str:
        """``http://127.0.0.1:<rest port>`` of the running cluster."""
        port = self.rest_port or self._read_state().get("rest_port")
        if not port:
            raise FlinkLocalError(f"no cluster state in {self.layout.state_file}; start the cluster first")
        return f"http://{cfg.LOOPBACK}:{port}"

    def endpoint(self, **kwargs) -> RestEndpoint:
        """A RestEndpoint for this cluster (keyword arguments are passed on, e.g. ``timeout_s``)."""
        return RestEndpoint(self.rest_url, **kwargs)

    # --- state file --------------------------------------------------------------------------------------------
    def _read_state(self) -> dict:
        try:
            return json.loads(self.layout.state_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def _owned_pids(self, state: dict) -> dict[str, int]:
        """Pids from the state file that are alive and really are this cluster's JVMs (pid reuse guard)."""
        pids = {}
        for role in ROLES:
            pid = state.get("pids", {}).get(role)
            if pid and is_alive(pid) and str(self.layout.conf_dir) in cmdline(pid):
                pids[role] = pid
        return pids

    # --- lifecycle ---------------------------------------------------------------------------------------------
    def start(self) -> FlinkLocalCluster:
        """Start both JVMs and wait until the TaskManager has registered with free slots."""
        java = find_java_tool("java")
        jars = find_flink_jars()
        state = self._read_state()
        if self._owned_pids(state):
            raise FlinkLocalError(f"a cluster is already running in {self.work_dir} at {state.get('url')}; "
                                  f"stop it first (python -m tools.flink_local stop --dir {self.work_dir})")
        self.layout.create()
        for old in self.layout.log_dir.iterdir():
            old.unlink()
        self.rest_port = self._requested_rest_port or free_port()
        rpc_port = free_port()
        config = cfg.cluster_config(self.layout, rest_port=self.rest_port, rpc_port=rpc_port, slots=self.slots,
                                    checkpoint_interval=self.checkpoint_interval,
                                    fresh_rest_caches=self.fresh_rest_caches, extra=self.extra_config)
        cfg.write_config(self.layout, config)
        try:
            jm_params, tm_params = self._resource_params(java, jars)
            base = [java, *cfg.JAVA17_MODULE_FLAGS, *cfg.FAST_START_FLAGS]
            tail = ["-classpath", jars.classpath]
            conf = ["--configDir", str(self.layout.conf_dir)]
            for role, main_class, (jvm_opts, dynamic) in (("jobmanager", cfg.JOBMANAGER_MAIN, jm_params),
                                                          ("taskmanager", cfg.TASKMANAGER_MAIN, tm_params)):
                flags = [*base, *jvm_opts]
                self._spawn(role, [*flags, *self._cds_flags(role, java, jars.classpath, flags),
                                   *cfg.log_flags(self.layout, role), *tail, main_class, *conf, *dynamic])
            self._write_state(rpc_port)
            self._wait_ready()
        except BaseException as exc:
            tails = self.log_tails()
            self._terminate(grace_s=2.0)
            if isinstance(exc, FlinkLocalError):
                raise FlinkLocalError(f"{exc}\n{tails}") from None
            if isinstance(exc, Exception):
                raise FlinkLocalError(f"starting the Flink cluster in {self.work_dir} failed: "
                                      f"{type(exc).__name__}: {exc}\n{tails}") from exc
            raise
        return self

    def _resource_params(self, java: str, jars) -> tuple[tuple[list[str], list[str]], tuple[list[str], list[str]]]:
        """Run BashJavaUtils for the JobManager and the TaskManager in parallel; returns their parameters."""
        classpath = os.pathsep.join([str(jars.bash_java_utils), str(jars.dist)])
        runs = {}
        for command in (cfg.BASH_JAVA_UTILS_JM_PARAMS, cfg.BASH_JAVA_UTILS_TM_PARAMS):
            runs[command] = subprocess.Popen(
                [java, *cfg.FAST_START_FLAGS, "-classpath", classpath, cfg.BASH_JAVA_UTILS_MAIN, command,
                 "--configDir", str(self.layout.conf_dir)],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        results = {}
        for command, proc in runs.items():
            out, _ = proc.communicate(timeout=60)
            try:
                results[command] = cfg.parse_bash_java_utils(out)
            except ValueError as exc:
                raise FlinkLocalError(f"BashJavaUtils {command} (exit {proc.returncode}) gave no resource "
                                      f"parameters: {exc}; output tail:\n{out[-2000:]}") from None
        return results[cfg.BASH_JAVA_UTILS_JM_PARAMS], results[cfg.BASH_JAVA_UTILS_TM_PARAMS]

    def _cds_flags(self, role: str, java: str, classpath: str, flags: list[str]) -> list[str]:
        if self.cds_dir is None:
            return []
        extra, training = cds.jvm_flags(self.cds_dir, role, cds.archive_key(java, classpath, flags))
        if training:
            self._cds_training[role] = list(training)
        return extra

    def _spawn(self, role: str, argv: list[str]) -> None:
        with open(self.layout.log_dir / f"{role}.out", "ab") as out:
            self._procs[role] = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                                 start_new_session=True, cwd=self.work_dir)

    def _write_state(self, rpc_port: int) -> None:
        state = {"url": self.rest_url, "rest_port": self.rest_port, "rpc_port": rpc_port,
                 "pids": {role: p.pid for role, p in self._procs.items()}, "started_at": time.time(),
                 "cds_training": self._cds_training}
        self.layout.state_file.write_text(json.dumps(state, indent=2) + "\n")

    def _wait_ready(self) -> None:
        url = self.rest_url + PATH_OVERVIEW
        end = time.monotonic() + self.start_deadline_s
        last = "no answer yet"
        with requests.Session() as session:
            session.trust_env = False
            while True:
                for role, proc in self._procs.items():
                    if proc.poll() is not None:
                        raise FlinkLocalError(f"the {role} exited with code {proc.returncode} during start")
                try:
                    body = session.get(url, timeout=2).json()
                    last = (f"taskmanagers={body.get('taskmanagers')} "
                            f"slots-available={body.get('slots-available')}")
                    if body.get("taskmanagers", 0) >= 1 and body.get("slots-available", 0) >= 1:
                        return
                except (requests.RequestException, ValueError) as exc:
                    last = type(exc).__name__
                if time.monotonic() >= end:
                    raise FlinkLocalError(f"GET {url} did not show a TaskManager with free slots within "
                                          f"{self.start_deadline_s} s (last: {last})")
                time.sleep(0.1)

    def _terminate(self, *, grace_s: float) -> list[int]:
        state = self._read_state()
        pids = self._owned_pids(state)
        pids.update({role: p.pid for role, p in self._procs.items() if p.poll() is None})
        survivors, forced = terminate_groups(list(pids.values()), grace_s=grace_s, reap=list(self._procs.values()))
        self._procs.clear()
        training = {**state.get("cds_training", {}), **self._cds_training}
        for role in list(training) if forced else ():
            cds.discard(training, role)  # a SIGKILLed JVM may have left a half-written archive
        cds.promote(training)
        self._cds_training = {}
        self.layout.state_file.unlink(missing_ok=True)
        return survivors

    def stop(self, grace_s: float = DEFAULT_STOP_GRACE_S) -> None:
        """Stop both JVMs (SIGTERM, then SIGKILL after ``grace_s``) and remove the state file."""
        survivors = self._terminate(grace_s=grace_s)
        if survivors:
            raise FlinkLocalError(f"processes {survivors} of the cluster in {self.work_dir} survived SIGKILL")

    def kill_jobmanager(self) -> None:
        """SIGKILL only the JobManager's process group; the TaskManager keeps running until :meth:`stop`."""
        pid = self._owned_pids(self._read_state()).get("jobmanager")
        if pid is None:
            raise FlinkLocalError(f"no running JobManager in {self.work_dir}")
        survivors = kill_groups([pid], reap=[p for p in self._procs.values() if p.pid == pid])
        if survivors:
            raise FlinkLocalError(f"JobManager processes {survivors} survived SIGKILL")
        state = self._read_state()
        for training in (state.setdefault("cds_training", {}), self._cds_training):
            cds.discard(training, "jobmanager")
        self.layout.state_file.write_text(json.dumps(state, indent=2) + "\n")

    def status(self) -> ClusterStatus:
        """Which JVMs of this work dir are alive, and the URL."""
        state = self._read_state()
        alive = self._owned_pids(state)
        if not alive:
            kind = "stopped"
        elif len(alive) == len(ROLES):
            kind = "running"
        else:
            kind = "degraded"
        return ClusterStatus(state=kind, url=state.get("url"), pids=state.get("pids", {}),
                             alive={role: role in alive for role in ROLES})

    def log_tails(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of every file in the log dir, each under a header."""
        parts = []
        for path in sorted(self.log_dir.glob("*")) if self.log_dir.is_dir() else []:
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"----- {path} (last {len(text)} lines) -----\n" + "\n".join(text))
        return "\n".join(parts) or f"(no logs in {self.log_dir})"

    def __enter__(self) -> FlinkLocalCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m tools.flink_local", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "kill-jobmanager"])
    parser.add_argument("--dir", default=str(DEFAULT_DIR), help="work dir (default: .flink-local in the project)")
    parser.add_argument("--rest-port", type=int, default=None, help="REST port (default: a free port)")
    parser.add_argument("--slots", type=int, default=DEFAULT_SLOTS)
    parser.add_argument("--flink-default-caches", action="store_true",
                        help="keep Flink's 3 s REST caches for /jobs/:id (default: 0 ms, fresh state)")
    parser.add_argument("--deadline", type=float, default=DEFAULT_START_DEADLINE_S, help="start deadline (s)")
    parser.add_argument("--no-cds", action="store_true", help=f"do not use AppCDS archives ({DEFAULT_CDS_DIR})")
    args = parser.parse_args(argv)
    cluster = FlinkLocalCluster(args.dir, rest_port=args.rest_port, slots=args.slots,
                                fresh_rest_caches=not args.flink_default_caches, start_deadline_s=args.deadline,
                                cds_dir=None if args.no_cds else DEFAULT_CDS_DIR)
    try:
        if args.command == "start":
            cluster.start()
            print(cluster.rest_url)
        elif args.command == "stop":
            cluster.stop()
            print(f"stopped ({cluster.work_dir})")
        elif args.command == "kill-jobmanager":
            cluster.kill_jobmanager()
            print("jobmanager killed")
        else:
            status = cluster.status()
            down = [role for role, ok in status["alive"].items() if not ok]
            detail = f" ({', '.join(down)} not running)" if status["state"] == "degraded" else ""
            print(f"{status['state']}{detail} {status['url'] or ''}".rstrip())
            return 0 if status.running else 1
    except (FlinkLocalError, PrerequisiteError) as exc:
        print(f"flink_local {args.command} failed: {exc}", file=sys.stderr)
        return 1
    return 0
