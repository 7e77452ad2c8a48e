"""Build Go commands from a committed recipe (a ``go.mod``/``go.sum`` under ``testbed/recipes/``), cached per version.

A recipe directory pins every module of the commands it builds; nothing is resolved at build time
(``-mod=readonly``). The binaries land in ``<cache>/<kind>/<version>/`` (``<cache>`` is
``$XDG_CACHE_HOME/flink-platform`` or ``~/.cache/flink-platform``) next to ``build.json``, which records the digest
of the recipe files, the Go version and the build time. A later call with the same recipe reuses the binaries; a
changed recipe rebuilds them. Builds run under ``nice -n 15`` with ``-trimpath`` and ``-ldflags=-s -w``, into a
temporary directory renamed into place at the end, under a file lock, so two processes never build the same
version at once and a killed build never leaves a half-filled directory behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RECIPES_DIR = PROJECT_ROOT / "testbed" / "recipes"
#: Where a Go toolchain is looked for when ``go`` is not on PATH (the upstream tarball's usual place).
GO_FALLBACK = Path("/usr/local/go/bin/go")
GO_INSTALL_HINT = ("install the Go toolchain (Go 1.26 or newer: the Pulumi CLI recipe needs go 1.26.6): on this "
                   "project's machines it is /usr/local/go/bin/go; elsewhere `apt-get install golang-go` and then "
                   "`export GOTOOLCHAIN=go1.26.8` so the go command fetches that toolchain from the Go module proxy")
STAMP = "build.json"
NICE = ("nice", "-n", "15")


class GoPrerequisiteError(RuntimeError):
    """No Go toolchain; the message says how to install it."""


class GoBuildError(RuntimeError):
    """``go build`` failed; the message has the command and the tail of its output."""


@dataclass(frozen=True)
class GoCommand:
    """One binary: its file name, the Go package path of its ``main`` and extra ``-X`` linker settings."""

    name: str
    package: str
    ldflags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recipe:
    """A recipe directory under ``testbed/recipes/kube`` and the commands it builds into ``<cache>/<kind>/<version>``."""

    directory: Path
    kind: str
    version: str
    commands: tuple[GoCommand, ...]
    #: Runs in the recipe directory before ``go build`` (e.g. writes files a module's own build would generate).
    prepare: Callable[[Path, str], None] | None = field(default=None, compare=False)
    #: Extra files whose content is part of the cache key (besides go.mod, go.sum and the recipe's ``*.go``).
    extra_key_files: tuple[Path, ...] = ()
    #: Runs after ``go build`` with the (temporary) output directory and the go command: puts files beside the
    #: binaries (e.g. scripts a module ships). Every name in :attr:`extra_outputs` must exist afterwards.
    install: Callable[[Path, str], None] | None = field(default=None, compare=False)
    #: Files :attr:`install` writes (relative to the output directory); the cache is valid only while they exist.
    extra_outputs: tuple[str, ...] = ()
    #: Where ``go build`` runs, relative to :attr:`directory` (e.g. a module copied there by :attr:`prepare`).
    build_subdir: str = ""

    @property
    def dest(self) -> Path:
        return cache_root() / self.kind / self.version

    def binary(self, name: str) -> Path:
        return self.dest / name


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flink-platform"


def find_go() -> str:
    found = shutil.which("go")
    if found:
        return found
    if GO_FALLBACK.exists():
        return str(GO_FALLBACK)
    raise GoPrerequisiteError(f"no `go` on PATH and no {GO_FALLBACK}: {GO_INSTALL_HINT}")


def go_version(go: str) -> str:
    out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise GoPrerequisiteError(f"`{go} env GOVERSION` failed ({out.stderr.strip()}): {GO_INSTALL_HINT}")
    return out.stdout.strip()


def required_version(go_mod: Path, module: str) -> str:
    """The version ``go_mod`` requires of ``module`` (single-line or block ``require``)."""
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", go_mod.read_text(), re.MULTILINE)
    if not match:
        raise ValueError(f"{go_mod} requires no version of {module}")
    return match.group(1)


def module_dir(go: str, module: str, version: str, *, expected_sum: str | None = None) -> Path:
    """The folder of ``module@version`` in the Go module cache (``go mod download -json``: downloaded from the module
    proxy when missing, verified against the checksum database as usual). With ``expected_sum`` the module's ``h1:``
    digest must be exactly that."""
    out = subprocess.run([go, "mod", "download", "-json", f"{module}@{version}"], cwd="/",
                         env={**os.environ, "GOFLAGS": "-mod=mod"}, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise GoBuildError(f"`go mod download -json {module}@{version}` failed: {(out.stderr or out.stdout).strip()}")
    info = json.loads(out.stdout)
    if info.get("Error"):
        raise GoBuildError(f"`go mod download -json {module}@{version}` failed: {info['Error']}")
    if expected_sum is not None and info.get("Sum") != expected_sum:
        raise GoBuildError(f"{module}@{version} has digest {info.get('Sum')}, expected {expected_sum}")
    return Path(info["Dir"])


def recipe_key(recipe: Recipe, go_ver: str) -> str:
    digest = hashlib.sha256(go_ver.encode())
    own = [p for p in (recipe.directory / "go.mod", recipe.directory / "go.sum") if p.exists() or not recipe.build_subdir]
    files = [*own, *sorted(recipe.directory.glob("*.go")), *recipe.extra_key_files]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for command in recipe.commands:
        digest.update(repr(command).encode())
    for name in recipe.extra_outputs:
        digest.update(b"extra\0" + name.encode())
    return digest.hexdigest()


def _cached(recipe: Recipe, key: str) -> dict | None:
    try:
        stamp = json.loads((recipe.dest / STAMP).read_text())
    except (FileNotFoundError, ValueError):
        return None
    if stamp.get("key") != key:
        return None
    if not all(os.access(recipe.binary(c.name), os.X_OK) for c in recipe.commands):
        return None
    if not all(recipe.binary(name).exists() for name in recipe.extra_outputs):
        return None
    return stamp


def ensure_built(recipe: Recipe, *, log: Callable[[str], None] | None = None) -> dict:
    """Build the recipe's commands unless ``<dest>/build.json`` says they were built from this very recipe.

    Returns the stamp: ``{"key", "go", "version", "seconds", "built_at", "binaries": {name: path}}``.
    """
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    go = find_go()
    go_ver = go_version(go)
    key = recipe_key(recipe, go_ver)
    stamp = _cached(recipe, key)
    if stamp:
        return stamp
    recipe.dest.parent.mkdir(parents=True, exist_ok=True)
    with open(recipe.dest.parent / f".{recipe.version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = _cached(recipe, key)  # another process may have built it while we waited
        if stamp:
            return stamp
        return _build(recipe, go, go_ver, key, log)


def _build(recipe: Recipe, go: str, go_ver: str, key: str, log: Callable[[str], None]) -> dict:
    tmp = recipe.dest.parent / f".{recipe.version}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("GOMAXPROCS", "GOFLAGS")}
    env["GOFLAGS"] = "-trimpath -buildvcs=false -mod=readonly"
    started = time.monotonic()
    try:
        if recipe.prepare is not None:
            recipe.prepare(recipe.directory, go)
        for command in recipe.commands:
            ldflags = " ".join(["-s", "-w", *(f"-X {setting}" for setting in command.ldflags)])
            (tmp / command.name).parent.mkdir(parents=True, exist_ok=True)
            argv = [*NICE, go, "build", f"-ldflags={ldflags}", "-o", str(tmp / command.name), command.package]
            log(f"go_build: building {command.name} ({recipe.kind} {recipe.version}) in "
                f"{recipe.directory / recipe.build_subdir} ...")
            t0 = time.monotonic()
            cwd = recipe.directory / recipe.build_subdir
            out = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                tail = "\n".join((out.stdout + out.stderr).splitlines()[-40:])
                raise GoBuildError(f"`{' '.join(argv)}` in {cwd} failed "
                                   f"(exit {out.returncode}):\n{tail}")
            log(f"go_build: {command.name} built in {time.monotonic() - t0:.0f} s")
        if recipe.install is not None:
            recipe.install(tmp, go)
            missing = [name for name in recipe.extra_outputs if not (tmp / name).exists()]
            if missing:
                raise GoBuildError(f"{recipe.kind} {recipe.version}: the install step wrote no {', '.join(missing)}")
        seconds = round(time.monotonic() - started, 1)
        stamp = {"key": key, "go": go_ver, "version": recipe.version, "seconds": seconds,
                 "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "binaries": {c.name: str(recipe.binary(c.name)) for c in recipe.commands},
                 "files": {name: str(recipe.binary(name)) for name in recipe.extra_outputs}}
        (tmp / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
        if recipe.dest.exists():
            shutil.rmtree(recipe.dest)
        tmp.rename(recipe.dest)
        log(f"go_build: {recipe.kind} {recipe.version} built in {seconds:.0f} s into {recipe.dest}")
        return stamp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
