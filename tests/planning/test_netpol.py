"""The NetworkPolicy evaluator itself, on small hand-written policies whose verdicts follow from the API docs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from planning import netpol
from planning.netpol import PolicySet, external, pod


def _np(namespace: str, selector: dict, *, ingress=None, egress=None, types=None) -> dict:
    spec: dict = {"podSelector": selector}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    if types is not None:
        spec["policyTypes"] = types
    return {"kind": "NetworkPolicy", "metadata": {"name": f"np-{len(str(spec))}", "namespace": namespace}, "spec": spec}


A, B = pod("a", {"app": "x"}, ip="10.1.0.1"), pod("b", {"app": "y"}, ip="10.2.0.1")


def test_no_policy_allows_everything() -> None:
    assert PolicySet([]).allows(A, B, 80)
    assert PolicySet([]).allows(A, external("8.8.8.8"), 53, "UDP")


def test_default_deny_isolates_both_directions() -> None:
    policies = PolicySet([_np("b", {}, ingress=[], egress=[], types=["Ingress", "Egress"])])
    assert not policies.allows(A, B, 80)
    assert not policies.allows(B, A, 80)
    assert policies.allows(A, pod("c"), 80)


def test_policy_types_default_to_ingress_plus_egress_when_present() -> None:
    only_ingress = PolicySet([_np("b", {}, ingress=[])])
    assert not only_ingress.allows(A, B, 80) and only_ingress.allows(B, A, 80)
    both = PolicySet([_np("b", {}, ingress=[], egress=[])])
    assert not both.allows(B, A, 80)


def test_pod_selector_alone_means_the_policy_namespace() -> None:
    rule = {"from": [{"podSelector": {"matchLabels": {"app": "x"}}}]}
    policies = PolicySet([_np("b", {}, ingress=[rule])])
    assert not policies.allows(A, B, 80)  # app=x, but in namespace a
    assert policies.allows(pod("b", {"app": "x"}), B, 80)


def test_namespace_and_pod_selector_together_must_both_match() -> None:
    rule = {"from": [{"namespaceSelector": {"matchLabels": {netpol.NAMESPACE_NAME_LABEL: "a"}},
                      "podSelector": {"matchLabels": {"app": "x"}}}]}
    policies = PolicySet([_np("b", {}, ingress=[rule])])
    assert policies.allows(A, B, 80)
    assert not policies.allows(pod("a", {"app": "z"}), B, 80)
    assert not policies.allows(pod("c", {"app": "x"}), B, 80)
    separate = {"from": [{"namespaceSelector": {"matchLabels": {netpol.NAMESPACE_NAME_LABEL: "a"}}},
                         {"podSelector": {"matchLabels": {"app": "x"}}}]}
    assert PolicySet([_np("b", {}, ingress=[separate])]).allows(pod("a", {"app": "z"}), B, 80)


def test_ip_block_with_except() -> None:
    rule = {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.9.0.0/16"]}}]}
    policies = PolicySet([_np("a", {}, egress=[rule], types=["Egress"])])
    assert policies.allows(A, external("10.3.3.3"), 443)
    assert not policies.allows(A, external("10.9.1.1"), 443)
    assert not policies.allows(A, external("11.0.0.1"), 443)


def test_ports_protocols_ranges_and_named_ports() -> None:
    rule = {"ports": [{"protocol": "UDP", "port": 53}, {"port": 8000, "endPort": 8010}, {"port": "health"}]}
    target = pod("b", {"app": "y"}, ports={"health": 8085})
    policies = PolicySet([_np("b", {}, ingress=[rule])])
    assert policies.allows(A, target, 53, "UDP") and not policies.allows(A, target, 53, "TCP")
    assert policies.allows(A, target, 8005) and not policies.allows(A, target, 8011)
    assert policies.allows(A, target, 8085) and not policies.allows(A, B, 8085)


def test_match_expressions() -> None:
    selector = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["x", "y"]},
                                     {"key": "tier", "operator": "DoesNotExist"}]}
    assert netpol.selector_matches(selector, {"app": "x"})
    assert not netpol.selector_matches(selector, {"app": "x", "tier": "db"})
    assert not netpol.selector_matches(selector, {"app": "z"})
    assert netpol.selector_matches({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {})
    with pytest.raises(ValueError):
        netpol.selector_matches({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}, {"a": "2"})


def test_both_sides_must_allow() -> None:
    egress_only_dns = _np("a", {}, egress=[{"ports": [{"protocol": "UDP", "port": 53}]}], types=["Egress"])
    ingress_open = _np("b", {}, ingress=[{}])
    policies = PolicySet([egress_only_dns, ingress_open])
    assert not policies.allows(A, B, 80)
    assert policies.allows(A, B, 53, "UDP")
    assert "egress" in policies.check(A, B, 80).reason


def test_cli_exits_0_on_allow_and_1_on_deny(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Issue 17 §10: a script (CI, a runbook) can tell the verdicts apart by the exit status."""
    plan = tmp_path / "manifests.yaml"
    plan.write_text(yaml.safe_dump_all([_np("b", {}, ingress=[{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}])]))
    assert netpol.main(["--plan", str(plan), "--from", "ip:10.1.1.1", "--to", "b:app=y", "--port", "80"]) == 0
    assert capsys.readouterr().out.startswith("ALLOW")
    assert netpol.main(["--plan", str(plan), "--from", "a:app=x", "--to", "b:app=y", "--port", "80"]) == 1
    assert capsys.readouterr().out.startswith("DENY")
