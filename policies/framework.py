"""How rules are written and dispatched.

A rule is a plain function ``check(res: Resource, cfg: Mapping) -> Iterable[Finding]`` for one Kubernetes kind.
A :class:`KindPolicy` is one Pulumi ``ResourceValidationPolicy`` (so one name, one enforcement level, one config
schema) holding a table ``{kind: [checks]}``; its ``validate`` reads the kind from the type token
(``kubernetes:<group>/<version>:<Kind>``) and returns at once for kinds it has no check for, so a resource only
runs the checks that can apply to it. The SDK still deserializes the properties once per registered policy, which
is why the pack keeps the number of policies moderate (see policies/README.md).

Values are read through the SDK's unknown-checking proxies (``Mapping``/``Sequence``, never ``dict``/``list``),
and nothing here catches ``UnknownValueError``: during a preview the SDK turns it into an advisory
"can't run policy ... during preview: ... can't be known".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

K8S_PREFIX = "kubernetes:"


@dataclass(frozen=True)
class Finding:
    """One problem: the property path inside the object, what is wrong (with the value found), how to fix it."""

    path: str
    problem: str
    fix: str = ""

    def render(self, where: str) -> str:
        text = f"{where}: {self.path}: {self.problem}"
        return f"{text}. Fix: {self.fix}" if self.fix else text


def kind_of(resource_type: str) -> str | None:
    """``Kind`` of a Kubernetes type token (``kubernetes:apps/v1:Deployment`` → ``Deployment``), else None."""
    if not resource_type.startswith(K8S_PREFIX):
        return None
    return resource_type.rsplit(":", 1)[-1]


def is_map(value: Any) -> bool:
    return isinstance(value, Mapping)


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def get(obj: Any, *path: str | int, default: Any = None) -> Any:
    """``obj[p0][p1]...`` through maps and lists, ``default`` when a step is missing or of the wrong shape."""
    cur = obj
    for step in path:
        if cur is None or isinstance(cur, (str, bytes, int, float, bool)):
            return default
        try:
            cur = cur[step]
        except (KeyError, IndexError, TypeError):
            return default
    return default if cur is None else cur


def items(value: Any) -> list:
    return list(value) if is_list(value) else []


class Resource:
    """The resource as a check sees it: kind, props (the SDK proxy), name/namespace for messages."""

    __slots__ = ("kind", "props", "urn", "name", "namespace", "type")

    def __init__(self, kind: str, props: Any, urn: str, type_: str):
        self.kind = kind
        self.props = props
        self.urn = urn
        self.type = type_
        self.name = get(props, "metadata", "name", default="")
        self.namespace = get(props, "metadata", "namespace", default="")

    @property
    def where(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name or '<unnamed>'}"


Check = Callable[[Resource, Mapping[str, Any]], Iterable[Finding]]

_last = threading.local()


def per_resource(fn: Callable[[Resource], Any]) -> Callable[[Resource], Any]:
    """Cache ``fn(res)`` for the resource being analyzed: every policy of one request sees the same ``props``
    object (policies/shared_props.py), so views derived from it (flattened config, pod views) are built once per
    request instead of once per policy. One slot per function and thread; compared by identity."""
    slot = f"{fn.__module__}.{fn.__qualname__}"

    def cached(res: Resource) -> Any:
        hit = getattr(_last, slot, None)
        if hit is not None and hit[0] is res.props and hit[1] == res.kind:
            return hit[2]
        value = fn(res)
        setattr(_last, slot, (res.props, res.kind, value))
        return value

    cached.__name__ = fn.__name__
    return cached


class KindPolicy(ResourceValidationPolicy):
    """One named policy whose checks are looked up by Kubernetes kind; other kinds cost one dict lookup."""

    def __init__(
        self,
        name: str,
        description: str,
        checks: Mapping[str, Sequence[Check]],
        *,
        enforcement_level: EnforcementLevel | None = None,
        config_schema: PolicyConfigSchema | None = None,
        defaults: Mapping[str, Any] | None = None,
        remediation_steps: str | None = None,
    ):
        self.checks = {kind: tuple(fns) for kind, fns in checks.items()}
        self.defaults = dict(defaults or {})
        super().__init__(
            name,
            description,
            self._validate,
            enforcement_level=enforcement_level,
            config_schema=config_schema,
            remediation_steps=remediation_steps,
        )

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.checks)

    def _validate(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        kind = kind_of(args.resource_type)
        fns = self.checks.get(kind) if kind else None
        if not fns:
            return
        cfg = {**self.defaults, **(args.get_config() or {})}
        res = Resource(kind, args.props, args.urn, args.resource_type)
        seen: set[str] = set()  # one report per message (a Flink pod is read once per merge mode and role)
        for fn in fns:
            for finding in fn(res, cfg):
                message = finding.render(res.where)
                if message not in seen:
                    seen.add(message)
                    report_violation(message, args.urn or None)


StackCheck = Callable[[Sequence[Any], Mapping[str, Any]], Iterator[tuple[str, Finding, str]]]


class StackPolicy(StackValidationPolicy):
    """A stack policy whose check yields ``(where, finding, urn)`` for each problem."""

    def __init__(
        self,
        name: str,
        description: str,
        check: StackCheck,
        *,
        enforcement_level: EnforcementLevel | None = None,
        config_schema: PolicyConfigSchema | None = None,
        defaults: Mapping[str, Any] | None = None,
    ):
        self.check = check
        self.defaults = dict(defaults or {})
        super().__init__(
            name, description, self._validate, enforcement_level=enforcement_level, config_schema=config_schema
        )

    def _validate(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        cfg = {**self.defaults, **(args.get_config() or {})}
        for where, finding, urn in self.check(args.resources, cfg):
            report_violation(finding.render(where), urn or None)
