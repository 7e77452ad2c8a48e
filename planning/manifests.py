"""Render recorded registrations as Kubernetes manifests and as the plan's resource list.

Everything here is deterministic: objects are sorted (CRDs, then Namespaces, then by kind, namespace, name),
mapping keys are sorted (``apiVersion``, ``kind``, ``metadata`` first in each object), and nothing time- or
machine-dependent is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import orjson
import yaml

from planning.mock_runtime import Registration

KUBERNETES_PREFIX = "kubernetes:"
#: Kinds applied before everything else, in this order (other objects may live in or be typed by them).
FIRST_KINDS = ("CustomResourceDefinition", "Namespace")
_HEAD_KEYS = ("apiVersion", "kind", "metadata")

try:  # libyaml is much faster on big documents (the CRDs); both dumpers are deterministic.
    _Dumper: type = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Dumper = yaml.SafeDumper


@dataclass(frozen=True)
class KubeObject:
    """One Kubernetes object of the plan and the Pulumi resource that declares it."""

    urn: str
    obj: dict[str, Any]

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def namespace(self) -> str:
        return str((self.obj.get("metadata") or {}).get("namespace") or "")

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name") or "")

    @property
    def label(self) -> str:
        """``Kind namespace/name`` (``Kind name`` without a namespace) and the URN, as messages name objects."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name or "(no name)"
        return f"{self.kind} {where} [{self.urn}]"

    def sort_key(self) -> tuple[Any, ...]:
        rank = FIRST_KINDS.index(self.kind) if self.kind in FIRST_KINDS else len(FIRST_KINDS)
        return (rank, self.kind, self.namespace, self.name, self.api_version, self.urn)


def is_kubernetes_object(record: Registration) -> bool:
    """A custom resource of the Kubernetes provider (``kubernetes:<group/version>:<Kind>``).

    Providers (``pulumi:providers:kubernetes``) and remote components such as ``kubernetes:helm.sh/v4:Chart``
    (registered with ``custom=False``) are not objects.
    """
    return record.custom and record.type.startswith(KUBERNETES_PREFIX)


def type_api_version_kind(type_token: str) -> tuple[str, str]:
    """``kubernetes:core/v1:Namespace`` → (``v1``, ``Namespace``); ``kubernetes:apps/v1:Deployment`` → (``apps/v1``, …)."""
    _, group_version, kind = type_token.split(":", 2)
    return group_version.removeprefix("core/"), kind


def canonical(value: Any) -> Any:
    """A copy with every mapping's keys sorted (lists keep their order: it means something in Kubernetes)."""
    if isinstance(value, Mapping):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


def render_object(record: Registration) -> dict[str, Any]:
    """The object as it would be applied: apiVersion, kind, metadata, then the other inputs, keys sorted."""
    api_version, kind = type_api_version_kind(record.type)
    inputs = dict(record.inputs)
    obj: dict[str, Any] = {
        "apiVersion": inputs.pop("apiVersion", None) or api_version,
        "kind": inputs.pop("kind", None) or kind,
        "metadata": canonical(inputs.pop("metadata", None) or {}),
    }
    for key in sorted(inputs):
        obj[key] = canonical(inputs[key])
    return obj


def collect_objects(records: Iterable[Registration]) -> list[KubeObject]:
    """Every Kubernetes object of the run, in apply order (see :data:`FIRST_KINDS`)."""
    objects = [KubeObject(r.urn, render_object(r)) for r in records if is_kubernetes_object(r)]
    return sorted(objects, key=KubeObject.sort_key)


def identity_problems(objects: Iterable[KubeObject]) -> list[str]:
    """Objects the plan cannot identify: no explicit name, or the same object declared by two resources."""
    problems = []
    seen: dict[tuple[str, str, str, str], str] = {}
    for o in objects:
        if not o.name:
            problems.append(
                f"{o.label}: metadata.name: found nothing: the plan needs explicit names "
                "(Pulumi auto-naming adds a random suffix, so the manifests would change on every run)"
            )
            continue
        group = o.api_version.rpartition("/")[0]
        key = (group, o.kind, o.namespace, o.name)
        if key in seen:
            problems.append(f"{o.label}: declares the same object as {seen[key]}; two resources would fight over it")
        else:
            seen[key] = o.urn
    return problems


def manifests_yaml(objects: Iterable[KubeObject]) -> str:
    """Multi-document YAML of the objects, in the given order."""
    # One dumper for all documents (a quarter faster than one per object; the same text).
    return yaml.dump_all([o.obj for o in objects], Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                         allow_unicode=True, width=120, explicit_start=True)


def resources_json(records: Iterable[Registration], *, project: str, stack: str, stack_urn: str,
                   stack_outputs: Mapping[str, Any]) -> str:
    """Every Pulumi resource (sorted by URN) with its engine view, plus the stack and its outputs, as JSON."""
    document = {
        "project": project,
        "stack": stack,
        "stackUrn": stack_urn,
        "outputs": stack_outputs,
        "resources": [r.to_json() for r in sorted(records, key=lambda r: r.urn)],
    }
    # orjson writes exactly what ``json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)`` writes
    # (keys sorted at every level, so no canonical copy is needed), an order of magnitude faster on big stacks.
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
                        ).decode("utf-8") + "\n"


def counts(objects: Iterable[KubeObject]) -> tuple[dict[str, int], dict[str, int]]:
    """Object counts by kind and by namespace (cluster-scoped objects under ``(cluster)``), keys sorted."""
    by_kind: dict[str, int] = {}
    by_namespace: dict[str, int] = {}
    for o in objects:
        by_kind[o.kind] = by_kind.get(o.kind, 0) + 1
        ns = o.namespace or "(cluster)"
        by_namespace[ns] = by_namespace.get(ns, 0) + 1
    return dict(sorted(by_kind.items())), dict(sorted(by_namespace.items()))
