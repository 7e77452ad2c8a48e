"""One Flink Kubernetes Operator: namespace, ServiceAccount, ConfigMap, Deployment, PDB, webhook, RBAC, policies.

Everything the upstream chart renders that matters, as typed resources (tests compare it object by object with
the real chart, ``tests/components/operator/test_chart_parity.py``), with deliberate hardening:

- the image is pinned (release tag or digest, never ``latest``);
- restricted pod security: non-root uid/gid 9999 (left to the cluster's SCCs in the ``openshift`` flavour), no
  privilege escalation, all capabilities dropped, seccomp RuntimeDefault, read-only root filesystem with emptyDirs
  for ``/tmp`` and the artifacts directory;
- ``Recreate`` unless leader election (replicas > 1) allows ``RollingUpdate``; a PodDisruptionBudget then;
- Prometheus reporter on the metrics port with scrape annotations;
- a config checksum on the pod template, so a config change rolls the pods, except the watched-namespace list
  under dynamic namespaces (the operator re-reads it; a new namespace must not restart it);
- the webhook keystore password comes from a Pulumi secret, never upstream's literal.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping, Sequence

import pulumi
import yaml
from pydantic import BaseModel, ConfigDict

from components.config import labels as L
from components.operator import upstream
from components.config.models import (
    OPERATOR_TMP_VOLUME,
    EgressRule,
    ExtraContainer,
    GuardRailsConfig,
    NetworkConfig,
    OperatorSettings,
)
from components.operator.kube import declare
from components.operator.network import ClusterFlows, NetworkPoliciesArgs, OperatorNetworkPolicies
from components.operator.rbac import WatchedNamespaceRbac, WatchedNamespaceRbacArgs

LEASE_NAME = "flink-operator-lease"
CONFIG_VOLUME = upstream.OPERATOR_CONFIG_VOLUME
ARTIFACTS_VOLUME = upstream.OPERATOR_ARTIFACTS_VOLUME
TMP_VOLUME = OPERATOR_TMP_VOLUME
KEYSTORE_VOLUME = upstream.WEBHOOK_KEYSTORE_VOLUME
METRICS_PATH = "/metrics"


class WatchedNamespace(BaseModel):
    """A namespace an operator watches, the tenant owning it, its Flink egress rules and what each of its Flink
    clusters needs from the network (:func:`components.operator.network.cluster_flows`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    tenant: str
    egress: tuple[EgressRule, ...] = ()
    clusters: tuple[ClusterFlows, ...] = ()
    #: The tenant's own annotations of the job ServiceAccount (over the operator's jobServiceAccount.annotations).
    job_service_account_annotations: dict[str, str] = {}


class FlinkOperatorArgs(BaseModel):
    """Config of :class:`FlinkOperator`: how it runs, where, and which namespaces it watches."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    settings: OperatorSettings
    namespace: str
    operator_version: str
    watched: tuple[WatchedNamespace, ...]
    network: NetworkConfig
    environment: str
    kubernetes_version: str
    tenant: str | None = None
    #: Hosts the operator downloads session jobs' http(s) jars from (``network.artifactHosts``, when one needs it).
    artifact_hosts: tuple[EgressRule, ...] = ()
    #: A tenant's own operator: its namespace carries the tenant label and gets the tenant's ResourceQuota and
    #: LimitRange like the tenant's other namespaces (issue 17 §8). None for the platform's shared operator.
    guard_rails: GuardRailsConfig | None = None

    @property
    def cluster_wide(self) -> bool:
        return self.settings.watch == "cluster"

    @property
    def watched_names(self) -> tuple[str, ...]:
        return tuple(w.name for w in self.watched)

    @property
    def leader_election(self) -> bool:
        return self.settings.replicas > 1


# --- pure rendering (no Pulumi): each function returns the manifest the cluster will see -------------------------


def _scalar(value: Any) -> str:
    """``value`` as a YAML scalar that reads back as written (quoted only when plain text would change meaning)."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    try:
        if str(yaml.safe_load(f"k: {text}")["k"]).lower() == text.lower():
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text)


def config_entries(args: FlinkOperatorArgs) -> list[tuple[str, Any]]:
    """config.yaml as ordered (key, value) pairs, without the watched-namespace list."""
    s = args.settings
    # A key of the chart's defaults is replaced where it stands (never written twice); the rest follow, sorted.
    entries: list[tuple[str, Any]] = [(k, s.config.get(k, v)) for k, v in upstream.OPERATOR_DEFAULT_CONFIG]
    defaults = {k for k, _ in upstream.OPERATOR_DEFAULT_CONFIG}
    entries += sorted((k, v) for k, v in s.config.items() if k not in defaults)
    if s.metrics_reporter == "prometheus":
        entries += [(upstream.KEY_PROM_FACTORY, upstream.PROM_REPORTER_FACTORY),
                    (upstream.KEY_PROM_PORT, str(s.metrics_port))]
    entries.append((upstream.KEY_DYNAMIC_NAMESPACES, str(s.dynamic_namespaces).lower()))
    if s.dynamic_namespaces:
        entries.append((upstream.KEY_DYNAMIC_CONFIG, "true"))
    if s.disallow_restricted_artifact_hosts != upstream.ARTIFACT_DISALLOW_RESTRICTED_HOSTS_DEFAULT:
        entries.append((upstream.ARTIFACT_DISALLOW_RESTRICTED_HOSTS_KEY,
                        str(s.disallow_restricted_artifact_hosts).lower()))
    if args.leader_election:
        entries += [(upstream.KEY_LEADER_ELECTION, "true"), (upstream.KEY_LEASE_NAME, LEASE_NAME)]
    entries += [(upstream.KEY_HEALTH_PROBE_ENABLED, "true"), (upstream.KEY_HEALTH_PROBE_PORT, str(s.health.port))]
    return entries


def watched_entry(args: FlinkOperatorArgs) -> tuple[str, Any] | None:
    return None if args.cluster_wide else (upstream.KEY_WATCHED_NAMESPACES, ",".join(args.watched_names))


def render_config_yaml(args: FlinkOperatorArgs) -> str:
    entries = config_entries(args)
    watched = watched_entry(args)
    if watched:
        entries.insert(len(entries) - 2, watched)
    return "".join(f"{k}: {_scalar(v)}\n" for k, v in entries)


def render_properties(pairs: Sequence[tuple[str, str]], root_level: str | None = None,
                      overrides: Mapping[str, str] | None = None) -> str:
    """Java properties: upstream's pairs, a key of ``overrides`` replaced where it stands (its last occurrence, the
    one Java reads; earlier repeats dropped), the other overrides after them."""
    overrides = {**({"rootLogger.level": root_level} if root_level is not None else {}), **(overrides or {})}
    last = {key: i for i, (key, _) in enumerate(pairs)}
    lines = []
    for i, (key, value) in enumerate(pairs):
        if key in overrides:
            if last[key] != i:
                continue
            value = overrides[key]
        lines.append(f"{key} = {value}")
    lines += [f"{k} = {v}" for k, v in overrides.items() if k not in last]
    return "\n".join(lines) + "\n"


def config_checksum(args: FlinkOperatorArgs, data: Mapping[str, str]) -> str:
    """Digest of everything in the ConfigMap whose change needs a restart.

    Under dynamic namespaces the operator re-reads the watched-namespace list from the mounted file, so that line
    is left out: adding a namespace must not restart the operator.
    """
    config = dict(data)
    if args.settings.dynamic_namespaces:
        config[upstream.CONFIG_FILE] = "".join(f"{k}: {_scalar(v)}\n" for k, v in config_entries(args))
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


def labels_for(args: FlinkOperatorArgs, component: str) -> dict[str, str]:
    out = {
        **L.managed(),
        L.APP_NAME: upstream.OPERATOR_APP_NAME,
        L.APP_VERSION: args.operator_version,
        L.APP_INSTANCE: args.namespace,
        L.APP_COMPONENT: component,
        L.ENVIRONMENT: args.environment,
    }
    if args.tenant:
        out[L.TENANT] = args.tenant
    return out


def image(args: FlinkOperatorArgs) -> str:
    img = args.settings.image
    if img.digest:
        return f"{img.repository}@{img.digest}"
    return f"{img.repository}:{img.tag or args.operator_version}"


def namespace_manifest(args: FlinkOperatorArgs) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": args.namespace, "labels": {
        **labels_for(args, "operator"),
        L.PSA_ENFORCE: "restricted",
        L.PSA_ENFORCE_VERSION: f"v{args.kubernetes_version}",
        L.PSA_WARN: "restricted",
        L.PSA_AUDIT: "restricted",
    }}}


def logging_files(args: FlinkOperatorArgs) -> dict[str, str]:
    """The logging files of the chosen framework (the ones the Deployment mounts)."""
    log = args.settings.logging
    if log.framework == "logback":
        assert log.logback_operator and log.logback_console
        return {upstream.OPERATOR_LOGBACK_FILE: log.logback_operator, upstream.CONSOLE_LOGBACK_FILE: log.logback_console}
    return {
        upstream.OPERATOR_LOG4J_FILE: render_properties(upstream.OPERATOR_LOG4J, args.settings.log_level,
                                                        log.log4j_operator),
        upstream.CONSOLE_LOG4J_FILE: render_properties(upstream.CONSOLE_LOG4J, None, log.log4j_console),
    }


def configmap_manifest(args: FlinkOperatorArgs) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": upstream.OPERATOR_CONFIGMAP_NAME, "namespace": args.namespace, "labels": labels_for(args, "operator")},
        "data": {upstream.CONFIG_FILE: render_config_yaml(args), **logging_files(args)}}


def _container_security(args: FlinkOperatorArgs) -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
    }


def _pod_security(args: FlinkOperatorArgs) -> dict[str, Any]:
    out: dict[str, Any] = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    if args.settings.flavour == "kubernetes":
        out.update(runAsUser=upstream.OPERATOR_UID, runAsGroup=upstream.OPERATOR_GID, fsGroup=upstream.OPERATOR_GID)
    return out


def _field_env(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def _common_env(s: OperatorSettings) -> list[dict[str, Any]]:
    return [
        {"name": "FLINK_CONF_DIR", "value": upstream.FLINK_CONF_DIR},
        {"name": "FLINK_PLUGINS_DIR", "value": upstream.FLINK_PLUGINS_DIR},
        {"name": "LOGGING_FRAMEWORK", "value": s.logging.framework},
    ]


def _log_config(s: OperatorSettings) -> str:
    return upstream.OPERATOR_LOGBACK_CONFIG if s.logging.framework == "logback" else upstream.OPERATOR_LOG_CONFIG


def _tls_env(s: OperatorSettings) -> list[dict[str, Any]]:
    if not s.tls.enabled:
        return []
    ref = s.tls.secret_key_ref
    return [
        {"name": "OPERATOR_KEYSTORE_PATH", "value": f"{upstream.TLS_MOUNT}/keystore.jks"},
        {"name": "OPERATOR_TRUSTSTORE_PATH", "value": f"{upstream.TLS_MOUNT}/truststore.jks"},
        {"name": "OPERATOR_KEYSTORE_PASSWORD", "valueFrom": {"secretKeyRef": {
            "name": ref.name, "key": ref.key, "optional": True}}},
    ]


def _probe(timings: Mapping[str, int]) -> dict[str, Any]:
    return {**timings, "httpGet": {"path": upstream.PROBE_PATH, "port": upstream.OPERATOR_HEALTH_PORT_NAME}}


def _extra_container(args: FlinkOperatorArgs, container: ExtraContainer) -> dict[str, Any]:
    """An init or sidecar container as the stack wrote it, with the platform's restricted security context."""
    return {**container.to_k8s(), "securityContext": _container_security(args)}


def _pull_secrets(names: Sequence[str]) -> dict[str, Any]:
    return {"imagePullSecrets": [{"name": n} for n in names]} if names else {}


def deployment_manifest(args: FlinkOperatorArgs, checksum: str) -> dict[str, Any]:
    s = args.settings
    selector = {L.APP_NAME: upstream.OPERATOR_APP_NAME}
    operator = {
        "name": upstream.OPERATOR_CONTAINER_NAME,
        "image": image(args),
        "imagePullPolicy": s.image.pull_policy,
        "command": list(upstream.OPERATOR_COMMAND),
        "ports": [
            *([{"containerPort": s.metrics_port, "name": upstream.OPERATOR_METRICS_PORT_NAME, "protocol": "TCP"}]
              if s.metrics_reporter == "prometheus" else []),
            {"containerPort": s.health.port, "name": upstream.OPERATOR_HEALTH_PORT_NAME, "protocol": "TCP"},
        ],
        "env": [
            _field_env("OPERATOR_NAMESPACE", "metadata.namespace"),
            _field_env("HOST_IP", "status.hostIP"),
            _field_env("POD_IP", "status.podIP"),
            _field_env("POD_NAME", "metadata.name"),
            {"name": "OPERATOR_NAME", "value": upstream.OPERATOR_DEPLOYMENT_NAME},
            *_common_env(s),
            {"name": "LOG_CONFIG", "value": _log_config(s)},
            {"name": "JVM_ARGS", "value": s.jvm_args},
            *_tls_env(s),
            *(e.to_k8s() for e in s.pod.env),
        ],
        **({"envFrom": [e.to_k8s() for e in s.pod.env_from]} if s.pod.env_from else {}),
        "securityContext": _container_security(args),
        "volumeMounts": [
            {"name": CONFIG_VOLUME, "mountPath": upstream.FLINK_CONF_DIR},
            *([m.to_k8s() for m in s.pod.volume_mounts]
              or [{"name": ARTIFACTS_VOLUME, "mountPath": upstream.FLINK_ARTIFACTS_DIR}]),
            *([{"name": upstream.TLS_VOLUME, "mountPath": upstream.TLS_MOUNT}] if s.tls.enabled else []),
            {"name": TMP_VOLUME, "mountPath": "/tmp"},
        ],
        "livenessProbe": _probe(s.health.liveness()),
        "startupProbe": _probe(s.health.startup()),
    }
    if s.pod.post_start is not None:
        operator["lifecycle"] = {"postStart": s.pod.post_start.to_k8s()}
    if s.resources.to_k8s():
        operator["resources"] = s.resources.to_k8s()
    containers = [operator]
    volumes: list[dict[str, Any]] = [
        {"name": CONFIG_VOLUME, "configMap": {"name": upstream.OPERATOR_CONFIGMAP_NAME, "items": [
            {"key": k, "path": k}
            for k in (upstream.CONFIG_FILE, *logging_files(args))]}},
        *([v.to_k8s() for v in s.pod.volumes] or [{"name": ARTIFACTS_VOLUME, "emptyDir": {}}]),
        {"name": TMP_VOLUME, "emptyDir": {}},
    ]
    if s.webhook.enabled:
        webhook: dict[str, Any] = {
            "name": upstream.WEBHOOK_CONTAINER_NAME,
            "image": image(args),
            "imagePullPolicy": s.image.pull_policy,
            "command": list(upstream.WEBHOOK_COMMAND),
            "env": [
                {"name": "WEBHOOK_KEYSTORE_PASSWORD", "valueFrom": {"secretKeyRef": {
                    "name": upstream.WEBHOOK_PASSWORD_SECRET, "key": upstream.WEBHOOK_PASSWORD_SECRET_KEY}}},
                {"name": "WEBHOOK_KEYSTORE_FILE", "value": f"{upstream.WEBHOOK_KEYSTORE_MOUNT}/{upstream.WEBHOOK_KEYSTORE_KEY}"},
                {"name": "WEBHOOK_KEYSTORE_TYPE", "value": "pkcs12"},
                {"name": "WEBHOOK_SERVER_PORT", "value": str(upstream.WEBHOOK_SERVER_PORT)},
                {"name": "LOG_CONFIG", "value": _log_config(s)},
                {"name": "JVM_ARGS", "value": s.webhook.jvm_args},
                *_common_env(s),
                _field_env("OPERATOR_NAMESPACE", "metadata.namespace"),
                *(e.to_k8s() for e in s.webhook.env),
            ],
            "securityContext": _container_security(args),
            "volumeMounts": [
                {"name": KEYSTORE_VOLUME, "mountPath": upstream.WEBHOOK_KEYSTORE_MOUNT, "readOnly": True},
                {"name": CONFIG_VOLUME, "mountPath": upstream.FLINK_CONF_DIR},
                {"name": TMP_VOLUME, "mountPath": "/tmp"},
            ],
        }
        if s.webhook.resources.to_k8s():
            webhook["resources"] = s.webhook.resources.to_k8s()
        containers.append(webhook)
        volumes.append({"name": KEYSTORE_VOLUME, "secret": {
            "secretName": upstream.WEBHOOK_CERT_SECRET,
            "items": [{"key": upstream.WEBHOOK_KEYSTORE_KEY, "path": upstream.WEBHOOK_KEYSTORE_KEY}]}})
    if s.tls.enabled:
        volumes.append({"name": upstream.TLS_VOLUME, "secret": {"secretName": s.tls.secret_name, "optional": True}})
    containers += [_extra_container(args, c) for c in s.pod.sidecar_containers]
    init = {"initContainers": [_extra_container(args, c) for c in s.pod.init_containers]} if s.pod.init_containers else {}
    strategy: dict[str, Any] = {"type": "RollingUpdate" if args.leader_election else "Recreate"}
    if args.leader_election:
        strategy["rollingUpdate"] = {"maxSurge": 1, "maxUnavailable": 0}
    pod_labels = {**selector, **s.pod.labels, L.APP_INSTANCE: args.namespace, L.APP_PART_OF: L.PART_OF}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {
        "name": upstream.OPERATOR_DEPLOYMENT_NAME, "namespace": args.namespace,
        "labels": {**labels_for(args, "operator"), **s.pod.labels}},
        "spec": {
            "replicas": s.replicas,
            "strategy": strategy,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": pod_labels, "annotations": {
                    upstream.DEFAULT_CONTAINER_ANNOTATION: upstream.OPERATOR_CONTAINER_NAME,
                    **s.pod.annotations,
                    L.CONFIG_CHECKSUM: checksum,
                    **({L.PROMETHEUS_SCRAPE: "true", L.PROMETHEUS_PORT: str(s.metrics_port),
                        L.PROMETHEUS_PATH: METRICS_PATH} if s.metrics_reporter == "prometheus" else {}),
                }},
                "spec": {
                    "securityContext": _pod_security(args),
                    "serviceAccountName": s.service_account.name,
                    **_pull_secrets(s.image_pull_secrets),
                    **s.pod.to_k8s(),
                    **init,
                    "containers": containers,
                    "volumes": volumes,
                },
            },
        }}


def pdb_manifest(args: FlinkOperatorArgs) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {
        "name": upstream.OPERATOR_DEPLOYMENT_NAME, "namespace": args.namespace, "labels": labels_for(args, "operator")},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {L.APP_NAME: upstream.OPERATOR_APP_NAME}}}}


def webhook_manifests(args: FlinkOperatorArgs, password: Any) -> list[tuple[str, dict[str, Any]]]:
    """Secret (password from the stack's secret), Service, Issuer, Certificate and both webhook configurations."""
    ns, labels = args.namespace, labels_for(args, "webhook")
    meta = lambda name: {"name": name, "namespace": ns, "labels": labels}  # noqa: E731
    service = upstream.WEBHOOK_SERVICE_NAME
    selector = None if args.cluster_wide else {"matchExpressions": [
        {"key": upstream.NAMESPACE_NAME_LABEL, "operator": "In", "values": list(args.watched_names)}]}

    def webhook(name: str, path: str, resources: Sequence[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": name,
            "admissionReviewVersions": ["v1"],
            "clientConfig": {"service": {"name": service, "namespace": ns, "path": path}},
            "failurePolicy": "Fail",
            "rules": [{"apiGroups": [upstream.FLINK_API_GROUP], "apiVersions": ["*"], "scope": "Namespaced",
                       "operations": list(upstream.WEBHOOK_OPERATIONS), "resources": list(resources)}],
            "sideEffects": "None",
        }
        if selector is not None:
            out["namespaceSelector"] = selector
        return out

    cluster_meta = {"name": upstream.webhook_configuration_name(ns), "labels": labels,
                    "annotations": {upstream.CERT_MANAGER_INJECT_CA_ANNOTATION: f"{ns}/{upstream.WEBHOOK_CERTIFICATE_NAME}"}}
    return [
        ("webhook-secret", {"apiVersion": "v1", "kind": "Secret", "metadata": meta(upstream.WEBHOOK_PASSWORD_SECRET),
                            "type": "Opaque", "stringData": {upstream.WEBHOOK_PASSWORD_SECRET_KEY: password}}),
        ("webhook-service", {"apiVersion": "v1", "kind": "Service", "metadata": {
            **meta(service), "labels": {**labels, **args.settings.webhook.service_labels}}, "spec": {
            "ports": [{"port": upstream.WEBHOOK_SERVICE_PORT, "targetPort": upstream.WEBHOOK_SERVER_PORT}],
            "selector": {L.APP_NAME: upstream.OPERATOR_APP_NAME}}}),
        ("webhook-issuer", {"apiVersion": upstream.CERT_MANAGER_API_VERSION, "kind": "Issuer",
                            "metadata": meta(upstream.WEBHOOK_ISSUER_NAME), "spec": {"selfSigned": {}}}),
        ("webhook-certificate", {"apiVersion": upstream.CERT_MANAGER_API_VERSION, "kind": "Certificate",
                                 "metadata": meta(upstream.WEBHOOK_CERTIFICATE_NAME), "spec": {
            "dnsNames": [f"{service}.{ns}.svc", f"{service}.{ns}.svc.cluster.local"],
            "keystores": {"pkcs12": {"create": True, "passwordSecretRef": {
                "name": upstream.WEBHOOK_PASSWORD_SECRET, "key": upstream.WEBHOOK_PASSWORD_SECRET_KEY}}},
            "issuerRef": {"kind": "Issuer", "name": upstream.WEBHOOK_ISSUER_NAME},
            "commonName": upstream.WEBHOOK_CERT_COMMON_NAME,
            "secretName": upstream.WEBHOOK_CERT_SECRET}}),
        ("mutating-webhook", {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
                              "metadata": cluster_meta, "webhooks": [webhook(
                                  upstream.MUTATING_WEBHOOK_NAME, upstream.MUTATING_WEBHOOK_PATH, upstream.MUTATED_RESOURCES)]}),
        ("validating-webhook", {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
                                "metadata": cluster_meta, "webhooks": [webhook(
                                    upstream.VALIDATING_WEBHOOK_NAME, upstream.VALIDATING_WEBHOOK_PATH,
                                    upstream.VALIDATED_RESOURCES)]}),
    ]


# --- the component ---------------------------------------------------------------------------------------------------


class FlinkOperator(pulumi.ComponentResource):
    """One operator with everything it needs (``flink-platform:operator:FlinkOperator``).

    ``keystore_password`` (a secret Output, required when the webhook is on) fills the keystore password Secret;
    ``namespaces`` are the watched Namespace resources, so namespaced objects wait for their namespace.
    """

    def __init__(
        self,
        name: str,
        args: FlinkOperatorArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        keystore_password: pulumi.Input[str] | None = None,
        namespaces: Mapping[str, pulumi.Resource] | None = None,
    ):
        super().__init__("flink-platform:operator:FlinkOperator", name, None, opts)
        s = args.settings
        if s.webhook.enabled and keystore_password is None:
            raise ValueError(f"{name}: the webhook is on but no keystore password was given")
        deps: list[pulumi.Resource] = []
        if not s.existing_namespace:
            self.namespace = declare(f"{name}-namespace", namespace_manifest(args),
                                     pulumi.ResourceOptions(parent=self, retain_on_delete=True))
            deps = [self.namespace]
        child = pulumi.ResourceOptions(parent=self, depends_on=deps)
        all_namespaces = {**(namespaces or {}), **({args.namespace: deps[0]} if deps else {})}

        sa = s.service_account
        self.service_account = declare(f"{name}-sa", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
            "name": sa.name, "namespace": args.namespace, "labels": labels_for(args, "operator"),
            **({"annotations": dict(sa.annotations)} if sa.annotations else {})}}, child) if sa.create else None
        configmap = configmap_manifest(args)
        self.config_map = declare(f"{name}-config", configmap, child)
        self.rbac = WatchedNamespaceRbac(f"{name}-rbac", WatchedNamespaceRbacArgs(
            operator_namespace=args.namespace, watched=args.watched_names, cluster_wide=args.cluster_wide,
            nodes_rule=s.nodes_rule, labels=labels_for(args, "rbac"), create=s.rbac.create,
            operator_role=s.rbac.operator_role, operator_role_binding=s.rbac.operator_role_binding,
            job_role=s.rbac.job_role, job_role_binding=s.rbac.job_role_binding,
            operator_service_account=s.service_account.name,
            job_service_account_annotations=s.job_service_account.annotations,
            job_service_account_annotations_by_namespace={
                w.name: w.job_service_account_annotations for w in args.watched if w.job_service_account_annotations},
        ), pulumi.ResourceOptions(parent=self), namespaces=all_namespaces)
        #: The tenant's guard rails in a tenant operator's namespace; the operator pods wait for the LimitRange (its
        #: defaults fill the limits the quota asks of every container).
        self.guard_rails = None
        if args.guard_rails is not None and args.tenant:
            from components.guardrails import NamespaceGuardRails, NamespaceGuardRailsArgs

            self.guard_rails = NamespaceGuardRails(f"{name}-guard-rails", NamespaceGuardRailsArgs(
                namespace=args.namespace, tenant=args.tenant, operator_version=args.operator_version,
                guard_rails=args.guard_rails), child)
        webhook_objects: list[pulumi.Resource] = []
        if s.webhook.enabled:
            for role, manifest in webhook_manifests(args, keystore_password):
                webhook_objects.append(declare(f"{name}-{role}", manifest, child))
        self.deployment = declare(
            f"{name}-deployment", deployment_manifest(args, config_checksum(args, configmap["data"])),
            pulumi.ResourceOptions(parent=self, depends_on=[*deps, *([self.service_account] if sa.create else []),
                                                            self.config_map, self.rbac,
                                                            *webhook_objects[:1],
                                                            *([self.guard_rails.limit_range] if self.guard_rails else [])]),
        )
        if args.leader_election:
            self.pdb = declare(f"{name}-pdb", pdb_manifest(args), child)
        if args.network.enabled:
            self.network = OperatorNetworkPolicies(f"{name}-network", NetworkPoliciesArgs(
                operator_namespace=args.namespace, watched=args.watched_names,
                egress={w.name: w.egress for w in args.watched},
                clusters={w.name: w.clusters for w in args.watched if w.clusters},
                artifact_hosts=args.artifact_hosts, cluster_wide=args.cluster_wide,
                webhook=s.webhook.enabled, health_port=s.health.port,
                metrics_port=s.metrics_port if s.metrics_reporter == "prometheus" else None,
                network=args.network,
                extra_egress=s.extra_egress, labels=labels_for(args, "network"),
            ), pulumi.ResourceOptions(parent=self), namespaces=all_namespaces)
        # What a workload in a watched namespace waits for: the running operator (Deployment, webhook) and the RBAC
        # and network policies of its own namespace; named leaves, not this component (a component in depends_on
        # expands to all its descendants: every workload would wait on every watched namespace's objects, a
        # dependency list quadratic in the stack's size).
        self._common_ready = [self.deployment, *webhook_objects, *self.rbac.by_namespace.get(None, [])]
        self._network = getattr(self, "network", None)
        self.register_outputs({
            "namespace": args.namespace,
            "watchedNamespaces": list(args.watched_names),
            "clusterWide": args.cluster_wide,
            "replicas": s.replicas,
            "webhook": s.webhook.enabled,
            "image": image(args),
        })

    def ready_for(self, namespace: str) -> list[pulumi.Resource]:
        """The objects a workload in ``namespace`` waits for on create (and outlives on destroy): the operator's
        Deployment and webhook objects, cluster-wide RBAC, and this operator's RBAC and network policies in
        ``namespace``."""
        network = self._network.by_namespace.get(namespace, []) if self._network is not None else []
        return [*self._common_ready, *self.rbac.by_namespace.get(namespace, []), *network]
