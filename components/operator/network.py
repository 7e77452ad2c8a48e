"""Network policies of an operator pod and of every Flink namespace it watches (the upstream chart has none).

Operator pod (one policy, Ingress + Egress, so everything not listed is denied):
  ingress  health port from ``network.healthSources``; metrics port from ``network.metricsSources``;
           the webhook port 9443 from the API server CIDRs when the webhook is on;
  egress   the API server CIDRs and port; JobManager REST 8081 in the watched namespaces (any namespace in cluster
           mode); DNS; the operator's optional ``extraEgress`` (dstNets / dstPorts).
Each Flink namespace:
  default deny (ingress and egress); JobManager <-> TaskManager on 6122, 6123, 6124; JobManager and TaskManager
  egress to the API server and DNS; JobManager REST 8081 from the operator's namespace; the tenant's ``egress``
  rules (Kafka, S3, ZooKeeper) by CIDR and port.
Flink pods are selected by the labels Flink's native Kubernetes mode puts on them (:mod:`components.operator.upstream`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pulumi
from pydantic import BaseModel, ConfigDict

from components.config import labels as L
from components.operator import upstream
from components.config.models import EgressRule, ExtraEgressConfig, NetworkConfig, NetworkPeer
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


def _policy(name: str, namespace: str, labels: Mapping[str, str], selector: dict[str, Any],
            ingress: list[dict[str, Any]] | None, egress: list[dict[str, Any]] | None,
            destinations: Mapping[str, str] | None = None) -> dict[str, Any]:
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
              "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)}, "spec": spec}
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
    if extra_egress.enabled:
        rule: dict[str, Any] = {}
        if extra_egress.dst_nets:
            rule["to"] = _cidrs(extra_egress.dst_nets)
        if extra_egress.dst_ports:
            rule["ports"] = _tcp(*extra_egress.dst_ports)
        egress.append(rule)
    names = {c: API_SERVER_DESTINATION for c in network.api_server_cidrs}
    if extra_egress.enabled:
        names.update({c: EXTRA_EGRESS_DESTINATION for c in extra_egress.dst_nets if c not in names})
    return _policy("flink-operator", operator_namespace, labels, OPERATOR_POD_SELECTOR, ingress, egress, names)


def flink_namespace_policies(
    *,
    namespace: str,
    operator_namespace: str,
    network: NetworkConfig,
    egress: Sequence[EgressRule],
    labels: Mapping[str, str],
) -> list[tuple[str, dict[str, Any]]]:
    """The policies of one watched Flink namespace as ``(role, manifest)``."""
    flink = {"matchLabels": dict(FLINK_PODS)}
    out = [
        ("default-deny", _policy("default-deny", namespace, labels, {}, [], [])),
        ("flink-internal", _policy(
            "flink-internal", namespace, labels, flink,
            [{"from": [{"podSelector": flink}], "ports": _tcp(*FLINK_INTERNAL_PORTS)}],
            [{"to": [{"podSelector": flink}], "ports": _tcp(*FLINK_INTERNAL_PORTS)}],
        )),
        ("flink-apiserver-dns", _policy(
            "flink-apiserver-dns", namespace, labels, flink, None, [_api_server(network), _dns(network)],
            {c: API_SERVER_DESTINATION for c in network.api_server_cidrs})),
        ("jobmanager-rest", _policy(
            "jobmanager-rest-from-operator", namespace, labels, {"matchLabels": dict(JOBMANAGER_PODS)},
            [{"from": [{"namespaceSelector": {"matchLabels": {upstream.NAMESPACE_NAME_LABEL: operator_namespace}},
                        "podSelector": OPERATOR_POD_SELECTOR}],
              "ports": _tcp(upstream.JOBMANAGER_REST_PORT)}],
            None,
        )),
    ]
    for rule in egress:
        out.append((f"egress-{rule.name}", _policy(
            f"flink-egress-{rule.name}", namespace, labels, flink, None,
            [{"to": _cidrs(rule.dst_nets), "ports": _tcp(*rule.dst_ports)}], {c: rule.name for c in rule.dst_nets})))
    return out


class NetworkPoliciesArgs(BaseModel):
    """Config of :class:`OperatorNetworkPolicies`: one operator and the Flink namespaces it watches."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    operator_namespace: str
    watched: tuple[str, ...]
    egress: dict[str, tuple[EgressRule, ...]] = {}
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
        ))]
        for ns in args.watched:
            manifests += [(f"{role}-{ns}", m) for role, m in flink_namespace_policies(
                namespace=ns, operator_namespace=args.operator_namespace, network=args.network,
                egress=args.egress.get(ns, ()), labels=args.labels)]
        self.policies: dict[str, pulumi.CustomResource] = {}
        #: The policies by namespace, for dependents that need one namespace's policies.
        self.by_namespace: dict[str, list[pulumi.CustomResource]] = {}
        for role, manifest in manifests:
            ns = manifest["metadata"]["namespace"]
            deps = [namespaces[ns]] if ns in namespaces else []
            self.policies[role] = declare(f"{name}-{role}", manifest, pulumi.ResourceOptions(parent=self, depends_on=deps))
            self.by_namespace.setdefault(ns, []).append(self.policies[role])
        self.register_outputs({"policies": sorted(f"{m['metadata']['namespace']}/{m['metadata']['name']}" for _, m in manifests)})
