"""Network policies as rendered by the plan, judged flow by flow with the evaluator (planning/netpol.py).

Every flow of issue 7 §5 is checked allowed, and next to it the closest flow that must be denied.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.operator import upstream
from tests.conftest import stack_config
from planning import manifests
from planning.mock_runtime import run_program
from planning.netpol import PolicySet, external, pod

OP_LABELS = {"app.kubernetes.io/name": upstream.OPERATOR_APP_NAME}
OP_PORTS = {"health-port": upstream.OPERATOR_HEALTH_PORT, "metrics": upstream.OPERATOR_METRICS_PORT_DEFAULT}
API_SERVER = external("172.22.0.5")  # inside prod's apiServerCidrs 172.22.0.0/28
NOT_API_SERVER = external("172.22.1.5")
DNS = pod("kube-system", {"k8s-app": "kube-dns"})
PROMETHEUS = pod("monitoring", {"app.kubernetes.io/name": "prometheus"})
KUBELET = external("192.168.10.7")
KAFKA = external("10.50.1.1")
S3 = external("10.60.2.2")
ZOOKEEPER = external("10.70.0.9")
DATABASE = external("10.99.0.5")


def operator(namespace: str = "flink-operator") -> Any:
    return pod(namespace, {**OP_LABELS, "app.kubernetes.io/instance": namespace}, ports=OP_PORTS)


#: The workload (FlinkDeployment) of each prod namespace: its pods carry ``flink-platform.io/workload: <name>``,
#: which the per-cluster policies select (issue 17).
WORKLOAD = {"payments-prod": "payments-ledger", "payments-fraud-prod": "fraud-scoring", "analytics-prod": "sessionize",
            "analytics-reporting-prod": "reporting", "search-prod": "search-indexer", "streaming-dev": "clickstream"}


def _flink(namespace: str, component: str, app: str | None) -> Any:
    name = app or WORKLOAD.get(namespace, "job")
    return pod(namespace, {"type": "flink-native-kubernetes", "component": component, "app": name,
                           "flink-platform.io/workload": name})


def jm(namespace: str, app: str | None = None) -> Any:
    return _flink(namespace, "jobmanager", app)


def tm(namespace: str, app: str | None = None) -> Any:
    return _flink(namespace, "taskmanager", app)


def _policies(platform_changes: dict[str, Any] | None = None) -> PolicySet:
    config = copy.deepcopy(stack_config("prod"))
    config["flink-platform:platform"]["network"].update(platform_changes or {})
    return _policies_of(config)


def _policies_of(config: dict[str, Any]) -> PolicySet:
    monitor = run_program("prod", config)
    return PolicySet(o.obj for o in manifests.collect_objects(list(monitor.registrations)))


@pytest.fixture(scope="module")
def prod() -> PolicySet:
    """The prod stack plus health sources (kubelet CIDR) and an operator extra egress to a database."""
    config = copy.deepcopy(stack_config("prod"))
    platform = config["flink-platform:platform"]
    platform["network"]["healthSources"] = [{"cidrs": ["192.168.10.0/24"]}]
    platform["operator"]["extraEgress"] = {"enabled": True, "dstNets": ["10.99.0.0/24"], "dstPorts": [5432]}
    return _policies_of(config)


@pytest.fixture(scope="module")
def dev() -> PolicySet:
    return _policies_of(stack_config("dev"))


# --- the operator pod -----------------------------------------------------------------------------------------------


def test_operator_health_port_from_configured_sources(prod: PolicySet) -> None:
    assert prod.allows(KUBELET, operator(), upstream.OPERATOR_HEALTH_PORT)
    assert not prod.allows(external("192.168.11.7"), operator(), upstream.OPERATOR_HEALTH_PORT)
    assert not prod.allows(PROMETHEUS, operator(), upstream.OPERATOR_HEALTH_PORT)


def test_operator_metrics_from_prometheus_only(prod: PolicySet) -> None:
    assert prod.allows(PROMETHEUS, operator(), upstream.OPERATOR_METRICS_PORT_DEFAULT)
    assert not prod.allows(pod("monitoring", {"app.kubernetes.io/name": "grafana"}), operator(), 9999)
    assert not prod.allows(pod("default", {"app.kubernetes.io/name": "prometheus"}), operator(), 9999)
    assert not prod.allows(KUBELET, operator(), 9999)


def test_webhook_port_from_the_api_server_when_the_webhook_is_on(prod: PolicySet, dev: PolicySet) -> None:
    assert prod.allows(API_SERVER, operator(), upstream.WEBHOOK_SERVER_PORT)
    assert not prod.allows(NOT_API_SERVER, operator(), upstream.WEBHOOK_SERVER_PORT)
    assert not prod.allows(API_SERVER, operator(), 8080)
    dev_api = external("172.20.0.5")
    assert not dev.allows(dev_api, operator(), upstream.WEBHOOK_SERVER_PORT)  # dev: webhook off


def test_operator_egress_to_the_api_server(prod: PolicySet) -> None:
    assert prod.allows(operator(), API_SERVER, 443)
    assert not prod.allows(operator(), API_SERVER, 6443)
    assert not prod.allows(operator(), NOT_API_SERVER, 443)


def test_operator_egress_to_jobmanager_rest_in_watched_namespaces_only(prod: PolicySet) -> None:
    for ns in ("payments-prod", "payments-fraud-prod", "analytics-prod", "analytics-reporting-prod"):
        assert prod.allows(operator(), jm(ns), upstream.JOBMANAGER_REST_PORT), ns
        assert not prod.allows(operator(), jm(ns), upstream.JOBMANAGER_RPC_PORT), ns
        assert not prod.allows(operator(), tm(ns), upstream.JOBMANAGER_REST_PORT), ns
    # search-prod is watched by the search team's own operator, not by the shared one.
    assert not prod.allows(operator(), jm("search-prod"), upstream.JOBMANAGER_REST_PORT)
    search_op = operator("search-flink-operator")
    assert prod.allows(search_op, jm("search-prod"), upstream.JOBMANAGER_REST_PORT)
    assert not prod.allows(search_op, jm("payments-prod"), upstream.JOBMANAGER_REST_PORT)


def test_operator_dns(prod: PolicySet) -> None:
    assert prod.allows(operator(), DNS, 53, "UDP") and prod.allows(operator(), DNS, 53, "TCP")
    assert not prod.allows(operator(), pod("kube-system", {"k8s-app": "metrics-server"}), 53, "UDP")
    assert not prod.allows(operator(), pod("default", {"k8s-app": "kube-dns"}), 53, "UDP")


def test_operator_extra_egress(prod: PolicySet) -> None:
    assert prod.allows(operator(), DATABASE, 5432)
    assert not prod.allows(operator(), DATABASE, 5433)
    assert not prod.allows(operator(), external("10.98.0.5"), 5432)
    # The tenant operator has no extra egress configured.
    assert not prod.allows(operator("search-flink-operator"), DATABASE, 5432)


def test_operator_everything_else_denied(prod: PolicySet) -> None:
    assert not prod.allows(operator(), external("1.1.1.1"), 443)
    assert not prod.allows(pod("default", {"app": "curl"}), operator(), upstream.OPERATOR_HEALTH_PORT)


# --- Flink namespaces -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("port", [upstream.TASKMANAGER_RPC_PORT, upstream.JOBMANAGER_RPC_PORT, upstream.BLOB_SERVER_PORT])
def test_jobmanager_taskmanager_both_ways(prod: PolicySet, port: int) -> None:
    ns = "payments-prod"
    assert prod.allows(jm(ns), tm(ns), port)
    assert prod.allows(tm(ns), jm(ns), port)
    assert not prod.allows(tm("payments-fraud-prod"), jm(ns), port)  # another namespace, same tenant
    assert not prod.allows(tm(ns, "other-cluster"), jm(ns), port)  # another cluster of the namespace
    assert not prod.allows(pod(ns, {"app": "debug"}), jm(ns), port)  # not a Flink pod


def test_flink_pods_reach_the_api_server_and_dns(prod: PolicySet) -> None:
    for flink_pod in (jm("analytics-prod"), tm("analytics-prod")):
        assert prod.allows(flink_pod, API_SERVER, 443)
        assert prod.allows(flink_pod, DNS, 53, "UDP")
        assert not prod.allows(flink_pod, NOT_API_SERVER, 443)
        assert not prod.allows(flink_pod, external("8.8.8.8"), 53, "UDP")


def test_jobmanager_rest_only_from_its_operator(prod: PolicySet) -> None:
    ns = "analytics-prod"
    assert prod.allows(operator(), jm(ns), upstream.JOBMANAGER_REST_PORT)
    assert not prod.allows(pod("flink-operator", {"app": "other"}), jm(ns), upstream.JOBMANAGER_REST_PORT)
    assert not prod.allows(pod("default", OP_LABELS), jm(ns), upstream.JOBMANAGER_REST_PORT)
    assert not prod.allows(tm("payments-prod"), jm(ns), upstream.JOBMANAGER_REST_PORT)
    # The ingress side alone also refuses the shared operator in a namespace another operator watches.
    verdict = prod.check(operator(), jm("search-prod"), upstream.JOBMANAGER_REST_PORT)
    assert not verdict


def test_tenant_egress_rules(prod: PolicySet) -> None:
    assert prod.allows(tm("payments-prod"), KAFKA, 9092) and prod.allows(jm("payments-fraud-prod"), KAFKA, 9093)
    assert prod.allows(tm("payments-prod"), S3, 443)
    assert not prod.allows(tm("payments-prod"), KAFKA, 22)
    assert not prod.allows(tm("analytics-prod"), KAFKA, 9092)  # another tenant
    assert prod.allows(tm("search-prod"), ZOOKEEPER, 2181)
    assert not prod.allows(tm("payments-prod"), ZOOKEEPER, 2181)


def test_default_deny_in_flink_namespaces(prod: PolicySet) -> None:
    ns = "payments-prod"
    other = pod(ns, {"app": "sidecar"})
    assert not prod.allows(other, external("1.1.1.1"), 443)
    assert not prod.allows(other, DNS, 53, "UDP")
    assert not prod.allows(external("1.1.1.1"), jm(ns), upstream.JOBMANAGER_REST_PORT)
    assert not prod.allows(jm(ns), external("1.1.1.1"), 443)


def test_network_disabled_renders_no_policy() -> None:
    config = copy.deepcopy(stack_config("dev"))
    config["flink-platform:platform"]["network"] = {"enabled": False}
    assert _policies_of(config).policies == []
