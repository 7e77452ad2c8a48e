"""The operator's own ``DefaultValidator`` (1.15.0, built from ``../shared``) in one long-lived JVM, for the tests.

The harness is the project's own small main class, ``testbed/operator/ValidatorHarness.java``, compiled with
``javac`` against the built operator's ``lib/`` jars and cached like the other builds: in
``<cache>/validator-harness/<key>/`` (``classes/``, ``log4j2.properties``, ``build.json``), where the key digests the
Java source, the operator build's own key and the ``javac`` version; built under a lock into a temporary directory
renamed into place. It speaks a line protocol on stdin/stdout (see the Java class): one JSON request per line, one
:class:`Verdict` per line, in order.

Each JVM gets a run directory (a fresh temporary one unless given): ``jvm.log`` (its stderr, the log4j output
included), ``hosts`` and one ``config-<name>/config.yaml`` per operator config. The validator resolves jar hosts with
``InetAddress``; the JVM runs with ``-Djdk.net.hosts.file=<run>/hosts`` so names resolve only through that file
(:data:`HOSTS`: ``repo1.maven.org`` to a public address, ``artifacts.acme.internal`` to a private one, anything else
does not resolve): the same answer on every machine, with or without DNS.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from testbed.flink.prereqs import find_java_tool
from testbed.go_build import cache_root
from testbed.maven_build import STAMP
from testbed.operator import build

SOURCE = Path(__file__).resolve().parent / "ValidatorHarness.java"
MAIN_CLASS = "ValidatorHarness"
KIND = "validator-harness"
START_TIMEOUT_S = 180
ANSWER_TIMEOUT_S = 120

#: The name → address table the JVM resolves jar hosts with (nothing else resolves).
HOSTS: dict[str, str] = {
    "localhost": "127.0.0.1",
    "repo1.maven.org": "151.101.0.209",  # public (Maven Central's CDN)
    "artifacts.acme.internal": "10.20.30.40",  # a private (site-local) address, as internal artifact servers have
}

#: Log4j 2 configuration of the JVM: warnings and errors to stderr (the run directory's jvm.log), never stdout.
LOG4J2_PROPERTIES = """\
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = StdErr
appender.stderr.name = StdErr
appender.stderr.type = Console
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n
"""


class ValidatorHarnessError(RuntimeError):
    """A step of building or running the harness failed; the message names the step and its log."""


@dataclass(frozen=True)
class Verdict:
    """The validator's answer: ``error`` None when it accepts; ``exception`` when the operator's code threw."""

    error: str | None
    exception: bool = False

    @property
    def accepted(self) -> bool:
        return self.error is None

    @classmethod
    def parse(cls, line: str) -> "Verdict":
        line = line.rstrip("\r\n")
        if line == "OK":
            return cls(None)
        tag, _, text = line.partition(" ")
        if tag not in ("ERR", "EXC"):
            raise ValidatorHarnessError(f"the validator JVM answered {line[:300]!r} (not OK/ERR/EXC)")
        return cls(_unescape(text), exception=tag == "EXC")


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append({"n": "\n", "r": "\r"}.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


# --- requests ----------------------------------------------------------------------------------------------------


def deployment(fd: Mapping[str, Any], *, config: str | None = None) -> dict[str, Any]:
    return _request("FlinkDeployment", fd, config)


def session_job(fsj: Mapping[str, Any], session_fd: Mapping[str, Any] | None = None,
                config: str | None = None) -> dict[str, Any]:
    """A FlinkSessionJob, with its session cluster when given (``validateSessionJobWithCluster`` runs only then)."""
    return {**_request("FlinkSessionJob", fsj, config), "session": session_fd}


def blue_green(fbg: Mapping[str, Any], *, config: str | None = None) -> dict[str, Any]:
    return _request("FlinkBlueGreenDeployment", fbg, config)


def snapshot(fss: Mapping[str, Any], target_exists: bool = True, *, config: str | None = None) -> dict[str, Any]:
    return {**_request("FlinkStateSnapshot", fss, config), "targetExists": target_exists}


def _request(kind: str, resource: Mapping[str, Any], config: str | None) -> dict[str, Any]:
    return {"kind": kind, "resource": resource, "config": config or ""}


_BY_KIND = {"FlinkDeployment": deployment, "FlinkSessionJob": session_job, "FlinkBlueGreenDeployment": blue_green,
            "FlinkStateSnapshot": snapshot}


# --- the harness build -------------------------------------------------------------------------------------------


def _harness_key(home: Path, javac: str) -> str:
    version = subprocess.run([javac, "--version"], capture_output=True, text=True, timeout=60)
    stamp = json.loads((home / STAMP).read_text())
    digest = hashlib.sha256()
    for part in (SOURCE.read_bytes(), LOG4J2_PROPERTIES.encode(), stamp["key"].encode(),
                 (version.stdout + version.stderr).encode()):
        digest.update(part + b"\0")
    return digest.hexdigest()


def ensure_harness_built(home: Path | None = None) -> Path:
    """The compiled harness (``classes/`` and ``log4j2.properties``), built first if needed."""
    home = home or build.ensure_operator_built()
    javac = find_java_tool("javac")
    key = _harness_key(home, javac)
    dest = cache_root() / KIND / key[:16]
    if (dest / STAMP).exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / f".{key[:16]}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (dest / STAMP).exists():
            return dest
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:16]}.tmp-", dir=dest.parent))
        try:
            started = time.monotonic()
            (tmp / "classes").mkdir()
            (tmp / "log4j2.properties").write_text(LOG4J2_PROPERTIES)
            argv = [javac, "--release", "17", "-nowarn", "-encoding", "UTF-8", "-cp",
                    ":".join(build.classpath(home)), "-d", str(tmp / "classes"), str(SOURCE)]
            done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
            if done.returncode != 0:
                log = dest.parent / f"{key[:16]}-javac.log"
                log.write_text(done.stdout + done.stderr)
                raise ValidatorHarnessError(f"compiling {SOURCE.name} failed (exit {done.returncode}; log {log}):\n"
                                            f"{(done.stdout + done.stderr)[-3000:]}")
            (tmp / STAMP).write_text(json.dumps({"key": key, "operator": str(home),
                                                 "seconds": round(time.monotonic() - started, 1)}, indent=2) + "\n")
            tmp.rename(dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


# --- the JVM -----------------------------------------------------------------------------------------------------


class OperatorValidator:
    """One JVM running ``DefaultValidator``; :meth:`judge` many resources at once, :meth:`close` (or ``with``) ends it.

    ``harness``: a compiled harness directory (default: built from this checkout); ``home``: the built operator
    (default: its cache directory); ``run_dir``: where jvm.log, the hosts file and the configs go (default: a fresh
    temporary directory, removed by :meth:`close` unless the JVM failed).
    """

    def __init__(self, harness: Path | None = None, *, home: Path | None = None, run_dir: Path | None = None,
                 hosts: Mapping[str, str] | None = None):
        if harness is None:
            home = home or build.ensure_operator_built()
            harness = ensure_harness_built(home)
        home = home or build.RECIPE.dest
        self._own_run_dir = run_dir is None
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="operator-validator-"))
        self.log = self.run_dir / "jvm.log"
        self._lock = threading.Lock()
        self._configs: set[str] = set()
        self._failed = False
        hosts_file = self.run_dir / "hosts"
        hosts_file.write_text("".join(f"{addr} {name}\n" for name, addr in (hosts or HOSTS).items()))
        default = self._write_config("default", "")
        argv = [find_java_tool("java"), "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                f"-Djdk.net.hosts.file={hosts_file}",
                f"-Dlog4j.configurationFile={Path(harness) / 'log4j2.properties'}",
                "-cp", ":".join([str(Path(harness) / "classes"), *build.classpath(home)]), MAIN_CLASS, str(default)]
        self._log_handle = open(self.log, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log_handle,
                                     text=True, encoding="utf-8", bufsize=1, start_new_session=True)
        ready = self._read_line("starting the validator JVM", START_TIMEOUT_S)
        if ready.strip() != "READY":
            self._fail("starting the validator JVM", f"it printed {ready[:200]!r} instead of READY")

    # The JVM's stdout is read on a helper thread so a hung JVM is a timeout, not a hung test.
    def _read_line(self, step: str, timeout: float) -> str:
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            self._fail(step, f"no answer within {timeout:.0f} s")
        if not box or not box[0]:
            try:
                code = self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                code = None
            self._fail(step, f"the JVM exited (code {code})")
        return box[0]

    def _fail(self, step: str, what: str) -> None:
        self._failed = True
        self.close()
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        raise ValidatorHarnessError(f"{step} failed: {what}; its log {self.log} ends:\n{tail}")

    def _write_config(self, name: str, config_yaml: str) -> Path:
        folder = self.run_dir / f"config-{name}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.yaml").write_text(config_yaml)
        return folder

    def add_config(self, name: str, config_yaml: str) -> None:
        """An operator config (the text of its ``config.yaml``), loaded as the operator loads ``$FLINK_CONF_DIR``;
        requests with ``config=name`` are judged under it."""
        folder = self._write_config(f"named-{hashlib.sha256(name.encode()).hexdigest()[:12]}", config_yaml)
        [verdict] = self._exchange([{"op": "config", "name": name, "dir": str(folder)}], f"loading config {name!r}")
        if not verdict.accepted:
            raise ValidatorHarnessError(f"loading the operator config {name!r} failed: {verdict.error} "
                                        f"(log {self.log})")
        self._configs.add(name)

    def judge(self, requests: Iterable[Mapping[str, Any]]) -> list[Verdict]:
        """The validator's verdict on each request (see :func:`deployment` and friends), in order."""
        return self._exchange(list(requests), "validating")

    def verdict(self, resource: Mapping[str, Any], **kwargs: Any) -> Verdict:
        """One resource, judged as its kind is (a FlinkSessionJob without its cluster unless ``session_fd``)."""
        return self.judge([_BY_KIND[resource["kind"]](resource, **kwargs)])[0]

    def _exchange(self, requests: Sequence[Mapping[str, Any]], step: str) -> list[Verdict]:
        with self._lock:
            if self.proc.poll() is not None:
                self._fail(step, f"the JVM had exited (code {self.proc.returncode})")
            lines = [json.dumps(r) + "\n" for r in requests]
            # Write on a thread while reading here: neither pipe can fill up and block both sides.
            writer = threading.Thread(target=self._write_all, args=(lines,), daemon=True)
            writer.start()
            answers = [Verdict.parse(self._read_line(step, ANSWER_TIMEOUT_S)) for _ in lines]
            writer.join()
            return answers

    def _write_all(self, lines: list[str]) -> None:
        try:
            for line in lines:
                self.proc.stdin.write(line)
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass  # the reader reports the exit

    def close(self) -> None:
        proc = getattr(self, "proc", None)
        if proc is not None:
            if proc.poll() is None:
                try:
                    proc.stdin.close()
                except (BrokenPipeError, OSError):
                    pass
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, 9)
                    proc.wait(timeout=15)
            for stream in (proc.stdin, proc.stdout):
                try:
                    stream.close()
                except (BrokenPipeError, OSError):
                    pass
        handle = getattr(self, "_log_handle", None)
        if handle is not None and not handle.closed:
            handle.close()
        if self._own_run_dir and not self._failed:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> "OperatorValidator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
