"""Facts taken from the Apache Flink Kubernetes Operator, each in exactly one place.

Everything here is data read from upstream (operator release tag, CRD files, the Java ``FlinkVersion`` enum);
components, tools and tests import these names instead of repeating the values. This module imports nothing
from Pulumi so that the offline plan, the policy pack and the tests can use it too.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The chart's name, used by upstream as the ``app.kubernetes.io/name`` of the operator's objects.
OPERATOR_APP_NAME = "flink-kubernetes-operator"

#: API group and version of every operator custom resource.
FLINK_API_GROUP = "flink.apache.org"
FLINK_API_VERSION = f"{FLINK_API_GROUP}/v1beta1"


@dataclass(frozen=True)
class CrdFile:
    """One CRD file of an operator release: its kind, its file name in the chart's ``crds/`` folder, its sha256."""

    kind: str
    plural: str
    filename: str
    sha256: str

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{FLINK_API_GROUP}"


#: The operator releases this program can install, with the sha256 of each CRD file as published at the
#: release tag (``helm/flink-kubernetes-operator/crds/<file>``). A version missing here is refused.
CRD_PINS: dict[str, tuple[CrdFile, ...]] = {
    "1.15.0": (
        CrdFile(
            "FlinkDeployment",
            "flinkdeployments",
            "flinkdeployments.flink.apache.org-v1.yml",
            "7977265fc26d5e13e46ea5a18b18ce71dc1b93a7c750d781843a7af0d1d13e47",
        ),
        CrdFile(
            "FlinkSessionJob",
            "flinksessionjobs",
            "flinksessionjobs.flink.apache.org-v1.yml",
            "f06cc09cbd11897c5120df8c8aae31558d5eb901ea550e9c476b21dd234f99b1",
        ),
        CrdFile(
            "FlinkStateSnapshot",
            "flinkstatesnapshots",
            "flinkstatesnapshots.flink.apache.org-v1.yml",
            "b4d9e65e4465c74ff8526cfc46d823a4a5198d51e0e08a9f0f5a8c6f4380e399",
        ),
        CrdFile(
            "FlinkBlueGreenDeployment",
            "flinkbluegreendeployments",
            "flinkbluegreendeployments.flink.apache.org-v1.yml",
            "1e6595166e20fcfbc937cb30eda814dedac3e43ddbc1ff224b48c911a64fe760",
        ),
    ),
}

SUPPORTED_OPERATOR_VERSIONS: tuple[str, ...] = tuple(CRD_PINS)

#: Where upstream publishes the CRD files of a release (the chart's ``crds/`` folder at the release tag).
CRD_URL_TEMPLATE = (
    "https://raw.githubusercontent.com/apache/flink-kubernetes-operator/"
    "release-{version}/helm/flink-kubernetes-operator/crds/{filename}"
)

#: ``FlinkVersion`` values the operator's Java enum knows, per operator release, and the ones it still supports
#: (``FlinkVersion.isSupported``: v1_15 and newer).
FLINK_VERSIONS_KNOWN: dict[str, tuple[str, ...]] = {
    "1.15.0": (
        "v1_13", "v1_14", "v1_15", "v1_16", "v1_17", "v1_18", "v1_19", "v1_20",
        "v2_0", "v2_1", "v2_2", "v2_3", "v2_4",
    ),
}
FLINK_VERSIONS_SUPPORTED: dict[str, tuple[str, ...]] = {
    "1.15.0": (
        "v1_15", "v1_16", "v1_17", "v1_18", "v1_19", "v1_20",
        "v2_0", "v2_1", "v2_2", "v2_3", "v2_4",
    ),
}

#: The known gap of a release: values the Java enum accepts but the committed CRD's ``flinkVersion`` enum lacks
#: (at 1.15.0 the CRD stops at v2_2; upstream ``main`` generates the CRDs at build time and has v2_3/v2_4).
#: The CRDs component appends these to the enum and annotates the CRD with what it added.
CRD_FLINK_VERSION_ENUM_GAP: dict[str, tuple[str, ...]] = {
    "1.15.0": ("v2_3", "v2_4"),
}
#: Kinds whose schema embeds ``flinkVersion`` (the BlueGreen CRD embeds a FlinkDeployment spec).
CRD_KINDS_WITH_FLINK_VERSION = ("FlinkDeployment", "FlinkBlueGreenDeployment")

#: Kubernetes name rule the operator's validator applies to FlinkDeployment names (DefaultValidator):
#: lower-case alphanumerics or '-', starting with a letter, ending alphanumeric, at most 45 characters.
FLINK_DEPLOYMENT_NAME_PATTERN = r"^[a-z]([-a-z\d]{0,43}[a-z\d])?$"

# --- Flink workload facts (FlinkDeployment / FlinkSessionJob specs, the operator's validator, Flink config keys) ---

#: The operator's job ServiceAccount in every watched namespace (chart ``jobServiceAccount.name``); the RBAC
#: component creates it, workloads only reference it (``spec.serviceAccount`` is mandatory, DefaultValidator).
JOB_SERVICE_ACCOUNT = "flink"
#: Name of the Flink container in JM/TM pods; a pod template must use it to change that container.
MAIN_CONTAINER = "flink-main-container"
#: The JobManager REST service the operator creates: ``<metadata.name>-rest.<namespace>``, port ``rest.port``.
REST_SERVICE_SUFFIX = "-rest"
REST_PORT = 8081
#: Fixed native-Kubernetes ports (Flink ``Constants``): JM RPC, blob server, TM RPC.
JOBMANAGER_RPC_PORT = 6123
BLOB_PORT = 6124
TASKMANAGER_RPC_PORT = 6122

#: Flink config keys the operator and Flink read, each with the deprecated aliases the operator still accepts.
CHECKPOINT_DIR_KEY = "execution.checkpointing.dir"
SAVEPOINT_DIR_KEY = "execution.checkpointing.savepoint-dir"
HA_TYPE_KEY = "high-availability.type"
HA_STORAGE_DIR_KEY = "high-availability.storageDir"
CONFIG_KEY_ALIASES: dict[str, tuple[str, ...]] = {
    CHECKPOINT_DIR_KEY: ("state.checkpoints.dir",),
    SAVEPOINT_DIR_KEY: ("state.savepoints.dir",),
    HA_TYPE_KEY: ("high-availability",),
}
#: HA type values that mean Kubernetes HA (short name and factory class); NONE/none means off.
HA_KUBERNETES = "kubernetes"
HA_KUBERNETES_VALUES = (HA_KUBERNETES, "org.apache.flink.kubernetes.highavailability.KubernetesHaServicesFactory")
HA_OFF_VALUES = ("NONE", "none")
PERIODIC_SAVEPOINT_INTERVAL_KEY = "kubernetes.operator.periodic.savepoint.interval"
SAVEPOINT_HISTORY_MAX_COUNT_KEY = "kubernetes.operator.savepoint.history.max.count"
SAVEPOINT_HISTORY_MAX_AGE_KEY = "kubernetes.operator.savepoint.history.max.age"
SAVEPOINT_DISPOSE_ON_DELETE_KEY = "kubernetes.operator.savepoint.dispose-on-delete"
LAST_STATE_MAX_CHECKPOINT_AGE_KEY = "kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age"
ROLLBACK_ENABLED_KEY = "kubernetes.operator.deployment.rollback.enabled"
RESTART_STRATEGY_PREFIX = "restart-strategy"
AUTOSCALER_PREFIX = "job.autoscaler"
#: Keys DefaultValidator refuses in any flinkConfiguration ("Forbidden Flink config key").
FORBIDDEN_CONFIG_KEYS = ("kubernetes.namespace", "kubernetes.cluster-id", "high-availability.cluster-id")
#: The only keys ``spec.logConfiguration`` may hold (DefaultValidator "Invalid log config key").
LOG_CONFIG_KEYS = ("log4j-console.properties", "logback-console.xml")
#: Upgrade modes and job states (CRD enums), and the operator's default upgrade mode.
UPGRADE_MODES = ("stateless", "savepoint", "last-state")
STATEFUL_UPGRADE_MODES = ("savepoint", "last-state")
JOB_STATES = ("running", "suspended")
DEPLOYMENT_MODES = ("native", "standalone")
#: JobSpec fields whose change alone never redeploys (``@SpecDiff(DiffType.IGNORE)`` in JobSpec).
JOB_DIFF_IGNORED = (
    "upgradeMode", "initialSavepointPath", "allowNonRestoredState",
    "savepointTriggerNonce", "checkpointTriggerNonce", "autoscalerResetNonce",
)
#: Operator config: URI schemes a FlinkSessionJob jarURI may use (``kubernetes.operator.user.artifacts
#: .allowed-schemes``, 1.15.0 default: https only, case-insensitive).
ARTIFACT_ALLOWED_SCHEMES_KEY = "kubernetes.operator.user.artifacts.allowed-schemes"
ARTIFACT_ALLOWED_SCHEMES_DEFAULT = ("https",)


@dataclass(frozen=True)
class AutoscalerRange:
    """One AutoscalerValidator range: the option (under ``job.autoscaler.``), its bounds (None = unbounded)."""

    key: str
    low: float | None
    high: float | None


#: AutoscalerValidator ranges (flink-autoscaler ``AutoscalerValidator``); ``utilization.max``/``min`` are bounded
#: by ``utilization.target`` as well (checked where both are known).
AUTOSCALER_RANGES: tuple[AutoscalerRange, ...] = (
    AutoscalerRange("scale-down.max-factor", 0.0, None),
    AutoscalerRange("scale-up.max-factor", 0.0, None),
    AutoscalerRange("utilization.target", 0.0, 1.0),
    AutoscalerRange("target.utilization.boundary", 0.0, None),
    AutoscalerRange("utilization.max", 0.0, 1.0),
    AutoscalerRange("utilization.min", 0.0, 1.0),
    AutoscalerRange("observed-scalability.coefficient-min", 0.01, 1.0),
)

#: Status fields the deploy-time await waits on (``pulumi.com/waitFor``); tests check each path exists in the
#: CRD's status schema and each value is in its enum.
AWAIT_CONDITIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "application": ((".status.jobStatus.state", "RUNNING"), (".status.lifecycleState", "STABLE")),
    "suspended": ((".status.lifecycleState", "SUSPENDED"),),
    "session-cluster": ((".status.jobManagerDeploymentStatus", "READY"), (".status.lifecycleState", "STABLE")),
    "session-job": ((".status.jobStatus.state", "RUNNING"), (".status.lifecycleState", "STABLE")),
    "blue-green": ((".status.jobStatus.state", "RUNNING"),),
}

#: Flink's Prometheus metric reporter (flink-metrics-prometheus, shipped in the image's plugins/).
PROMETHEUS_REPORTER_FACTORY = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"
PROMETHEUS_REPORTER_PREFIX = "metrics.reporter.prom"
PROMETHEUS_PORT = 9249
