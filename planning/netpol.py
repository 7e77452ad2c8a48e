"""Evaluate Kubernetes NetworkPolicies: would a flow from one endpoint to another on a port be allowed?

    python -m tools.netpol --plan build/dev/manifests.yaml \\
        --from flink-operator:app.kubernetes.io/name=flink-kubernetes-operator \\
        --to streaming-dev:type=flink-native-kubernetes,component=jobmanager --port 8081
    python -m tools.netpol --plan build/dev/manifests.yaml --from flink-operator:app.kubernetes.io/name=x \\
        --to ip:172.20.0.5 --port 443

Prints ``ALLOW`` (exit 0) or ``DENY`` (exit 1) with the reason; 2 on bad arguments. The library part
(:class:`PolicySet`, :func:`pod`, :func:`external`) is pulumi-free and used by the tests and flow matrices.

Semantics (networking.k8s.io/v1): a pod is isolated for ingress (egress) when a policy in its namespace selects it
and lists ``Ingress`` (``Egress``) in ``policyTypes`` (default: Ingress, plus Egress when the spec has egress
rules). A flow is allowed when the source's egress and the destination's ingress both allow it; a side that is
not isolated allows everything, an endpoint outside the cluster has no policies. A rule allows a peer when one of
its ``from``/``to`` entries matches (none listed: every peer) and one of its ports matches (none listed: every
port). Peers: ``podSelector`` alone = pods of the policy's namespace; ``namespaceSelector`` alone = every pod in
matching namespaces; both = matching pods in matching namespaces; ``ipBlock`` = endpoints whose IP is in the CIDR
and in none of ``except``. Named ports resolve through the destination pod's container ports.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import yaml

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Endpoint:
    """A pod (``namespace`` set) or an address outside the cluster (``namespace`` None, ``ip`` set)."""

    namespace: str | None
    labels: Mapping[str, str] = field(default_factory=dict)
    ip: str | None = None
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, int] = field(default_factory=dict)

    @property
    def is_pod(self) -> bool:
        return self.namespace is not None

    def describe(self) -> str:
        if not self.is_pod:
            return f"ip {self.ip}"
        labels = ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return f"pod {self.namespace}[{labels}]"


def pod(namespace: str, labels: Mapping[str, str] | None = None, *, ip: str | None = None,
        namespace_labels: Mapping[str, str] | None = None, ports: Mapping[str, int] | None = None) -> Endpoint:
    """A pod; its namespace carries ``kubernetes.io/metadata.name`` (set by Kubernetes) plus ``namespace_labels``."""
    ns_labels = {NAMESPACE_NAME_LABEL: namespace, **(namespace_labels or {})}
    return Endpoint(namespace, dict(labels or {}), ip, ns_labels, dict(ports or {}))


def external(ip: str) -> Endpoint:
    return Endpoint(None, {}, ip)


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector: every matchLabels pair and every matchExpression holds (empty selector: everything)."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"unknown label selector operator {op!r}")
    return True


def _in_block(ip: str | None, block: Mapping[str, Any]) -> bool:
    if ip is None:
        return False
    address = ipaddress.ip_address(ip)
    if address not in ipaddress.ip_network(block["cidr"], strict=False):
        return False
    return not any(address in ipaddress.ip_network(e, strict=False) for e in block.get("except") or [])


def peer_matches(peer: Mapping[str, Any], endpoint: Endpoint, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        return _in_block(endpoint.ip, peer["ipBlock"])
    if not endpoint.is_pod:
        return False
    pods, namespaces = peer.get("podSelector"), peer.get("namespaceSelector")
    if namespaces is None:
        if endpoint.namespace != policy_namespace:
            return False
    elif not selector_matches(namespaces, endpoint.namespace_labels):
        return False
    return pods is None or selector_matches(pods, endpoint.labels)


def port_matches(rule_port: Mapping[str, Any], port: int, protocol: str, destination: Endpoint) -> bool:
    if rule_port.get("protocol", "TCP") != protocol:
        return False
    wanted = rule_port.get("port")
    if wanted is None:
        return True
    if isinstance(wanted, str):
        if wanted.isdigit():
            wanted = int(wanted)
        elif wanted in destination.ports:
            wanted = destination.ports[wanted]
        else:
            return False
    end = rule_port.get("endPort")
    return wanted == port if end is None else wanted <= port <= end


def policy_types(spec: Mapping[str, Any]) -> list[str]:
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress"] + (["Egress"] if "egress" in spec else [])


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


class PolicySet:
    """The NetworkPolicies of a plan (any iterable of manifests; other kinds are ignored)."""

    def __init__(self, manifests: Iterable[Mapping[str, Any]]):
        self.policies = [m for m in manifests if m.get("kind") == "NetworkPolicy"]

    @classmethod
    def from_yaml(cls, path: Path) -> PolicySet:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return cls(d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader) if d)

    def _selecting(self, endpoint: Endpoint, direction: str) -> list[Mapping[str, Any]]:
        if not endpoint.is_pod:
            return []
        return [
            p for p in self.policies
            if p["metadata"].get("namespace") == endpoint.namespace
            and direction in policy_types(p["spec"])
            and selector_matches(p["spec"].get("podSelector"), endpoint.labels)
        ]

    def _side(self, direction: str, subject: Endpoint, peer: Endpoint, port: int, protocol: str,
              destination: Endpoint) -> Verdict:
        policies = self._selecting(subject, direction)
        if not policies:
            return Verdict(True, f"{direction.lower()} of {subject.describe()} not isolated")
        key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        for policy in policies:
            namespace = policy["metadata"]["namespace"]
            for i, rule in enumerate(policy["spec"].get(key) or []):
                peers, ports = rule.get(peers_key), rule.get("ports")
                if peers and not any(peer_matches(p, peer, namespace) for p in peers):
                    continue
                if ports and not any(port_matches(p, port, protocol, destination) for p in ports):
                    continue
                return Verdict(True, f"{namespace}/{policy['metadata']['name']} {key}[{i}]")
        names = ", ".join(f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in policies)
        return Verdict(False, f"{direction.lower()} of {subject.describe()} isolated by {names}; no rule allows it")

    def check(self, source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP") -> Verdict:
        egress = self._side("Egress", source, destination, port, protocol, destination)
        if not egress:
            return egress
        ingress = self._side("Ingress", destination, source, port, protocol, destination)
        if not ingress:
            return ingress
        return Verdict(True, f"egress: {egress.reason}; ingress: {ingress.reason}")

    def allows(self, source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP") -> bool:
        return self.check(source, destination, port, protocol).allowed


def parse_endpoint(text: str) -> Endpoint:
    """``ip:10.0.0.1`` or ``NAMESPACE:key=value,key=value`` (labels may be empty: ``NAMESPACE:``)."""
    head, _, rest = text.partition(":")
    if head == "ip":
        ipaddress.ip_address(rest)
        return external(rest)
    labels = dict(pair.split("=", 1) for pair in rest.split(",") if pair) if rest else {}
    return pod(head, labels)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.netpol", description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", type=Path, required=True, help="a plan's manifests.yaml")
    parser.add_argument("--from", dest="source", required=True, help="ip:ADDR or NAMESPACE:k=v,...")
    parser.add_argument("--to", dest="destination", required=True, help="ip:ADDR or NAMESPACE:k=v,...")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--protocol", default="TCP", choices=("TCP", "UDP", "SCTP"))
    args = parser.parse_args(argv)
    try:
        source, destination = parse_endpoint(args.source), parse_endpoint(args.destination)
    except ValueError as err:
        parser.error(str(err))
    verdict = PolicySet.from_yaml(args.plan).check(source, destination, args.port, args.protocol)
    print(f"{'ALLOW' if verdict else 'DENY'}: {verdict.reason}")
    return 0 if verdict else 1
