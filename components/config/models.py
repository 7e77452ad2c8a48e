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
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from components.config import labels as L
from components.config import names
from components.config import quantities
from components.operator import upstream
from components.workloads.config import WorkloadsConfig

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
LabelKey = Annotated[str, AfterValidator(_label_key), WithJsonSchema(names.LABEL_KEY_SCHEMA)]
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



def _quantity(value: str) -> str:
    try:
        quantities.parse_quantity(value)
    except quantities.QuantityError as err:
        raise ValueError(str(err)) from None
    return value


Quantity = Annotated[
    str,
    AfterValidator(_quantity),
    WithJsonSchema({"type": "string", "description": quantities.QUANTITY_RULE}),
]


# --- the operator install (issue 7): image, replicas, watch mode, webhook, network -------------------------------------

_IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_IMAGE_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_IMAGE_REPOSITORY = re.compile(r"[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*")
_CIDR = re.compile(
    r"((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)/(3[0-2]|[12]?\d)"
)


def _fullmatch(pattern: re.Pattern[str], what: str) -> Any:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"must be {what} (pattern {pattern.pattern})")
        return value

    return check


def _cidr(value: str) -> str:
    import ipaddress

    _fullmatch(_CIDR, "an IPv4 CIDR such as 10.0.0.0/16")(value)
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError("must be an IPv4 CIDR whose host bits are zero (e.g. 10.0.0.0/16, not 10.0.0.1/16)") from None
    return value


def _image_tag(value: str) -> str:
    _fullmatch(_IMAGE_TAG, "an image tag")(value)
    if value == "latest":
        raise ValueError("'latest' is not a pinned image; use a release tag (e.g. 1.15.0) or a digest")
    return value


ImageTag = Annotated[str, AfterValidator(_image_tag), WithJsonSchema({"type": "string", "pattern": names.json_schema_pattern(_IMAGE_TAG.pattern), "not": {"const": "latest"}})]
ImageDigest = Annotated[
    str,
    AfterValidator(_fullmatch(_IMAGE_DIGEST, "an image digest 'sha256:' + 64 hex digits")),
    WithJsonSchema({"type": "string", "pattern": names.json_schema_pattern(_IMAGE_DIGEST.pattern)}),
]
ImageRepository = Annotated[
    str,
    AfterValidator(_fullmatch(_IMAGE_REPOSITORY, "an image repository (registry/path, lower case)")),
    WithJsonSchema({"type": "string", "pattern": names.json_schema_pattern(_IMAGE_REPOSITORY.pattern)}),
]
Cidr = Annotated[str, AfterValidator(_cidr), WithJsonSchema({"type": "string", "pattern": names.json_schema_pattern(_CIDR.pattern)})]
Port = Annotated[int, Field(ge=1, le=65535)]


class ImageConfig(_Model):
    """The operator image, pinned: a release tag (default: the operator version) or a digest (wins over the tag)."""

    repository: ImageRepository = Field(default=upstream.OPERATOR_IMAGE_REPOSITORY)
    tag: ImageTag | None = Field(default=None, description="Image tag; unset means the operator version. Never 'latest'.")
    digest: ImageDigest | None = Field(default=None, description="sha256 digest; when set it is used instead of the tag.")
    pull_policy: Literal["IfNotPresent", "Always", "Never"] = Field(default=upstream.OPERATOR_IMAGE_PULL_POLICY)


class ResourcesConfig(_Model):
    """Container resources (requests and limits by resource name)."""

    requests: dict[Literal["cpu", "memory", "ephemeral-storage"], Quantity] = Field(default_factory=dict)
    limits: dict[Literal["cpu", "memory", "ephemeral-storage"], Quantity] = Field(default_factory=dict)

    def to_k8s(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        if self.limits:
            out["limits"] = dict(sorted(self.limits.items()))
        if self.requests:
            out["requests"] = dict(sorted(self.requests.items()))
        return out


class WebhookConfig(_Model):
    """The operator's admission webhook (validating + mutating), served with a cert-manager certificate."""

    enabled: bool = Field(default=False, description="Run the flink-webhook container and register both webhooks.")
    keystore_password_config_key: str = Field(
        default="webhookKeystorePassword",
        pattern=r"^[A-Za-z][A-Za-z0-9_-]*$",
        description="Key (in the flink-platform config namespace) of the Pulumi *secret* config value holding the "
        "PKCS12 keystore password: `pulumi config set --secret flink-platform:<key> ...`.",
    )
    cert_manager_version: str | None = Field(
        default=None,
        pattern=r"^v1\.\d+\.\d+$",
        description="cert-manager release installed in the cluster (its CRDs are declared available); the offline "
        "plan validates the Issuer and Certificate against that release's pinned CRDs (CRD cache or cert-manager's Go "
        "module).",
    )
    resources: ResourcesConfig = Field(default_factory=ResourcesConfig)


class ExtraEgressConfig(_Model):
    """Extra egress of the operator pod beyond the API server, JobManager REST and DNS."""

    enabled: bool = Field(default=False)
    dst_nets: list[Cidr] = Field(default_factory=list, description="Destination CIDRs (all destinations if empty).")
    dst_ports: list[Port] = Field(default_factory=list, description="Destination TCP ports (all ports if empty).")

    @model_validator(mode="after")
    def _something_to_allow(self) -> ExtraEgressConfig:
        if self.enabled and not self.dst_nets and not self.dst_ports:
            raise ValueError("enabled extra egress needs dstNets, dstPorts or both (neither would allow everything)")
        if not self.enabled and (self.dst_nets or self.dst_ports):
            raise ValueError("dstNets/dstPorts are only allowed when enabled is true")
        return self


class OperatorSettings(_Model):
    """How one operator runs: shared by the platform's operator and tenants' own operators."""

    image: ImageConfig = Field(default_factory=ImageConfig)
    replicas: int = Field(default=1, ge=1, le=5, description="More than 1 turns on leader election (and a PDB).")
    watch: Literal["namespaces", "cluster"] = Field(
        default="namespaces",
        description="'namespaces': namespaced RBAC in each watched namespace (default); 'cluster': ClusterRole, "
        "every namespace (only when explicitly asked, and only without tenant operators).",
    )
    dynamic_namespaces: bool = Field(
        default=True,
        description="The operator picks up a changed watched-namespace list from its ConfigMap without a restart.",
    )
    existing_namespace: bool = Field(default=False, description="The operator namespace exists; do not create it.")
    webhook: WebhookConfig = Field(default_factory=WebhookConfig)
    log_level: Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] = Field(default="INFO")
    resources: ResourcesConfig = Field(default_factory=ResourcesConfig)
    flavour: Literal["kubernetes", "openshift"] = Field(
        default="kubernetes",
        description="'openshift' leaves runAsUser/runAsGroup/fsGroup to the cluster's security context constraints.",
    )
    metrics_port: Port = Field(default=upstream.OPERATOR_METRICS_PORT_DEFAULT, description="Prometheus reporter port.")
    nodes_rule: bool = Field(default=False, description="Grant 'list nodes' (needed for NodePort REST services).")
    config: dict[str, str] = Field(
        default_factory=dict, description="Operator defaults added to config.yaml (key: value, e.g. reconcile interval)."
    )
    extra_egress: ExtraEgressConfig = Field(default_factory=ExtraEgressConfig)

    @field_validator("config")
    @classmethod
    def _config_keys_owned_by_the_platform(cls, config: dict[str, str]) -> dict[str, str]:
        owned = {
            upstream.KEY_WATCHED_NAMESPACES, upstream.KEY_HEALTH_PROBE_PORT, upstream.KEY_HEALTH_PROBE_ENABLED,
            upstream.KEY_LEADER_ELECTION, upstream.KEY_LEASE_NAME, upstream.KEY_DYNAMIC_NAMESPACES,
            upstream.KEY_PROM_PORT,
        }
        clash = sorted(owned & set(config))
        if clash:
            raise ValueError(
                f"config keys {clash} are set by the platform from replicas, watch, dynamicNamespaces, metricsPort; "
                "use those fields"
            )
        return config


class NetworkPeer(_Model):
    """A traffic source: CIDRs, or pods (podLabels, empty = all) in namespaces (by name; empty = any namespace)."""

    cidrs: list[Cidr] = Field(default_factory=list)
    namespaces: list[KubernetesName] = Field(default_factory=list)
    pod_labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_kind(self) -> NetworkPeer:
        if self.cidrs and (self.namespaces or self.pod_labels):
            raise ValueError("a peer is either cidrs or namespaces/podLabels, not both")
        return self


class DnsConfig(_Model):
    namespace: KubernetesName = Field(default="kube-system")
    pod_labels: dict[LabelKey, LabelValue] = Field(default_factory=lambda: {"k8s-app": "kube-dns"})
    port: Port = 53


class EgressRule(_Model):
    """Egress of Flink pods to an outside service (Kafka, S3, ZooKeeper) by CIDR and port."""

    name: KubernetesName = Field(description="What it is for (kafka, s3, zookeeper); part of the policy name.")
    dst_nets: list[Cidr] = Field(min_length=1)
    dst_ports: list[Port] = Field(min_length=1)


class NetworkConfig(_Model):
    """Network policies of the operator pods and of every Flink namespace."""

    enabled: bool = Field(default=True)
    api_server_cidrs: list[Cidr] = Field(
        default_factory=list, description="Where the Kubernetes API server is (egress; webhook ingress from it)."
    )
    api_server_port: Port = Field(default=443)
    dns: DnsConfig = Field(default_factory=DnsConfig)
    health_sources: list[NetworkPeer] = Field(default_factory=list, description="May reach the operator health port.")
    metrics_sources: list[NetworkPeer] = Field(
        default_factory=list, description="May reach the operator metrics port (Prometheus)."
    )

    @model_validator(mode="after")
    def _api_server_known(self) -> NetworkConfig:
        if self.enabled and not self.api_server_cidrs:
            raise ValueError("apiServerCidrs is required when network policies are enabled")
        return self


class TenantOperatorConfig(OperatorSettings):
    """A tenant's own operator: it watches exactly the tenant's namespaces."""

    namespace: KubernetesName = Field(description="The tenant operator's namespace (not one of the tenant's own).")


class OperatorConfig(OperatorSettings):
    """The Flink Kubernetes Operator release and where it lives."""

    version: OperatorVersion = Field(description="Operator release; the CRDs are pinned per release.")
    namespace: KubernetesName = Field(default="flink-operator", description="Namespace of the operator.")
    crds: CrdsConfig = Field(default_factory=CrdsConfig)




def _overlay(base: BaseModel, override: BaseModel | None) -> Any:
    """``base`` with the fields ``override`` sets explicitly (a tenant overrides the platform field by field)."""
    if override is None:
        return base
    updates = {}
    for name in override.model_fields_set:
        value = getattr(override, name)
        current = getattr(base, name)
        updates[name] = _overlay(current, value) if isinstance(value, BaseModel) else value
    return base.model_copy(update=updates)


class QuotaConfig(_Model):
    """A ResourceQuota per tenant namespace: compute and object counts one team may use."""

    requests_cpu: Quantity = Field(default="16", description="requests.cpu of all pods in the namespace")
    requests_memory: Quantity = Field(default="64Gi", description="requests.memory of all pods in the namespace")
    limits_cpu: Quantity = Field(default="32", description="limits.cpu of all pods in the namespace")
    limits_memory: Quantity = Field(default="128Gi", description="limits.memory of all pods in the namespace")
    pods: int = Field(default=100, ge=0, description="number of pods")
    flink_deployments: int = Field(default=20, ge=0, description="number of FlinkDeployments")
    flink_session_jobs: int = Field(default=50, ge=0, description="number of FlinkSessionJobs")


class ContainerResources(_Model):
    cpu: Quantity
    memory: Quantity


class LimitRangeConfig(_Model):
    """A LimitRange per tenant namespace: what a container gets when it says nothing, and the most it may ask."""

    default_request: ContainerResources = Field(
        default=ContainerResources(cpu="250m", memory="512Mi"), description="requests of a container without any"
    )
    default: ContainerResources = Field(
        default=ContainerResources(cpu="1", memory="2Gi"), description="limits of a container without any"
    )
    max: ContainerResources = Field(
        default=ContainerResources(cpu="8", memory="32Gi"), description="the largest limit one container may set"
    )


class GuardRailsConfig(_Model):
    """ResourceQuota and LimitRange of every tenant namespace; a tenant overrides field by field."""

    quota: QuotaConfig = Field(default_factory=QuotaConfig)
    limit_range: LimitRangeConfig = Field(default_factory=LimitRangeConfig)

    def problems(self) -> list[tuple[str, str, str]]:
        """(relative path, found, rule) for every inconsistency of the effective guard rails."""
        out = []
        for kind in ("cpu", "memory"):
            request, limit = getattr(self.quota, f"requests_{kind}"), getattr(self.quota, f"limits_{kind}")
            if quantities.parse_quantity(request) > quantities.parse_quantity(limit):
                out.append((f"quota.requests{kind.capitalize()}", repr(request),
                            f"is more than quota.limits{kind.capitalize()} {limit!r}; a quota's limits must cover "
                            "its requests"))
            steps = [("defaultRequest", self.limit_range.default_request), ("default", self.limit_range.default),
                     ("max", self.limit_range.max)]
            for (low_name, low), (high_name, high) in zip(steps, steps[1:]):
                low_v, high_v = getattr(low, kind), getattr(high, kind)
                if quantities.parse_quantity(low_v) > quantities.parse_quantity(high_v):
                    out.append((f"limitRange.{low_name}.{kind}", repr(low_v),
                                f"is more than limitRange.{high_name}.{kind} {high_v!r}; defaultRequest <= default "
                                "<= max must hold"))
        return out


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
    operator: TenantOperatorConfig | None = Field(
        default=None, description="The tenant's own operator; unset means the platform's shared operator watches it."
    )
    egress: list[EgressRule] = Field(
        default_factory=list, description="Egress of the tenant's Flink pods (Kafka, S3, ZooKeeper) by CIDR and port."
    )

    guard_rails: GuardRailsConfig | None = Field(
        default=None,
        description="Overrides of the platform's guardRails for this tenant's namespaces (only the fields set here).",
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
    guard_rails: GuardRailsConfig = Field(
        default_factory=GuardRailsConfig,
        description="Platform defaults for every tenant namespace's ResourceQuota and LimitRange.",
    )
    network: NetworkConfig = Field(default_factory=lambda: NetworkConfig(enabled=False))
    workloads: WorkloadsConfig = Field(
        default_factory=WorkloadsConfig,
        description="Flink workloads (application and session clusters, session jobs) and their platform defaults.",
    )

    def guard_rails_for(self, tenant: TenantConfig) -> GuardRailsConfig:
        """The guard rails of ``tenant``'s namespaces: the platform's, with the tenant's own fields over them."""
        return _overlay(self.guard_rails, tenant.guard_rails)


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
        message += _quote_hint(loc, value)
    return Problem(_path(loc), _show(value), message)


def _quote_hint(loc: tuple[Any, ...], value: int | float) -> str:
    """What to write instead of a number YAML read where a string belongs: the right unit for a memory size, the
    supported versions for a Kubernetes version, else the number quoted."""
    field = str(loc[-1]) if loc else "value"
    said = f"; YAML read an unquoted value as the number {value!r}"
    if field == "kubernetesVersion":
        meant = [v for v in SUPPORTED_KUBERNETES_VERSIONS if float(v) == value]
        example = meant[0] if meant else SUPPORTED_KUBERNETES_VERSIONS[-1]
        return (f'{said}: quote it, e.g. {field}: "{example}" (unquoted YAML drops trailing zeros: 1.30 becomes '
                f"1.3); supported: {', '.join(SUPPORTED_KUBERNETES_VERSIONS)}")
    if field.lower().endswith("memory") and isinstance(value, int):
        if loc and loc[0] == "workloads":  # a Flink memory size: m is MiB, a bare number is bytes
            return (f'{said}, which would be {value} bytes: give the unit, e.g. {field}: "{value}m" ({value} MiB; '
                    "Flink units b, k, m, g, t are 1024-based)")
        return (f'{said}, which would be {value} bytes: give the unit, e.g. {field}: "{value}Mi" ({value} MiB; '
                "Kubernetes units Ki, Mi, Gi are 1024-based, k, M, G 1000-based)")
    return (f"{said}: quote it in the stack file, e.g. "
            f'{field}: "{value}" (and mind that unquoted YAML drops trailing zeros: 1.30 becomes 1.3)')


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
