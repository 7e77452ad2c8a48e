"""cert-manager's CRDs for the offline plan: pinned per release, read from the CRD cache or from cert-manager's Go
module, every file checked against its sha256 in :data:`components.operator.upstream.CERT_MANAGER_RELEASES`.

Where they come from, in order:

1. ``<CRD cache>/cert-manager/<version>/<file>`` (``$FLINK_PLATFORM_CRD_CACHE``, as for the operator's CRDs);
2. the Go module ``github.com/cert-manager/cert-manager@<version>`` (its ``deploy/crds/``), through ``go mod
   download -json`` when a Go toolchain is installed: from the module cache, or from the Go module proxy when it is
   not there yet (the module's ``h1:`` digest must be the pinned one); the module cache keeps it for later plans
   (nothing is written into the CRD cache, which may be a read-only mirror such as ``../shared/upstream/crds``);
3. otherwise :class:`CertManagerCrdsUnavailable`, whose message the plan prints as a note on each Issuer and
   Certificate it could not validate (the plan still succeeds).

A file whose digest is not the pinned one is never used: :class:`CertManagerCrdError` stops the plan.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from components.operator import crds, upstream

#: Where Go is looked for when ``go`` is not on PATH (the upstream tarball's usual place).
GO_FALLBACK = Path("/usr/local/go/bin/go")
#: Deadline for ``go mod download`` (a first download of the module is about 13 MB).
DOWNLOAD_TIMEOUT_S = 300.0


class CertManagerCrdError(crds.CrdSourceError):
    """A cert-manager CRD file is not the pinned file (digest mismatch, wrong kind)."""


class CertManagerCrdsUnavailable(Exception):
    """The release's CRDs could be read from nowhere; the message says where they were looked for and why not."""


def cache_dir(version: str) -> Path:
    return crds.default_cache_dir() / "cert-manager" / version


def find_go() -> str | None:
    found = shutil.which("go")
    if found:
        return found
    return str(GO_FALLBACK) if GO_FALLBACK.exists() else None


def module_dir(version: str, go: str) -> Path:
    """``deploy/crds`` of the cert-manager module at ``version`` (downloaded into the module cache if needed)."""
    release = upstream.CERT_MANAGER_RELEASES[version]
    module = f"{upstream.CERT_MANAGER_MODULE}@{version}"
    env = {**os.environ, "GOFLAGS": "-mod=mod"}
    try:
        out = subprocess.run([go, "mod", "download", "-json", module], cwd="/", env=env, capture_output=True,
                             text=True, check=False, timeout=DOWNLOAD_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise CertManagerCrdsUnavailable(f"`go mod download -json {module}` failed: {err}") from None
    try:
        info = json.loads(out.stdout)
    except ValueError:
        info = {}
    if out.returncode != 0 or info.get("Error") or "Dir" not in info:
        why = info.get("Error") or (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
        raise CertManagerCrdsUnavailable(f"`go mod download -json {module}` failed: {''.join(why)}")
    if info.get("Sum") != release.module_sum:
        raise CertManagerCrdError(f"the Go module {module} has digest {info.get('Sum')}, expected "
                                  f"{release.module_sum} (components/operator/upstream.py CERT_MANAGER_RELEASES)")
    return Path(info["Dir"]) / upstream.CERT_MANAGER_CRD_DIR


def _checked(path: Path, kind: str, sha256: str, version: str) -> dict[str, Any]:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise CertManagerCrdError(f"cert-manager {version} CRD file {path} does not match its pin: sha256 found "
                                  f"{digest}, expected {sha256}")
    body = yaml.safe_load(data)
    if not isinstance(body, dict) or body.get("kind") != "CustomResourceDefinition" \
            or (body.get("spec") or {}).get("names", {}).get("kind") != kind:
        raise CertManagerCrdError(f"cert-manager {version} CRD file {path} does not define {kind}")
    return body


def load_crds(version: str, kinds: tuple[str, ...] | None = None) -> tuple[list[dict[str, Any]], str]:
    """The CRD objects of ``kinds`` (default: all pinned) of cert-manager ``version`` and where they were read.

    Raises :class:`CertManagerCrdsUnavailable` (with the reason) when neither the cache nor the Go module has them,
    :class:`CertManagerCrdError` when a file is not the pinned one.
    """
    release = upstream.CERT_MANAGER_RELEASES.get(version)
    if release is None:
        raise CertManagerCrdsUnavailable(f"cert-manager {version} has no pinned CRDs (pinned: "
                                         f"{', '.join(upstream.CERT_MANAGER_RELEASES)})")
    wanted = {k: release.crds[k] for k in (kinds or tuple(release.crds))}
    cached = cache_dir(version)
    if all((cached / name).is_file() for name, _ in wanted.values()):
        return [_checked(cached / name, k, sha, version) for k, (name, sha) in wanted.items()], str(cached)
    go = find_go()
    if go is None:
        raise CertManagerCrdsUnavailable(
            f"cert-manager {version}'s CRDs are not in {cached} and there is no Go toolchain to read them from the "
            f"module {upstream.CERT_MANAGER_MODULE}@{version} (install Go, or put its {upstream.CERT_MANAGER_CRD_DIR}/ "
            f"files in {cached})")
    source = module_dir(version, go)
    bodies = [_checked(source / name, k, sha, version) for k, (name, sha) in wanted.items()]
    return bodies, f"{upstream.CERT_MANAGER_MODULE}@{version}/{upstream.CERT_MANAGER_CRD_DIR}"

