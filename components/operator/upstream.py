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
#: Java's ``String.matches`` tests the whole string: match it with ``components.config.names.matches`` (``re.fullmatch``),
#: never ``re.match``/``re.search`` with ``$``, which would accept a final newline.
FLINK_DEPLOYMENT_NAME_PATTERN = r"[a-z]([-a-z\d]{0,43}[a-z\d])?"


# =====================================================================================================================
# Operator install facts (the chart ``helm/flink-kubernetes-operator`` at the release tag, and the operator's config
# options). Pulumi-free: the program, the policy pack and the tests import them from here. The chart comparison
# tests (tests/components/operator/test_chart_parity.py) check every one of them against the real rendered chart.
# =====================================================================================================================

#: The operator image upstream publishes; the chart's default tag is ``latest`` (never used here: stacks pin a tag
#: or a digest, and the default tag is the release version).
OPERATOR_IMAGE_REPOSITORY = "ghcr.io/apache/flink-kubernetes-operator"
OPERATOR_IMAGE_PULL_POLICY = "IfNotPresent"
#: The image's user and group (the operator Dockerfile's ``flink`` user); the chart's podSecurityContext.
OPERATOR_UID = 9999
OPERATOR_GID = 9999

# --- fixed object names (other objects or the operator itself depend on them) ---------------------------------------
#: Deployment name and container name (the chart name, ``flink-operator.name``), also ``OPERATOR_NAME`` env.
OPERATOR_DEPLOYMENT_NAME = OPERATOR_APP_NAME
OPERATOR_CONTAINER_NAME = OPERATOR_APP_NAME
WEBHOOK_CONTAINER_NAME = "flink-webhook"
OPERATOR_CONFIGMAP_NAME = "flink-operator-config"
OPERATOR_SERVICE_ACCOUNT = "flink-operator"
OPERATOR_ROLE = "flink-operator"
OPERATOR_ROLE_BINDING = "flink-operator-role-binding"
JOB_SERVICE_ACCOUNT = "flink"
JOB_ROLE = "flink"
JOB_ROLE_BINDING = "flink-role-binding"
WEBHOOK_SERVICE_NAME = "flink-operator-webhook-service"
#: The chart's keystore password Secret (upstream fills it with a literal; this project from a Pulumi secret).
WEBHOOK_PASSWORD_SECRET = "flink-operator-webhook-secret"
WEBHOOK_PASSWORD_SECRET_KEY = "password"
WEBHOOK_ISSUER_NAME = "flink-operator-selfsigned-issuer"
WEBHOOK_CERTIFICATE_NAME = "flink-operator-serving-cert"
#: The Secret cert-manager writes the serving certificate and PKCS12 keystore into (hard-coded in the chart).
WEBHOOK_CERT_SECRET = "webhook-server-cert"
WEBHOOK_CERT_COMMON_NAME = "FlinkDeployment Validator"
WEBHOOK_KEYSTORE_KEY = "keystore.p12"
WEBHOOK_KEYSTORE_MOUNT = "/certs"
MUTATING_WEBHOOK_NAME = "mutationwebhook.flink.apache.org"
VALIDATING_WEBHOOK_NAME = "validationwebhook.flink.apache.org"
MUTATING_WEBHOOK_PATH = "/mutate"
VALIDATING_WEBHOOK_PATH = "/validate"
MUTATED_RESOURCES = ("flinksessionjobs", "flinkdeployments")
VALIDATED_RESOURCES = ("flinkdeployments", "flinksessionjobs", "flinkstatesnapshots")
WEBHOOK_OPERATIONS = ("CREATE", "UPDATE")
#: cert-manager's CA injection annotation (value ``<namespace>/<certificate>``).
CERT_MANAGER_INJECT_CA_ANNOTATION = "cert-manager.io/inject-ca-from"
CERT_MANAGER_API_VERSION = "cert-manager.io/v1"
#: cert-manager's Go module: it holds the release's CRD files in ``deploy/crds/`` (labels there are Helm template
#: text in quotes, the schemas are the release's).
CERT_MANAGER_MODULE = "github.com/cert-manager/cert-manager"
CERT_MANAGER_CRD_DIR = "deploy/crds"


@dataclass(frozen=True)
class CertManagerRelease:
    """One cert-manager release: the ``h1:`` digest of its Go module and ``{kind: (file, sha256)}`` of its CRDs."""

    module_sum: str
    crds: dict[str, tuple[str, str]]


#: The cert-manager releases whose CRDs are pinned (the stacks' ``operator.webhook.certManagerVersion``); the plan
#: validates the webhook's Issuer and Certificate against them, the test bed installs all six.
CERT_MANAGER_RELEASES: dict[str, CertManagerRelease] = {
    "v1.18.2": CertManagerRelease(
        module_sum="h1:H2P75ycGcTMauV3gvpkDqLdS3RSXonWF2S49QGA1PZE=",
        crds={
            "Certificate": ("crd-certificates.yaml", "25f58d784b3e7f9520dcb101db8d86f93294d2c91fc37616b378516f9a94cf28"),
            "CertificateRequest": ("crd-certificaterequests.yaml",
                                   "bae51a8380d6944a665f0394f953bf94290d093edd9d21cc86f2f488524545e6"),
            "Issuer": ("crd-issuers.yaml", "0f85efacd383ce9cdfceed0894939d3064c5593f6b7927953e43f41d8d1256c3"),
            "ClusterIssuer": ("crd-clusterissuers.yaml",
                              "c351a198e242aeb482892f86c5689f0c511d60a474f31bf73bd655d6337a17e1"),
            "Order": ("crd-orders.yaml", "f10e292dd9efe0ffa2549edf4e368857308ffeda1a8c2e196c405b11ba405bcc"),
            "Challenge": ("crd-challenges.yaml", "bbde88513ca86706d317abc7b26ba95e3103424649eab4cff5dbfb744a82704c"),
        },
    ),
}
#: The namespace label Kubernetes sets automatically (1.21+); the webhooks select watched namespaces by it.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def webhook_configuration_name(operator_namespace: str) -> str:
    """Name of both webhook configurations (``flink-operator-<release namespace>-webhook-configuration``)."""
    return f"flink-operator-{operator_namespace}-webhook-configuration"


# --- ports -----------------------------------------------------------------------------------------------------------
OPERATOR_HEALTH_PORT = 8085
OPERATOR_HEALTH_PORT_NAME = "health-port"
#: The chart declares no metrics port by default; the operator docs' Prometheus example uses 9999.
OPERATOR_METRICS_PORT_DEFAULT = 9999
OPERATOR_METRICS_PORT_NAME = "metrics"
WEBHOOK_SERVER_PORT = 9443
WEBHOOK_SERVICE_PORT = 443
#: Flink (native Kubernetes): JobManager REST, JobManager RPC, blob server, TaskManager RPC.
JOBMANAGER_REST_PORT = 8081
JOBMANAGER_RPC_PORT = 6123
BLOB_SERVER_PORT = 6124
TASKMANAGER_RPC_PORT = 6122
#: TaskManager data exchange (shuffle) port: Flink's ``taskmanager.data.port`` defaults to 0, an ephemeral port no
#: NetworkPolicy can name; the platform sets it to 6121 (the port of Flink's docs and old default configs) and
#: allows it between the TaskManagers of one cluster only.
TASKMANAGER_DATA_PORT_KEY = "taskmanager.data.port"
TASKMANAGER_DATA_PORT = 6121

# --- paths and environment of the operator container -----------------------------------------------------------------
FLINK_CONF_DIR = "/opt/flink/conf"
FLINK_PLUGINS_DIR = "/opt/flink/plugins"
FLINK_ARTIFACTS_DIR = "/opt/flink/artifacts"
LOGGING_FRAMEWORK = "log4j2"
OPERATOR_LOG4J_FILE = "log4j-operator.properties"
CONSOLE_LOG4J_FILE = "log4j-console.properties"
CONFIG_FILE = "config.yaml"
OPERATOR_LOG_CONFIG = f"-Dlog4j.configurationFile={FLINK_CONF_DIR}/{OPERATOR_LOG4J_FILE}"
OPERATOR_COMMAND = ("/docker-entrypoint.sh", "operator")
WEBHOOK_COMMAND = ("/docker-entrypoint.sh", "webhook")
#: The env variables the chart sets in the operator and webhook containers (a stack's ``env`` may not repeat them).
OPERATOR_ENV_NAMES = ("OPERATOR_NAMESPACE", "HOST_IP", "POD_IP", "POD_NAME", "OPERATOR_NAME", "FLINK_CONF_DIR",
                      "FLINK_PLUGINS_DIR", "LOGGING_FRAMEWORK", "LOG_CONFIG", "JVM_ARGS", "OPERATOR_KEYSTORE_PATH",
                      "OPERATOR_TRUSTSTORE_PATH", "OPERATOR_KEYSTORE_PASSWORD")
WEBHOOK_ENV_NAMES = ("WEBHOOK_KEYSTORE_PASSWORD", "WEBHOOK_KEYSTORE_FILE", "WEBHOOK_KEYSTORE_TYPE",
                     "WEBHOOK_SERVER_PORT", "LOG_CONFIG", "JVM_ARGS", "FLINK_CONF_DIR", "FLINK_PLUGINS_DIR",
                     "LOGGING_FRAMEWORK", "OPERATOR_NAMESPACE")
#: The chart's pod volumes: the ConfigMap, the artifacts emptyDir (replaced by ``operatorVolumes``; its mount by
#: ``operatorVolumeMounts``) and the webhook keystore.
OPERATOR_CONFIG_VOLUME = "flink-operator-config-volume"
OPERATOR_ARTIFACTS_VOLUME = "flink-artifacts-volume"
WEBHOOK_KEYSTORE_VOLUME = "keystore"
#: ``tls.create``: the operator's keystore/truststore Secret, where it is mounted, and its password's Secret.
TLS_SECRET_NAME = "flink-operator-cert"
TLS_PASSWORD_SECRET = "operator-certificate-password"
TLS_PASSWORD_SECRET_KEY = "password"
TLS_VOLUME = "flink-operator-cert-secret"
TLS_MOUNT = "/opt/flink/tls-cert"
#: ``logging.framework: logback``: the files mounted instead of the log4j2 ones, and the JVM flag naming the file.
OPERATOR_LOGBACK_FILE = "logback-operator.xml"
CONSOLE_LOGBACK_FILE = "logback-console.xml"
OPERATOR_LOGBACK_CONFIG = f"-Dlogback.configurationFile={FLINK_CONF_DIR}/{OPERATOR_LOGBACK_FILE}"
#: Pod annotation naming the default container (kubectl logs/exec).
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"

# --- probes (values.yaml operatorHealth) ----------------------------------------------------------------------------
LIVENESS_PROBE = {"initialDelaySeconds": 30, "periodSeconds": 10}
STARTUP_PROBE = {"failureThreshold": 30, "periodSeconds": 10}
PROBE_PATH = "/"

# --- operator config keys (KubernetesOperatorConfigOptions) ---------------------------------------------------------
KEY_WATCHED_NAMESPACES = "kubernetes.operator.watched.namespaces"
KEY_HEALTH_PROBE_ENABLED = "kubernetes.operator.health.probe.enabled"
KEY_HEALTH_PROBE_PORT = "kubernetes.operator.health.probe.port"
KEY_DYNAMIC_NAMESPACES = "kubernetes.operator.dynamic.namespaces.enabled"
KEY_DYNAMIC_CONFIG = "kubernetes.operator.dynamic.config.enabled"
KEY_DYNAMIC_CONFIG_INTERVAL = "kubernetes.operator.dynamic.config.check.interval"
KEY_LEADER_ELECTION = "kubernetes.operator.leader-election.enabled"
KEY_LEASE_NAME = "kubernetes.operator.leader-election.lease-name"
KEY_RECONCILE_INTERVAL = "kubernetes.operator.reconcile.interval"
KEY_PROGRESS_CHECK_INTERVAL = "kubernetes.operator.observer.progress-check.interval"
KEY_PROM_FACTORY = "kubernetes.operator.metrics.reporter.prom.factory.class"
KEY_PROM_PORT = "kubernetes.operator.metrics.reporter.prom.port"
PROM_REPORTER_FACTORY = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"

#: The type of each option of ``KubernetesOperatorConfigOptions`` (1.15.0) as declared there (``durationType()``,
#: ``booleanType()``, ...; enums by class); ``tests/components/config/test_models_chart_values.py`` reads the Java
#: source again and compares. ``operator.config`` values of these keys are checked as the operator parses them.
OPERATOR_CONFIG_TYPES: dict[str, str] = {
    "kubernetes.operator.reconcile.interval": "duration",
    "kubernetes.operator.observer.rest-ready.delay": "duration",
    "kubernetes.operator.reconcile.parallelism": "int",
    "kubernetes.operator.observer.progress-check.interval": "duration",
    "kubernetes.operator.savepoint.trigger.grace-period": "duration",
    "kubernetes.operator.checkpoint.trigger.grace-period": "duration",
    "kubernetes.operator.flink.client.timeout": "duration",
    "kubernetes.operator.flink.client.cancel.timeout": "duration",
    "kubernetes.operator.resource.cleanup.timeout": "duration",
    "kubernetes.operator.job.submission.timeout": "duration",
    "kubernetes.operator.deployment.rollback.enabled": "boolean",
    "kubernetes.operator.deployment.readiness.timeout": "duration",
    "kubernetes.operator.user.artifacts.base.dir": "string",
    "kubernetes.operator.job.upgrade.ignore-pending-savepoint": "boolean",
    "kubernetes.operator.job.upgrade.inplace-scaling.enabled": "boolean",
    "kubernetes.operator.dynamic.config.enabled": "boolean",
    "kubernetes.operator.dynamic.config.check.interval": "duration",
    "kubernetes.operator.config.cache.timeout": "duration",
    "kubernetes.operator.config.cache.size": "int",
    "kubernetes.operator.jm-deployment-recovery.enabled": "boolean",
    "kubernetes.operator.savepoint.dispose-on-delete": "boolean",
    "kubernetes.operator.savepoint.format.type": "enum:SavepointFormatType",
    "kubernetes.operator.checkpoint.type": "enum:CheckpointType",
    "kubernetes.operator.savepoint.cleanup.enabled": "boolean",
    "kubernetes.operator.savepoint.history.max.count": "int",
    "kubernetes.operator.savepoint.history.max.age": "duration",
    "kubernetes.operator.exception.stacktrace.enabled": "boolean",
    "kubernetes.operator.exception.stacktrace.max.length": "int",
    "kubernetes.operator.exception.field.max.length": "int",
    "kubernetes.operator.exception.throwable.list.max.count": "int",
    "kubernetes.operator.exception.label.mapper": "map",
    "kubernetes.operator.user.artifacts.http.header": "map",
    "kubernetes.operator.user.artifacts.allowed-schemes": "stringList",
    "kubernetes.operator.user.artifacts.disallow-restricted-hosts": "boolean",
    "kubernetes.operator.snapshot.resource.enabled": "boolean",
    "kubernetes.operator.periodic.savepoint.interval": "string",
    "kubernetes.operator.periodic.checkpoint.interval": "string",
    "kubernetes.operator.plugins.listeners.<listener-name>.class": "string",
    "kubernetes.operator.watched.namespaces": "string",
    "kubernetes.operator.label.selector": "string",
    "kubernetes.operator.dynamic.namespaces.enabled": "boolean",
    "kubernetes.operator.retry.initial.interval": "duration",
    "kubernetes.operator.retry.max.interval": "duration",
    "kubernetes.operator.retry.interval.multiplier": "double",
    "kubernetes.operator.retry.max.attempts": "int",
    "kubernetes.operator.rate-limiter.refresh-period": "duration",
    "kubernetes.operator.rate-limiter.limit": "int",
    "kubernetes.operator.job.upgrade.last-state-fallback.enabled": "boolean",
    "kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age": "duration",
    "kubernetes.operator.job.upgrade.last-state.job-cancel.enabled": "boolean",
    "kubernetes.operator.health.probe.enabled": "boolean",
    "kubernetes.operator.health.probe.port": "int",
    "kubernetes.operator.startup.stop-on-informer-error": "boolean",
    "kubernetes.operator.termination.timeout": "duration",
    "kubernetes.operator.cluster.health-check.enabled": "boolean",
    "kubernetes.operator.cluster.health-check.restarts.window": "duration",
    "kubernetes.operator.cluster.health-check.restarts.threshold": "int",
    "kubernetes.operator.cluster.health-check.checkpoint-progress.enabled": "boolean",
    "kubernetes.operator.cluster.health-check.checkpoint-progress.window": "duration",
    "kubernetes.operator.job.restart.failed": "boolean",
    "kubernetes.operator.leader-election.enabled": "boolean",
    "kubernetes.operator.leader-election.lease-name": "string",
    "kubernetes.operator.leader-election.lease-duration": "duration",
    "kubernetes.operator.leader-election.renew-deadline": "duration",
    "kubernetes.operator.leader-election.retry-period": "duration",
    "kubernetes.operator.jm-deployment.shutdown-ttl": "duration",
    "kubernetes.operator.health.canary.resource.timeout": "duration",
    "kubernetes.operator.jm-deployment.startup.probe.enabled": "boolean",
    "kubernetes.operator.pod-template.merge-arrays-by-name": "boolean",
    "kubernetes.operator.resource.deletion.propagation": "enum:DeletionPropagation",
    "kubernetes.operator.job.savepoint-on-deletion": "boolean",
    "kubernetes.operator.job.drain-on-savepoint-deletion": "boolean",
    "kubernetes.operator.session.deletion.block-on-unmanaged-jobs": "boolean",
    "kubernetes.operator.session.deletion.block-on-session-jobs": "boolean",
    "kubernetes.operator.cluster.resource-view.refresh-interval": "duration",
    "kubernetes.operator.events.exceptions.stacktrace-lines": "int",
    "kubernetes.operator.events.exceptions.limit-per-reconciliation": "int",
    "kubernetes.operator.ingress.manage": "boolean",
}
#: The constants of the enums those options use (Flink's ``SavepointFormatType``, the operator's ``CheckpointType``,
#: fabric8's ``DeletionPropagation``); Flink matches enum option values case-insensitively.
OPERATOR_CONFIG_ENUMS: dict[str, tuple[str, ...]] = {
    "SavepointFormatType": ("CANONICAL", "NATIVE"),
    "CheckpointType": ("FULL", "INCREMENTAL", "UNKNOWN"),
    "DeletionPropagation": ("ORPHAN", "BACKGROUND", "FOREGROUND"),
}
#: Flink options (not the operator's) in the chart's default configuration, typed the same way.
FLINK_DEFAULT_CONFIG_TYPES: dict[str, str] = {"taskmanager.numberOfTaskSlots": "int", "parallelism.default": "int"}


#: The operator's default configuration as the chart writes it (``conf/flink-conf.yaml`` of the chart, then the
#: ``defaultConfiguration`` override of values.yaml), in order. Values are YAML scalars as written upstream.
_JAVA17_OPTS = " ".join(
    [f"--add-exports={m}=ALL-UNNAMED" for m in ("java.base/sun.net.util", "java.rmi/sun.rmi.registry",
                                                 "java.security.jgss/sun.security.krb5")]
    + [f"--add-opens={m}=ALL-UNNAMED" for m in (
        "java.base/java.lang", "java.base/java.net", "java.base/java.io", "java.base/java.nio",
        "java.base/sun.nio.ch", "java.base/java.lang.reflect", "java.base/java.text", "java.base/java.time",
        "java.base/java.util", "java.base/java.util.concurrent", "java.base/java.util.concurrent.atomic",
        "java.base/java.util.concurrent.locks")]
)
OPERATOR_DEFAULT_CONFIG: tuple[tuple[str, str], ...] = (
    ("taskmanager.numberOfTaskSlots", "1"),
    ("parallelism.default", "1"),
    ("kubernetes.operator.default-configuration.flink-version.v1_18.env.java.opts.all", _JAVA17_OPTS),
    ("kubernetes.operator.default-configuration.flink-version.v1_19+.env.java.default-opts.all", _JAVA17_OPTS),
    ("kubernetes.operator.metrics.reporter.slf4j.factory.class", "org.apache.flink.metrics.slf4j.Slf4jReporterFactory"),
    ("kubernetes.operator.metrics.reporter.slf4j.interval", "5 MINUTE"),
    (KEY_RECONCILE_INTERVAL, "15 s"),
    (KEY_PROGRESS_CHECK_INTERVAL, "5 s"),
)

#: ``conf/log4j-operator.properties`` (the operator's own logging), as ordered key/value pairs; the root level is
#: the one the stack may change. Upstream repeats ``logger.conf.*``; the later pair wins, as in Java properties.
OPERATOR_LOG4J: tuple[tuple[str, str], ...] = (
    ("rootLogger.level", "INFO"),
    ("rootLogger.appenderRef.console.ref", "ConsoleAppender"),
    ("appender.console.name", "ConsoleAppender"),
    ("appender.console.type", "CONSOLE"),
    ("appender.console.layout.type", "PatternLayout"),
    ("appender.console.layout.pattern",
     "%style{%d}{yellow} %style{%-30c{1.}}{cyan} %highlight{[%-5level]%notEmpty{[%X{resource.namespace}/}"
     "%notEmpty{%X{resource.name}]} %msg%n%throwable}"),
    ("logger.conf.name", "org.apache.flink.configuration.GlobalConfiguration"),
    ("logger.conf.level", "ERROR"),
    ("logger.conf.name", "org.apache.flink.configuration.Configuration"),
    ("logger.conf.level", "ERROR"),
)
#: ``conf/log4j-console.properties``: the default logging of the JobManager and TaskManager pods.
CONSOLE_LOG4J: tuple[tuple[str, str], ...] = (
    ("rootLogger.level", "INFO"),
    ("rootLogger.appenderRef.console.ref", "ConsoleAppender"),
    ("rootLogger.appenderRef.rolling.ref", "RollingFileAppender"),
    ("logger.akka.name", "akka"),
    ("logger.akka.level", "INFO"),
    ("logger.kafka.name", "org.apache.kafka"),
    ("logger.kafka.level", "INFO"),
    ("logger.hadoop.name", "org.apache.hadoop"),
    ("logger.hadoop.level", "INFO"),
    ("logger.zookeeper.name", "org.apache.zookeeper"),
    ("logger.zookeeper.level", "INFO"),
    ("appender.console.name", "ConsoleAppender"),
    ("appender.console.type", "CONSOLE"),
    ("appender.console.layout.type", "PatternLayout"),
    ("appender.console.layout.pattern", "%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n"),
    ("appender.rolling.name", "RollingFileAppender"),
    ("appender.rolling.type", "RollingFile"),
    ("appender.rolling.append", "false"),
    ("appender.rolling.fileName", "${sys:log.file}"),
    ("appender.rolling.filePattern", "${sys:log.file}.%i"),
    ("appender.rolling.layout.type", "PatternLayout"),
    ("appender.rolling.layout.pattern", "%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n"),
    ("appender.rolling.policies.type", "Policies"),
    ("appender.rolling.policies.size.type", "SizeBasedTriggeringPolicy"),
    ("appender.rolling.policies.size.size", "100MB"),
    ("appender.rolling.strategy.type", "DefaultRolloverStrategy"),
    ("appender.rolling.strategy.max", "10"),
    ("logger.netty.name", "org.apache.flink.shaded.akka.org.jboss.netty.channel.DefaultChannelPipeline"),
    ("logger.netty.level", "OFF"),
)

# --- RBAC (templates/rbac/_helpers.tpl, templates/rbac/role.yaml) ---------------------------------------------------


@dataclass(frozen=True)
class PolicyRule:
    """One RBAC rule as the chart writes it (order of groups, resources and verbs kept)."""

    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]

    def to_k8s(self) -> dict[str, list[str]]:
        return {"apiGroups": list(self.api_groups), "resources": list(self.resources), "verbs": list(self.verbs)}


_CRUD = ("get", "list", "watch", "create", "update", "patch", "delete")
_FLINK_KINDS = ("flinkbluegreendeployments", "flinkdeployments", "flinksessionjobs", "flinkstatesnapshots")

#: ``flink-operator.rbacRules``: the operator's Role (watch mode) or ClusterRole (cluster mode).
OPERATOR_RULES: tuple[PolicyRule, ...] = (
    PolicyRule(("",), ("pods", "services", "events", "configmaps", "secrets"), _CRUD + ("deletecollection",)),
    PolicyRule(("apps",), ("deployments", "deployments/finalizers", "replicasets"), _CRUD),
    PolicyRule(("apps",), ("deployments/scale",), ("get", "update", "patch")),
    PolicyRule(("extensions",), ("deployments", "ingresses"), _CRUD),
    PolicyRule((FLINK_API_GROUP,), tuple(r for k in _FLINK_KINDS for r in (k, f"{k}/finalizers")), _CRUD),
    PolicyRule((FLINK_API_GROUP,), tuple(f"{k}/status" for k in _FLINK_KINDS), ("get", "update", "patch")),
    PolicyRule(("networking.k8s.io",), ("ingresses",), _CRUD),
    PolicyRule(("coordination.k8s.io",), ("leases",), _CRUD),
)
#: ``rbac.nodesRule.create``: inserted after the first rule (needed for NodePort REST services).
NODES_RULE = PolicyRule(("",), ("nodes",), ("list",))
NODES_RULE_POSITION = 1
#: The operator's Role in its own namespace when that namespace is not watched: leader-election leases
#: (FLINK-32041) and listing FlinkStateSnapshots to detect the CRD (FLINK-38552).
OPERATOR_NAMESPACE_RULES: tuple[PolicyRule, ...] = (
    PolicyRule(("coordination.k8s.io",), ("leases",), _CRUD),
    PolicyRule((FLINK_API_GROUP,), ("flinkstatesnapshots",), ("list",)),
)
#: ``flink-operator.jobRbacRules``: the job ServiceAccount's Role (JobManagers create TaskManager pods, HA maps).
JOB_RULES: tuple[PolicyRule, ...] = (
    PolicyRule(("",), ("pods", "configmaps"), _CRUD),
    PolicyRule(("apps",), ("deployments", "deployments/finalizers"), _CRUD),
)


def operator_rules(nodes_rule: bool = False) -> tuple[PolicyRule, ...]:
    """The operator's rules, with the optional nodes rule where the chart puts it."""
    if not nodes_rule:
        return OPERATOR_RULES
    return OPERATOR_RULES[:NODES_RULE_POSITION] + (NODES_RULE,) + OPERATOR_RULES[NODES_RULE_POSITION:]

# --- Flink native Kubernetes pod labels (Flink ``flink-kubernetes/.../utils/Constants.java``) -----------------------
#: Every JobManager and TaskManager pod of a native-mode FlinkDeployment carries ``type: flink-native-kubernetes``,
#: ``app: <deployment name>`` and ``component: jobmanager|taskmanager``; network policies select on them.
FLINK_LABEL_TYPE = "type"
FLINK_LABEL_TYPE_NATIVE = "flink-native-kubernetes"
FLINK_LABEL_APP = "app"
FLINK_LABEL_COMPONENT = "component"
FLINK_COMPONENT_JOBMANAGER = "jobmanager"
FLINK_COMPONENT_TASKMANAGER = "taskmanager"

# --- Flink workload facts (FlinkDeployment / FlinkSessionJob specs, the operator's validator, Flink config keys) ---

#: The operator's job ServiceAccount in every watched namespace is ``JOB_SERVICE_ACCOUNT`` (above); the RBAC
#: component creates it, workloads only reference it (``spec.serviceAccount`` is mandatory, DefaultValidator).
#: Name of the Flink container in JM/TM pods; a pod template must use it to change that container.
MAIN_CONTAINER = "flink-main-container"
#: The JobManager REST service the operator creates: ``<metadata.name>-rest.<namespace>``, port ``rest.port``.
REST_SERVICE_SUFFIX = "-rest"
REST_PORT = JOBMANAGER_REST_PORT
#: Fixed native-Kubernetes ports (Flink ``Constants``): JM RPC, blob server, TM RPC (defined above).
BLOB_PORT = BLOB_SERVER_PORT

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
#: Operator config: refuse http(s) jar hosts whose address (``InetAddress.getByName``) is loopback, link-local,
#: site-local (private), wildcard or multicast (``kubernetes.operator.user.artifacts.disallow-restricted-hosts``,
#: 1.15.0 default: true; ``DefaultValidator.validateJarURI``).
ARTIFACT_DISALLOW_RESTRICTED_HOSTS_KEY = "kubernetes.operator.user.artifacts.disallow-restricted-hosts"
ARTIFACT_DISALLOW_RESTRICTED_HOSTS_DEFAULT = True


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

# --- Flink options that place the JobManager/TaskManager pods (Flink ``KubernetesConfigOptions``) -----------------
#: ``kubernetes.hostnetwork.enabled``: the pods share the node's network namespace.
FLINK_HOST_NETWORK_KEY = "kubernetes.hostnetwork.enabled"
#: ServiceAccount overrides; the operator sets ``kubernetes.service-account`` from ``spec.serviceAccount``.
FLINK_SERVICE_ACCOUNT_KEYS = ("kubernetes.service-account", "kubernetes.jobmanager.service-account",
                              "kubernetes.taskmanager.service-account")
#: Pod template files (the operator writes the jobmanager/taskmanager ones from ``podTemplate``).
FLINK_POD_TEMPLATE_FILE_KEYS = ("kubernetes.pod-template-file", "kubernetes.pod-template-file.default",
                                "kubernetes.pod-template-file.jobmanager", "kubernetes.pod-template-file.taskmanager")
#: Pod annotations set from Flink config (``key:value,key:value``).
FLINK_POD_ANNOTATION_KEYS = ("kubernetes.jobmanager.annotations", "kubernetes.taskmanager.annotations")
#: ``kubernetes.rest-service.exposed.type``: ClusterIP (default), NodePort, LoadBalancer, Headless_ClusterIP.
FLINK_REST_EXPOSED_TYPE_KEY = "kubernetes.rest-service.exposed.type"
