"""The typed stack configuration: everything under the single key ``flink-platform:platform``.

Pydantic v2 models with camelCase keys (as Pulumi stack files write them). Unknown keys are errors, names are
Kubernetes names, versions are checked against what the pinned operator supports. ``load_platform_config`` turns
every problem into one :class:`ConfigError` whose message lists each problem with its full path
(``platform.tenants[1].namespaces[0]``), the value found and what is allowed.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pulumi.errors import RunError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator
from pydantic.alias_generators import to_camel

from components import upstream

#: The stack config key (project namespace ``flink-platform``) holding the whole platform config.
CONFIG_KEY = "platform"
CONFIG_ROOT = "platform"

#: Kubernetes minor versions a stack may declare. The offline plan validates every object against the official
#: OpenAPI schema of this version, so the range is the range the pinned kubernetes-validate release ships.
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = tuple(f"1.{minor}" for minor in range(25, 38))

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(
            "must be a Kubernetes name (RFC 1123 label): lower-case letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters"
        )
    return value


def _dns_subdomain(value: str) -> str:
    if len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise ValueError(
            "must be a Kubernetes name (RFC 1123 subdomain): lower-case letters, digits, '-' and '.', "
            "starting and ending with a letter or digit, at most 253 characters"
        )
    return value


def _label_value(value: str) -> str:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise ValueError(
            "must be a Kubernetes label value: at most 63 characters of letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit"
        )
    return value


def _kubernetes_version(value: str) -> str:
    if value not in SUPPORTED_KUBERNETES_VERSIONS:
        raise ValueError(
            f"must be a Kubernetes minor version 'MAJOR.MINOR' from {SUPPORTED_KUBERNETES_VERSIONS[0]} "
            f"to {SUPPORTED_KUBERNETES_VERSIONS[-1]}"
        )
    return value


def _operator_version(value: str) -> str:
    if value not in upstream.SUPPORTED_OPERATOR_VERSIONS:
        raise ValueError(
            "must be an operator release this program pins CRD digests for: "
            + ", ".join(upstream.SUPPORTED_OPERATOR_VERSIONS)
        )
    return value


# Each type validates in Python (with a message saying what is allowed) and carries the same rule into the
# JSON Schema that editors use.
KubernetesName = Annotated[
    str,
    AfterValidator(_dns_label),
    WithJsonSchema({"type": "string", "pattern": _DNS_LABEL.pattern, "maxLength": 63}),
]
KubernetesSubdomain = Annotated[
    str,
    AfterValidator(_dns_subdomain),
    WithJsonSchema({"type": "string", "pattern": _DNS_SUBDOMAIN.pattern, "maxLength": 253}),
]
LabelValue = Annotated[
    str,
    AfterValidator(_label_value),
    WithJsonSchema({"type": "string", "pattern": _LABEL_VALUE.pattern, "maxLength": 63}),
]
KubernetesVersion = Annotated[
    str, AfterValidator(_kubernetes_version), WithJsonSchema({"enum": list(SUPPORTED_KUBERNETES_VERSIONS)})
]
OperatorVersion = Annotated[
    str, AfterValidator(_operator_version), WithJsonSchema({"enum": list(upstream.SUPPORTED_OPERATOR_VERSIONS)})
]


class _Model(BaseModel):
    """Base of every config model: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        strict=False,
    )


class ClusterConfig(_Model):
    """The Kubernetes cluster a stack deploys to; becomes the stack's explicit ``kubernetes.Provider``."""

    identifier: KubernetesSubdomain = Field(
        description="Stable cluster identity. Changing it replaces the provider, and with it every object."
    )
    kubeconfig_context: str | None = Field(
        default=None,
        min_length=1,
        description="kubeconfig context to use; unset means the kubeconfig's current context.",
    )
    kubernetes_version: KubernetesVersion = Field(
        description="Kubernetes minor version of the cluster (e.g. '1.33'); the offline plan validates against it."
    )


class CrdsConfig(_Model):
    """Where the operator's CRDs come from and how they are protected."""

    source: Literal["upstream", "local"] = Field(
        default="upstream",
        description="'upstream': fetched from the operator's release tag and checked against the pinned sha256; "
        "'local': read from localDir (air-gapped clusters), checked against the same pins.",
    )
    local_dir: str | None = Field(
        default=None,
        min_length=1,
        description="Directory holding the release's CRD files (relative paths are relative to the project root).",
    )
    retain_on_delete: bool = Field(
        default=True,
        description="Keep the CRDs in the cluster when Pulumi deletes or replaces them, so no FlinkDeployment "
        "is cascade-deleted (pulumi-kubernetes#531).",
    )
    protect: bool = Field(default=False, description="Also set Pulumi's protect option on the CRDs.")
    patch_flink_version_enum: bool = Field(
        default=True,
        description="Add the flinkVersion values the operator supports but the release's CRD enum lacks "
        "(1.15.0: v2_3, v2_4). When false, workloads on those versions are refused.",
    )

    @model_validator(mode="after")
    def _local_dir_matches_source(self) -> CrdsConfig:
        if self.source == "local" and not self.local_dir:
            raise ValueError("localDir is required when source is 'local'")
        if self.source == "upstream" and self.local_dir:
            raise ValueError("localDir is only allowed when source is 'local'")
        return self


class OperatorConfig(_Model):
    """The Flink Kubernetes Operator release and where it lives."""

    version: OperatorVersion = Field(description="Operator release; the CRDs are pinned per release.")
    namespace: KubernetesName = Field(default="flink-operator", description="Namespace of the operator.")
    crds: CrdsConfig = Field(default_factory=CrdsConfig)


class TenantConfig(_Model):
    """A team that owns namespaces."""

    name: KubernetesName = Field(description="Tenant name; used as the 'tenant' label of its namespaces.")
    namespaces: list[KubernetesName] = Field(min_length=1, description="Namespaces the tenant owns.")
    pod_security: Literal["privileged", "baseline", "restricted"] = Field(
        default="baseline",
        description="Pod Security Standard enforced on the tenant's namespaces (pod-security.kubernetes.io/enforce).",
    )
    labels: dict[KubernetesSubdomain, LabelValue] = Field(
        default_factory=dict, description="Extra labels for the tenant's namespaces."
    )


class PlatformConfig(_Model):
    """The whole platform of one stack."""

    environment: LabelValue = Field(description="Environment name, set as the 'environment' label (e.g. dev, prod).")
    cluster: ClusterConfig
    operator: OperatorConfig
    tenants: list[TenantConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> PlatformConfig:
        problems: list[str] = []
        seen_tenants: dict[str, int] = {}
        owner: dict[str, str] = {}
        for i, tenant in enumerate(self.tenants):
            if tenant.name in seen_tenants:
                problems.append(f"tenants[{i}].name {tenant.name!r} repeats tenants[{seen_tenants[tenant.name]}].name")
            seen_tenants.setdefault(tenant.name, i)
            for j, ns in enumerate(tenant.namespaces):
                if ns == self.operator.namespace:
                    problems.append(
                        f"tenants[{i}].namespaces[{j}] {ns!r} is the operator namespace; tenants own other namespaces"
                    )
                elif ns in owner:
                    problems.append(f"tenants[{i}].namespaces[{j}] {ns!r} is already owned by tenant {owner[ns]!r}")
                else:
                    owner[ns] = tenant.name
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Problem(typing.NamedTuple):
    path: str
    found: str
    allowed: str

    def __str__(self) -> str:
        return f"{self.path}: found {self.found}: {self.allowed}"


class ConfigError(RunError):
    """The stack config is invalid. ``problems`` lists each one; ``str()`` is the one message shown to the user."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [f"invalid stack config 'flink-platform:{CONFIG_KEY}' ({len(problems)} problem(s)):"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


def load_platform_config(raw: Any) -> PlatformConfig:
    """Validate the decoded value of ``flink-platform:platform``; raise :class:`ConfigError` listing every problem."""
    if not isinstance(raw, dict):
        raise ConfigError([Problem(CONFIG_ROOT, _show(raw), "must be a mapping (the whole platform config)")])
    try:
        return PlatformConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError([_problem(e) for e in err.errors(include_url=False)]) from None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _path(loc: tuple[Any, ...]) -> str:
    out = CONFIG_ROOT
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _problem(error: dict[str, Any]) -> Problem:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = sorted(_allowed_keys(loc[:-1]))
        return Problem(_path(loc), "an unknown key", "allowed keys here: " + ", ".join(allowed))
    if kind == "missing":
        return Problem(_path(loc), "nothing", "this key is required")
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return Problem(_path(loc), _show(error.get("input")), message)


def _allowed_keys(loc: tuple[Any, ...]) -> set[str]:
    """The camelCase keys the model at ``loc`` accepts (walks the model tree along the error location)."""
    model: Any = PlatformConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = next((f for name, f in model.model_fields.items() if (f.alias or name) == part), None)
        if field is None:
            return set()
        model = _model_in(field.annotation)
        if model is None:
            return set()
    return {(f.alias or name) for name, f in model.model_fields.items()}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (list, Union, types.UnionType, Annotated):
        for arg in get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def stack_file_json_schema() -> dict[str, Any]:
    """JSON Schema for ``stacks/Pulumi.<stack>.yaml`` so editors validate the platform config as it is typed."""
    platform = PlatformConfig.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    defs = platform.pop("$defs", {})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "flink-platform/stack-config.schema.json",
        "title": "flink-platform stack settings (Pulumi.<stack>.yaml)",
        "description": "Generated by `python -m tools.config_schema`; do not edit by hand.",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": {f"flink-platform:{CONFIG_KEY}": {"$ref": "#/$defs/PlatformConfig"}},
                "required": [f"flink-platform:{CONFIG_KEY}"],
            }
        },
        "$defs": {**defs, "PlatformConfig": platform},
    }
