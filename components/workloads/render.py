"""Workload config → custom resource specs, and the rules relating workloads to the rest of the stack.

Pulumi-free (plain data in, plain data out), so the offline plan, the policy pack and the tests render and check
exactly what the program deploys. :mod:`components.workloads.component` wraps the results into Pulumi resources.

Platform defaults (``workloads.defaults``) are merged into each workload here: state directories derived from the
storage base URI per tenant, namespace and workload; Kubernetes HA; periodic savepoints; restart strategy;
autoscaler; the Prometheus reporter; a pod template with the restricted security context; secrets as
``secretKeyRef`` environment variables. A workload overrides a default only where ``defaults.teamOverrides``
allows it (checked by :func:`workload_problems`).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from components.config import labels as L
from components.operator import upstream
from components.config.kube import SchedulingConfig
from components.operator.pod_template import merge_arrays_by_name, merge_pod_templates
from components.operator.validation import (
    JAR_URI_HOST_CHECKED_SCHEMES,
    jar_uri_problem,
    jobmanager_memory_problem,
    taskmanager_memory_problem,
)
from components.workloads.config import (
    ApplicationWorkload,
    Autoscaler,
    PeriodicSavepoints,
    RestartStrategy,
    SessionClusterWorkload,
    SessionJobWorkload,
    WorkloadDefaults,
    WorkloadsConfig,
)

Workload = ApplicationWorkload | SessionClusterWorkload | SessionJobWorkload

#: Restricted Pod Security Standard, as Flink's image runs (user flink, uid/gid 9999).
FLINK_UID = 9999
POD_SECURITY_CONTEXT = {
    "runAsNonRoot": True,
    "runAsUser": FLINK_UID,
    "runAsGroup": FLINK_UID,
    "fsGroup": FLINK_UID,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY_CONTEXT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
#: Annotations of the deploy-time await (pulumi-kubernetes generic await).
WAIT_FOR_ANNOTATION = "pulumi.com/waitFor"
TIMEOUT_ANNOTATION = "pulumi.com/timeoutSeconds"
#: pulumi-kubernetes: do not wait for readiness at all (``workloads.defaults.awaitReady: false``).
SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait"
#: Annotation recording the configuration fingerprint of an autoClean session cluster.
CONFIG_FINGERPRINT_ANNOTATION = "flink-platform.io/config-fingerprint"
AUTO_CLEAN_SUFFIX_LEN = 8


# --- flinkConfiguration helpers -----------------------------------------------------------------------------------


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested flinkConfiguration (allowed since FLINK-37406) as flat dotted keys."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        full = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(flatten(value, full))
        else:
            out[full] = value
    return out


def flink_value(value: Any) -> str:
    """A config value as Flink reads it from YAML: booleans lower-case, integral floats without '.0'."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def canonical_key(key: str) -> str:
    """The current name of a config key (deprecated aliases mapped to it)."""
    for current, aliases in upstream.CONFIG_KEY_ALIASES.items():
        if key in aliases:
            return current
    return key


def effective_configuration(config: Mapping[str, Any]) -> dict[str, str]:
    """Flat, canonical-key, string-valued view of a flinkConfiguration (what the operator's validator reads)."""
    return {canonical_key(k): flink_value(v) for k, v in flatten(config).items()}


#: Platform-managed key groups: a workload sets these through typed fields, never in flinkConfiguration.
def managed_group(key: str) -> str | None:
    key = canonical_key(key)
    if key in (upstream.CHECKPOINT_DIR_KEY, upstream.SAVEPOINT_DIR_KEY):
        return "state"
    if key == upstream.HA_TYPE_KEY or key == upstream.HA_STORAGE_DIR_KEY:
        return "highAvailability"
    if key in (upstream.PERIODIC_SAVEPOINT_INTERVAL_KEY, upstream.SAVEPOINT_HISTORY_MAX_COUNT_KEY,
               upstream.SAVEPOINT_HISTORY_MAX_AGE_KEY, upstream.SAVEPOINT_DISPOSE_ON_DELETE_KEY):
        return "periodicSavepoints"
    if key.startswith(upstream.RESTART_STRATEGY_PREFIX + ".") or key == upstream.RESTART_STRATEGY_PREFIX:
        return "restartStrategy"
    if key.startswith(upstream.AUTOSCALER_PREFIX + "."):
        return "autoscaler"
    return None


# --- effective settings -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Effective:
    """The settings a workload ends up with after platform defaults and its own (allowed) overrides."""

    checkpoint_dir: str | None
    savepoint_dir: str | None
    ha: bool
    ha_storage_dir: str | None
    periodic: PeriodicSavepoints | None
    restart: RestartStrategy
    autoscaler: Autoscaler


def _base_dir(defaults: WorkloadDefaults, w: Workload) -> str | None:
    if defaults.storage is None:
        return None
    return f"{defaults.storage.base_uri.rstrip('/')}/{w.tenant}/{w.namespace}/{w.name}"


def is_stateful(w: Workload) -> bool:
    job = getattr(w, "job", None)
    return job is not None and job.upgrade_mode in upstream.STATEFUL_UPGRADE_MODES


def effective(w: Workload, defaults: WorkloadDefaults) -> Effective:
    base = _base_dir(defaults, w)
    state = getattr(w, "state", None)
    checkpoint_dir = (state.checkpoint_dir if state and state.checkpoint_dir else None) or (
        f"{base}/checkpoints" if base else None)
    savepoint_dir = (state.savepoint_dir if state and state.savepoint_dir else None) or (
        f"{base}/savepoints" if base else None)
    jm_replicas = w.job_manager.replicas if hasattr(w, "job_manager") else 1
    job = getattr(w, "job", None)
    ha_override = getattr(w, "high_availability", None)
    if ha_override is not None:
        ha = ha_override.enabled
    elif defaults.high_availability == "always":
        ha = True
    elif defaults.high_availability == "never":
        ha = False
    else:
        ha = jm_replicas > 1 or (job is not None and job.upgrade_mode in upstream.STATEFUL_UPGRADE_MODES)
    if isinstance(w, SessionJobWorkload):
        ha = False  # HA belongs to the session cluster
    ha_storage = (ha_override.storage_dir if ha_override and ha_override.storage_dir else None) or (
        f"{base}/ha" if base else None)
    periodic = getattr(w, "periodic_savepoints", None) or defaults.periodic_savepoints
    if job is None or job.upgrade_mode == "stateless" or savepoint_dir is None or periodic.interval is None:
        periodic = None
    return Effective(
        checkpoint_dir=checkpoint_dir,
        savepoint_dir=savepoint_dir,
        ha=ha,
        ha_storage_dir=ha_storage,
        periodic=periodic,
        restart=getattr(w, "restart_strategy", None) or defaults.restart_strategy,
        autoscaler=getattr(w, "autoscaler", None) or defaults.autoscaler,
    )


def platform_configuration(w: Workload, defaults: WorkloadDefaults, eff: Effective) -> dict[str, str]:
    """The flinkConfiguration keys the platform sets for ``w``."""
    out: dict[str, str] = {}
    if eff.checkpoint_dir:
        out[upstream.CHECKPOINT_DIR_KEY] = eff.checkpoint_dir
    if eff.savepoint_dir:
        out[upstream.SAVEPOINT_DIR_KEY] = eff.savepoint_dir
    if eff.ha:
        out[upstream.HA_TYPE_KEY] = upstream.HA_KUBERNETES
        if eff.ha_storage_dir:
            out[upstream.HA_STORAGE_DIR_KEY] = eff.ha_storage_dir
    if eff.periodic is not None:
        out[upstream.PERIODIC_SAVEPOINT_INTERVAL_KEY] = str(eff.periodic.interval)
        out[upstream.SAVEPOINT_HISTORY_MAX_COUNT_KEY] = str(eff.periodic.history_max_count)
        out[upstream.SAVEPOINT_HISTORY_MAX_AGE_KEY] = str(eff.periodic.history_max_age)
        out[upstream.SAVEPOINT_DISPOSE_ON_DELETE_KEY] = flink_value(eff.periodic.dispose_on_delete)
    if not isinstance(w, SessionJobWorkload):
        out[upstream.TASKMANAGER_DATA_PORT_KEY] = str(upstream.TASKMANAGER_DATA_PORT)
    if not isinstance(w, SessionClusterWorkload):
        out.update(eff.restart.flink_configuration())
        if eff.autoscaler.enabled or getattr(w, "autoscaler", None) is not None:
            out.update(eff.autoscaler.flink_configuration())
    if defaults.observability.prometheus and not isinstance(w, SessionJobWorkload):
        p = upstream.PROMETHEUS_REPORTER_PREFIX
        out[f"{p}.factory.class"] = upstream.PROMETHEUS_REPORTER_FACTORY
        out[f"{p}.port"] = str(upstream.PROMETHEUS_PORT)
    return out


# --- pod template -------------------------------------------------------------------------------------------------


def _merge_container(containers: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for c in containers:
        if c.get("name") == name:
            return c
    containers.insert(0, {"name": name})
    return containers[0]


def pod_template(template: Mapping[str, Any] | None, *, labels: Mapping[str, str], env: list[dict[str, Any]],
                 ports: list[dict[str, Any]]) -> dict[str, Any]:
    """The user's pod template with the platform's parts merged in (the user's values win where both set one,
    except the restricted security context, which is always applied to every container)."""
    out = copy.deepcopy(dict(template or {}))
    meta = out.setdefault("metadata", {})
    meta["labels"] = {**(meta.get("labels") or {}), **labels}
    spec = out.setdefault("spec", {})
    spec["securityContext"] = {**(spec.get("securityContext") or {}), **POD_SECURITY_CONTEXT}
    containers = spec.setdefault("containers", [])
    main = _merge_container(containers, upstream.MAIN_CONTAINER)
    if env:
        names_ = {e["name"] for e in env}
        main["env"] = [e for e in main.get("env") or [] if e.get("name") not in names_] + env
    if ports:
        have = {p.get("containerPort") for p in main.get("ports") or []}
        main["ports"] = (main.get("ports") or []) + [p for p in ports if p["containerPort"] not in have]
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            c["securityContext"] = {**(c.get("securityContext") or {}), **CONTAINER_SECURITY_CONTEXT}
    return out


def scheduled_pod_template(template: Mapping[str, Any] | None, tenant_default: SchedulingConfig | None,
                           override: SchedulingConfig | None, merge_by_name: bool = False) -> dict[str, Any] | None:
    """The workload's pod template with its scheduling merged in, as the operator merges a role pod template over
    ``spec.podTemplate`` (:func:`components.operator.pod_template.merge_pod_templates`): the tenant's default is the
    base, the workload's ``podTemplate`` merges over it and the workload's ``scheduling`` over both (maps key by key,
    lists by index). Without either scheduling the template is returned as given (nothing rendered)."""
    if tenant_default is None and override is None:
        return dict(template) if template is not None else None
    out: Any = {"spec": tenant_default.to_k8s()} if tenant_default is not None else None
    out = merge_pod_templates(out, template, merge_by_name) if template is not None else out
    if override is not None:
        out = merge_pod_templates(out, {"spec": override.to_k8s()}, merge_by_name)
    return out


def tenant_scheduling(tenants: Iterable[Any]) -> dict[str, SchedulingConfig]:
    """Each tenant's ``workloadDefaults.scheduling`` by tenant name (tenants without one left out)."""
    return {t.name: t.workload_defaults.scheduling for t in tenants
            if t.workload_defaults is not None and t.workload_defaults.scheduling is not None}


def component_pod_template(template: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A JobManager/TaskManager-only pod template: its containers also get the restricted security context."""
    if not template:
        return None
    out = copy.deepcopy(dict(template))
    spec = out.setdefault("spec", {})
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            c["securityContext"] = {**(c.get("securityContext") or {}), **CONTAINER_SECURITY_CONTEXT}
    return out


# --- names, labels, secrets ---------------------------------------------------------------------------------------


def workload_labels(w: Workload, environment: str) -> dict[str, str]:
    return {
        **w.labels,
        **L.managed(),
        L.APP_NAME: w.name,
        L.TENANT: w.tenant,
        L.TEAM: w.team or w.tenant,
        L.WORKLOAD: w.name,
        L.ENVIRONMENT: environment,
    }


def secret_name(w: Workload) -> str:
    """The Kubernetes Secret holding a workload's secret environment values."""
    return f"{w.name}-env"


def secret_env(w: Workload) -> list[dict[str, Any]]:
    return [
        {"name": e.name, "valueFrom": {"secretKeyRef": {"name": secret_name(w), "key": e.secret}}}
        for e in getattr(w, "secret_env", [])
    ]


def fingerprint(value: Any) -> str:
    """sha256 hex of canonical JSON."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def rest_url(cluster_name: str, namespace: str) -> str:
    """The JobManager REST address the operator itself uses (``<name>-rest.<namespace>``, port 8081)."""
    return f"http://{cluster_name}{upstream.REST_SERVICE_SUFFIX}.{namespace}.svc:{upstream.REST_PORT}"


def await_annotations(condition: str, timeout_s: int, enabled: bool = True) -> dict[str, str]:
    """``pulumi up`` waits until the resource reaches ``condition`` (its status paths), or skips waiting."""
    if not enabled:
        return {SKIP_AWAIT_ANNOTATION: "true"}
    paths = upstream.AWAIT_CONDITIONS[condition]
    return {
        WAIT_FOR_ANNOTATION: json.dumps([f"jsonpath={{{p}}}={v}" for p, v in paths]),
        TIMEOUT_ANNOTATION: str(timeout_s),
    }


# --- rendering ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """One custom resource of a workload: what the component registers."""

    kind: str  # FlinkDeployment | FlinkBlueGreenDeployment | FlinkSessionJob
    name: str
    namespace: str
    labels: dict[str, str]
    annotations: dict[str, str]
    spec: dict[str, Any]
    stateful: bool
    workload: Workload
    savepoint_dir: str | None
    cluster: str  # the FlinkDeployment whose JobManager runs the job (itself, or the session cluster)

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"


def _job_spec(job: Any) -> dict[str, Any]:
    out = job.model_dump(by_alias=True, exclude_none=True, mode="json")
    if not out.get("args"):
        out.pop("args", None)
    return out


def _component(spec: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"resource": spec.resource.model_dump(by_alias=True, exclude_none=True, mode="json")}
    if getattr(spec, "replicas", None) is not None:
        out["replicas"] = spec.replicas
    template = component_pod_template(spec.pod_template)
    if template:
        out["podTemplate"] = template
    return out


def _cluster_spec(w: ApplicationWorkload | SessionClusterWorkload, defaults: WorkloadDefaults,
                  labels: dict[str, str], scheduling: Mapping[str, SchedulingConfig]) -> dict[str, Any]:
    eff = effective(w, defaults)
    config = {**{k: flink_value(v) for k, v in flatten(w.flink_configuration).items()},
              **platform_configuration(w, defaults, eff)}
    ports = ([{"name": METRICS_PORT_NAME, "containerPort": upstream.PROMETHEUS_PORT, "protocol": "TCP"}]
             if defaults.observability.prometheus else [])
    spec: dict[str, Any] = {
        "image": w.image,
        "flinkVersion": w.flink_version,
        "serviceAccount": upstream.JOB_SERVICE_ACCOUNT,
        "flinkConfiguration": dict(sorted(config.items())),
        "jobManager": _component(w.job_manager),
        "taskManager": _component(w.task_manager),
        "podTemplate": pod_template(
            scheduled_pod_template(w.pod_template, scheduling.get(w.tenant), w.scheduling,
                                   bool(merge_arrays_by_name(config))),
            labels=labels, env=secret_env(w), ports=ports),
    }
    if w.image_pull_policy:
        spec["imagePullPolicy"] = w.image_pull_policy
    if w.mode:
        spec["mode"] = w.mode
    if w.log_configuration:
        spec["logConfiguration"] = dict(w.log_configuration)
    if w.ingress:
        spec["ingress"] = w.ingress.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True, mode="json")
        spec["ingress"]["template"] = w.ingress.template
    return spec


def auto_clean_name(w: SessionClusterWorkload, spec: Mapping[str, Any]) -> str:
    return f"{w.name}-{fingerprint(spec)[:AUTO_CLEAN_SUFFIX_LEN]}"


def render(config: WorkloadsConfig, environment: str,
           scheduling: Mapping[str, SchedulingConfig] | None = None) -> list[Rendered]:
    """Every custom resource of the stack's workloads, in config order (session clusters before their jobs).
    ``scheduling``: each tenant's default scheduling of its Flink pods (:func:`tenant_scheduling`)."""
    defaults = config.defaults
    scheduling = scheduling or {}
    out: list[Rendered] = []
    cluster_names: dict[tuple[str, str], str] = {}
    for w in config.applications:
        labels = workload_labels(w, environment)
        spec = _cluster_spec(w, defaults, labels, scheduling)
        spec["job"] = _job_spec(w.job)
        timeout = w.await_timeout_seconds or defaults.await_timeout_seconds
        kind = "FlinkBlueGreenDeployment" if w.blue_green else "FlinkDeployment"
        condition = "blue-green" if w.blue_green else ("suspended" if w.job.state == "suspended" else "application")
        if w.blue_green:
            spec = {"template": {"spec": spec}}
        out.append(Rendered(kind, w.name, w.namespace, labels, await_annotations(condition, timeout, defaults.await_ready), spec,
                            is_stateful(w), w, effective(w, defaults).savepoint_dir, w.name))
    for w in config.session_clusters:
        labels = workload_labels(w, environment)
        spec = _cluster_spec(w, defaults, labels, scheduling)
        annotations = await_annotations("session-cluster", w.await_timeout_seconds or defaults.await_timeout_seconds,
                                        defaults.await_ready)
        name = w.name
        if w.auto_clean:
            name = auto_clean_name(w, spec)
            annotations[CONFIG_FINGERPRINT_ANNOTATION] = fingerprint(spec)
            if spec["flinkConfiguration"].get(upstream.HA_STORAGE_DIR_KEY):
                spec["flinkConfiguration"][upstream.HA_STORAGE_DIR_KEY] += f"/{name}"
        cluster_names[(w.namespace, w.name)] = name
        out.append(Rendered("FlinkDeployment", name, w.namespace, labels, annotations, spec, False, w, None, name))
    for w in config.session_jobs:
        labels = workload_labels(w, environment)
        eff = effective(w, defaults)
        config_ = {**{k: flink_value(v) for k, v in flatten(w.flink_configuration).items()},
                   **platform_configuration(w, defaults, eff)}
        cluster = cluster_names.get((w.namespace, w.deployment_name), w.deployment_name)
        spec = {"deploymentName": cluster, "job": _job_spec(w.job)}
        if config_:
            spec["flinkConfiguration"] = dict(sorted(config_.items()))
        condition = "suspended" if w.job.state == "suspended" else "session-job"
        timeout = w.await_timeout_seconds or defaults.await_timeout_seconds
        out.append(Rendered("FlinkSessionJob", w.name, w.namespace, labels, await_annotations(condition, timeout, defaults.await_ready),
                            spec, is_stateful(w), w, eff.savepoint_dir, cluster))
    return out


def custom_resource(r: Rendered) -> dict[str, Any]:
    """The whole object (apiVersion, kind, metadata, spec) as applied."""
    return {
        "apiVersion": upstream.FLINK_API_VERSION,
        "kind": r.kind,
        "metadata": {"name": r.name, "namespace": r.namespace, "labels": r.labels, "annotations": r.annotations},
        "spec": r.spec,
    }


# --- rules across fields ------------------------------------------------------------------------------------------

Issue = tuple[str, str, str]  # (path, found, allowed): components.config.models.Problem fields


def workload_problems(platform: Any, root: str = "platform") -> list[Issue]:
    """Every problem relating workloads to tenants, namespaces, the operator and each other (exact paths)."""
    config: WorkloadsConfig = platform.workloads
    defaults = config.defaults
    operator_version = platform.operator.version
    tenants = {t.name: t for t in platform.tenants}
    out: list[Issue] = []
    base = f"{root}.workloads"
    supported = upstream.FLINK_VERSIONS_SUPPORTED.get(operator_version, ())
    gap = () if platform.operator.crds.patch_flink_version_enum else upstream.CRD_FLINK_VERSION_ENUM_GAP.get(
        operator_version, ())
    deployments: dict[tuple[str, str], tuple[str, Workload]] = {}
    session_jobs: dict[tuple[str, str], str] = {}
    for section in ("applications", "session_clusters", "session_jobs"):
        camel = {"applications": "applications", "session_clusters": "sessionClusters",
                 "session_jobs": "sessionJobs"}[section]
        for i, w in enumerate(getattr(config, section)):
            path = f"{base}.{camel}[{i}]"
            out += _placement(w, path, tenants)
            key = (w.namespace, w.name)
            if section == "session_jobs":
                if key in session_jobs:
                    out.append((f"{path}.name", repr(w.name), f"is already a session job in namespace "
                                f"{w.namespace!r} at {session_jobs[key]}; names are unique per namespace"))
                session_jobs.setdefault(key, path)
            else:
                if key in deployments:
                    out.append((f"{path}.name", repr(w.name), f"is already a FlinkDeployment in namespace "
                                f"{w.namespace!r} at {deployments[key][0]}; names are unique per namespace"))
                deployments.setdefault(key, (path, w))
                if w.flink_version not in supported:
                    out.append((f"{path}.flinkVersion", repr(w.flink_version),
                                f"operator {operator_version} supports {', '.join(supported)}"))
                elif w.flink_version in gap:
                    out.append((f"{path}.flinkVersion", repr(w.flink_version),
                                f"the operator {operator_version} CRD does not accept it and "
                                f"{root}.operator.crds.patchFlinkVersionEnum is false"))
                out += _cluster_rules(w, path, defaults)
                out += _scheduling_rules(w, path, tenants, w.pod_template)
            out += _override_rules(w, path, defaults)
            out += _configuration_rules(w, path)
            out += _state_rules(w, path, defaults)
    plain: dict[tuple[str, str], str] = {}
    for i, w in enumerate(config.plain_session_clusters):
        path = f"{base}.plainSessionClusters[{i}]"
        out += _placement(w, path, tenants)
        key = (w.namespace, w.name)
        if key in deployments or key in plain:
            out.append((f"{path}.name", repr(w.name), f"is already a cluster in namespace {w.namespace!r}; names are "
                        "unique per namespace"))
        plain.setdefault(key, path)
        out += _scheduling_rules(w, path, tenants, None)
        out += _configuration_rules(w, path)
    for i, w in enumerate(config.rest_jobs):
        path = f"{base}.restJobs[{i}]"
        out += _placement(w, path, tenants)
        if w.cluster is not None and (w.namespace, w.cluster) not in plain:
            clusters = sorted(n for (ns, n) in plain if ns == w.namespace)
            out.append((f"{path}.cluster", repr(w.cluster), f"must name a cluster of {base}.plainSessionClusters in "
                        f"namespace {w.namespace!r}: " + (", ".join(clusters) or "there is none")))
        from components.providers.flink_job_model import FlinkJobInputs

        try:
            FlinkJobInputs.model_validate({"restUrl": w.rest_url or "http://placeholder", "jar": w.jar,
                                           "jarSha256": w.jar_sha256})
        except ValueError as err:
            for e in err.errors():  # type: ignore[attr-defined]
                field = {"restUrl": "restUrl", "jar": "jar", "jarSha256": "jarSha256"}.get(str(e["loc"][0]), "")
                out.append((f"{path}.{field}", repr(e.get("input")), e["msg"].removeprefix("Value error, ")))
    for i, w in enumerate(config.session_jobs):
        path = f"{base}.sessionJobs[{i}]"
        target = deployments.get((w.namespace, w.deployment_name))
        if target is None:
            clusters = sorted(n for (ns, n), (_, t) in deployments.items()
                              if ns == w.namespace and isinstance(t, SessionClusterWorkload))
            out.append((f"{path}.deploymentName", repr(w.deployment_name),
                        f"must name a session cluster of {base}.sessionClusters in namespace {w.namespace!r}: "
                        + (", ".join(clusters) or "there is none")))
        elif isinstance(target[1], ApplicationWorkload):
            out.append((f"{path}.deploymentName", repr(w.deployment_name),
                        f"is an application cluster ({target[0]}); the operator refuses session jobs on it "
                        "(\"Can not submit session job to application cluster\"): name a session cluster"))
        scheme = urlsplit(w.job.jar_uri).scheme.lower()
        allowed = [s.lower() for s in defaults.session_job_jar_schemes]
        if scheme not in allowed:
            out.append((f"{path}.job.jarURI", repr(w.job.jar_uri),
                        f"the operator accepts session-job jars with scheme {', '.join(allowed)} "
                        f"({upstream.ARTIFACT_ALLOWED_SCHEMES_KEY}; widen it with "
                        f"{base}.defaults.sessionJobJarSchemes)"))
        elif _restricts_artifact_hosts(platform, tenants.get(w.tenant)):
            problem = restricted_jar_host_problem(w.job.jar_uri)
            if problem:
                out.append((f"{path}.job.jarURI", repr(w.job.jar_uri),
                            f"the operator refuses it ({problem}; {upstream.ARTIFACT_DISALLOW_RESTRICTED_HOSTS_KEY}): "
                            "serve the jar from a public host"))
    return out


def _scheduling_rules(w: Any, path: str, tenants: Mapping[str, Any], template: Mapping[str, Any] | None
                      ) -> list[Issue]:
    """The scheduling a workload's pods get, once merged (tenant default, podTemplate, own ``scheduling``), is still
    valid: tolerations merge by index, so one of the workload's over a default's of another kind can mix them
    (``operator: Exists`` over an ``Equal`` toleration keeps its value, which the API server refuses)."""
    default = tenant_scheduling([tenants[w.tenant]]).get(w.tenant) if w.tenant in tenants else None
    if default is None and w.scheduling is None:
        return []
    merged = scheduled_pod_template(template, default, w.scheduling) or {}
    spec = merged.get("spec") or {}
    keys = {k: spec[k] for k in ("nodeSelector", "affinity", "tolerations", "topologySpreadConstraints",
                                 "priorityClassName") if k in spec}
    try:
        SchedulingConfig.model_validate(keys)
    except ValueError as err:
        errors = getattr(err, "errors", lambda: [])()
        reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors) or str(err)
        return [(f"{path}.scheduling", json.dumps(keys, sort_keys=True),
                 f"the scheduling merged over tenant {w.tenant!r}'s workloadDefaults.scheduling and the podTemplate "
                 f"(lists by index, as the operator merges pod templates) must be valid: {reason}; repeat the "
                 "default's tolerations first, then add the workload's")]
    return []


def _restricts_artifact_hosts(platform: Any, tenant: Any) -> bool:
    """The operator watching the tenant (its own, else the platform's) refuses jars on restricted hosts."""
    operator = getattr(tenant, "operator", None) or platform.operator
    return bool(operator.disallow_restricted_artifact_hosts)


def restricted_jar_host_problem(uri: str) -> str | None:
    """What the operator's ``validateJarURI`` says about the host of an http(s) jar URI (names not resolved)."""
    scheme = urlsplit(uri).scheme.lower()
    return jar_uri_problem(uri, [scheme], True, resolve=False) if scheme in JAR_URI_HOST_CHECKED_SCHEMES else None


def _placement(w: Workload, path: str, tenants: Mapping[str, Any]) -> list[Issue]:
    tenant = tenants.get(w.tenant)
    if tenant is None:
        return [(f"{path}.tenant", repr(w.tenant), "must be a tenant of platform.tenants: "
                 + (", ".join(sorted(tenants)) or "there is none"))]
    if w.namespace not in tenant.namespaces:
        return [(f"{path}.namespace", repr(w.namespace),
                 f"must be a namespace of tenant {w.tenant!r}: {', '.join(tenant.namespaces)}")]
    return []


_OVERRIDE_FIELDS = (("state", "state"), ("high_availability", "highAvailability"),
                    ("periodic_savepoints", "periodicSavepoints"), ("restart_strategy", "restartStrategy"),
                    ("autoscaler", "autoscaler"))


def _override_rules(w: Workload, path: str, defaults: WorkloadDefaults) -> list[Issue]:
    out = []
    for attr, camel in _OVERRIDE_FIELDS:
        if getattr(w, attr, None) is not None and camel not in defaults.team_overrides:
            out.append((f"{path}.{camel}", "a workload override",
                        f"the stack does not let workloads override {camel}: the platform default applies "
                        f"(allowed overrides: {', '.join(defaults.team_overrides) or 'none'}; see "
                        "platform.workloads.defaults.teamOverrides)"))
    return out


#: flinkConfiguration keys the plan reads as numbers (Flink reads them as positive integers).
POSITIVE_INTEGER_KEYS = ("taskmanager.numberOfTaskSlots", "pipeline.max-parallelism", "parallelism.default")


def _positive_integer(value: Any) -> int | None:
    text = flink_value(value)
    return int(text) if text.isascii() and text.isdigit() and int(text) > 0 else None


def _configuration_rules(w: Workload, path: str) -> list[Issue]:
    out = []
    conf = flatten(getattr(w, "flink_configuration", {}) or {})
    for key in POSITIVE_INTEGER_KEYS:
        if key in conf and _positive_integer(conf[key]) is None:
            out.append((f"{path}.flinkConfiguration[{key!r}]", repr(conf[key]), "must be a positive whole number "
                        "(Flink reads it as an integer), e.g. 2"))
    job = getattr(w, "job", None)
    max_parallelism = _positive_integer(conf.get("pipeline.max-parallelism", "x"))
    if job is not None and max_parallelism is not None and job.parallelism > max_parallelism:
        out.append((f"{path}.job.parallelism", str(job.parallelism), f"must be at most the job's "
                    f"pipeline.max-parallelism ({max_parallelism}, {path}.flinkConfiguration); Flink refuses a "
                    "parallelism above the maximum parallelism"))
    for key in conf:
        where = f"{path}.flinkConfiguration[{key!r}]"
        if canonical_key(key) in upstream.FORBIDDEN_CONFIG_KEYS:
            out.append((where, "a forbidden key", "the operator sets it itself and refuses it (\"Forbidden Flink "
                        f"config key\"): {', '.join(upstream.FORBIDDEN_CONFIG_KEYS)}"))
        if canonical_key(key) == upstream.TASKMANAGER_DATA_PORT_KEY:
            out.append((where, "a platform-managed key",
                        f"the platform sets it to {upstream.TASKMANAGER_DATA_PORT}, the one port its network "
                        "policies allow between the TaskManagers of a cluster; remove it"))
        group = managed_group(key)
        if group:
            out.append((where, "a platform-managed key",
                        f"set it through the typed field {path}.{group} (where the stack allows it), not in "
                        "flinkConfiguration"))
    return out


def _flink_version_of_image(image: str) -> str | None:
    """``v1_20`` for the official image ``flink:1.20.1-java17`` (or ``…/flink:1.20``); None for another image,
    whose tag is its own version, not Flink's."""
    import re

    ref = image.partition("@")[0]
    repo, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "")
    found = re.match(r"(\d+)\.(\d+)(\.\d+)?(-|$)", tag)
    if repo.rsplit("/", 1)[-1] != "flink" or not found:
        return None
    return f"v{found.group(1)}_{found.group(2)}"


def _cluster_rules(w: ApplicationWorkload | SessionClusterWorkload, path: str,
                   defaults: WorkloadDefaults) -> list[Issue]:
    out = []
    eff = effective(w, defaults)
    for role, resource, key, problem_of in (
            ("jobManager", w.job_manager.resource, "jobmanager.memory.process.size", jobmanager_memory_problem),
            ("taskManager", w.task_manager.resource, "taskmanager.memory.process.size", taskmanager_memory_problem)):
        problem = problem_of({key: resource.memory})
        if problem:
            least = next(f"{mib}m" for mib in range(64, 1 << 16, 64) if problem_of({key: f"{mib}m"}) is None)
            out.append((f"{path}.{role}.resource.memory", repr(resource.memory),
                        f"{problem} (Flink refuses it at start-up); give at least {least}"))
    flink_of_image = _flink_version_of_image(w.image)
    if flink_of_image and flink_of_image != w.flink_version:
        out.append((f"{path}.image", repr(w.image), f"is the Flink {flink_of_image.removeprefix('v').replace('_', '.')} "
                    f"image but flinkVersion is {w.flink_version}: the operator configures the cluster for "
                    f"{w.flink_version}; use a flink:{w.flink_version.removeprefix('v').replace('_', '.')}.x image or "
                    f"set flinkVersion: {flink_of_image}"))
    if w.job_manager.replicas > 1 and not eff.ha:
        out.append((f"{path}.jobManager.replicas", str(w.job_manager.replicas),
                    "more than one JobManager needs high availability, which is off for this workload"))
    if eff.ha and not eff.ha_storage_dir:
        out.append((f"{path}.highAvailability", "Kubernetes HA without a storage dir",
                    "set platform.workloads.defaults.storage.baseUri or highAvailability.storageDir"))
    if isinstance(w, SessionClusterWorkload) and w.auto_clean and len(w.name) > 45 - AUTO_CLEAN_SUFFIX_LEN - 1:
        out.append((f"{path}.name", repr(w.name), f"autoClean appends '-<{AUTO_CLEAN_SUFFIX_LEN} hex>' to the name: "
                    f"at most {45 - AUTO_CLEAN_SUFFIX_LEN - 1} characters"))
    return out


def _state_rules(w: Workload, path: str, defaults: WorkloadDefaults) -> list[Issue]:
    job = getattr(w, "job", None)
    if job is None:
        return []
    out = []
    eff = effective(w, defaults)
    where = f"{path}.job.upgradeMode"
    if job.upgrade_mode in upstream.STATEFUL_UPGRADE_MODES and not eff.checkpoint_dir:
        out.append((where, repr(job.upgrade_mode), "last-state and savepoint upgrades need a checkpoint directory: "
                    "set platform.workloads.defaults.storage.baseUri (or state.checkpointDir where allowed)"))
    if job.upgrade_mode == "savepoint" and not eff.savepoint_dir:
        out.append((where, repr(job.upgrade_mode), "savepoint upgrades need a savepoint directory: set "
                    "platform.workloads.defaults.storage.baseUri (or state.savepointDir where allowed)"))
    if job.savepoint_trigger_nonce is not None and not eff.savepoint_dir:
        out.append((f"{path}.job.savepointTriggerNonce", str(job.savepoint_trigger_nonce),
                    "a manual savepoint needs a savepoint directory (platform.workloads.defaults.storage.baseUri)"))
    if job.upgrade_mode == "last-state" and not eff.ha and not isinstance(w, SessionJobWorkload):
        out.append((where, "'last-state'", "last-state upgrades restore from HA metadata: high availability must "
                    "be on for this workload"))
    return out


def referenced_secrets(config: WorkloadsConfig) -> Iterable[tuple[str, str]]:
    """(path, secret key) of every secret a workload references."""
    for section, camel in (("applications", "applications"), ("session_clusters", "sessionClusters")):
        for i, w in enumerate(getattr(config, section)):
            for j, e in enumerate(w.secret_env):
                yield f"platform.workloads.{camel}[{i}].secretEnv[{j}].secret", e.secret


#: The Prometheus operator's PodMonitor (its CRDs are the cluster's, not this program's).
POD_MONITOR_API_VERSION = "monitoring.coreos.com/v1"
POD_MONITOR_KIND = "PodMonitor"
POD_MONITOR_NAME = "flink-workloads"
METRICS_PORT_NAME = "metrics"


def pod_monitors(config: WorkloadsConfig, environment: str) -> list[dict[str, Any]]:
    """One PodMonitor per namespace running operator-managed Flink pods, when the stack enables them."""
    if not config.defaults.observability.pod_monitors:
        return []
    namespaces = sorted({w.namespace for w in (*config.applications, *config.session_clusters)})
    return [
        {
            "apiVersion": POD_MONITOR_API_VERSION,
            "kind": POD_MONITOR_KIND,
            "metadata": {"name": POD_MONITOR_NAME, "namespace": ns,
                         "labels": {**L.managed(), L.ENVIRONMENT: environment}},
            "spec": {
                "selector": {"matchExpressions": [{"key": L.WORKLOAD, "operator": "Exists"}]},
                "podMetricsEndpoints": [{"port": METRICS_PORT_NAME, "path": "/metrics"}],
            },
        }
        for ns in namespaces
    ]
