"""The flow matrix: which pod groups may reach which, on which ports, read off the rendered NetworkPolicies.

Pulumi-free. Input: the plan's Kubernetes objects. Output: a :class:`FlowMatrix` whose rows and columns are pod
groups and whose cells are the ports a flow from the row to the column may use; rendered as ``flows.md`` and
``flows.svg`` by the offline plan.

Pod groups are found in the objects, not in the stack config:

- each operator (a Deployment whose pod template carries ``app.kubernetes.io/name: flink-kubernetes-operator``);
- each Flink cluster's JobManagers and TaskManagers (a FlinkDeployment or FlinkBlueGreenDeployment: its pod
  template's labels plus the ones Flink's native Kubernetes mode adds; a plain session cluster's Deployments: their
  pod template's labels), and, for a namespace with NetworkPolicies selecting Flink pods but no cluster in the
  plan, the namespace's JobManagers and TaskManagers with the native-mode labels alone;
- pods outside the platform that a policy names by namespace and labels (cluster DNS);
- every ``ipBlock`` a policy names (the API server, Kafka, S3, …), named by the policy's
  ``flink-platform.io/destinations`` annotation (a JSON map CIDR → name) where it has one, else by the CIDR.

Every cell also lists why it is allowed: the ``flink-platform.io/flow`` annotation (else the name) of each policy
whose matching rules give it ports, on either side. ``flows.md`` shows them beside each flow.

A cell is computed by set algebra over the rules, the way the API server combines them: the source side allows
every port when no policy isolates its egress, else the union of the ports of its egress rules whose peers match
the destination (a rule without ports: all ports); the destination side likewise for ingress; the cell is the
intersection. An external group never isolates. ``tests/planning/test_flows.py`` checks every cell, port by port,
against the per-flow evaluator ``planning/netpol.py``, which works flow by flow instead.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from components.config import labels as L
from components.operator import upstream

#: Label keys and values the groups are built from (upstream facts and the platform's own keys, defined once).
OPERATOR_NAME_LABEL = L.APP_NAME
OPERATOR_APP_NAME = upstream.OPERATOR_APP_NAME
FLINK_TYPE_LABEL = upstream.FLINK_LABEL_TYPE
FLINK_TYPE_NATIVE = upstream.FLINK_LABEL_TYPE_NATIVE
FLINK_COMPONENT_LABEL = upstream.FLINK_LABEL_COMPONENT
JOBMANAGER = upstream.FLINK_COMPONENT_JOBMANAGER
TASKMANAGER = upstream.FLINK_COMPONENT_TASKMANAGER
NAMESPACE_NAME_LABEL = upstream.NAMESPACE_NAME_LABEL
TENANT_LABEL = L.TENANT
WORKLOAD_LABEL = L.WORKLOAD
FLINK_APP_LABEL = upstream.FLINK_LABEL_APP
DESTINATIONS_ANNOTATION = L.DESTINATIONS
FLOW_ANNOTATION = L.FLOW

ALL = "all"
#: Sections of groups outside the platform's namespaces (their own policies, if any, are not in the plan).
OUTSIDE = ("cluster", "external")
Ports = frozenset  # of (protocol, first, last); or the string ALL


@dataclass(frozen=True)
class Group:
    """A set of pods (``namespace`` set) or an address range outside the cluster (``cidr`` set)."""

    key: str
    name: str
    section: str  # what the row/column is grouped under: a tenant, "platform", "cluster", "external"
    namespace: str | None = None
    pod_labels: tuple[tuple[str, str], ...] = ()
    namespace_labels: tuple[tuple[str, str], ...] = ()
    cidr: str | None = None

    @property
    def is_pod(self) -> bool:
        return self.namespace is not None

    @property
    def ip(self) -> str | None:
        """The address that stands for an external group: the first of its range."""
        return str(ipaddress.ip_network(self.cidr, strict=False).network_address) if self.cidr else None

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.pod_labels)


def _labels(value: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((value or {}).items()))


def _match(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    if selector is None:
        return True
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        value, values = labels.get(expr["key"]), set(expr.get("values") or [])
        ok = {"In": value in values, "NotIn": value not in values, "Exists": expr["key"] in labels,
              "DoesNotExist": expr["key"] not in labels}[expr["operator"]]
        if not ok:
            return False
    return True


def _named_namespaces(selector: Mapping[str, Any] | None) -> list[str]:
    """The namespaces a namespaceSelector names by ``kubernetes.io/metadata.name`` (matchLabels or an ``In``)."""
    if not selector:
        return []
    name = (selector.get("matchLabels") or {}).get(NAMESPACE_NAME_LABEL)
    names = [name] if name else []
    for expr in selector.get("matchExpressions") or []:
        if expr.get("key") == NAMESPACE_NAME_LABEL and expr.get("operator") == "In":
            names += list(expr.get("values") or [])
    return names


def _peer_covers(peer: Mapping[str, Any], group: Group, policy_ns: str) -> bool:
    if "ipBlock" in peer:
        if group.cidr is None:
            return False
        ip = ipaddress.ip_address(group.ip)  # type: ignore[arg-type]
        block = peer["ipBlock"]
        return ip in ipaddress.ip_network(block["cidr"], strict=False) and not any(
            ip in ipaddress.ip_network(e, strict=False) for e in block.get("except") or [])
    if not group.is_pod:
        return False
    if "namespaceSelector" in peer:
        if not _match(peer["namespaceSelector"], dict(group.namespace_labels)):
            return False
    elif group.namespace != policy_ns:
        return False
    return _match(peer.get("podSelector"), group.labels)


def _rule_ports(rule: Mapping[str, Any]) -> Any:
    if not rule.get("ports"):
        return ALL
    out = set()
    for p in rule["ports"]:
        protocol = p.get("protocol", "TCP")
        if p.get("port") is None:
            out.add((protocol, 1, 65535))
        else:
            first = int(p["port"])  # named ports are not used by the platform's policies
            out.add((protocol, first, int(p.get("endPort", first))))
    return frozenset(out)


def _union(a: Any, b: Any) -> Any:
    return ALL if ALL in (a, b) else frozenset(a) | frozenset(b)


def _intersect(a: Any, b: Any) -> Any:
    if a == ALL:
        return b
    if b == ALL:
        return a
    out = set()
    for pa, fa, la in a:
        for pb, fb, lb in b:
            if pa == pb and max(fa, fb) <= min(la, lb):
                out.add((pa, max(fa, fb), min(la, lb)))
    return frozenset(out)


def _types(spec: Mapping[str, Any]) -> list[str]:
    return list(spec.get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in spec else [])))


@dataclass
class FlowMatrix:
    groups: list[Group]
    cells: dict[tuple[str, str], Any] = field(default_factory=dict)  # (src key, dst key) -> Ports | ALL
    #: (src key, dst key) -> the flows (policy annotations) that allow the cell, sorted.
    reasons: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def why(self, src: Group, dst: Group) -> tuple[str, ...]:
        return self.reasons.get((src.key, dst.key), ())

    def ports(self, src: Group, dst: Group) -> Any:
        return self.cells.get((src.key, dst.key), frozenset())


class Flows:
    """Groups and policies of one plan, and the matrix between the groups."""

    def __init__(self, objects: Iterable[Mapping[str, Any]]):
        self.objects = [o for o in objects if o]
        self.policies = [o for o in self.objects if o.get("kind") == "NetworkPolicy"]
        self.namespace_labels = {
            o["metadata"]["name"]: {NAMESPACE_NAME_LABEL: o["metadata"]["name"], **(o["metadata"].get("labels") or {})}
            for o in self.objects if o.get("kind") == "Namespace"
        }
        self._by_namespace: dict[str, list[Mapping[str, Any]]] = {}
        for p in self.policies:
            self._by_namespace.setdefault(p["metadata"]["namespace"], []).append(p)
        self._isolating_cache: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
        self._covered_cache: dict[tuple[str, str], list[str]] = {}
        #: (subject key, direction) -> peer key -> [(ports, flow)] of the rules that allow it (see _sides).
        self._why: dict[tuple[str, str], dict[str, list[tuple[Any, str]]]] = {}
        self.groups = self._groups()
        self._pods = [g for g in self.groups if g.is_pod]
        self._external = [g for g in self.groups if not g.is_pod]
        self._in_namespace: dict[str, list[Group]] = {}
        for g in self._pods:
            self._in_namespace.setdefault(g.namespace or "", []).append(g)

    def _ns_labels(self, ns: str) -> dict[str, str]:
        return self.namespace_labels.get(ns, {NAMESPACE_NAME_LABEL: ns})

    def _section(self, ns: str) -> str:
        return self._ns_labels(ns).get(TENANT_LABEL) or "platform"

    def _groups(self) -> list[Group]:
        groups: dict[str, Group] = {}
        for o in self.objects:
            template = (((o.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            if o.get("kind") == "Deployment" and template.get(OPERATOR_NAME_LABEL) == OPERATOR_APP_NAME:
                ns = o["metadata"]["namespace"]
                groups[f"operator/{ns}"] = Group(f"operator/{ns}", f"operator ({ns})", self._section(ns), ns,
                                                 _labels(template), _labels(self._ns_labels(ns)))
        titles = {JOBMANAGER: "JobManagers", TASKMANAGER: "TaskManagers"}
        flink_namespaces: set[str] = set()
        clustered: set[str] = set()
        for o in self.objects:
            kind, meta = o.get("kind"), o.get("metadata") or {}
            spec = o.get("spec") or {}
            template = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
            if kind in ("FlinkDeployment", "FlinkBlueGreenDeployment"):
                ns, name = meta["namespace"], meta["name"]
                inner = (spec.get("template") or {}).get("spec") or {} if kind == "FlinkBlueGreenDeployment" else spec
                base = dict(((inner.get("podTemplate") or {}).get("metadata") or {}).get("labels") or {})
                if kind == "FlinkDeployment":
                    base[FLINK_APP_LABEL] = name  # the blue/green children's names alternate: no app label
                base[FLINK_TYPE_LABEL] = FLINK_TYPE_NATIVE
                for component in (JOBMANAGER, TASKMANAGER):
                    key = f"{component}/{ns}/{name}"
                    groups[key] = Group(key, f"{titles[component]} of {name} ({ns})", self._section(ns), ns,
                                        _labels({**base, FLINK_COMPONENT_LABEL: component}),
                                        _labels(self._ns_labels(ns)))
                clustered.add(ns)
            elif kind == "Deployment" and template.get(FLINK_TYPE_LABEL) == FLINK_TYPE_NATIVE \
                    and template.get(FLINK_COMPONENT_LABEL) in titles:
                ns, component = meta["namespace"], template[FLINK_COMPONENT_LABEL]
                name = template.get(WORKLOAD_LABEL) or template.get(FLINK_APP_LABEL) or meta["name"]
                key = f"{component}/{ns}/{name}"
                groups[key] = Group(key, f"{titles[component]} of {name} ({ns})", self._section(ns), ns,
                                    _labels(template), _labels(self._ns_labels(ns)))
                clustered.add(ns)
        for p in self.policies:
            selector = p["spec"].get("podSelector") or {}
            if (selector.get("matchLabels") or {}).get(FLINK_TYPE_LABEL) == FLINK_TYPE_NATIVE:
                flink_namespaces.add(p["metadata"]["namespace"])
        for ns in sorted(flink_namespaces - clustered):
            for component, title in titles.items():
                labels = {FLINK_TYPE_LABEL: FLINK_TYPE_NATIVE, FLINK_COMPONENT_LABEL: component}
                groups[f"{component}/{ns}"] = Group(f"{component}/{ns}", f"{title} ({ns})", self._section(ns), ns,
                                                    _labels(labels), _labels(self._ns_labels(ns)))
        names: dict[str, str] = {}
        for p in self.policies:
            try:
                names.update(json.loads((p["metadata"].get("annotations") or {}).get(DESTINATIONS_ANNOTATION, "{}")))
            except ValueError:
                pass
        for p in self.policies:
            for direction, peers_key in (("ingress", "from"), ("egress", "to")):
                for rule in p["spec"].get(direction) or []:
                    for peer in rule.get(peers_key) or []:
                        if "ipBlock" in peer:
                            cidr = peer["ipBlock"]["cidr"]
                            name = names.get(cidr, cidr)
                            groups.setdefault(f"external/{cidr}", Group(
                                f"external/{cidr}", f"{name} ({cidr})" if name != cidr else cidr, "external",
                                cidr=cidr))
                        pod_sel = (peer.get("podSelector") or {}).get("matchLabels") or {}
                        for other in _named_namespaces(peer.get("namespaceSelector")):
                            if other not in self.namespace_labels and pod_sel and \
                                    pod_sel.get(OPERATOR_NAME_LABEL) != OPERATOR_APP_NAME:
                                label = ",".join(f"{k}={v}" for k, v in sorted(pod_sel.items()))
                                key = f"pods/{other}/{label}"
                                groups.setdefault(key, Group(key, f"{label} ({other})", "cluster", other,
                                                             _labels(pod_sel), _labels({NAMESPACE_NAME_LABEL: other})))
        order = {"platform": 0, "cluster": 2, "external": 3}
        return sorted(groups.values(), key=lambda g: (order.get(g.section, 1), g.section, g.key))

    def _isolating(self, subject: Group, direction: str) -> list[Mapping[str, Any]]:
        """The policies of the subject's namespace that select it for ``direction`` (cached per group)."""
        key = (subject.key, direction)
        if key not in self._isolating_cache:
            self._isolating_cache[key] = [
                p for p in self._by_namespace.get(subject.namespace or "", [])
                if direction in _types(p["spec"]) and _match(p["spec"].get("podSelector") or {}, subject.labels)]
        return self._isolating_cache[key]

    def _covered(self, peer: Mapping[str, Any], policy_ns: str) -> list[str]:
        """Keys of the groups one policy peer covers (cached): the same test as :func:`_peer_covers`, asked only of
        the groups that can pass it (ipBlock: external ranges; no namespaceSelector: the policy's own namespace; a
        namespaceSelector on the namespace name: that namespace; otherwise every pod group)."""
        names = ((peer.get("namespaceSelector") or {}).get("matchLabels") or {}).get(NAMESPACE_NAME_LABEL)
        if "ipBlock" in peer:
            candidates = self._external
        elif "namespaceSelector" not in peer:
            candidates = self._in_namespace.get(policy_ns, [])
        elif names is not None:
            candidates = self._in_namespace.get(names, [])
        else:
            candidates = self._pods
        key = (json.dumps(peer, sort_keys=True), policy_ns if "namespaceSelector" not in peer else "")
        if key not in self._covered_cache:
            self._covered_cache[key] = [g.key for g in candidates if _peer_covers(peer, g, policy_ns)]
        return self._covered_cache[key]

    def _sides(self, subject: Group, direction: str) -> dict[str, Any] | None:
        """Ports ``subject`` allows towards (egress) or from (ingress) each peer group, by peer key (a missing key:
        none); ``None`` when nothing isolates the subject in that direction (every port to and from everything).
        One pass over the subject's isolating rules instead of one per peer: the matrix stays linear in the number
        of rule peers, not in groups squared times rules."""
        if not subject.is_pod:
            return None
        key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
        isolating = self._isolating(subject, direction)
        if not isolating:
            return None
        allowed: dict[str, Any] = {}
        why: dict[str, list[tuple[Any, str]]] = self._why.setdefault((subject.key, direction), {})
        for p in isolating:
            policy_ns = p["metadata"]["namespace"]
            flow = (p["metadata"].get("annotations") or {}).get(FLOW_ANNOTATION) or \
                f"{policy_ns}/{p['metadata']['name']}"
            for rule in p["spec"].get(key) or []:
                peers = rule.get(peers_key)
                ports = _rule_ports(rule)
                targets: Iterable[str] = (
                    [g.key for g in self.groups] if not peers
                    else dict.fromkeys(k for x in peers for k in self._covered(x, policy_ns)))
                for t in targets:
                    allowed[t] = _union(allowed.get(t, frozenset()), ports)
                    why.setdefault(t, []).append((ports, flow))
        return allowed

    def matrix(self) -> FlowMatrix:
        out = FlowMatrix(self.groups)
        egress = {g.key: self._sides(g, "Egress") for g in self.groups}
        ingress = {g.key: self._sides(g, "Ingress") for g in self.groups}
        for src in self.groups:
            src_out = egress[src.key]
            # Only the destinations the source may send to at all need asking (all of them when it is not isolated).
            dsts = self.groups if src_out is None else [g for g in self.groups if g.key in src_out]
            for dst in dsts:
                if src.section in OUTSIDE and dst.section in OUTSIDE:
                    continue  # neither end is a platform pod: no policy of the plan speaks about it
                out_ports = ALL if src_out is None else src_out[dst.key]
                if not out_ports:
                    continue
                dst_in = ingress[dst.key]
                cell = _intersect(out_ports, ALL if dst_in is None else dst_in.get(src.key, frozenset()))
                if cell:
                    out.cells[(src.key, dst.key)] = cell
                    reasons = [f for ports, f in self._why.get((src.key, "Egress"), {}).get(dst.key, [])
                               if _intersect(ports, cell)]
                    reasons += [f for ports, f in self._why.get((dst.key, "Ingress"), {}).get(src.key, [])
                                if _intersect(ports, cell)]
                    if reasons:
                        out.reasons[(src.key, dst.key)] = tuple(sorted(set(reasons)))
        return out


def ports_text(ports: Any) -> str:
    """``all``, or ports grouped by protocol: ``TCP 6122-6124, 8081; UDP 53``."""
    if ports == ALL:
        return "all"
    if not ports:
        return ""
    by_proto: dict[str, list[str]] = {}
    for proto, first, last in sorted(ports, key=lambda p: (p[0], p[1])):
        by_proto.setdefault(proto, []).append(str(first) if first == last else f"{first}-{last}")
    return "; ".join(f"{proto} {', '.join(items)}" for proto, items in sorted(by_proto.items()))


def flows_markdown(matrix: FlowMatrix, *, stack: str) -> str:
    """``flows.md``: the matrix as a table (rows: from, columns: to), then one line per allowed flow."""
    detailed = matrix
    matrix = readable(matrix)
    groups = matrix.groups
    if not groups:
        return (f"# Network flows of stack `{stack}`\n\nNo pod groups: the plan renders no operator, no Flink pods "
                "and no NetworkPolicy, so there is no flow to show.\n")
    lines = [f"# Network flows of stack `{stack}`", "",
             "Read off the rendered NetworkPolicies: a cell lists the ports a pod of the row may open to the column "
             "(egress of the row and ingress of the column both allow it). Empty: denied. `all`: no policy limits it.",
             "", "| from \\ to | " + " | ".join(f"{i + 1}" for i in range(len(groups))) + " |",
             "|---|" + "---|" * len(groups)]
    for i, src in enumerate(groups):
        cells = [ports_text(matrix.ports(src, dst)) or "·" for dst in groups]
        lines.append(f"| {i + 1}. {src.name} [{src.section}] | " + " | ".join(cells) + " |")
    if matrix is not detailed:
        lines += ["", f"({len(detailed.groups)} pod groups: the table merges them per tenant; every flow is listed "
                  "below.)"]
    lines += ["", "## Allowed flows", ""]
    for src in detailed.groups:
        for dst in detailed.groups:
            text = ports_text(detailed.ports(src, dst))
            if text:
                why = detailed.why(src, dst)
                lines.append(f"- {src.name} → {dst.name}: {text}" + (f" — why: {'; '.join(why)}" if why else ""))
    return "\n".join(lines) + "\n"


def flow_set(matrix: FlowMatrix) -> set[tuple[str, str, str]]:
    """(from, to, ports) of every allowed flow: what a review compares between two plans."""
    return {(s.name, d.name, ports_text(matrix.ports(s, d))) for s in matrix.groups for d in matrix.groups
            if ports_text(matrix.ports(s, d))}


# --- merged views (the markdown table of a big stack; the picture is planning.flows_picture) ---------------


#: Above this many pod groups a table of every pair is unreadable (and quadratic in size): the markdown table then
#: shows one row/column per tenant (its operators and Flink pods together), the union of the ports of its groups'
#: cells. The list of allowed flows stays complete. (The picture has its own layout: planning.flows_picture.)
MAX_DETAILED_GROUPS = 60


def by_section(matrix: FlowMatrix) -> FlowMatrix:
    """The matrix with the groups of each section (tenant, platform, cluster, external) merged."""
    members: dict[str, list[Group]] = {}
    for g in matrix.groups:
        members.setdefault(g.section, []).append(g)
    merged = [Group(f"section/{s}", f"{s if s in ('platform', 'cluster', 'external') else 'tenant ' + s} "
                    f"({len(gs)} groups)", s) for s, gs in members.items()]
    out = FlowMatrix(merged)
    for (src, dst), ports in matrix.cells.items():
        key = (f"section/{src_section(matrix, src)}", f"section/{src_section(matrix, dst)}")
        out.cells[key] = _union(out.cells.get(key, frozenset()), ports)
    return out


def src_section(matrix: FlowMatrix, key: str) -> str:
    if not hasattr(matrix, "_sections"):
        matrix._sections = {g.key: g.section for g in matrix.groups}  # type: ignore[attr-defined]
    return matrix._sections[key]  # type: ignore[attr-defined]


def readable(matrix: FlowMatrix) -> FlowMatrix:
    return matrix if len(matrix.groups) <= MAX_DETAILED_GROUPS else by_section(matrix)
