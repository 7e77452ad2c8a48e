"""Build and run the validator oracle (``tests/policies/oracle/ValidatorOracle.java``) as one long-lived JVM.

Build (once per source/pom change, into ``build/validator-oracle/`` under the project root): ``mvn -q -B
dependency:copy-dependencies`` with the committed ``pom.xml`` (Maven Central; downloads go to ``~/.m2``), then
``javac --release 17``. Run: ``java -cp classes:lib/* ValidatorOracle``, which prints ``READY`` and then answers one
line (``OK`` / ``ERR <message>``) per JSON request line. A missing JDK or Maven is an error that says how to
install them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Mapping

from testbed.flink.prereqs import PrerequisiteError, find_java_tool

SOURCE_DIR = Path(__file__).resolve().parent / "oracle"
BUILD_DIR = Path(__file__).resolve().parents[2] / "build" / "validator-oracle"
MAIN_CLASS = "ValidatorOracle"
MAVEN_HINT = "install Maven ('apt-get install maven', or run `bash tools/ensure_system_deps.sh` as root)"


class OracleBuildError(RuntimeError):
    pass


def _digest() -> str:
    h = hashlib.sha256()
    for path in sorted(SOURCE_DIR.iterdir()):
        if path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def build(build_dir: Path = BUILD_DIR) -> Path:
    """Compile the oracle (skipped when the stamp matches the sources); returns the build directory."""
    digest = _digest()
    stamp = build_dir / "stamp"
    if stamp.exists() and stamp.read_text().strip() == digest:
        return build_dir
    mvn = shutil.which("mvn")
    if not mvn:
        raise PrerequisiteError(f"`mvn` not found on PATH: {MAVEN_HINT}")
    javac = find_java_tool("javac")
    if build_dir.exists():
        shutil.rmtree(build_dir)
    lib, classes = build_dir / "lib", build_dir / "classes"
    classes.mkdir(parents=True)
    steps = [
        [mvn, "-q", "-B", "-f", str(SOURCE_DIR / "pom.xml"), "dependency:copy-dependencies",
         f"-DoutputDirectory={lib}", "-DincludeScope=runtime"],
        [javac, "--release", "17", "-nowarn", "-cp", f"{lib}/*", "-d", str(classes),
         str(SOURCE_DIR / f"{MAIN_CLASS}.java")],
    ]
    for argv in steps:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
        if out.returncode != 0:
            raise OracleBuildError(f"{' '.join(argv[:6])} ... failed (exit {out.returncode}):\n"
                                   f"{(out.stdout + out.stderr)[-4000:]}")
    stamp.write_text(digest + "\n")
    return build_dir


class ValidatorOracle:
    """The JVM, started once; ``verdict(kind, resource, cluster=None)`` → None (accepted) or the error."""

    def __init__(self, build_dir: Path):
        java = find_java_tool("java")
        self.proc = subprocess.Popen(
            [java, "-Xss4m", "-cp", f"{build_dir / 'classes'}:{build_dir / 'lib'}/*", MAIN_CLASS],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
        )
        ready = self.proc.stdout.readline().strip()
        if ready != "READY":
            self.close()
            raise OracleBuildError(f"the validator oracle did not start (printed {ready!r})")

    def verdict(self, kind: str, resource: Mapping[str, Any], cluster: Mapping[str, Any] | None = None,
                target_exists: bool = True) -> str | None:
        request = {"kind": kind, "resource": resource, "cluster": cluster, "targetExists": target_exists}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise OracleBuildError("the validator oracle exited")
        line = line.rstrip("\n")
        return None if line == "OK" else line.removeprefix("ERR ")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream and not stream.closed:
                stream.close()
