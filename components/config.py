"""The typed stack configuration: everything under the single key ``flink-platform:platform``.

Pydantic v2 models with camelCase keys (as Pulumi stack files write them). Unknown keys are errors, names are
Kubernetes names, versions are checked against what the pinned operator supports. ``load_platform_config`` turns
every problem into one :class:`ConfigError` whose message lists each problem with its full path
(``platform.tenants[1].namespaces[0]``), the value found and what is allowed.
"""

from __future__ import annotations

import difflib
import json
import types
import typing
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pulumi.errors import RunError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components import labels as L
from components import names, upstream
from components.workload_config import SECRETS_CONFIG_KEY, WorkloadsConfig

#: The stack config key (project namespace ``flink-platform``) holding the whole platform config.
CONFIG_KEY = "platform"
CONFIG_ROOT = "platform"

#: Kubernetes minor versions a stack may declare. The offline plan validates every object against the official
#: OpenAPI schema of this version, so the range is the range the pinned kubernetes-validate release ships.
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = tuple(f"1.{minor}" for minor in range(25, 38))



def _dns_label(value: str) -> str:
    if not names.is_dns_label(value):
        raise ValueError(names.DNS_LABEL_RULE)
    return value


def _dns_subdomain(value: str) -> str:
    if not names.is_dns_subdomain(value):
        raise ValueError(names.DNS_SUBDOMAIN_RULE)
    return value


def _label_value(value: str) -> str:
    if not names.is_label_value(value):
        raise ValueError(names.LABEL_VALUE_RULE)
    return value


def _label_key(value: str) -> str:
    problem = names.label_key_problem(value)
    if problem:
        raise ValueError(problem)
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
    WithJsonSchema(
        {"type": "string", "pattern": names.json_schema_pattern(names.DNS_LABEL), "maxLength": names.DNS_LABEL_MAX}
    ),
]
KubernetesSubdomain = Annotated[
    str,
    AfterValidator(_dns_subdomain),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": names.json_schema_pattern(names.DNS_SUBDOMAIN),
            "maxLength": names.DNS_SUBDOMAIN_MAX,
        }
    ),
]
LabelValue = Annotated[
    str,
    AfterValidator(_label_value),
    WithJsonSchema(
        {"type": "string", "pattern": names.json_schema_pattern(names.LABEL_VALUE), "maxLength": names.LABEL_VALUE_MAX}
    ),
]
LabelKey = Annotated[
    str,
    AfterValidator(_label_key),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": names.json_schema_pattern(
                rf"({names.DNS_SUBDOMAIN}/)?{names.QUALIFIED_NAME}"
            ),
            "maxLength": names.DNS_SUBDOMAIN_MAX + 1 + names.QUALIFIED_NAME_MAX,
        }
    ),
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
    labels: dict[LabelKey, LabelValue] = Field(
        default_factory=dict,
        description="Extra labels for the tenant's namespaces (keys like 'cost-center' or 'acme.io/cost-center'; "
        "the keys the platform writes itself are refused).",
    )

    @field_validator("labels")
    @classmethod
    def _no_reserved_label_keys(cls, value: dict[str, str]) -> dict[str, str]:
        reserved = sorted(k for k in value if L.is_reserved(k))
        if reserved:
            raise ValueError(
                f"label key(s) {', '.join(map(repr, reserved))} are written by the platform itself and cannot be "
                f"set here (reserved: {', '.join(L.RESERVED_PREFIXES)}*, {', '.join(L.RESERVED_KEYS)})"
            )
        return value


class PlatformConfig(_Model):
    """The whole platform of one stack."""

    environment: LabelValue = Field(description="Environment name, set as the 'environment' label (e.g. dev, prod).")
    cluster: ClusterConfig
    operator: OperatorConfig
    tenants: list[TenantConfig] = Field(default_factory=list)
    workloads: WorkloadsConfig = Field(
        default_factory=WorkloadsConfig,
        description="Flink workloads (application and session clusters, session jobs) and their platform defaults.",
    )


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
    """Validate the decoded value of ``flink-platform:platform``; raise :class:`ConfigError` listing every problem.

    Field rules run first (pydantic); the rules that relate several fields (:data:`CROSS_FIELD_CHECKS`) run on a
    config whose fields are valid, and each names the exact path and value it refuses.
    """
    if not isinstance(raw, dict):
        raise ConfigError([Problem(CONFIG_ROOT, _show(raw), "must be a mapping (the whole platform config)")])
    try:
        config = PlatformConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError([_problem(e) for e in err.errors(include_url=False)]) from None
    problems = [p for check in CROSS_FIELD_CHECKS for p in check(config)]
    if problems:
        raise ConfigError(problems)
    return config


# --- rules across fields ------------------------------------------------------------------------------------------


def _tenant_names_unique(config: PlatformConfig) -> list[Problem]:
    problems, first = [], {}
    for i, tenant in enumerate(config.tenants):
        if tenant.name in first:
            problems.append(
                Problem(
                    f"{CONFIG_ROOT}.tenants[{i}].name",
                    repr(tenant.name),
                    f"is already the name of {CONFIG_ROOT}.tenants[{first[tenant.name]}]; tenant names are unique",
                )
            )
        first.setdefault(tenant.name, i)
    return problems


def _namespaces_have_one_owner(config: PlatformConfig) -> list[Problem]:
    problems, owner = [], {}
    for i, tenant in enumerate(config.tenants):
        for j, ns in enumerate(tenant.namespaces):
            path = f"{CONFIG_ROOT}.tenants[{i}].namespaces[{j}]"
            if ns == config.operator.namespace:
                problems.append(
                    Problem(
                        path,
                        repr(ns),
                        f"is the operator namespace ({CONFIG_ROOT}.operator.namespace); tenants own other namespaces",
                    )
                )
            elif ns in owner:
                other, where = owner[ns]
                same = " (listed twice)" if other == tenant.name else ""
                problems.append(
                    Problem(
                        path,
                        repr(ns),
                        f"is already owned by tenant {other!r}{same} at {where}; a namespace belongs to exactly "
                        "one tenant",
                    )
                )
            else:
                owner[ns] = (tenant.name, path)
    return problems


def _workloads_fit_the_platform(config: PlatformConfig) -> list[Problem]:
    from components.workload_spec import workload_problems

    return [Problem(*issue) for issue in workload_problems(config, CONFIG_ROOT)]


#: Rules relating several fields; each returns its problems with exact paths. Run after the field rules passed.
CROSS_FIELD_CHECKS: list[typing.Callable[[PlatformConfig], list[Problem]]] = [
    _tenant_names_unique,
    _namespaces_have_one_owner,
    _workloads_fit_the_platform,
]


# --- the whole stack config: every key in the project's namespace, and the default-provider guard ---------------

#: The project's config namespace (``Pulumi.yaml`` name) and the provider guard every stack must carry.
PROJECT = "flink-platform"
DISABLE_DEFAULT_PROVIDERS_KEY = "pulumi:disable-default-providers"
GUARDED_PROVIDER = "kubernetes"
_GUARD_LINES = f"  {DISABLE_DEFAULT_PROVIDERS_KEY}:\n    - {GUARDED_PROVIDER}"


def known_project_keys() -> tuple[str, ...]:
    """Keys under ``flink-platform:`` that the program and its providers read (the platform and REST credentials)."""
    from components.providers.connection import CONFIG_KEYS as REST_CREDENTIAL_KEYS

    return (f"{PROJECT}:{CONFIG_KEY}", *REST_CREDENTIAL_KEYS, SECRETS_CONFIG_KEY)


def runtime_config() -> dict[str, Any]:
    """Every config key the engine handed to this program, with its raw value.

    Under ``pulumi up`` the language host passes the stack's config in ``PULUMI_CONFIG``; the mock runtime (tests,
    offline plan) sets it with ``pulumi.runtime.set_all_config``. Both are read, so this works under both.
    """
    from pulumi.runtime import config as runtime

    merged = dict(runtime.get_config_env())
    merged.update(runtime.CONFIG.get())
    return merged


def stack_config_problems(config: dict[str, Any]) -> list[Problem]:
    """Problems with the stack's config keys outside the platform object: unknown project keys, missing guard."""
    problems: list[Problem] = []
    known = known_project_keys()
    for key in sorted(k for k in config if k.startswith(f"{PROJECT}:") and k not in known):
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(
            Problem(key, "an unknown config key", f"this program reads only {', '.join(known)}{hint}")
        )
    guard = config.get(DISABLE_DEFAULT_PROVIDERS_KEY)
    if isinstance(guard, str):
        try:
            guard = json.loads(guard)
        except ValueError:
            guard = [guard]
    if not (isinstance(guard, list) and ({GUARDED_PROVIDER, "*"} & {str(g) for g in guard})):
        found = "nothing" if guard is None else _show(guard)
        problems.append(
            Problem(
                DISABLE_DEFAULT_PROVIDERS_KEY,
                found,
                f"must list {GUARDED_PROVIDER!r}, so nothing is ever applied to the cluster the ambient kubeconfig "
                f"points at; add to the stack file under 'config:':\n{_GUARD_LINES}",
            )
        )
    return problems


def load_stack_config(config: dict[str, Any] | None = None) -> PlatformConfig:
    """The validated platform config from the whole stack config (default: what the engine handed the program).

    One :class:`ConfigError` lists every problem: unknown keys in the project's namespace, a missing
    default-provider guard, a missing ``flink-platform:platform`` and everything wrong inside it.
    """
    config = runtime_config() if config is None else config
    problems = stack_config_problems(config)
    key = f"{PROJECT}:{CONFIG_KEY}"
    raw = config.get(key)
    if raw is None:
        problems.append(Problem(key, "nothing", "this key is required: the whole platform config (see the README)"))
    else:
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                pass
        try:
            platform = load_platform_config(raw)
        except ConfigError as err:
            problems += err.problems
        else:
            problems += workload_secret_problems(platform, config)
            if not problems:
                return platform
    raise ConfigError(problems)


def workload_secret_problems(platform: PlatformConfig, config: dict[str, Any]) -> list[Problem]:
    """Every secret a workload references must be a key of ``flink-platform:workloadSecrets`` (values unread)."""
    from components.workload_spec import referenced_secrets

    raw = config.get(SECRETS_CONFIG_KEY)
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    defined = sorted(raw) if isinstance(raw, dict) else []
    problems = []
    if isinstance(raw, dict) and raw and not _secure_leaves(raw) and not _is_config_secret(SECRETS_CONFIG_KEY):
        problems.append(Problem(
            SECRETS_CONFIG_KEY, "plaintext values",
            f"set each value as a secret (`pulumi config set --secret --path '{SECRETS_CONFIG_KEY.split(':')[1]}."
            "<name>' VALUE`), so the stack file holds only ciphertext"))
    return problems + [
        Problem(path, repr(key), f"must be a key of the secret config map {SECRETS_CONFIG_KEY} (set it with "
                f"`pulumi config set --secret --path '{SECRETS_CONFIG_KEY.split(':')[1]}.{key}' VALUE`); "
                f"defined: {', '.join(defined) or 'none'}")
        for path, key in referenced_secrets(platform.workloads)
        if key not in defined
    ]


def _secure_leaves(raw: dict[str, Any]) -> bool:
    """Every value is an encrypted stack-file entry (``{secure: <ciphertext>}``), as the offline plan reads it."""
    return all(isinstance(v, dict) and set(v) == {"secure"} for v in raw.values())


def _is_config_secret(key: str) -> bool:
    from pulumi.runtime import config as runtime

    return runtime.is_config_secret(key)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_PLAIN_KEY = r"[A-Za-z_][A-Za-z0-9_-]*"


def _path(loc: tuple[Any, ...]) -> str:
    out = CONFIG_ROOT
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            out += " (the key)"
        elif names.matches(_PLAIN_KEY, str(part)):
            out += f".{part}"
        else:
            out += f"[{str(part)!r}]"
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
    value = error.get("input")
    if kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
        field = str(loc[-1]) if loc else "value"
        message += (
            f"; YAML read an unquoted value as the number {value!r}: quote it in the stack file, e.g. "
            f'{field}: "{value}" (and mind that unquoted YAML drops trailing zeros: 1.30 becomes 1.3)'
        )
    return Problem(_path(loc), _show(value), message)


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
