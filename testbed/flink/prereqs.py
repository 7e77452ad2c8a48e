"""Locate what a local Flink needs: Java 17+ (``java``, ``javac``, ``jar``) and the jars of the PyPI wheel.

The jars come from ``apache-flink-libraries`` (``pyflink/lib/*.jar`` and ``pyflink/bin/bash-java-utils.jar``),
found through ``importlib.util.find_spec("pyflink")``. A missing piece raises :class:`PrerequisiteError` whose
message says how to install it; nothing here skips or degrades silently.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: The wheel that carries the Flink jars, pinned to the Flink version the platform targets.
FLINK_LIBRARIES_REQUIREMENT = "apache-flink-libraries==2.3.0"
FLINK_DIST_GLOB = "flink-dist-*.jar"
#: log4j jars a JVM needs next to flink-dist (the rest of pyflink/lib is for the Table API and Python).
LOG4J_JAR_GLOBS = ("log4j-api-*.jar", "log4j-core-*.jar", "log4j-slf4j-impl-*.jar", "log4j-1.2-api-*.jar")
BASH_JAVA_UTILS_JAR = "bash-java-utils.jar"
MIN_JAVA_MAJOR = 17
JAVA_INSTALL_HINT = "apt-get install openjdk-17-jdk-headless (or set JAVA_HOME to a JDK 17+)"
JARS_INSTALL_HINT = f"pip install {FLINK_LIBRARIES_REQUIREMENT} into the project venv (or run `make test`)"


class PrerequisiteError(RuntimeError):
    """Java or the Flink jars are missing; the message says how to install them."""


@dataclass(frozen=True)
class FlinkJars:
    """Paths of the jars taken from the ``apache-flink-libraries`` wheel."""

    lib_dir: Path
    dist: Path
    log4j: tuple[Path, ...]
    bash_java_utils: Path

    @property
    def classpath(self) -> str:
        """Classpath for a JobManager or TaskManager: flink-dist plus the log4j jars."""
        return os.pathsep.join(str(p) for p in (*self.log4j, self.dist))


def _tool(name: str) -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if not found:
        where = f"$JAVA_HOME/bin/{name} ({java_home}) or " if java_home else ""
        raise PrerequisiteError(f"`{name}` not found (looked at {where}PATH); install a JDK: {JAVA_INSTALL_HINT}")
    return found


@lru_cache(maxsize=None)
def find_java_tool(name: str = "java") -> str:
    """Path of ``java``/``javac``/``jar`` from JAVA_HOME or PATH, checked to be Java 17 or newer."""
    path = _tool(name)
    try:  # `java --version` -> "openjdk 17.0.15 ...", `javac --version` -> "javac 17.0.15", `jar` alike
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrerequisiteError(f"`{path} --version` failed ({exc}); install a JDK: {JAVA_INSTALL_HINT}") from exc
    text = out.stdout + out.stderr
    match = re.search(r"\s(\d+)(?:[.\s+-]|$)", text) if out.returncode == 0 else None
    major = int(match.group(1)) if match else 0
    if major < MIN_JAVA_MAJOR:
        raise PrerequisiteError(f"`{path}` is Java {major or 'unknown'} ({text.strip()[:80]!r}); Flink 2.3 here "
                                f"needs Java {MIN_JAVA_MAJOR}+: {JAVA_INSTALL_HINT}")
    return path


@lru_cache(maxsize=None)
def find_flink_jars() -> FlinkJars:
    """The Flink jars of the installed ``apache-flink-libraries`` wheel."""
    spec = importlib.util.find_spec("pyflink")
    if spec is None or not spec.submodule_search_locations:
        raise PrerequisiteError(f"Python package `pyflink` (the Flink jars) is not installed: {JARS_INSTALL_HINT}")
    root = Path(next(iter(spec.submodule_search_locations)))
    lib_dir, bin_dir = root / "lib", root / "bin"
    dists = sorted(lib_dir.glob(FLINK_DIST_GLOB))
    log4j = [next(iter(sorted(lib_dir.glob(g))), None) for g in LOG4J_JAR_GLOBS]
    utils = bin_dir / BASH_JAVA_UTILS_JAR
    missing = ([FLINK_DIST_GLOB] if not dists else []) + [g for g, p in zip(LOG4J_JAR_GLOBS, log4j) if p is None]
    missing += [] if utils.is_file() else [f"bin/{BASH_JAVA_UTILS_JAR}"]
    if missing:
        raise PrerequisiteError(f"pyflink at {root} lacks {missing}: {JARS_INSTALL_HINT}")
    return FlinkJars(lib_dir=lib_dir, dist=dists[-1], log4j=tuple(p for p in log4j if p), bash_java_utils=utils)
