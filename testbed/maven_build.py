"""Build a Maven project from a source tree (``../shared``), cached per version like :mod:`testbed.go_build`.

The source tree is copied into a scratch directory (the shared copy is read-only and stays untouched), built with
``mvn -B ... install`` under ``nice -n 15`` and the artifacts a recipe names are copied into
``<cache>/<kind>/<version>/`` next to ``build.json``, which records the digest of the recipe (every source file's
path and content, the Maven arguments, the Java and Maven versions), the build time and the artifacts. A later call
with the same recipe reuses them; any change rebuilds. The build runs under a file lock (two processes never build
the same version at once) into a temporary directory renamed into place at the end, so a killed build never leaves
a half-filled cache. Dependencies come from Maven Central through the local repository ``~/.m2``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from testbed.go_build import cache_root

STAMP = "build.json"
NICE = ("nice", "-n", "15")
MAVEN_INSTALL_HINT = "install Maven and a JDK 17: `apt-get install maven openjdk-17-jdk-headless`"


class MavenPrerequisiteError(RuntimeError):
    """No ``mvn`` or ``java``, or the source tree is missing; the message says what to do."""


class MavenBuildError(RuntimeError):
    """``mvn`` failed; the message has the command, the log file and the tail of its output."""


@dataclass(frozen=True)
class Artifact:
    """``source`` (relative to the source tree, a file or a directory) copied to ``dest`` (relative to the cache)."""

    source: str
    dest: str


@dataclass(frozen=True)
class MavenRecipe:
    source: Path
    kind: str
    version: str
    arguments: tuple[str, ...]
    artifacts: tuple[Artifact, ...]

    @property
    def dest(self) -> Path:
        return cache_root() / self.kind / self.version

    def path(self, relative: str) -> Path:
        return self.dest / relative


def _tool_version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    except FileNotFoundError:
        raise MavenPrerequisiteError(f"`{argv[0]}` is not on PATH: {MAVEN_INSTALL_HINT}") from None
    text = (out.stdout + out.stderr).strip()
    if out.returncode != 0:
        raise MavenPrerequisiteError(f"`{' '.join(argv)}` failed ({text[-300:]}): {MAVEN_INSTALL_HINT}")
    return text.splitlines()[0] if text else ""


def recipe_key(recipe: MavenRecipe) -> str:
    if not recipe.source.is_dir():
        raise MavenPrerequisiteError(f"the source tree {recipe.source} is missing (it comes from ../shared/upstream "
                                     "beside the checkout)")
    digest = hashlib.sha256()
    digest.update(_tool_version(["java", "-version"]).encode() + b"\0")
    digest.update(_tool_version(["mvn", "-v"]).encode() + b"\0")
    digest.update(repr((recipe.arguments, recipe.artifacts)).encode())
    for path in sorted(p for p in recipe.source.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(recipe.source)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _cached(recipe: MavenRecipe, key: str) -> dict | None:
    try:
        stamp = json.loads((recipe.dest / STAMP).read_text())
    except (FileNotFoundError, ValueError):
        return None
    if stamp.get("key") != key or not all((recipe.dest / a.dest).exists() for a in recipe.artifacts):
        return None
    return stamp


def ensure_built(recipe: MavenRecipe, *, log: Callable[[str], None] | None = None) -> dict:
    """Build unless ``<dest>/build.json`` says the artifacts come from this very recipe; returns the stamp."""
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    key = recipe_key(recipe)
    stamp = _cached(recipe, key)
    if stamp:
        return stamp
    recipe.dest.parent.mkdir(parents=True, exist_ok=True)
    with open(recipe.dest.parent / f".{recipe.version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = _cached(recipe, key)
        if stamp:
            return stamp
        return _build(recipe, key, log)


def _build(recipe: MavenRecipe, key: str, log: Callable[[str], None]) -> dict:
    tmp = recipe.dest.parent / f".{recipe.version}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix=f"{recipe.kind}-src-") as scratch:
            work = Path(scratch) / "src"
            shutil.copytree(recipe.source, work)
            for path in work.rglob("*"):  # the shared copy may be read-only
                path.chmod(path.stat().st_mode | 0o200)
            build_log = recipe.dest.parent / f"{recipe.version}-build.log"
            argv = [*NICE, "mvn", "-B", *recipe.arguments]
            log(f"maven_build: building {recipe.kind} {recipe.version} (log: {build_log}) ...")
            with open(build_log, "w") as out:
                done = subprocess.run(argv, cwd=work, stdout=out, stderr=subprocess.STDOUT, check=False)
            if done.returncode != 0:
                tail = "\n".join(build_log.read_text(errors="replace").splitlines()[-40:])
                raise MavenBuildError(f"`{' '.join(argv)}` in a copy of {recipe.source} failed "
                                      f"(exit {done.returncode}; whole log {build_log}):\n{tail}")
            for artifact in recipe.artifacts:
                source, dest = work / artifact.source, tmp / artifact.dest
                dest.parent.mkdir(parents=True, exist_ok=True)
                if not source.exists():
                    raise MavenBuildError(f"the build of {recipe.kind} {recipe.version} did not produce "
                                          f"{artifact.source} (log {build_log})")
                (shutil.copytree if source.is_dir() else shutil.copy2)(source, dest)
        seconds = round(time.monotonic() - started, 1)
        stamp = {"key": key, "version": recipe.version, "seconds": seconds,
                 "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "artifacts": {a.dest: str(recipe.path(a.dest)) for a in recipe.artifacts}}
        (tmp / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
        if recipe.dest.exists():
            shutil.rmtree(recipe.dest)
        tmp.rename(recipe.dest)
        log(f"maven_build: {recipe.kind} {recipe.version} built in {seconds:.0f} s into {recipe.dest}")
        return stamp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
