"""Network policies of an operator pod and of every Flink namespace it watches (the upstream chart has none).

Each flow is derived from what an enabled feature needs, as narrow as that feature allows, and every policy says
which feature it is for in its ``flink-platform.io/flow`` annotation (``flows.md`` shows it beside each flow).

Operator namespace:
  default deny (ingress and egress) for every pod of the namespace;
  the operator pod: ingress on the health port from ``network.healthSources``, on the metrics port from
  ``network.metricsSources``, on the webhook port 9443 from the API server CIDRs when the webhook is on; egress to
  the API server CIDRs and port, JobManager REST 8081 in the watched namespaces (any namespace in cluster mode),
  DNS, ``network.artifactHosts`` when a session job it runs has an http(s) jar, the optional ``extraEgress``.
Each Flink namespace:
  default deny (ingress and egress); Flink pods' egress to the API server and DNS; JobManager REST 8081 from the
  operator's namespace; the tenant's ``egress`` rules (Kafka, ZooKeeper) by CIDR and port.
Each Flink cluster (FlinkDeployment or plain session cluster; pods selected by ``type`` and the platform's
``flink-platform.io/workload`` label, so one cluster's policies never open another's pods):
  JobManager <-> TaskManager on 6122, 6123, 6124 within the cluster; TaskManager <-> TaskManager on the fixed
  ``taskmanager.data.port`` within the cluster; Flink's Prometheus reporter port from ``network.metricsSources``
  (reporter on); JobManager REST from ``network.ingressControllers`` (the workload has an ingress); JobManager REST
  from the tenant's ``restRunners`` (a SavepointGate or REST jobs reach it from where ``pulumi up`` runs); egress
  to ``network.objectStorage`` (its state directories use the endpoint's scheme); JobManager egress to
  ``network.artifactHosts`` (an application with an http(s) jar).
Flink pods are selected by the labels Flink's native Kubernetes mode puts on them (:mod:`components.operator.upstream`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pulumi
from pydantic import BaseModel, ConfigDict

from components.config import labels as L
from components.operator import upstream
from components.config.models import (
    LOCAL_STATE_SCHEMES,
    CONFIG_ROOT,
    EgressRule,
    ExtraEgressConfig,
    NetworkConfig,
    NetworkPeer,
    ObjectStorageEndpoint,
    PlatformConfig,
    Problem,
)
from components.operator.kube import declare

API = "networking.k8s.io/v1"
OPERATOR_POD_SELECTOR = {"matchLabels": {"app.kubernetes.io/name": upstream.OPERATOR_APP_NAME}}
FLINK_PODS = {upstream.FLINK_LABEL_TYPE: upstream.FLINK_LABEL_TYPE_NATIVE}
JOBMANAGER_PODS = {**FLINK_PODS, upstream.FLINK_LABEL_COMPONENT: upstream.FLINK_COMPONENT_JOBMANAGER}
FLINK_INTERNAL_PORTS = (upstream.TASKMANAGER_RPC_PORT, upstream.JOBMANAGER_RPC_PORT, upstream.BLOB_SERVER_PORT)


def _tcp(*ports: int | str) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": p} for p in ports]


def _namespace_selector(names: Sequence[str]) -> dict[str, Any]:
    return {"matchExpressions": [{"key": upstream.NAMESPACE_NAME_LABEL, "operator": "In", "values": list(names)}]}


def _cidrs(cidrs: Sequence[str]) -> list[dict[str, Any]]:
    return [{"ipBlock": {"cidr": c}} for c in cidrs]


def _peer(peer: NetworkPeer) -> list[dict[str, Any]]:
    if peer.cidrs:
        return _cidrs(peer.cidrs)
    out: dict[str, Any] = {"podSelector": {"matchLabels": dict(peer.pod_labels)} if peer.pod_labels else {}}
    out["namespaceSelector"] = _namespace_selector(peer.namespaces) if peer.namespaces else {}
    return [out]


def _egress_rules(rules: Sequence[EgressRule]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Egress rules to named destinations (CIDRs and ports), and the name of each CIDR (first name wins)."""
    names: dict[str, str] = {}
    for r in rules:
        for c in r.dst_nets:
            names.setdefault(c, r.name)
    return [{"to": _cidrs(r.dst_nets), "ports": _tcp(*r.dst_ports)} for r in rules], names


def _dns(network: NetworkConfig) -> dict[str, Any]:
    return {
        "to": [{
            "namespaceSelector": {"matchLabels": {upstream.NAMESPACE_NAME_LABEL: network.dns.namespace}},
            "podSelector": {"matchLabels": dict(network.dns.pod_labels)},
        }],
        "ports": [{"protocol": "UDP", "port": network.dns.port}, {"protocol": "TCP", "port": network.dns.port}],
    }


def _api_server(network: NetworkConfig) -> dict[str, Any]:
    return {"to": _cidrs(network.api_server_cidrs), "ports": _tcp(network.api_server_port)}


#: Annotation naming the address ranges a policy's ipBlocks stand for (JSON map CIDR -> name), so the flow matrix
#: (planning/flows.py) can label external destinations from the rendered policies alone.
DESTINATIONS_ANNOTATION = L.DESTINATIONS
API_SERVER_DESTINATION = "api-server"
EXTRA_EGRESS_DESTINATION = "operator-extra-egress"


def _destinations(policy: dict[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """Record which name each CIDR of the policy's ipBlocks stands for (first name wins)."""
    if names:
        import json

        annotations = policy["metadata"].setdefault("annotations", {})
        known = json.loads(annotations.get(DESTINATIONS_ANNOTATION, "{}"))
        for cidr, name in names.items():
            known.setdefault(cidr, name)
        annotations[DESTINATIONS_ANNOTATION] = json.dumps(known, sort_keys=True, separators=(",", ":"))
    return policy


FLOW_ANNOTATION = L.FLOW


def _policy(name: str, namespace: str, labels: Mapping[str, str], selector: dict[str, Any],
            ingress: list[dict[str, Any]] | None, egress: list[dict[str, Any]] | None,
            destinations: Mapping[str, str] | None = None, *, flow: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": selector, "policyTypes": []}
    # An empty rule list is left out (policyTypes alone denies that direction): the API server drops `[]`, so a
    # policy that sent it would differ from the live object on every apply (seen on the real control plane).
    if ingress is not None:
        spec["policyTypes"].append("Ingress")
        if ingress:
            spec["ingress"] = ingress
    if egress is not None:
        spec["policyTypes"].append("Egress")
        if egress:
            spec["egress"] = egress
    policy = {"apiVersion": API, "kind": "NetworkPolicy",
              "metadata": {"name": name, "namespace": namespace, "labels": dict(labels),
                           "annotations": {FLOW_ANNOTATION: flow}}, "spec": spec}
    return _destinations(policy, destinations or {})


def operator_policy(
    *,
    operator_namespace: str,
    watched: Sequence[str],
    cluster_wide: bool,
    webhook: bool,
    metrics_port: int | None,
    network: NetworkConfig,
    extra_egress: ExtraEgressConfig,
    health_port: int = upstream.OPERATOR_HEALTH_PORT,
    labels: Mapping[str, str],
    artifact_hosts: Sequence[EgressRule] = (),
) -> dict[str, Any]:
    """The operator pod's policy (ingress and egress) in its namespace."""
    ingress = []
    for sources, port in ((network.health_sources, health_port), (network.metrics_sources, metrics_port)):
        if sources and port is not None:
            ingress.append({"from": [p for s in sources for p in _peer(s)], "ports": _tcp(port)})
    if webhook:
        ingress.append({"from": _cidrs(network.api_server_cidrs), "ports": _tcp(upstream.WEBHOOK_SERVER_PORT)})
    jobmanagers: dict[str, Any] = {"podSelector": {"matchLabels": dict(JOBMANAGER_PODS)}}
    jobmanagers["namespaceSelector"] = {} if cluster_wide else _namespace_selector(watched)
    egress = [_api_server(network), {"to": [jobmanagers], "ports": _tcp(upstream.JOBMANAGER_REST_PORT)}, _dns(network)]
    for host in artifact_hosts:
        egress.append({"to": _cidrs(host.dst_nets), "ports": _tcp(*host.dst_ports)})
    if extra_egress.enabled:
        rule: dict[str, Any] = {}
        if extra_egress.dst_nets:
            rule["to"] = _cidrs(extra_egress.dst_nets)
        if extra_egress.dst_ports:
            rule["ports"] = _tcp(*extra_egress.dst_ports)
        egress.append(rule)
    names = {c: API_SERVER_DESTINATION for c in network.api_server_cidrs}
    for host in artifact_hosts:
        names.update({c: host.name for c in host.dst_nets if c not in names})
    if extra_egress.enabled:
        names.update({c: EXTRA_EGRESS_DESTINATION for c in extra_egress.dst_nets if c not in names})
    flow = ("the operator: health and metrics scrapes, the admission webhook from the API server; the API server, "
            "JobManager REST of its watched namespaces, DNS"
            + (", the artifact hosts of its session jobs' http(s) jars" if artifact_hosts else "")
            + (", extraEgress" if extra_egress.enabled else ""))
    return _policy("flink-operator", operator_namespace, labels, OPERATOR_POD_SELECTOR, ingress, egress, names,
                   flow=flow)


def operator_namespace_policies(*, operator_namespace: str, labels: Mapping[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """Default deny for every pod of the operator's namespace: only the operator pod's own flows are allowed."""
    return [("operator-default-deny", _policy(
        "default-deny", operator_namespace, labels, {}, [], [],
        flow="default deny: a pod of the operator namespace other than the operator gets no traffic"))]


def flink_namespace_policies(
    *,
    namespace: str,
    operator_namespace: str,
    network: NetworkConfig,
    egress: Sequence[EgressRule],
    labels: Mapping[str, str],
) -> list[tuple[str, dict[str, Any]]]:
    """The policies of one watched Flink namespace as ``(role, manifest)`` (the per-cluster ones:
    :func:`cluster_policies`)."""
    flink = {"matchLabels": dict(FLINK_PODS)}
    out = [
        ("default-deny", _policy("default-deny", namespace, labels, {}, [], [],
                                 flow="default deny: every flow not allowed by another policy is refused")),
        ("flink-apiserver-dns", _policy(
            "flink-apiserver-dns", namespace, labels, flink, None, [_api_server(network), _dns(network)],
            {c: API_SERVER_DESTINATION for c in network.api_server_cidrs},
            flow="Flink pods: the API server (native Kubernetes mode, Kubernetes HA) and DNS")),
        ("jobmanager-rest", _policy(
            "jobmanager-rest-from-operator", namespace, labels, {"matchLabels": dict(JOBMANAGER_PODS)},
            [{"from": [{"namespaceSelector": {"matchLabels": {upstream.NAMESPACE_NAME_LABEL: operator_namespace}},
                        "podSelector": OPERATOR_POD_SELECTOR}],
              "ports": _tcp(upstream.JOBMANAGER_REST_PORT)}],
            None, flow="the operator reconciles its JobManagers through their REST API",
        )),
    ]
    for rule in egress:
        out.append((f"egress-{rule.name}", _policy(
            f"flink-egress-{rule.name}", namespace, labels, flink, None, *_egress_rules([rule]),
            flow=f"the tenant's egress rule {rule.name!r}")))
    return out


# --- per cluster: what each enabled feature of a workload needs ----------------------------------------------------


class ClusterFlows(BaseModel):
    """What the Flink pods of one cluster (one workload) need beyond the namespace's policies."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    namespace: str
    workload: str  # the value of the pods' flink-platform.io/workload label
    metrics: bool = False  # Flink's Prometheus reporter runs (scraped from network.metricsSources)
    ingress: bool = False  # an Ingress routes to the REST service
    runners: tuple[NetworkPeer, ...] = ()  # where pulumi up runs (SavepointGate, REST jobs)
    storage: tuple[ObjectStorageEndpoint, ...] = ()  # object stores holding its state
    artifacts: tuple[EgressRule, ...] = ()  # hosts the JobManager downloads an application's jar from


def cluster_policies(c: ClusterFlows, network: NetworkConfig, labels: Mapping[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """The policies of one Flink cluster as ``(role, manifest)``."""
    pods = {**FLINK_PODS, L.WORKLOAD: c.workload}
    cluster = {"matchLabels": pods}
    jm = {"matchLabels": {**pods, upstream.FLINK_LABEL_COMPONENT: upstream.FLINK_COMPONENT_JOBMANAGER}}
    tm = {"matchLabels": {**pods, upstream.FLINK_LABEL_COMPONENT: upstream.FLINK_COMPONENT_TASKMANAGER}}
    ns, w = c.namespace, c.workload
    out = [
        ("internal", _policy(
            f"flink-{w}-internal", ns, labels, cluster,
            [{"from": [{"podSelector": cluster}], "ports": _tcp(*FLINK_INTERNAL_PORTS)}],
            [{"to": [{"podSelector": cluster}], "ports": _tcp(*FLINK_INTERNAL_PORTS)}],
            flow=f"{w}: JobManager <-> TaskManager RPC and blob server, within the cluster")),
        ("data", _policy(
            f"flink-{w}-data", ns, labels, tm,
            [{"from": [{"podSelector": tm}], "ports": _tcp(upstream.TASKMANAGER_DATA_PORT)}],
            [{"to": [{"podSelector": tm}], "ports": _tcp(upstream.TASKMANAGER_DATA_PORT)}],
            flow=f"{w}: TaskManager <-> TaskManager data exchange on {upstream.TASKMANAGER_DATA_PORT_KEY}, "
                 "within the cluster")),
    ]
    def ingress_from(role: str, selector: dict[str, Any], peers: Sequence[NetworkPeer], port: int, flow: str) -> None:
        out.append((role, _policy(f"flink-{w}-{role}", ns, labels, selector,
                                  [{"from": [p for s in peers for p in _peer(s)], "ports": _tcp(port)}], None,
                                  flow=f"{w}: {flow}")))

    def egress_to(role: str, selector: dict[str, Any], rules: Sequence[EgressRule], flow: str) -> None:
        egress, names = _egress_rules(rules)
        out.append((role, _policy(f"flink-{w}-{role}", ns, labels, selector, None, egress, names, flow=f"{w}: {flow}")))

    if c.metrics and network.metrics_sources:
        ingress_from("metrics", cluster, network.metrics_sources, upstream.PROMETHEUS_PORT,
                     "Prometheus scrapes Flink's reporter (network.metricsSources)")
    if c.ingress and network.ingress_controllers:
        ingress_from("rest-from-ingress", jm, network.ingress_controllers, upstream.JOBMANAGER_REST_PORT,
                     "its Ingress (network.ingressControllers) to the REST API")
    if c.runners:
        ingress_from("rest-from-runners", jm, c.runners, upstream.JOBMANAGER_REST_PORT,
                     "SavepointGate / REST jobs from where pulumi up runs (tenants[].restRunners)")
    if c.storage:
        egress_to("object-storage", cluster, c.storage,
                  "checkpoints, savepoints and HA data on object storage (network.objectStorage)")
    if c.artifacts:
        egress_to("artifacts", jm, c.artifacts, "the JobManager downloads the job jar (network.artifactHosts)")
    return out


_REMOTE_JAR_SCHEMES = ("http", "https")


def _scheme(uri: str | None) -> str | None:
    from urllib.parse import urlsplit

    if not uri:
        return None
    scheme = urlsplit(uri).scheme.lower()
    return None if scheme in LOCAL_STATE_SCHEMES or not scheme else scheme


def _storage_for(schemes: set[str], network: NetworkConfig) -> tuple[ObjectStorageEndpoint, ...]:
    return tuple(e for e in network.object_storage if schemes & set(e.schemes))


def _state_sources(config: PlatformConfig) -> list[tuple[str, str, str, str]]:
    """(namespace, cluster workload name, state URI, stack path the URI comes from) of every state directory."""
    from components.workloads.render import effective

    defaults = config.workloads.defaults
    base = f"{CONFIG_ROOT}.workloads"
    default_path = f"{base}.defaults.storage.baseUri"
    out = []
    for section, camel in (("applications", "applications"), ("session_clusters", "sessionClusters"),
                           ("session_jobs", "sessionJobs")):
        for i, w in enumerate(getattr(config.workloads, section)):
            eff = effective(w, defaults)
            state = getattr(w, "state", None)
            ha = getattr(w, "high_availability", None)
            cluster = getattr(w, "deployment_name", w.name)
            for uri, own in ((eff.checkpoint_dir, state and state.checkpoint_dir and f"state.checkpointDir"),
                             (eff.savepoint_dir, state and state.savepoint_dir and f"state.savepointDir"),
                             (eff.ha_storage_dir if eff.ha else None, ha and ha.storage_dir and "highAvailability.storageDir")):
                if uri:
                    out.append((w.namespace, cluster, uri, f"{base}.{camel}[{i}].{own}" if own else default_path))
    for i, j in enumerate(config.workloads.rest_jobs):
        if j.cluster is None:
            continue
        uri = j.savepoint_dir or (f"{defaults.storage.base_uri}" if defaults.storage else None)
        if uri:
            out.append((j.namespace, j.cluster, uri,
                        f"{base}.restJobs[{i}].savepointDir" if j.savepoint_dir else default_path))
    return out


def _runner_sources(config: PlatformConfig) -> list[tuple[str, str, str, str]]:
    """(namespace, cluster, tenant, stack path) of every REST client `pulumi up` runs against a cluster: the
    SavepointGate of a stateful workload (at the in-cluster address, i.e. without gate.restUrl) and REST jobs."""
    from components.workloads.render import is_stateful

    base = f"{CONFIG_ROOT}.workloads"
    out = []
    for section, camel in (("applications", "applications"), ("session_jobs", "sessionJobs")):
        for i, w in enumerate(getattr(config.workloads, section)):
            if is_stateful(w) and w.gate.enabled and not w.gate.rest_url and not getattr(w, "blue_green", False):
                out.append((w.namespace, getattr(w, "deployment_name", w.name), w.tenant, f"{base}.{camel}[{i}].gate"))
    for i, j in enumerate(config.workloads.rest_jobs):
        if j.cluster is not None:
            out.append((j.namespace, j.cluster, j.tenant, f"{base}.restJobs[{i}].cluster"))
    return out


def cluster_flows(config: PlatformConfig) -> dict[str, tuple[ClusterFlows, ...]]:
    """What every cluster of the stack needs, by namespace (clusters in config order)."""
    network = config.network
    tenants = {t.name: t for t in config.tenants}
    schemes: dict[tuple[str, str], set[str]] = {}
    for ns, cluster, uri, _ in _state_sources(config):
        scheme = _scheme(uri)
        if scheme:
            schemes.setdefault((ns, cluster), set()).add(scheme)
    runners = {(ns, cluster): tenants[t].rest_runners for ns, cluster, t, _ in _runner_sources(config) if t in tenants}
    observability = config.workloads.defaults.observability
    out: dict[str, list[ClusterFlows]] = {}
    for w in (*config.workloads.applications, *config.workloads.session_clusters):
        key = (w.namespace, w.name)
        jar = getattr(getattr(w, "job", None), "jar_uri", None)
        remote_jar = (_scheme(jar) or "") in _REMOTE_JAR_SCHEMES
        out.setdefault(w.namespace, []).append(ClusterFlows(
            namespace=w.namespace, workload=w.name, metrics=observability.prometheus, ingress=w.ingress is not None,
            runners=tuple(runners.get(key, ())), storage=_storage_for(schemes.get(key, set()), network),
            artifacts=tuple(network.artifact_hosts) if remote_jar else ()))
    for c in config.workloads.plain_session_clusters:
        key = (c.namespace, c.name)
        out.setdefault(c.namespace, []).append(ClusterFlows(
            namespace=c.namespace, workload=c.name, runners=tuple(runners.get(key, ())),
            storage=_storage_for(schemes.get(key, set()), network)))
    return {ns: tuple(cs) for ns, cs in out.items()}


def operator_artifact_hosts(config: PlatformConfig, watched: Sequence[str] | None) -> tuple[EgressRule, ...]:
    """``network.artifactHosts`` when a session job in ``watched`` (None: every namespace) has an http(s) jar: the
    operator downloads it and uploads it to the session cluster."""
    for j in config.workloads.session_jobs:
        if (watched is None or j.namespace in watched) and (_scheme(j.job.jar_uri) or "") in _REMOTE_JAR_SCHEMES:
            return tuple(config.network.artifact_hosts)
    return ()


def feature_problems(config: PlatformConfig) -> list[Problem]:
    """A feature the stack switches on whose flows the network policies cannot allow: the peer or endpoint it
    needs is not declared. Each names the feature's path and the key to declare."""
    network = config.network
    if not network.enabled:
        return []
    out: list[Problem] = []
    net = f"{CONFIG_ROOT}.network"
    seen: set[tuple[str, str]] = set()
    for _, _, uri, path in _state_sources(config):
        scheme = _scheme(uri)
        if scheme and not _storage_for({scheme}, network) and (path, scheme) not in seen:
            seen.add((path, scheme))
            storage = config.workloads.defaults.storage
            shown = storage.base_uri if path.endswith(".defaults.storage.baseUri") and storage else uri
            out.append(Problem(path, repr(shown), f"{scheme}:// state needs an endpoint of {net}.objectStorage with "
                               f"scheme {scheme!r} (the Flink pods' egress to it); there is none"))
    tenant_index = {t.name: i for i, t in enumerate(config.tenants)}
    for _, _, tenant, path in _runner_sources(config):
        i = tenant_index.get(tenant)
        if i is not None and not config.tenants[i].rest_runners:
            out.append(Problem(path, "a REST client run by pulumi up (at the in-cluster JobManager address)",
                               f"declare where pulumi up runs in {CONFIG_ROOT}.tenants[{i}].restRunners (its "
                               "ingress to the JobManager REST port), or set gate.restUrl (port-forward, ingress) / "
                               "gate.enabled: false"))
    base = f"{CONFIG_ROOT}.workloads"
    if config.workloads.defaults.observability.pod_monitors and not network.metrics_sources:
        out.append(Problem(f"{base}.defaults.observability.podMonitors", "true",
                           f"PodMonitors need {net}.metricsSources: who may scrape port {upstream.PROMETHEUS_PORT}"))
    for section, camel in (("applications", "applications"), ("session_clusters", "sessionClusters")):
        for i, w in enumerate(getattr(config.workloads, section)):
            if w.ingress is not None and not network.ingress_controllers:
                out.append(Problem(f"{base}.{camel}[{i}].ingress", "an ingress",
                                   f"needs {net}.ingressControllers: the ingress controller pods that may reach the "
                                   "JobManager REST port"))
    jars = [(f"{base}.applications[{i}].job.jarURI", w.job.jar_uri) for i, w in enumerate(config.workloads.applications)]
    jars += [(f"{base}.sessionJobs[{i}].job.jarURI", w.job.jar_uri) for i, w in enumerate(config.workloads.session_jobs)]
    for path, jar in jars:
        if (_scheme(jar) or "") in _REMOTE_JAR_SCHEMES and not network.artifact_hosts:
            out.append(Problem(path, repr(jar), f"an http(s) jar is downloaded from its host: declare it in "
                               f"{net}.artifactHosts (CIDRs and ports)"))
    return out


class NetworkPoliciesArgs(BaseModel):
    """Config of :class:`OperatorNetworkPolicies`: one operator and the Flink namespaces it watches."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    operator_namespace: str
    watched: tuple[str, ...]
    egress: dict[str, tuple[EgressRule, ...]] = {}
    clusters: dict[str, tuple[ClusterFlows, ...]] = {}
    artifact_hosts: tuple[EgressRule, ...] = ()
    cluster_wide: bool = False
    webhook: bool = False
    metrics_port: int | None = upstream.OPERATOR_METRICS_PORT_DEFAULT  # None: no metrics endpoint
    health_port: int = upstream.OPERATOR_HEALTH_PORT
    network: NetworkConfig
    extra_egress: ExtraEgressConfig = ExtraEgressConfig()
    labels: dict[str, str]


class OperatorNetworkPolicies(pulumi.ComponentResource):
    """Network policies of one operator and its watched namespaces (``flink-platform:network:OperatorNetworkPolicies``)."""

    def __init__(
        self,
        name: str,
        args: NetworkPoliciesArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        namespaces: Mapping[str, pulumi.Resource] | None = None,
    ):
        super().__init__("flink-platform:network:OperatorNetworkPolicies", name, None, opts)
        namespaces = namespaces or {}
        manifests = [("operator", operator_policy(
            operator_namespace=args.operator_namespace, watched=args.watched, cluster_wide=args.cluster_wide,
            webhook=args.webhook, metrics_port=args.metrics_port, network=args.network,
            extra_egress=args.extra_egress, labels=args.labels, health_port=args.health_port,
            artifact_hosts=args.artifact_hosts,
        ))]
        manifests += operator_namespace_policies(operator_namespace=args.operator_namespace, labels=args.labels)
        for ns in args.watched:
            manifests += [(f"{role}-{ns}", m) for role, m in flink_namespace_policies(
                namespace=ns, operator_namespace=args.operator_namespace, network=args.network,
                egress=args.egress.get(ns, ()), labels=args.labels)]
            for cluster in args.clusters.get(ns, ()):
                manifests += [(f"{role}-{ns}-{cluster.workload}", m)
                              for role, m in cluster_policies(cluster, args.network, args.labels)]
        self.policies: dict[str, pulumi.CustomResource] = {}
        #: The policies by namespace, for dependents that need one namespace's policies.
        self.by_namespace: dict[str, list[pulumi.CustomResource]] = {}
        for role, manifest in manifests:
            ns = manifest["metadata"]["namespace"]
            deps = [namespaces[ns]] if ns in namespaces else []
            self.policies[role] = declare(f"{name}-{role}", manifest, pulumi.ResourceOptions(parent=self, depends_on=deps))
            self.by_namespace.setdefault(ns, []).append(self.policies[role])
        self.register_outputs({"policies": sorted(f"{m['metadata']['namespace']}/{m['metadata']['name']}" for _, m in manifests)})
