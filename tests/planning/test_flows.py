"""The flow matrix, read off rendered NetworkPolicies, agrees cell by cell with the per-flow evaluator."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from planning import flows, flows_picture
from tests.conftest import STACKS
from planning import netpol

#: Ports the agreement check tries for every cell: every port any policy names, its neighbours, and a few others.
EXTRA_PORTS = (22, 80, 443, 6443, 9999, 65535)


def endpoint(group: flows.Group) -> netpol.Endpoint:
    if group.is_pod:
        return netpol.pod(group.namespace, group.labels, namespace_labels=dict(group.namespace_labels))
    return netpol.external(group.ip)


def candidate_ports(policies: list[dict]) -> set[tuple[str, int]]:
    found: set[tuple[str, int]] = set()
    for p in policies:
        for direction in ("ingress", "egress"):
            for rule in p["spec"].get(direction) or []:
                for port in rule.get("ports") or []:
                    if port.get("port") is not None:
                        first = int(port["port"])
                        for q in (first - 1, first, int(port.get("endPort", first)), int(port.get("endPort", first)) + 1):
                            found.add((port.get("protocol", "TCP"), q))
    return found | {(proto, p) for proto in ("TCP", "UDP") for p in EXTRA_PORTS}


def in_cell(ports: Any, protocol: str, port: int) -> bool:
    if ports == flows.ALL:
        return True
    return any(p == protocol and first <= port <= last for p, first, last in ports)


def assert_matrix_agrees_with_evaluator(objects: list[dict]) -> flows.FlowMatrix:
    computed = flows.Flows(objects)
    matrix = computed.matrix()
    evaluator = netpol.PolicySet(objects)
    ports = candidate_ports(computed.policies)
    for src in matrix.groups:
        for dst in matrix.groups:
            if src.section in flows.OUTSIDE and dst.section in flows.OUTSIDE:
                continue
            cell = matrix.ports(src, dst)
            for protocol, port in ports:
                expected = evaluator.allows(endpoint(src), endpoint(dst), port, protocol)
                assert in_cell(cell, protocol, port) == expected, (src.name, dst.name, protocol, port, cell)
    return matrix


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stacks_matrix_agrees_with_the_evaluator(stack: str, committed_plans) -> None:
    objects = [d for d in yaml.safe_load_all((committed_plans[stack] / "manifests.yaml").read_text()) if d]
    matrix = assert_matrix_agrees_with_evaluator(objects)
    names = [g.name for g in matrix.groups]
    assert any(n.startswith("operator (") for n in names) and any(n.startswith("JobManagers of ") for n in names)


def _policy(ns: str, name: str, selector: dict, ingress: list | None, egress: list | None) -> dict:
    spec: dict = {"podSelector": selector, "policyTypes": []}
    if ingress is not None:
        spec["policyTypes"].append("Ingress")
        spec["ingress"] = ingress
    if egress is not None:
        spec["policyTypes"].append("Egress")
        spec["egress"] = egress
    return {"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns}, "spec": spec}


FLINK = {"matchLabels": {"type": "flink-native-kubernetes"}}
JM = {"matchLabels": {"type": "flink-native-kubernetes", "component": "jobmanager"}}

port_spec = st.builds(lambda p, proto, rng: {"protocol": proto, "port": p, **({"endPort": p + rng} if rng else {})},
                      st.sampled_from([53, 443, 6122, 6123, 8081, 9092, 9443]), st.sampled_from(["TCP", "UDP"]),
                      st.sampled_from([0, 0, 2]))
cidr = st.sampled_from(["10.0.0.0/8", "10.1.2.0/24", "192.168.5.0/24", "172.20.0.1/32"])
peer = st.one_of(
    st.builds(lambda c: {"ipBlock": {"cidr": c}}, cidr),
    st.builds(lambda c: {"ipBlock": {"cidr": "10.0.0.0/8", "except": [c]}}, st.just("10.1.2.0/24")),
    st.just({"podSelector": FLINK}),
    st.just({"podSelector": JM}),
    st.builds(lambda ns: {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}},
                          "podSelector": {"matchLabels": {"app.kubernetes.io/name": "flink-kubernetes-operator"}}},
              st.sampled_from(["ops", "ns0"])),
    st.builds(lambda ns: {"namespaceSelector": {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": [ns]}]}, "podSelector": JM},
        st.sampled_from(["ns0", "ns1"])),
)
rule = st.fixed_dictionaries({}, optional={"ports": st.lists(port_spec, max_size=3), "peers": st.lists(peer, max_size=3)})
namespace_policies = st.lists(
    st.tuples(st.sampled_from([{}, FLINK, JM]), st.one_of(st.none(), st.lists(rule, max_size=3)),
              st.one_of(st.none(), st.lists(rule, max_size=3))),
    max_size=4,
)


def layout_objects(per_namespace: list[list[tuple]], operator_rules: tuple) -> list[dict]:
    objects: list[dict] = [
        {"kind": "Namespace", "metadata": {"name": "ops"}},
        {"kind": "Deployment", "metadata": {"name": "op", "namespace": "ops"},
         "spec": {"template": {"metadata": {"labels": {"app.kubernetes.io/name": "flink-kubernetes-operator"}}}}},
    ]
    def to_rules(rules: list[dict] | None, key: str) -> list | None:
        if rules is None:
            return None
        return [{**({"ports": r["ports"]} if "ports" in r else {}), **({key: r["peers"]} if "peers" in r else {})}
                for r in rules]
    for i, policies in enumerate(per_namespace):
        ns = f"ns{i}"
        objects.append({"kind": "Namespace", "metadata": {"name": ns, "labels": {"flink-platform.io/tenant": f"t{i % 2}"}}})
        objects.append(_policy(ns, "flink-marker", FLINK, None, None))  # marks the namespace as a Flink one
        for j, (selector, ingress, egress) in enumerate(policies):
            objects.append(_policy(ns, f"p{j}", selector, to_rules(ingress, "from"), to_rules(egress, "to")))
    ingress, egress = operator_rules
    objects.append(_policy("ops", "operator", {"matchLabels": {"app.kubernetes.io/name": "flink-kubernetes-operator"}},
                           to_rules(ingress, "from"), to_rules(egress, "to")))
    return objects


@settings(max_examples=60, deadline=None)
@given(st.lists(namespace_policies, min_size=1, max_size=3),
       st.tuples(st.one_of(st.none(), st.lists(rule, max_size=2)), st.one_of(st.none(), st.lists(rule, max_size=2))))
@example([[({}, [], [])]], (None, None))  # default deny everywhere in ns0, nothing on the operator
@example([[(FLINK, [{"peers": [{"podSelector": FLINK}], "ports": [{"protocol": "TCP", "port": 6122, "endPort": 6124}]}],
            None)]], (None, [{"peers": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.2.0/24"]}}]}]))
def test_matrix_agrees_with_the_evaluator_over_generated_layouts(per_namespace, operator_rules) -> None:
    assert_matrix_agrees_with_evaluator(layout_objects(per_namespace, operator_rules))


def test_markdown_and_svg_are_deterministic_and_readable(committed_plans) -> None:
    objects = [d for d in yaml.safe_load_all((committed_plans["prod"] / "manifests.yaml").read_text()) if d]
    shuffled = list(reversed(copy.deepcopy(objects)))
    one, two = flows.Flows(objects).matrix(), flows.Flows(shuffled).matrix()
    assert flows.flows_markdown(one, stack="prod") == flows.flows_markdown(two, stack="prod")
    svg = flows_picture.flows_svg(one, stack="prod")
    assert svg == flows_picture.flows_svg(two, stack="prod")
    assert "Legend" in svg and "tenant payments" in svg


def test_svg_renders_to_a_non_empty_png(committed_plans, tmp_path) -> None:
    import io

    import resvg_py
    from PIL import Image

    objects = [d for d in yaml.safe_load_all((committed_plans["prod"] / "manifests.yaml").read_text()) if d]
    png = bytes(resvg_py.svg_to_bytes(svg_string=flows_picture.flows_svg(flows.Flows(objects).matrix(), stack="prod")))
    (tmp_path / "flows.png").write_bytes(png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.width > 600 and image.height > 300
    pixels = list(image.get_flattened_data())
    drawn = sum(1 for p in pixels if p != (255, 255, 255))
    assert drawn / len(pixels) > 0.05, "the picture is (almost) blank"
    colours = set(pixels)
    assert {(0x8F, 0xD1, 0x9E), (0xF1, 0xF1, 0xF1)} <= colours, "allowed and denied cells are drawn"
    assert len(colours) > 20, "text is rendered (anti-aliased glyphs give many shades)"


def test_the_readme_picture_is_the_current_prod_plan(committed_plans) -> None:
    from tests.conftest import ROOT

    committed = (ROOT / "docs" / "flows-prod.svg").read_text()
    assert committed == (committed_plans["prod"] / "flows.svg").read_text(), (
        "docs/flows-prod.svg is stale: run `make plan STACK=prod && cp build/prod/flows.svg docs/flows-prod.svg`")


def test_plan_writes_flows_and_a_summary_line(committed_plans) -> None:
    text = (committed_plans["dev"] / "flows.md").read_text()
    assert text.startswith("# Network flows of stack `dev`")
    assert "operator (flink-operator) → JobManagers of clickstream (streaming-dev): TCP 8081 — why: " in text
    assert "JobManagers of clickstream (streaming-dev) → api-server (" in text


def test_every_policy_names_its_flow_and_flows_md_shows_it(committed_plans) -> None:
    """Issue 17: each policy says which feature it is for (``flink-platform.io/flow``), and every allowed flow in
    ``flows.md`` carries the reasons of the policies that allow it."""
    for stack in STACKS:
        objects = [d for d in yaml.safe_load_all((committed_plans[stack] / "manifests.yaml").read_text()) if d]
        for p in (o for o in objects if o["kind"] == "NetworkPolicy"):
            assert (p["metadata"].get("annotations") or {}).get(flows.FLOW_ANNOTATION), p["metadata"]
        text = (committed_plans[stack] / "flows.md").read_text()
        listed = [line for line in text.split("## Allowed flows")[1].splitlines() if line.startswith("- ")]
        assert listed and all(" — why: " in line for line in listed), stack
    prod = (committed_plans["prod"] / "flows.md").read_text()
    assert ("- app.kubernetes.io/name=prometheus (monitoring) → TaskManagers of payments-ledger (payments-prod): "
            "TCP 9249 — why: payments-ledger: Prometheus scrapes Flink's reporter (network.metricsSources)") in prod
    assert "- app.kubernetes.io/name=ingress-nginx (ingress-nginx) → JobManagers of search-indexer (search-prod): " \
        "TCP 8081 — why: search-indexer: its Ingress" in prod


def test_a_plain_session_cluster_is_in_the_flows(committed_plans) -> None:
    """Issue 17 §1: legacy-session's pods are rows and columns of staging's flow matrix, with their flows."""
    text = (committed_plans["staging"] / "flows.md").read_text()
    assert ("- TaskManagers of legacy-session (analytics-staging) → JobManagers of legacy-session (analytics-staging): "
            "TCP 6122, 6123, 6124") in text
    assert "- TaskManagers of legacy-session (analytics-staging) → TaskManagers of sessionize" not in text
