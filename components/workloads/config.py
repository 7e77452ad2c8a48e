"""The typed config of Flink workloads: ``platform.workloads`` in the stack file.

Shape (see the README, "Workloads")::

    workloads:
      defaults:            # owned by the platform team: applied to every workload of the stack
        storage: {baseUri: s3://acme-flink-prod}
        highAvailability: auto
        periodicSavepoints: {interval: 1h, historyMaxCount: 10, historyMaxAge: 7d, disposeOnDelete: true}
        restartStrategy: {type: exponential-delay, initialBackoff: 1 s, maxBackoff: 1 min}
        autoscaler: {enabled: false}
        teamOverrides: [periodicSavepoints, autoscaler]   # which of the above a workload may override
      applications:   [ {name, tenant, namespace, image, flinkVersion, jobManager, taskManager, job, ...} ]
      sessionClusters: [ {name, tenant, namespace, image, flinkVersion, jobManager, taskManager, autoClean} ]
      sessionJobs:    [ {name, tenant, namespace, deploymentName, job, ...} ]

Every workload names its ``tenant`` and one of that tenant's ``namespace``s (checked across fields, with exact
paths, by :func:`workload_problems`). Everything here is Pulumi-free (the policy pack and tools import it).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.config import names, quantities
from components.config.kube import SchedulingConfig
from components.operator import upstream

#: The stack config key holding secret values for workloads (a map name → value, each set with --secret).
SECRETS_CONFIG_KEY = "flink-platform:workloadSecrets"

#: The groups of platform defaults a stack may let workloads override (``defaults.teamOverrides``).
OVERRIDABLE = ("state", "highAvailability", "periodicSavepoints", "restartStrategy", "autoscaler")

_FLINK_NAME = upstream.FLINK_DEPLOYMENT_NAME_PATTERN.removeprefix("^").removesuffix("$")
_FLINK_NAME_RULE = (
    "must be a FlinkDeployment name the operator accepts: lower-case letters, digits and '-', starting with a "
    "letter, ending with a letter or digit, at most 45 characters"
)
_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SECRET_KEY = r"[-._a-zA-Z0-9]+"
_URI = r"[a-zA-Z][a-zA-Z0-9+.-]*://.*"
#: An image reference pinned by tag or digest: ``repo[:tag][@sha256:<64 hex>]`` with a tag other than latest.
_DIGEST = r"sha256:[0-9a-f]{64}"


def _check(pattern: str, rule: str, max_len: int | None = None) -> Any:
    def validate(value: str) -> str:
        if not names.matches(pattern, value) or (max_len is not None and len(value) > max_len):
            raise ValueError(rule)
        return value

    return validate


FlinkName = Annotated[
    str,
    AfterValidator(_check(_FLINK_NAME, _FLINK_NAME_RULE)),
    WithJsonSchema({"type": "string", "pattern": names.json_schema_pattern(_FLINK_NAME), "maxLength": 45}),
]
KubernetesName = Annotated[
    str,
    AfterValidator(_check(names.DNS_LABEL, names.DNS_LABEL_RULE, names.DNS_LABEL_MAX)),
    WithJsonSchema({"type": "string", "pattern": names.json_schema_pattern(names.DNS_LABEL), "maxLength": 63}),
]
LabelValue = Annotated[
    str,
    AfterValidator(_check(names.LABEL_VALUE, names.LABEL_VALUE_RULE, names.LABEL_VALUE_MAX)),
    WithJsonSchema({"type": "string", "pattern": names.json_schema_pattern(names.LABEL_VALUE), "maxLength": 63}),
]


def _flink_memory(value: str) -> str:
    try:
        quantities.parse_flink_memory(value)
    except quantities.QuantityError as err:
        raise ValueError(str(err)) from None
    return value


def _label_key(value: str) -> str:
    if names.label_key_problem(value):
        raise ValueError(names.label_key_problem(value))
    return value


LabelKey = Annotated[str, AfterValidator(_label_key), WithJsonSchema(names.LABEL_KEY_SCHEMA)]
#: Flink MemorySize as Flink parses it (:func:`components.config.quantities.parse_flink_memory`).
Memory = Annotated[
    str,
    AfterValidator(_flink_memory),
    WithJsonSchema({"type": "string", "pattern": names.json_schema_pattern(quantities.FLINK_MEMORY_PATTERN)}),
]
Uri = Annotated[
    str,
    AfterValidator(_check(_URI, "must be a URI with a scheme, e.g. s3://bucket/path or file:///flink-data")),
    WithJsonSchema({"type": "string", "pattern": names.json_schema_pattern(_URI)}),
]
EnvName = Annotated[
    str,
    AfterValidator(_check(_ENV_NAME, "must be an environment variable name: letters, digits and '_', not "
                                     "starting with a digit")),
    WithJsonSchema({"type": "string", "pattern": names.json_schema_pattern(_ENV_NAME)}),
]
SecretName = Annotated[
    str,
    AfterValidator(_check(_SECRET_KEY, "must be a Secret data key: letters, digits, '-', '_' and '.'", 253)),
    WithJsonSchema({"type": "string", "pattern": names.json_schema_pattern(_SECRET_KEY)}),
]
#: Flink durations as Flink parses them (``1 min``, ``30 s``, ``1h``, ``7d``).
Duration = Annotated[
    str,
    AfterValidator(_check(r"[0-9]+\s*(ms|milli|millis|s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hour|"
                          r"hours|d|day|days)",
                          "must be a Flink duration such as '30 s', '1 min', '1h' or '7d'")),
]


def image_problem(image: str) -> str | None:
    """Why ``image`` is not pinned (a tag other than latest, or a digest), or None."""
    ref, _, digest = image.partition("@")
    if digest:
        return None if names.matches(_DIGEST, digest) else "the digest must be sha256:<64 lower-case hex>"
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag: pin it by tag (flink:1.20.1) or digest (flink@sha256:...), never the implicit latest"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses the tag 'latest': pin it by a version tag or a digest so a redeploy runs the same code"
    return None


def _image(value: str) -> str:
    problem = image_problem(value)
    if problem:
        raise ValueError(f"the image {problem}")
    return value


Image = Annotated[str, AfterValidator(_image), WithJsonSchema({"type": "string", "minLength": 1})]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


# --- pieces of a FlinkDeployment spec -----------------------------------------------------------------------------


class Resource(_Model):
    """CPU and memory of one JobManager or TaskManager pod."""

    cpu: float = Field(gt=0, description="CPU cores (may be fractional).")
    memory: Memory = Field(description="Total process memory, a Flink memory size (e.g. '2048m').")
    ephemeral_storage: str | None = Field(default=None, min_length=1, description="A Kubernetes quantity.")


class JobManagerSpec(_Model):
    resource: Resource
    replicas: int = Field(default=1, ge=1, description="More than 1 needs high availability (standby JMs).")
    pod_template: dict[str, Any] | None = Field(default=None, description="JobManager-only pod template.")


class TaskManagerSpec(_Model):
    resource: Resource
    replicas: int | None = Field(default=None, ge=1, description="Fixed TaskManager count (standalone / reactive).")
    pod_template: dict[str, Any] | None = Field(default=None, description="TaskManager-only pod template.")


class JobSpec(_Model):
    """``spec.job`` of a FlinkDeployment or FlinkSessionJob."""

    jar_uri: str = Field(alias="jarURI", min_length=1, description="local:// (in the image), https://, s3://, ...")
    entry_class: str | None = Field(default=None, min_length=1)
    args: list[str] = Field(default_factory=list)
    parallelism: int = Field(ge=1, description="Job parallelism (the validator needs >= 1).")
    upgrade_mode: Literal["stateless", "savepoint", "last-state"] = Field(default="stateless")
    state: Literal["running", "suspended"] = Field(default="running")
    allow_non_restored_state: bool | None = None
    initial_savepoint_path: str | None = Field(default=None, min_length=1)
    savepoint_trigger_nonce: int | None = None
    savepoint_redeploy_nonce: int | None = None
    checkpoint_trigger_nonce: int | None = None


class IngressSpec(_Model):
    template: str = Field(min_length=1, description="e.g. '{{name}}.{{namespace}}.flink.example.com'")
    class_name: str | None = Field(default=None, min_length=1)
    annotations: dict[str, str] = Field(default_factory=dict)
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    tls: list[dict[str, Any]] = Field(default_factory=list)


class SecretEnv(_Model):
    """An environment variable of the JobManager and TaskManagers taken from a workload secret."""

    name: EnvName = Field(description="Environment variable name, e.g. KAFKA_PASSWORD.")
    secret: SecretName = Field(description=f"Key in the stack config map {SECRETS_CONFIG_KEY} (set with --secret).")


class GateSpec(_Model):
    """The SavepointGate in front of a stateful workload (see the README, "Savepoint gate")."""

    enabled: bool = True
    rest_url: str | None = Field(default=None, description="Override of http://<cluster>-rest.<namespace>.svc:8081")
    job_name: str | None = Field(default=None, min_length=1, description="Flink job name (session clusters).")
    max_checkpoint_age_s: float | None = Field(default=None, gt=0)


# --- platform defaults a stack sets and (where it allows) a workload overrides ------------------------------------


class StorageDefaults(_Model):
    base_uri: Uri = Field(description="Checkpoints, savepoints and HA data go under "
                                      "<baseUri>/<tenant>/<namespace>/<workload>/{checkpoints,savepoints,ha}.")


class StateOverride(_Model):
    checkpoint_dir: Uri | None = None
    savepoint_dir: Uri | None = None


class HighAvailability(_Model):
    enabled: bool = True
    storage_dir: Uri | None = Field(default=None, description="Default: <baseUri>/.../ha")


class PeriodicSavepoints(_Model):
    interval: Duration | None = Field(default="1h", description="None disables periodic savepoints.")
    history_max_count: int = Field(default=10, ge=1, le=1000)
    history_max_age: Duration = "7d"
    dispose_on_delete: bool = True


class RestartStrategy(_Model):
    type: Literal["exponential-delay", "fixed-delay", "failure-rate", "none"] = "exponential-delay"
    attempts: int | None = Field(default=None, ge=1, description="fixed-delay: attempts")
    delay: Duration | None = Field(default=None, description="fixed-delay / failure-rate: delay between restarts")
    initial_backoff: Duration | None = "1 s"
    max_backoff: Duration | None = "1 min"
    backoff_multiplier: float | None = Field(default=None, ge=1.0)
    max_failures_per_interval: int | None = Field(default=None, ge=1)
    failure_rate_interval: Duration | None = None

    def flink_configuration(self) -> dict[str, str]:
        p = upstream.RESTART_STRATEGY_PREFIX
        out = {f"{p}.type": self.type}
        keys = {
            "fixed-delay": {"attempts": self.attempts, "delay": self.delay},
            "exponential-delay": {"initial-backoff": self.initial_backoff, "max-backoff": self.max_backoff,
                                  "backoff-multiplier": self.backoff_multiplier},
            "failure-rate": {"max-failures-per-interval": self.max_failures_per_interval,
                             "failure-rate-interval": self.failure_rate_interval, "delay": self.delay},
            "none": {},
        }[self.type]
        out.update({f"{p}.{self.type}.{k}": str(v) for k, v in keys.items() if v is not None})
        return out


class Autoscaler(_Model):
    """``job.autoscaler.*`` with the ranges of the operator's AutoscalerValidator."""

    enabled: bool = False
    stabilization_interval: Duration | None = None
    metrics_window: Duration | None = None
    utilization_target: float | None = Field(default=None, ge=0.0, le=1.0)
    utilization_max: float | None = Field(default=None, ge=0.0, le=1.0)
    utilization_min: float | None = Field(default=None, ge=0.0, le=1.0)
    target_utilization_boundary: float | None = Field(default=None, ge=0.0)
    scale_up_max_factor: float | None = Field(default=None, ge=0.0)
    scale_down_max_factor: float | None = Field(default=None, ge=0.0)
    observed_scalability_coefficient_min: float | None = Field(default=None, ge=0.01, le=1.0)

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaler:
        target = self.utilization_target
        if target is not None and self.utilization_max is not None and self.utilization_max < target:
            raise ValueError(f"utilizationMax {self.utilization_max} must be within [utilizationTarget, 1] = "
                             f"[{target}, 1]")
        if target is not None and self.utilization_min is not None and self.utilization_min > target:
            raise ValueError(f"utilizationMin {self.utilization_min} must be within [0, utilizationTarget] = "
                             f"[0, {target}]")
        return self

    def flink_configuration(self) -> dict[str, str]:
        p = upstream.AUTOSCALER_PREFIX
        keys = {
            "enabled": self.enabled,
            "stabilization.interval": self.stabilization_interval,
            "metrics.window": self.metrics_window,
            "utilization.target": self.utilization_target,
            "utilization.max": self.utilization_max,
            "utilization.min": self.utilization_min,
            "target.utilization.boundary": self.target_utilization_boundary,
            "scale-up.max-factor": self.scale_up_max_factor,
            "scale-down.max-factor": self.scale_down_max_factor,
            "observed-scalability.coefficient-min": self.observed_scalability_coefficient_min,
        }
        return {f"{p}.{k}": (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in keys.items()
                if v is not None}


class Observability(_Model):
    prometheus: bool = Field(default=True, description="Flink's Prometheus reporter on a fixed port in JM and TM.")
    pod_monitors: bool = Field(
        default=False,
        description="One PodMonitor (monitoring.coreos.com/v1, Prometheus operator) per workload namespace scraping "
                    "the reporter. Declares that the cluster has the Prometheus operator's CRDs; they are not "
                    "managed here, so the offline plan validates PodMonitors only against a CRD in the plan.")

    @model_validator(mode="after")
    def _monitors_need_the_reporter(self) -> Observability:
        if self.pod_monitors and not self.prometheus:
            raise ValueError("podMonitors scrape Flink's Prometheus reporter: set prometheus: true")
        return self


class WorkloadDefaults(_Model):
    """Stack-wide defaults of every workload, set by the platform team."""

    storage: StorageDefaults | None = None
    high_availability: Literal["auto", "always", "never"] = Field(
        default="auto", description="auto: Kubernetes HA for stateful jobs and for more than one JobManager.")
    periodic_savepoints: PeriodicSavepoints = Field(default_factory=PeriodicSavepoints)
    restart_strategy: RestartStrategy = Field(default_factory=RestartStrategy)
    autoscaler: Autoscaler = Field(default_factory=Autoscaler)
    observability: Observability = Field(default_factory=Observability)
    session_job_jar_schemes: list[str] = Field(
        default_factory=lambda: list(upstream.ARTIFACT_ALLOWED_SCHEMES_DEFAULT), min_length=1,
        description="jarURI schemes the operator accepts for session jobs (operator config "
                    f"{upstream.ARTIFACT_ALLOWED_SCHEMES_KEY}; 1.15 default: https).")
    await_timeout_seconds: int = Field(default=600, ge=30, le=7200,
                                       description="pulumi.com/timeoutSeconds of every FlinkDeployment/SessionJob.")
    await_ready: bool = Field(
        default=True, description="`pulumi up` waits for every job RUNNING and every resource STABLE "
        "(pulumi.com/waitFor). False only where no operator reconciles (a bare test control plane): then "
        "pulumi.com/skipAwait.")
    impact_preview: bool = Field(
        default=True, description="Compare each workload with the last deployed one (a StackReference to this "
                                  "stack's own workloadSpecs output) and log what the operator will do.")
    team_overrides: list[Literal["state", "highAvailability", "periodicSavepoints", "restartStrategy",
                                 "autoscaler"]] = Field(
        default_factory=list, description="Which defaults a workload may override with its own setting.")


# --- workloads ----------------------------------------------------------------------------------------------------


class _Placement(_Model):
    name: FlinkName
    tenant: KubernetesName = Field(description="A tenant of platform.tenants.")
    namespace: KubernetesName = Field(description="One of that tenant's namespaces.")
    team: LabelValue | None = Field(default=None, description="Team label (default: the tenant).")
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict, description="Extra labels of the custom resource.")


class _ClusterSpec(_Placement):
    image: Image = Field(description="Flink image pinned by tag or digest (never latest).")
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = None
    flink_version: str = Field(description="Operator FlinkVersion value, e.g. v1_20 or v2_2.")
    mode: Literal["native", "standalone"] | None = None
    job_manager: JobManagerSpec
    task_manager: TaskManagerSpec
    flink_configuration: dict[str, Any] = Field(default_factory=dict)
    log_configuration: dict[Literal["log4j-console.properties", "logback-console.xml"], str] = Field(
        default_factory=dict)
    ingress: IngressSpec | None = None
    pod_template: dict[str, Any] | None = None
    scheduling: SchedulingConfig | None = Field(
        default=None, description="Where the JobManager and TaskManager pods run (nodeSelector, tolerations, "
        "affinity, topologySpreadConstraints, priorityClassName): merged into spec.podTemplate over the tenant's "
        "workloadDefaults.scheduling and this workload's podTemplate, as the operator merges pod templates.")
    secret_env: list[SecretEnv] = Field(default_factory=list)
    state: StateOverride | None = None
    high_availability: HighAvailability | None = None
    periodic_savepoints: PeriodicSavepoints | None = None
    restart_strategy: RestartStrategy | None = None
    autoscaler: Autoscaler | None = None
    await_timeout_seconds: int | None = Field(default=None, ge=30, le=7200)

    @field_validator("flink_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        known = sorted({v for vs in upstream.FLINK_VERSIONS_KNOWN.values() for v in vs})
        if value not in known:
            raise ValueError("must be an operator FlinkVersion value: " + ", ".join(known))
        return value


class ApplicationWorkload(_ClusterSpec):
    """One job in its own cluster: a FlinkDeployment with a job (or a FlinkBlueGreenDeployment)."""

    job: JobSpec
    blue_green: bool = Field(default=False, description="Render a FlinkBlueGreenDeployment instead.")
    gate: GateSpec = Field(default_factory=GateSpec)


class SessionClusterWorkload(_ClusterSpec):
    """A FlinkDeployment without a job; FlinkSessionJobs run on it."""

    auto_clean: bool = Field(default=False, description="A changed configuration deploys a fresh cluster "
                                                        "(new name and HA id) instead of recovering stale HA jobs.")


class SessionJobWorkload(_Placement):
    """A FlinkSessionJob on a session cluster of the same namespace."""

    deployment_name: FlinkName = Field(description="Name of a sessionClusters entry in the same namespace.")
    job: JobSpec
    flink_configuration: dict[str, Any] = Field(default_factory=dict)
    state: StateOverride | None = None
    periodic_savepoints: PeriodicSavepoints | None = None
    restart_strategy: RestartStrategy | None = None
    autoscaler: Autoscaler | None = None
    await_timeout_seconds: int | None = Field(default=None, ge=30, le=7200)
    gate: GateSpec = Field(default_factory=GateSpec)


class PlainSessionCluster(_Placement):
    """A Flink session cluster the program deploys itself, without the operator: a JobManager Deployment, a
    TaskManager Deployment and a Service, with the restricted pod security context. Jobs run on it through REST
    (``restJobs``)."""

    image: Image = Field(description="Flink image pinned by tag or digest (never latest).")
    job_manager: Resource = Field(description="JobManager pod resources.")
    task_manager: Resource = Field(description="Resources of each TaskManager pod.")
    task_managers: int = Field(default=1, ge=1, le=1000, description="TaskManager replicas.")
    task_slots: int = Field(default=1, ge=1, le=256, description="taskmanager.numberOfTaskSlots.")
    scheduling: SchedulingConfig | None = Field(
        default=None, description="Where the JobManager and TaskManager pods run, merged over the tenant's "
        "workloadDefaults.scheduling (as for operator-made pods).")
    flink_configuration: dict[str, Any] = Field(default_factory=dict)


class RestJob(_Placement):
    """A job the FlinkJob dynamic resource runs on a session cluster through its REST API (savepoint-aware
    upgrades, rollback). The cluster is a ``plainSessionClusters`` entry of the same namespace or any JobManager
    reachable at ``restUrl``; credentials come from the stack config (flink-platform:flinkRestToken, ...)."""

    cluster: FlinkName | None = Field(default=None, description="A plainSessionClusters entry in the same namespace.")
    rest_url: str | None = Field(default=None, description="http(s)://host:port of another cluster's JobManager.")
    jar: str = Field(min_length=1, description="Local path or https:// URL of the job jar.")
    jar_sha256: str = Field(description="sha256 of the jar (64 lower-case hex); the jar is checked before upload.")
    entry_class: str | None = Field(default=None, min_length=1)
    args: list[str] = Field(default_factory=list)
    parallelism: int | None = Field(default=None, ge=1, le=32768)
    flink_configuration: dict[str, str] = Field(default_factory=dict)
    savepoint_dir: Uri | None = Field(default=None, description="Default: <baseUri>/<tenant>/<namespace>/<name>/"
                                                                "savepoints, else the cluster's.")
    upgrade_mode: Literal["savepoint", "stateless"] = "savepoint"
    allow_non_restored_state: bool = False
    on_delete: Literal["savepoint", "drain", "cancel"] = "savepoint"

    @model_validator(mode="after")
    def _one_target(self) -> RestJob:
        if (self.cluster is None) == (self.rest_url is None):
            raise ValueError("set exactly one of cluster (a plainSessionClusters entry) and restUrl")
        return self


class TenantWorkloadDefaults(_Model):
    """Defaults of a tenant's workloads (``tenants[].workloadDefaults``), under each workload's own settings."""

    scheduling: SchedulingConfig | None = Field(
        default=None, description="Where the tenant's Flink pods run unless a workload says otherwise: the base of "
        "every application's and session cluster's spec.podTemplate (its podTemplate and scheduling merge over it).")


class WorkloadsConfig(_Model):
    """Every Flink workload of the stack and the platform defaults they get."""

    defaults: WorkloadDefaults = Field(default_factory=WorkloadDefaults)
    applications: list[ApplicationWorkload] = Field(default_factory=list)
    session_clusters: list[SessionClusterWorkload] = Field(default_factory=list)
    session_jobs: list[SessionJobWorkload] = Field(default_factory=list)
    plain_session_clusters: list[PlainSessionCluster] = Field(default_factory=list)
    rest_jobs: list[RestJob] = Field(default_factory=list)
