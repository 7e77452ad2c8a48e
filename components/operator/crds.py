"""The operator's CustomResourceDefinitions, with a lifecycle of their own.

The CRD files of a pinned operator release are read from upstream (URL derived from the version) or from a local
directory (air-gapped clusters), checked against the sha256 pins in :mod:`components.operator.upstream`, and installed as
``apiextensions.k8s.io/v1`` CustomResourceDefinition resources. Unlike Helm's ``crds/`` folder they are upgraded
with the operator version. They are retained on delete by default, so a ``pulumi destroy`` or a rename never
cascades into deleting every FlinkDeployment (pulumi-kubernetes#531).

Loading is plain Python (no Pulumi) so the offline plan and the tests can use the same schemas to validate
custom resources.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pulumi
import pulumi_kubernetes as k8s
import yaml
from pulumi.errors import RunError
from pydantic import BaseModel, ConfigDict

from components.config import labels as L
from components.operator import upstream
from components.config.models import CrdsConfig

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Deadline for fetching one CRD file from upstream.
FETCH_TIMEOUT_S = 30.0
#: Environment variable naming the CRD download cache (layout ``<dir>/<version>/<file>``); files in it are
#: digest-checked exactly like downloads, so a cache (or an offline mirror) can never change what is installed.
CACHE_ENV = "FLINK_PLATFORM_CRD_CACHE"


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "flink-platform" / "crds"

ANNOTATION_SHA256 = "flink-platform.io/crd-sha256"
ANNOTATION_SOURCE = "flink-platform.io/crd-source"
ANNOTATION_ENUM_PATCH = "flink-platform.io/patched-flink-version-enum"


class CrdSourceError(RunError):
    """A CRD file could not be obtained or is not the pinned file (unknown version, missing file, digest mismatch)."""


@dataclass(frozen=True)
class LoadedCrd:
    """One verified CRD: the pin it matched, where it came from, and its (possibly patched) object."""

    pin: upstream.CrdFile
    source: str
    body: dict[str, Any]
    enum_added: tuple[str, ...]

    @property
    def schema(self) -> dict[str, Any]:
        """The openAPIV3Schema of the served storage version (v1beta1)."""
        version = next(v for v in self.body["spec"]["versions"] if v.get("storage"))
        return version["schema"]["openAPIV3Schema"]


def crd_url(version: str, filename: str) -> str:
    return upstream.CRD_URL_TEMPLATE.format(version=version, filename=filename)


def _fetch_https(url: str) -> bytes:
    import requests

    try:
        response = requests.get(url, timeout=FETCH_TIMEOUT_S)
    except requests.RequestException as err:
        raise CrdSourceError(
            f"could not fetch CRD file {url}: {err.__class__.__name__}: {err}. "
            "Without internet access, set operator.crds.source: local and operator.crds.localDir, or put the "
            f"release's files in the CRD cache (${CACHE_ENV}, now {default_cache_dir()})."
        ) from None
    if response.status_code != 200:
        raise CrdSourceError(f"could not fetch CRD file {url}: HTTP {response.status_code}")
    return response.content


def _pins(version: str) -> tuple[upstream.CrdFile, ...]:
    try:
        return upstream.CRD_PINS[version]
    except KeyError:
        raise CrdSourceError(
            f"operator version {version!r} has no pinned CRD digests; supported versions: "
            + ", ".join(upstream.SUPPORTED_OPERATOR_VERSIONS)
        ) from None


def load_crds(
    version: str,
    *,
    local_dir: str | Path | None = None,
    patch_flink_version_enum: bool = True,
    fetch: Callable[[str], bytes] = _fetch_https,
    cache_dir: Path | None = None,
) -> list[LoadedCrd]:
    """Read, verify and parse the four CRDs of ``version``; raise :class:`CrdSourceError` on any problem.

    With ``local_dir`` the files are read from there. Otherwise each comes from the cache (``cache_dir``, default
    :func:`default_cache_dir`) when present, else from upstream, and a verified download is written to the cache.
    Either way its sha256 must match the pin; the recorded source is the upstream URL, since the digest makes the
    content identical.
    """
    pins = _pins(version)
    cache = (cache_dir or default_cache_dir()) / version
    base = None
    if local_dir is not None:
        base = Path(local_dir)
        if not base.is_absolute():
            base = PROJECT_ROOT / base
        if not base.is_dir():
            raise CrdSourceError(f"operator.crds.localDir {str(local_dir)!r} is not a directory (resolved: {base})")
    loaded = []
    for pin in pins:
        if base is not None:
            path = base / pin.filename
            if not path.is_file():
                raise CrdSourceError(
                    f"CRD file {pin.filename!r} for operator {version} is missing from operator.crds.localDir "
                    f"{str(local_dir)!r}; expected the release's helm/flink-kubernetes-operator/crds/ files"
                )
            data, source = path.read_bytes(), "local"
        else:
            source = crd_url(version, pin.filename)
            cached = cache / pin.filename
            where = str(cached) if cached.is_file() else source
            data = cached.read_bytes() if cached.is_file() else fetch(source)
        digest = hashlib.sha256(data).hexdigest()
        if base is not None:
            where = f"{local_dir}/{pin.filename}"
        if digest != pin.sha256:
            raise CrdSourceError(
                f"CRD file {where} does not match the pin for operator {version}: "
                f"sha256 found {digest}, expected {pin.sha256}"
            )
        if base is None and where == source:
            _write_cache(cache / pin.filename, data)
        body = _parse(digest, data)
        if body.get("kind") != "CustomResourceDefinition" or body["spec"]["names"]["kind"] != pin.kind:
            raise CrdSourceError(f"CRD file {pin.filename!r} does not define {pin.kind}")
        body = _server_canonical(body)
        added: tuple[str, ...] = ()
        if patch_flink_version_enum and pin.kind in upstream.CRD_KINDS_WITH_FLINK_VERSION:
            body, added = _patch_flink_version_enum(body, upstream.CRD_FLINK_VERSION_ENUM_GAP.get(version, ()))
        loaded.append(LoadedCrd(pin=pin, source=source, body=body, enum_added=added))
    return loaded


def _parse(digest: str, data: bytes) -> dict[str, Any]:
    """Parse verified CRD bytes; the YAML parse is memoised per digest (the files are large), each call gets a
    fresh copy so no caller can change another's object."""
    return json.loads(_parsed_json(digest, data))


@functools.lru_cache(maxsize=16)
def _parsed_json(digest: str, data: bytes) -> str:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return json.dumps(yaml.load(data, Loader=loader))  # noqa: S506 - a safe loader


def _write_cache(path: Path, data: bytes) -> None:
    """Best effort: a cache that cannot be written only costs a download next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError:
        pass


def _server_canonical(body: dict[str, Any]) -> dict[str, Any]:
    """The CRD as the API server stores it: ``additionalPrinterColumns[].priority: 0`` (the zero value, which the
    server omits) left out, so the live object equals the desired one and ``pulumi preview`` after ``up`` shows no
    perpetual diff (found by the e2e test of the real engine, tests/e2e/test_pulumi_cli.py). Returns a copy when it changes anything."""
    versions = (body.get("spec") or {}).get("versions") or []
    if not any(c.get("priority") == 0 for v in versions for c in v.get("additionalPrinterColumns") or []):
        return body
    body = copy.deepcopy(body)
    for version in body["spec"]["versions"]:
        for column in version.get("additionalPrinterColumns") or []:
            if column.get("priority") == 0:
                del column["priority"]
    return body


def _patch_flink_version_enum(body: dict[str, Any], additions: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Append ``additions`` to every ``flinkVersion`` enum in the CRD; return the copy and what was added."""
    if not additions:
        return body, ()
    body = copy.deepcopy(body)
    added: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "flinkVersion" and isinstance(value, dict) and isinstance(value.get("enum"), list):
                    for item in additions:
                        if item not in value["enum"]:
                            value["enum"].append(item)
                            added.add(item)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body)
    return body, tuple(a for a in additions if a in added)


class CrdSchemas:
    """The openAPIV3 schemas of the installed CRDs, keyed by (apiVersion, kind), for validating custom resources."""

    def __init__(self, crds: list[LoadedCrd]):
        self._by_kind: dict[tuple[str, str], dict[str, Any]] = {}
        self._add([crd.body for crd in crds])

    @classmethod
    def from_bodies(cls, bodies: list[dict[str, Any]]) -> CrdSchemas:
        """Schemas of CustomResourceDefinition objects (e.g. the ones a plan is about to install)."""
        schemas = cls([])
        schemas._add(bodies)
        return schemas

    def _add(self, bodies: list[dict[str, Any]]) -> None:
        for body in bodies:
            group = body["spec"]["group"]
            for version in body["spec"]["versions"]:
                if version.get("served", True) and version.get("schema"):
                    key = (f"{group}/{version['name']}", body["spec"]["names"]["kind"])
                    self._by_kind[key] = version["schema"]["openAPIV3Schema"]

    def kinds(self) -> list[tuple[str, str]]:
        return sorted(self._by_kind)

    def schema_for(self, api_version: str, kind: str) -> dict[str, Any] | None:
        return self._by_kind.get((api_version, kind))


class OperatorCrdsArgs(BaseModel):
    """Config of :class:`OperatorCrds`: the operator release and where its CRDs come from."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    operator_version: str
    crds: CrdsConfig


class OperatorCrds(pulumi.ComponentResource):
    """The four operator CRDs of one pinned release (``flink-platform:crds:OperatorCrds``)."""

    def __init__(self, name: str, args: OperatorCrdsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("flink-platform:crds:OperatorCrds", name, None, opts)
        cfg = args.crds
        self.loaded = load_crds(
            args.operator_version,
            local_dir=cfg.local_dir if cfg.source == "local" else None,
            patch_flink_version_enum=cfg.patch_flink_version_enum,
        )
        self.schemas = CrdSchemas(self.loaded)
        child_opts = pulumi.ResourceOptions(parent=self, retain_on_delete=cfg.retain_on_delete, protect=cfg.protect)
        self.definitions: dict[str, k8s.apiextensions.v1.CustomResourceDefinition] = {}
        for crd in self.loaded:
            annotations = {ANNOTATION_SHA256: crd.pin.sha256, ANNOTATION_SOURCE: crd.source}
            if crd.enum_added:
                annotations[ANNOTATION_ENUM_PATCH] = ",".join(crd.enum_added)
            metadata = crd.body.get("metadata", {})
            self.definitions[crd.pin.kind] = k8s.apiextensions.v1.CustomResourceDefinition(
                f"{name}-{crd.pin.plural}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=crd.pin.crd_name,
                    labels={
                        **metadata.get("labels", {}),
                        **L.managed(),
                        L.APP_NAME: upstream.OPERATOR_APP_NAME,
                        L.APP_VERSION: args.operator_version,
                    },
                    annotations={**metadata.get("annotations", {}), **annotations},
                ),
                spec=crd.body["spec"],
                opts=child_opts,
            )
        self.crd_names = sorted(c.pin.crd_name for c in self.loaded)
        self.register_outputs({"crdNames": self.crd_names, "operatorVersion": args.operator_version})
