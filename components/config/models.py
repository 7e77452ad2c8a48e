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
    PlainValidator,
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
from components.operator import upstream, validation
from components.config.kube import (  # noqa: F401  (re-exported: the config's names and pod shapes)
    Affinity,
    KubernetesName,
    KubernetesSubdomain,
    LabelKey,
    LabelSelector,
    LabelSelectorRequirement,
    LabelValue,
    NodeAffinity,
    NodeSelector,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    PodAffinity,
    PodAffinityTerm,
    PodDnsConfig,
    PodDnsOption,
    PreferredSchedulingTerm,
    SchedulingConfig,
    Toleration,
    TopologySpreadConstraint,
    WeightedPodAffinityTerm,
    _dns_label,
    _dns_subdomain,
    _exactly_one,
    _KubeModel,
    _label_key,
    _label_value,
    _Model,
)
from components.workloads.config import SECRETS_CONFIG_KEY, SecretName, TenantWorkloadDefaults, WorkloadsConfig

#: The stack config key (project namespace ``flink-platform``) holding the whole platform config.
CONFIG_KEY = "platform"
CONFIG_ROOT = "platform"

#: Kubernetes minor versions a stack may declare. The offline plan validates every object against the official
#: OpenAPI schema of this version, so the range is the range the pinned kubernetes-validate release ships.
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = tuple(f"1.{minor}" for minor in range(25, 38))



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


KubernetesVersion = Annotated[
    str, AfterValidator(_kubernetes_version), WithJsonSchema({"enum": list(SUPPORTED_KUBERNETES_VERSIONS)})
]
OperatorVersion = Annotated[
    str, AfterValidator(_operator_version), WithJsonSchema({"enum": list(upstream.SUPPORTED_OPERATOR_VERSIONS)})
]


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


# --- everything a Helm-chart user sets (issue 20): env, volumes, extra containers (the pod shapes and scheduling
# keys live in components.config.kube, shared with the workloads' Flink pods) ------------------------------------

class ObjectKeyRef(_KubeModel):
    name: KubernetesSubdomain
    key: str = Field(min_length=1)
    optional: bool | None = None


class ObjectFieldRef(_KubeModel):
    field_path: str = Field(min_length=1)
    api_version: str | None = None


class ResourceFieldRef(_KubeModel):
    resource: str = Field(min_length=1)
    container_name: KubernetesName | None = None
    divisor: Quantity | None = None


class EnvVarSource(_KubeModel):
    field_ref: ObjectFieldRef | None = None
    resource_field_ref: ResourceFieldRef | None = None
    config_map_key_ref: ObjectKeyRef | None = None
    secret_key_ref: ObjectKeyRef | None = None

    @model_validator(mode="after")
    def _one_source(self) -> EnvVarSource:
        _exactly_one(self, ("field_ref", "resource_field_ref", "config_map_key_ref", "secret_key_ref"), "valueFrom")
        return self


_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")


class EnvVar(_KubeModel):
    name: Annotated[str, AfterValidator(_fullmatch(_ENV_NAME, "an environment variable name"))]
    value: str | None = None
    value_from: EnvVarSource | None = None

    @model_validator(mode="after")
    def _value_or_source(self) -> EnvVar:
        if self.value is not None and self.value_from is not None:
            raise ValueError("an env var has value or valueFrom, not both")
        return self


class ObjectRef(_KubeModel):
    name: KubernetesSubdomain
    optional: bool | None = None


class EnvFromSource(_KubeModel):
    prefix: str | None = None
    config_map_ref: ObjectRef | None = None
    secret_ref: ObjectRef | None = None

    @model_validator(mode="after")
    def _one_source(self) -> EnvFromSource:
        _exactly_one(self, ("config_map_ref", "secret_ref"), "envFrom")
        return self


class ExecAction(_KubeModel):
    command: list[str] = Field(min_length=1)


class HttpHeader(_KubeModel):
    name: str = Field(min_length=1)
    value: str


def _port_or_name(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
        return value
    if isinstance(value, str) and names.matches(r"[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?", value) and re.search(
            "[a-z]", value):
        return value
    raise ValueError("must be a port number 1..65535 or a port name (at most 15 lower-case letters, digits, '-')")


PortOrName = Annotated[
    Union[int, str], PlainValidator(_port_or_name),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1, "maximum": 65535}, {"type": "string"}]}),
]


class HttpGetAction(_KubeModel):
    path: str | None = None
    port: PortOrName
    host: str | None = None
    scheme: Literal["HTTP", "HTTPS"] | None = None
    http_headers: list[HttpHeader] | None = None


class TcpSocketAction(_KubeModel):
    port: PortOrName
    host: str | None = None


class SleepAction(_KubeModel):
    seconds: int = Field(ge=0)


class LifecycleHandler(_KubeModel):
    """A container lifecycle hook (core/v1 LifecycleHandler): exactly one of exec, httpGet, tcpSocket, sleep."""

    exec: ExecAction | None = None
    http_get: HttpGetAction | None = None
    tcp_socket: TcpSocketAction | None = None
    sleep: SleepAction | None = None

    @model_validator(mode="after")
    def _one_action(self) -> LifecycleHandler:
        _exactly_one(self, ("exec", "http_get", "tcp_socket", "sleep"), "a lifecycle handler")
        return self


def _absolute_path(value: str) -> str:
    if not value.startswith("/") or "\n" in value:
        raise ValueError("must be an absolute path")
    return value


AbsolutePath = Annotated[str, AfterValidator(_absolute_path)]


class VolumeMount(_KubeModel):
    name: KubernetesName
    mount_path: AbsolutePath
    read_only: bool | None = None
    recursive_read_only: Literal["Disabled", "IfPossible", "Enabled"] | None = None
    sub_path: str | None = None
    sub_path_expr: str | None = None
    mount_propagation: Literal["None", "HostToContainer", "Bidirectional"] | None = None


#: The volume sources of core/v1 Volume (checked against the OpenAPI schema of every supported Kubernetes version).
VOLUME_SOURCES = (
    "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "configMap", "csi", "downwardAPI",
    "emptyDir", "ephemeral", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo", "glusterfs", "hostPath",
    "image", "iscsi", "nfs", "persistentVolumeClaim", "photonPersistentDisk", "portworxVolume", "projected",
    "quobyte", "rbd", "scaleIO", "secret", "storageos", "vsphereVolume",
)


class Volume(_KubeModel):
    """A pod volume (core/v1 Volume): a name and exactly one source; the source's own fields are checked against
    the cluster version's OpenAPI schema by the offline plan."""

    model_config = ConfigDict(extra="allow")
    name: KubernetesName

    @model_validator(mode="after")
    def _one_known_source(self) -> Volume:
        extra = dict(self.model_extra or {})
        unknown = sorted(k for k in extra if k not in VOLUME_SOURCES)
        if unknown:
            raise ValueError(f"unknown volume key(s) {unknown}; allowed: name and one of {', '.join(VOLUME_SOURCES)}")
        if len(extra) != 1:
            raise ValueError(f"a volume needs exactly one source of {', '.join(VOLUME_SOURCES)} (found "
                             f"{', '.join(sorted(extra)) or 'none'})")
        if not all(isinstance(v, dict) for v in extra.values()):
            raise ValueError("a volume source is a mapping (e.g. emptyDir: {})")
        return self

    def to_k8s(self) -> dict[str, Any]:
        return {"name": self.name, **(self.model_extra or {})}


class ContainerPort(_KubeModel):
    container_port: Port
    name: KubernetesName | None = None
    protocol: Literal["TCP", "UDP", "SCTP"] | None = None
    host_port: Port | None = None
    host_ip: str | None = Field(default=None, alias="hostIP")


class ExtraContainer(_KubeModel):
    """An init or sidecar container of the operator pod (core/v1 Container, rendered as given). Its
    securityContext is the platform's (restricted, as the operator's containers), so it is not a key here; probes
    are checked against the cluster version's OpenAPI schema by the offline plan."""

    name: KubernetesName
    image: Annotated[str, Field(min_length=1)]
    image_pull_policy: Literal["IfNotPresent", "Always", "Never"] | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    working_dir: AbsolutePath | None = None
    env: list[EnvVar] | None = None
    env_from: list[EnvFromSource] | None = None
    ports: list[ContainerPort] | None = None
    resources: ResourcesConfig | None = None
    volume_mounts: list[VolumeMount] | None = None
    lifecycle: dict[Literal["postStart", "preStop"], LifecycleHandler] | None = None
    liveness_probe: dict[str, Any] | None = None
    readiness_probe: dict[str, Any] | None = None
    startup_probe: dict[str, Any] | None = None
    restart_policy: Literal["Always"] | None = Field(
        default=None, description="'Always' on an init container makes it a native sidecar (Kubernetes 1.29+).")
    termination_message_path: AbsolutePath | None = None
    termination_message_policy: Literal["File", "FallbackToLogsOnError"] | None = None
    stdin: bool | None = None
    stdin_once: bool | None = None
    tty: bool | None = None

    def to_k8s(self) -> dict[str, Any]:
        out = super().to_k8s()
        if self.resources is not None:
            out["resources"] = self.resources.to_k8s()
        return out


def _config_scalar(value: Any) -> bool | int | float | str:
    if isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError("must be a scalar: a string, a number or a boolean (config.yaml keys are flat)")


ConfigScalar = Annotated[
    Union[bool, int, float, str], PlainValidator(_config_scalar),
    WithJsonSchema({"type": ["string", "number", "integer", "boolean"]}),
]


def _jvm_args(value: str) -> str:
    for token in value.split():
        if not token.startswith("-") or token.endswith(":"):
            raise ValueError(f"JVM options are space-separated tokens each starting with '-' (found {token!r})")
    if value != " ".join(value.split()):
        raise ValueError("JVM options are separated by single spaces, without leading or trailing space")
    return value


JvmArgs = Annotated[
    str, AfterValidator(_jvm_args),
    Field(description="JVM options of the container (the chart's JVM_ARGS), e.g. '-Xmx1g -XX:+UseG1GC'."),
]


def _env_names_not_owned(env: list[EnvVar], owned: tuple[str, ...]) -> list[EnvVar]:
    clash = sorted({e.name for e in env} & set(owned))
    if clash:
        raise ValueError(f"env {clash} are set by the platform (as the chart does: {', '.join(owned)}); "
                         "use jvmArgs for JVM_ARGS and logging for the log config")
    return env


#: The writable emptyDir at /tmp of the operator containers (their root filesystem is read-only).
OPERATOR_TMP_VOLUME = "tmp"
#: Pod annotations the platform writes on the operator pods (a stack value would be overwritten).
_PLATFORM_POD_ANNOTATIONS = (L.CONFIG_CHECKSUM, L.PROMETHEUS_SCRAPE, L.PROMETHEUS_PORT, L.PROMETHEUS_PATH,
                             upstream.DEFAULT_CONTAINER_ANNOTATION)


def _no_platform_keys(what: str, value: dict[str, str], owned: tuple[str, ...], reserved: bool) -> dict[str, str]:
    clash = sorted(k for k in value if k in owned or (reserved and L.is_reserved(k)))
    if clash:
        raise ValueError(f"{what} key(s) {', '.join(map(repr, clash))} are written by the platform itself "
                         f"(reserved: {', '.join(owned + (L.RESERVED_PREFIXES + L.RESERVED_KEYS if reserved else ()))})")
    return value


class OperatorPodConfig(SchedulingConfig):
    """The operator pod (the chart's ``operatorPod``): metadata, scheduling and DNS."""

    annotations: dict[LabelKey, str] = Field(default_factory=dict, description="Extra pod annotations.")
    labels: dict[LabelKey, LabelValue] = Field(
        default_factory=dict, description="Extra labels of the Deployment and its pods (the chart puts them on both).")
    dns_policy: Literal["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"] | None = None
    dns_config: PodDnsConfig | None = None
    env: list[EnvVar] = Field(default_factory=list, description="Extra env of the operator container.")
    env_from: list[EnvFromSource] = Field(default_factory=list, description="envFrom of the operator container.")
    post_start: LifecycleHandler | None = Field(default=None, description="postStart hook of the operator container.")
    init_containers: list[ExtraContainer] = Field(default_factory=list)
    sidecar_containers: list[ExtraContainer] = Field(default_factory=list)
    volumes: list[Volume] = Field(
        default_factory=list,
        description=f"Pod volumes (the chart's operatorVolumes): they replace the {upstream.OPERATOR_ARTIFACTS_VOLUME} "
        "emptyDir.")
    volume_mounts: list[VolumeMount] = Field(
        default_factory=list,
        description="Mounts of the operator container (the chart's operatorVolumeMounts): they replace the artifacts "
        f"mount, so one of them must mount {upstream.FLINK_ARTIFACTS_DIR} (the root filesystem is read-only).")

    @field_validator("env")
    @classmethod
    def _env_not_owned(cls, value: list[EnvVar]) -> list[EnvVar]:
        return _env_names_not_owned(value, upstream.OPERATOR_ENV_NAMES)

    @model_validator(mode="after")
    def _volumes_and_containers_fit(self) -> OperatorPodConfig:
        platform = (upstream.OPERATOR_CONFIG_VOLUME, OPERATOR_TMP_VOLUME, upstream.WEBHOOK_KEYSTORE_VOLUME)
        names_ = [v.name for v in self.volumes]
        taken = sorted({n for n in names_ if n in platform or names_.count(n) > 1})
        if taken:
            raise ValueError(f"volume name(s) {taken} are used twice or by the platform ({', '.join(platform)})")
        available = set(names_ or [upstream.OPERATOR_ARTIFACTS_VOLUME]) | {upstream.OPERATOR_CONFIG_VOLUME,
                                                                          OPERATOR_TMP_VOLUME}
        if self.volumes and not self.volume_mounts and upstream.OPERATOR_ARTIFACTS_VOLUME not in names_:
            raise ValueError(f"with volumes, the default mount of {upstream.OPERATOR_ARTIFACTS_VOLUME} needs a volume "
                             "of that name; or set volumeMounts")
        if self.volume_mounts and upstream.FLINK_ARTIFACTS_DIR not in {m.mount_path for m in self.volume_mounts}:
            raise ValueError(f"volumeMounts replace the artifacts mount: one must mount {upstream.FLINK_ARTIFACTS_DIR} "
                             "(the operator writes there; the root filesystem is read-only)")
        platform_paths = {upstream.FLINK_CONF_DIR, "/tmp"}
        for where, mounts in [("volumeMounts", self.volume_mounts)] + [
                (f"container {c.name!r}", c.volume_mounts or []) for c in self.init_containers + self.sidecar_containers]:
            for m in mounts:
                if m.name not in available:
                    raise ValueError(f"{where}: mount of {m.name!r}, which is not a volume of the pod "
                                     f"({', '.join(sorted(available))})")
                if where == "volumeMounts" and m.mount_path in platform_paths:
                    raise ValueError(f"volumeMounts: {m.mount_path} is mounted by the platform")
        containers = [c.name for c in self.init_containers + self.sidecar_containers]
        clash = sorted({n for n in containers if containers.count(n) > 1 or n in (
            upstream.OPERATOR_CONTAINER_NAME, upstream.WEBHOOK_CONTAINER_NAME)})
        if clash:
            raise ValueError(f"container name(s) {clash} are used twice or by the operator pod")
        return self

    @field_validator("annotations")
    @classmethod
    def _annotations_not_owned(cls, value: dict[str, str]) -> dict[str, str]:
        return _no_platform_keys("annotation", value, _PLATFORM_POD_ANNOTATIONS, reserved=False)

    @field_validator("labels")
    @classmethod
    def _labels_not_owned(cls, value: dict[str, str]) -> dict[str, str]:
        return _no_platform_keys("label", value, (L.APP_NAME, L.APP_INSTANCE), reserved=True)

    @model_validator(mode="after")
    def _dns_none_needs_config(self) -> OperatorPodConfig:
        if self.dns_policy == "None" and not (self.dns_config and self.dns_config.nameservers):
            raise ValueError("dnsPolicy 'None' needs dnsConfig.nameservers (the pod would have no DNS at all)")
        return self

    def to_k8s(self) -> dict[str, Any]:
        out = super().to_k8s()
        if self.dns_policy:
            out["dnsPolicy"] = self.dns_policy
        if self.dns_config is not None and self.dns_config.to_k8s():
            out["dnsConfig"] = self.dns_config.to_k8s()
        return out


class OperatorServiceAccountConfig(_Model):
    """The operator's ServiceAccount (the chart's ``operatorServiceAccount``); annotations carry workload identity
    (``eks.amazonaws.com/role-arn``, ``iam.gke.io/gcp-service-account``, ``azure.workload.identity/client-id``)."""

    create: bool = Field(default=True, description="False: the ServiceAccount `name` exists; it is not declared.")
    name: KubernetesSubdomain = Field(default=upstream.OPERATOR_SERVICE_ACCOUNT)
    annotations: dict[LabelKey, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _annotations_need_create(self) -> OperatorServiceAccountConfig:
        if self.annotations and not self.create:
            raise ValueError("annotations are only written on a ServiceAccount the platform creates (create: true)")
        return self


class JobServiceAccountConfig(_Model):
    """The job ServiceAccount ``flink`` in each watched namespace (the chart's ``jobServiceAccount``): annotations for
    workload identity, so JobManagers and TaskManagers reach checkpoint storage without keys."""

    annotations: dict[LabelKey, str] = Field(default_factory=dict)


class RbacConfig(_Model):
    """The chart's ``rbac``: whether the Roles and bindings are declared, and their names (Roles, never a
    ClusterRole referenced by a name with ':')."""

    create: bool = Field(default=True, description="False: no Roles or bindings (they exist); job ServiceAccounts stay.")
    operator_role: KubernetesSubdomain = Field(default=upstream.OPERATOR_ROLE)
    operator_role_binding: KubernetesSubdomain = Field(default=upstream.OPERATOR_ROLE_BINDING)
    job_role: KubernetesSubdomain = Field(default=upstream.JOB_ROLE)
    job_role_binding: KubernetesSubdomain = Field(default=upstream.JOB_ROLE_BINDING)

    @model_validator(mode="after")
    def _distinct(self) -> RbacConfig:
        if self.operator_role == self.job_role or self.operator_role_binding == self.job_role_binding:
            raise ValueError("the operator's and the job's Role (and RoleBinding) share namespaces: their names differ")
        return self


_PROPERTY_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.$-]*")


def _properties(value: dict[str, str]) -> dict[str, str]:
    for key, text in value.items():
        _fullmatch(_PROPERTY_KEY, "a log4j2 property key such as logger.operator.level")(key)
        if "\n" in text or "\r" in text:
            raise ValueError(f"the value of {key!r} spans lines; a property is one line")
    return value


def _logback_xml(value: str) -> str:
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(value)
    except ET.ParseError as err:
        raise ValueError(f"is not well-formed XML ({err})") from None
    if root.tag != "configuration":
        raise ValueError(f"a logback file's root element is <configuration>, not <{root.tag}>")
    return value


Log4jProperties = Annotated[dict[str, str], AfterValidator(_properties)]
LogbackXml = Annotated[str, AfterValidator(_logback_xml)]


class LoggingConfig(_Model):
    """The operator's logging (the chart's ``logging.framework`` and ``defaultConfiguration`` log files)."""

    framework: Literal["log4j2", "logback"] = Field(
        default="log4j2", description="'logback' mounts logbackOperator/logbackConsole instead of the log4j2 files.")
    log4j_operator: Log4jProperties = Field(
        default_factory=dict, alias="log4jOperator", description="log4j-operator.properties entries over the chart's defaults.")
    log4j_console: Log4jProperties = Field(
        default_factory=dict, alias="log4jConsole", description="log4j-console.properties entries (Flink pods' default logging).")
    logback_operator: LogbackXml | None = Field(default=None, description="logback-operator.xml (whole file).")
    logback_console: LogbackXml | None = Field(default=None, description="logback-console.xml (whole file).")

    @model_validator(mode="after")
    def _files_of_the_framework(self) -> LoggingConfig:
        if self.framework == "logback" and not (self.logback_operator and self.logback_console):
            raise ValueError("framework 'logback' needs logbackOperator and logbackConsole (the platform ships no "
                             "copy of the chart's logback files)")
        if self.framework == "log4j2" and (self.logback_operator or self.logback_console):
            raise ValueError("logbackOperator/logbackConsole are only mounted with framework 'logback'")
        if self.framework == "logback" and (self.log4j_operator or self.log4j_console):
            raise ValueError("log4jOperator/log4jConsole are only mounted with framework 'log4j2'")
        return self


class ProbeTimings(_KubeModel):
    """Timings of a probe (the chart's ``operatorHealth.*Probe``, merged over its defaults as Helm merges values)."""

    initial_delay_seconds: int | None = Field(default=None, ge=0)
    period_seconds: int | None = Field(default=None, ge=1)
    timeout_seconds: int | None = Field(default=None, ge=1)
    failure_threshold: int | None = Field(default=None, ge=1)
    success_threshold: Literal[1] | None = Field(default=None, description="must be 1 for liveness and startup")
    termination_grace_period_seconds: int | None = Field(default=None, ge=1)


class OperatorHealthConfig(_Model):
    """The operator's health endpoint (the chart's ``operatorHealth``)."""

    port: Port = Field(default=upstream.OPERATOR_HEALTH_PORT)
    liveness_probe: ProbeTimings = Field(default_factory=ProbeTimings)
    startup_probe: ProbeTimings = Field(default_factory=ProbeTimings)

    def liveness(self) -> dict[str, int]:
        return {**upstream.LIVENESS_PROBE, **self.liveness_probe.to_k8s()}

    def startup(self) -> dict[str, int]:
        return {**upstream.STARTUP_PROBE, **self.startup_probe.to_k8s()}


class SecretKeyRef(_Model):
    name: KubernetesSubdomain
    key: str = Field(min_length=1, pattern=r"^[-._a-zA-Z0-9]+$")


class OperatorTlsConfig(_Model):
    """TLS between the operator and the Flink REST endpoints (the chart's ``tls``): a Secret with keystore.jks and
    truststore.jks mounted at /opt/flink/tls-cert, the keystore password from another Secret's key."""

    enabled: bool = Field(default=False, description="The chart's tls.create.")
    secret_name: KubernetesSubdomain = Field(default=upstream.TLS_SECRET_NAME)
    secret_key_ref: SecretKeyRef = Field(default_factory=lambda: SecretKeyRef(
        name=upstream.TLS_PASSWORD_SECRET, key=upstream.TLS_PASSWORD_SECRET_KEY))


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
    env: list[EnvVar] = Field(default_factory=list, description="Extra env of the webhook container.")
    jvm_args: JvmArgs = ""
    service_labels: dict[LabelKey, LabelValue] = Field(default_factory=dict, description="Labels of the webhook Service.")

    @field_validator("service_labels")
    @classmethod
    def _service_labels_not_owned(cls, value: dict[str, str]) -> dict[str, str]:
        return _no_platform_keys("label", value, (L.APP_NAME, L.APP_VERSION, L.APP_INSTANCE, L.APP_COMPONENT),
                                 reserved=True)

    @field_validator("env")
    @classmethod
    def _env_not_owned(cls, value: list[EnvVar]) -> list[EnvVar]:
        return _env_names_not_owned(value, upstream.WEBHOOK_ENV_NAMES)


#: CIDRs that stand for every address (issue 17 §9: only as an explicit, named exception).
ANY_ADDRESS = ("0.0.0.0/0",)


def _any_address_named(nets: list[str], reason: str | None) -> None:
    from components.config.tenancy import open_cidr_problem

    open_ = [n for n in nets if n in ANY_ADDRESS or open_cidr_problem(n)]
    if open_ and not reason:
        raise ValueError(f"dstNets {open_} allows every address: name the exception with anyAddressReason, or "
                         "list the destination's own CIDRs")
    if reason and not open_:
        raise ValueError("anyAddressReason is only for dstNets holding 0.0.0.0/0; remove it")


AnyAddressReason = Annotated[str | None, Field(
    default=None, min_length=1, description="Why dstNets holds 0.0.0.0/0 (every address): required then, and only "
    "then, so an open egress is a named, explained exception.")]


class ExtraEgressConfig(_Model):
    """Extra egress of the operator pod beyond the API server, JobManager REST and DNS."""

    enabled: bool = Field(default=False)
    dst_nets: list[Cidr] = Field(default_factory=list, description="Destination CIDRs (all destinations if empty).")
    dst_ports: list[Port] = Field(default_factory=list, description="Destination TCP ports (all ports if empty).")

    any_address_reason: AnyAddressReason = None

    @model_validator(mode="after")
    def _something_to_allow(self) -> ExtraEgressConfig:
        _any_address_named(self.dst_nets, self.any_address_reason)
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
    metrics_reporter: Literal["prometheus", "none"] = Field(
        default="prometheus",
        description="'prometheus': the Prometheus reporter on metricsPort (container port, scrape annotations); "
        "'none': no metrics port, as the chart without metrics.port (other reporters go in config, "
        "kubernetes.operator.metrics.reporter.<name>.*).")
    nodes_rule: bool = Field(default=False, description="Grant 'list nodes' (needed for NodePort REST services).")
    disallow_restricted_artifact_hosts: bool = Field(
        default=upstream.ARTIFACT_DISALLOW_RESTRICTED_HOSTS_DEFAULT,
        description="The operator refuses session-job jars on http(s) hosts with a private, loopback, link-local, "
        f"wildcard or multicast address ({upstream.ARTIFACT_DISALLOW_RESTRICTED_HOSTS_KEY}). False for an internal "
        "artifact server on a private address.",
    )
    config: dict[str, ConfigScalar] = Field(
        default_factory=dict,
        description="Operator config (config.yaml): typed values (durations such as '30 s', booleans, numbers, "
        "memory sizes) checked as the operator parses them; a key the chart sets by default is replaced in place.",
    )
    extra_egress: ExtraEgressConfig = Field(default_factory=ExtraEgressConfig)
    # the chart's values (issue 20)
    image_pull_secrets: list[KubernetesSubdomain] = Field(
        default_factory=list, description="Names of Secrets to pull the image with (the chart's imagePullSecrets).")
    pod: OperatorPodConfig = Field(default_factory=OperatorPodConfig)
    jvm_args: JvmArgs = ""
    service_account: OperatorServiceAccountConfig = Field(default_factory=OperatorServiceAccountConfig)
    job_service_account: JobServiceAccountConfig = Field(default_factory=JobServiceAccountConfig)
    rbac: RbacConfig = Field(default_factory=RbacConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    health: OperatorHealthConfig = Field(default_factory=OperatorHealthConfig)
    tls: OperatorTlsConfig = Field(default_factory=OperatorTlsConfig)

    @model_validator(mode="after")
    def _ports_and_levels_agree(self) -> OperatorSettings:
        if self.metrics_reporter == "none" and "metrics_port" in self.model_fields_set:
            raise ValueError("metricsPort is the Prometheus reporter's port; with metricsReporter 'none' leave it unset")
        if self.health.port in (self.metrics_port, upstream.WEBHOOK_SERVER_PORT):
            raise ValueError(f"health.port {self.health.port} is also the metrics port or the webhook's "
                             f"{upstream.WEBHOOK_SERVER_PORT}; each port of the pod is used once")
        if "log_level" in self.model_fields_set and "rootLogger.level" in self.logging.log4j_operator:
            raise ValueError("logLevel and logging.log4jOperator['rootLogger.level'] both set the root level; "
                             "set one")
        if self.logging.framework == "logback" and "log_level" in self.model_fields_set:
            raise ValueError("logLevel sets the log4j2 root level; with framework 'logback' set the level in "
                             "logging.logbackOperator")
        return self

    @field_validator("config")
    @classmethod
    def _config_keys_owned_by_the_platform(cls, config: dict[str, str]) -> dict[str, str]:
        owned = {
            upstream.KEY_WATCHED_NAMESPACES, upstream.KEY_HEALTH_PROBE_PORT, upstream.KEY_HEALTH_PROBE_ENABLED,
            upstream.KEY_LEADER_ELECTION, upstream.KEY_LEASE_NAME, upstream.KEY_DYNAMIC_NAMESPACES,
            upstream.KEY_PROM_PORT, upstream.ARTIFACT_DISALLOW_RESTRICTED_HOSTS_KEY,
        }
        clash = sorted(owned & set(config))
        if clash:
            raise ValueError(
                f"config keys {clash} are set by the platform from replicas, watch, dynamicNamespaces, metricsPort, "
                "disallowRestrictedArtifactHosts; use those fields"
            )
        types = {**upstream.FLINK_DEFAULT_CONFIG_TYPES, **upstream.OPERATOR_CONFIG_TYPES}
        wrong = [(k, v, validation.config_value_problem(k, v, types, upstream.OPERATOR_CONFIG_ENUMS))
                 for k, v in sorted(config.items())]
        wrong = [w for w in wrong if w[2]]
        if wrong:
            raise ValueError("; ".join(f"{k!r} = {v!r} {problem}" for k, v, problem in wrong))
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
        if not (self.cidrs or self.namespaces or self.pod_labels):
            raise ValueError("an empty peer selects every pod in every namespace: set cidrs, namespaces or podLabels")
        if any(c in ANY_ADDRESS for c in self.cidrs):
            raise ValueError("cidrs 0.0.0.0/0 lets every address in: list the sources' own CIDRs")
        return self


class DnsConfig(_Model):
    namespace: KubernetesName = Field(default="kube-system")
    pod_labels: dict[LabelKey, LabelValue] = Field(default_factory=lambda: {"k8s-app": "kube-dns"})
    port: Port = 53


class EgressRule(_Model):
    """Egress of Flink pods to an outside service (Kafka, S3, ZooKeeper) by CIDR and port."""

    name: KubernetesName = Field(description="What it is for (kafka, s3, zookeeper); part of the policy name.")
    dst_nets: list[Cidr] = Field(min_length=1, description="Destination CIDRs; every address (a /0) only as a "
                                 "named exception (anyAddressReason).")
    dst_ports: list[Port] = Field(min_length=1)
    any_address_reason: AnyAddressReason = None

    @model_validator(mode="after")
    def _open_only_when_named(self) -> EgressRule:
        _any_address_named(self.dst_nets, self.any_address_reason)
        return self


#: URI schemes of state/HA directories that live on the pods' own file system (no egress needed).
LOCAL_STATE_SCHEMES = ("file", "local")


class ObjectStorageEndpoint(EgressRule):
    """An object store the Flink pods write checkpoints, savepoints and HA data to (issue 17 §5)."""

    schemes: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9+.-]*$")]] = Field(
        default_factory=lambda: ["s3"], min_length=1,
        description="State-directory URI schemes served by this endpoint (s3, s3a, gs, abfss, ...).")


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
        default_factory=list, description="May reach the operator metrics port (Prometheus), and Flink's Prometheus "
        "reporter port of every workload when workloads.defaults.observability.prometheus is on."
    )
    ingress_controllers: list[NetworkPeer] = Field(
        default_factory=list, description="The ingress controller pods: they may reach the JobManager REST port of "
        "the workloads that have an ingress (and only those).")
    object_storage: list[ObjectStorageEndpoint] = Field(
        default_factory=list, description="Object stores holding checkpoints, savepoints and HA data: the Flink pods "
        "of a workload whose state directories use one of an endpoint's schemes may reach it.")
    artifact_hosts: list[EgressRule] = Field(
        default_factory=list, description="Hosts serving job jars by http(s): the operator (session jobs) and the "
        "JobManager (applications) of a workload with such a jarURI may reach them.")

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


#: A DNS host name (lower case) a tenant's REST calls may go to.
RestHost = Annotated[
    str,
    Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", max_length=253,
          description="a lower-case DNS host name"),
]


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
    secrets: list[SecretName] = Field(
        default_factory=list,
        description=f"Keys of {SECRETS_CONFIG_KEY} this tenant's workloads may use (secretEnv); a key belongs to one "
        "tenant.",
    )
    rest_hosts: list[RestHost] = Field(
        default_factory=list,
        description="Hosts outside the tenant's namespaces its gates and REST jobs may call (gate.restUrl, "
        "restJobs.restUrl), e.g. 'flink.payments.acme.internal'. Services in its own namespaces need no entry.",
    )
    rest_runners: list[NetworkPeer] = Field(
        default_factory=list, description="Where `pulumi up` runs for this tenant (a CI runner pod, or CIDRs): it may "
        "reach the JobManager REST port of the tenant's gated workloads (SavepointGate) and plain session clusters "
        "(REST jobs).")

    guard_rails: GuardRailsConfig | None = Field(
        default=None,
        description="Overrides of the platform's guardRails for this tenant's namespaces (only the fields set here).",
    )
    job_service_account: JobServiceAccountConfig | None = Field(
        default=None,
        description="Annotations of the `flink` ServiceAccount in this tenant's namespaces (workload identity per "
        "tenant), over its operator's jobServiceAccount.annotations.",
    )
    workload_defaults: TenantWorkloadDefaults | None = Field(
        default=None, description="Defaults of this tenant's workloads (scheduling of their Flink pods), under each "
        "workload's own settings.",
    )

    def job_service_account_annotations(self) -> dict[str, str]:
        return dict(self.job_service_account.annotations) if self.job_service_account else {}

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
