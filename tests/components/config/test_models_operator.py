"""The operator part of the stack config (issue 7): defaults, and every bad input refused with its exact path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.config.models import ConfigError
from components.config.rules import load_platform_config

BASE: dict[str, Any] = {
    "environment": "dev",
    "cluster": {"identifier": "dev-1", "kubeconfigContext": "dev-1", "kubernetesVersion": "1.33"},
    "operator": {"version": "1.15.0", "namespace": "flink-operator"},
    "network": {"apiServerCidrs": ["10.0.0.0/28"]},
    "tenants": [
        {"name": "team-a", "namespaces": ["team-a-dev"]},
        {"name": "team-b", "namespaces": ["team-b-dev", "team-b-batch"]},
    ],
}


def _with(path: str, value: Any) -> dict[str, Any]:
    cfg = copy.deepcopy(BASE)
    node: Any = cfg
    parts = [int(p) if p.isdigit() else p for p in path.split(".")]
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value
    return cfg


def _own(i: int, **operator: Any) -> tuple[str, Any]:
    return (f"tenants.{i}.operator", {"namespace": f"team-{'ab'[i]}-operator", **operator})


INVALID = [
    ("tag-latest", ("operator.image", {"tag": "latest"}), "platform.operator.image.tag", "not a pinned image"),
    ("digest-bad", ("operator.image", {"digest": "sha256:abc"}), "platform.operator.image.digest", "64 hex"),
    ("repository-bad", ("operator.image", {"repository": "Ghcr.io/X"}), "platform.operator.image.repository", "image repository"),
    ("replicas-zero", ("operator.replicas", 0), "platform.operator.replicas", "greater than or equal to 1"),
    ("watch-bad", ("operator.watch", "all"), "platform.operator.watch", "'namespaces' or 'cluster'"),
    ("log-level-bad", ("operator.logLevel", "LOUD"), "platform.operator.logLevel", "'INFO'"),
    ("flavour-bad", ("operator.flavour", "eks"), "platform.operator.flavour", "'openshift'"),
    ("quantity-bad", ("operator.resources", {"requests": {"cpu": "lots"}}), "platform.operator.resources.requests.cpu",
     "Kubernetes quantity"),
    ("owned-config-key", ("operator.config", {"kubernetes.operator.watched.namespaces": "x"}), "platform.operator.config",
     "set by the platform"),
    ("extra-egress-empty", ("operator.extraEgress", {"enabled": True}), "platform.operator.extraEgress",
     "needs dstNets, dstPorts or both"),
    ("extra-egress-disabled-with-nets", ("operator.extraEgress", {"dstNets": ["10.1.0.0/16"]}),
     "platform.operator.extraEgress", "only allowed when enabled"),
    ("extra-egress-port-bad", ("operator.extraEgress", {"enabled": True, "dstPorts": [70000]}),
     "platform.operator.extraEgress.dstPorts[0]", "less than or equal to 65535"),
    ("cidr-host-bits", ("network.apiServerCidrs", ["10.0.0.1/16"]), "platform.network.apiServerCidrs[0]", "host bits"),
    ("cidr-not-cidr", ("network.apiServerCidrs", ["10.0.0.1"]), "platform.network.apiServerCidrs[0]", "IPv4 CIDR"),
    ("api-server-missing", ("network", {"enabled": True}), "platform.network", "apiServerCidrs is required"),
    ("peer-both", ("network.metricsSources", [{"cidrs": ["10.0.0.0/8"], "namespaces": ["monitoring"]}]),
     "platform.network.metricsSources[0]", "not both"),
    ("egress-without-ports", ("tenants.0.egress", [{"name": "kafka", "dstNets": ["10.1.0.0/16"], "dstPorts": []}]),
     "platform.tenants[0].egress[0].dstPorts", "at least 1 item"),
    ("webhook-password-key-bad", ("operator.webhook", {"enabled": True, "keystorePasswordConfigKey": "a:b"}),
     "platform.operator.webhook.keystorePasswordConfigKey", "pattern"),
    ("cert-manager-version-bad", ("operator.webhook", {"enabled": True, "certManagerVersion": "1.18"}),
     "platform.operator.webhook.certManagerVersion", "pattern"),
    ("tenant-operator-cluster", _own(0, watch="cluster"), "platform.tenants[0].operator.watch",
     "watches only its tenant's namespaces"),
    ("tenant-operator-in-other-tenant-ns", ("tenants.0.operator", {"namespace": "team-b-batch"}),
     "platform.tenants[0].operator.namespace", "is a namespace of tenant 'team-b'"),
    ("tenant-operator-in-shared-operator-ns", ("tenants.1.operator", {"namespace": "flink-operator"}),
     "platform.tenants[1].operator.namespace", "platform.operator.namespace"),
    ("tenant-operator-unknown-key", _own(0, namespaces=["x"]), "platform.tenants[0].operator.namespaces",
     "allowed keys here"),
]


@pytest.mark.parametrize(("case", "change", "path", "allowed"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_operator_config_names_path(case: str, change: tuple[str, Any], path: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_platform_config(_with(*change))
    matching = [p for p in info.value.problems if p.path == path]
    assert matching, f"no problem at {path}; got {[str(p) for p in info.value.problems]}"
    assert any(allowed in str(p) for p in matching), [str(p) for p in matching]


def test_shared_cluster_mode_beside_a_tenant_operator_is_refused() -> None:
    cfg = _with(*_own(0))
    cfg["operator"]["watch"] = "cluster"
    with pytest.raises(ConfigError) as info:
        load_platform_config(cfg)
    assert [p.path for p in info.value.problems] == ["platform.operator.watch"]
    assert "'team-a'" in str(info.value)


def test_two_tenant_operators_in_one_namespace_are_refused() -> None:
    cfg = copy.deepcopy(BASE)
    cfg["tenants"][0]["operator"] = {"namespace": "shared-ops"}
    cfg["tenants"][1]["operator"] = {"namespace": "shared-ops"}
    with pytest.raises(ConfigError) as info:
        load_platform_config(cfg)
    assert [p.path for p in info.value.problems] == ["platform.tenants[1].operator.namespace"]
    assert "platform.tenants[0].operator.namespace" in str(info.value)


def test_a_tenant_namespace_that_is_an_operator_namespace_is_refused() -> None:
    cfg = copy.deepcopy(BASE)
    cfg["tenants"][0]["operator"] = {"namespace": "team-a-operator"}
    cfg["tenants"][1]["namespaces"].append("team-a-operator")
    with pytest.raises(ConfigError) as info:
        load_platform_config(cfg)
    paths = {p.path for p in info.value.problems}
    assert "platform.tenants[1].namespaces[2]" in paths


def test_defaults_are_the_safe_ones() -> None:
    cfg = load_platform_config(copy.deepcopy(BASE))
    op = cfg.operator
    assert op.image.tag is None and op.image.digest is None  # the image tag defaults to the operator version
    assert op.replicas == 1 and op.watch == "namespaces" and op.dynamic_namespaces
    assert not op.webhook.enabled and op.flavour == "kubernetes" and not op.nodes_rule
    assert cfg.network.enabled and cfg.network.api_server_port == 443


def test_a_valid_tenant_operator_layout_loads() -> None:
    cfg = copy.deepcopy(BASE)
    cfg["tenants"][1]["operator"] = {"namespace": "team-b-operator", "replicas": 2, "webhook": {"enabled": True}}
    loaded = load_platform_config(cfg)
    assert loaded.tenants[1].operator is not None and loaded.tenants[1].operator.replicas == 2
