"""The chart's values as stack keys (issue 20): each bad value refused with its exact path, the value found and what
is allowed; the same keys on a tenant's own operator."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.models import ConfigError
from components.config.rules import load_platform_config
from tests.components.config.test_models_operator import _own, _with

INVALID = [
    # pod metadata and scheduling
    ("pull-secret-bad-name", ("operator.imagePullSecrets", ["Registry"]), "platform.operator.imagePullSecrets[0]",
     "RFC 1123 subdomain"),
    ("pod-annotation-owned", ("operator.pod", {"annotations": {"prometheus.io/port": "1"}}),
     "platform.operator.pod.annotations", "written by the platform"),
    ("pod-label-selector", ("operator.pod", {"labels": {"app.kubernetes.io/name": "x"}}),
     "platform.operator.pod.labels", "written by the platform"),
    ("pod-label-reserved", ("operator.pod", {"labels": {"flink-platform.io/tenant": "x"}}),
     "platform.operator.pod.labels", "written by the platform"),
    ("pod-label-value-bad", ("operator.pod", {"labels": {"team": "a b"}}), "platform.operator.pod.labels.team",
     "label value"),
    ("node-selector-key-bad", ("operator.pod", {"nodeSelector": {"-bad": "x"}}),
     "platform.operator.pod.nodeSelector['-bad'] (the key)", "name part"),
    ("affinity-operator-bad", ("operator.pod", {"affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "k", "operator": "Like"}]}]}}}}),
     "platform.operator.pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
     ".matchExpressions[0].operator", "'In'"),
    ("affinity-weight-bad", ("operator.pod", {"affinity": {"podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 0, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname"}}]}}}),
     "platform.operator.pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
     "greater than or equal to 1"),
    ("affinity-unknown-key", ("operator.pod", {"affinity": {"nodeAfinity": {}}}),
     "platform.operator.pod.affinity.nodeAfinity", "allowed keys here: nodeAffinity"),
    ("toleration-exists-with-value", ("operator.pod", {"tolerations": [{"key": "k", "operator": "Exists",
                                                                        "value": "v"}]}),
     "platform.operator.pod.tolerations[0]", "has no value"),
    ("toleration-seconds-not-noexecute", ("operator.pod", {"tolerations": [
        {"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}]}),
     "platform.operator.pod.tolerations[0]", "only applies to effect 'NoExecute'"),
    ("spread-when-bad", ("operator.pod", {"topologySpreadConstraints": [
        {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "Never"}]}),
     "platform.operator.pod.topologySpreadConstraints[0].whenUnsatisfiable", "'DoNotSchedule'"),
    ("spread-skew-zero", ("operator.pod", {"topologySpreadConstraints": [
        {"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]}),
     "platform.operator.pod.topologySpreadConstraints[0].maxSkew", "greater than or equal to 1"),
    ("priority-class-bad", ("operator.pod", {"priorityClassName": "High_Priority"}),
     "platform.operator.pod.priorityClassName", "RFC 1123 subdomain"),
    ("dns-policy-bad", ("operator.pod", {"dnsPolicy": "Cluster"}), "platform.operator.pod.dnsPolicy",
     "'ClusterFirst'"),
    ("dns-none-without-nameservers", ("operator.pod", {"dnsPolicy": "None"}), "platform.operator.pod",
     "needs dnsConfig.nameservers"),
    ("dns-too-many-nameservers", ("operator.pod", {"dnsConfig": {"nameservers": ["1.1.1.1"] * 4}}),
     "platform.operator.pod.dnsConfig.nameservers", "at most 3 items"),
]


@pytest.mark.parametrize(("case", "change", "path", "allowed"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_chart_value_names_path_found_and_allowed(case: str, change: tuple[str, Any], path: str,
                                                          allowed: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_platform_config(_with(*change))
    matching = [p for p in info.value.problems if p.path == path]
    assert matching, f"no problem at {path}; got {[str(p) for p in info.value.problems]}"
    assert any(allowed in str(p) for p in matching), [str(p) for p in matching]
    assert all(p.found for p in matching)


@pytest.mark.parametrize(("case", "change", "path", "allowed"), INVALID, ids=[c[0] for c in INVALID])
def test_a_tenant_operator_refuses_the_same_values(case: str, change: tuple[str, Any], path: str,
                                                   allowed: str) -> None:
    where, value = change
    assert where.startswith("operator.")
    key = where.removeprefix("operator.")
    own_path, own = _own(0, **{key: value})
    with pytest.raises(ConfigError) as info:
        load_platform_config(_with(own_path, own))
    tenant_path = path.replace("platform.operator", "platform.tenants[0].operator", 1)
    assert any(p.path == tenant_path and allowed in str(p) for p in info.value.problems), \
        [str(p) for p in info.value.problems]
