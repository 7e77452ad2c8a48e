"""Issue 17: every feature the committed stacks switch on works under the platform's own NetworkPolicies, and no
more than what it needs is allowed. Each test replays the issue's ``python -m tools.netpol`` repro on the
committed plan (now ALLOW, exit 0) and checks the neighbouring flows stay denied (exit 1).

Pods are named by the labels the plan gives them (a Deployment's pod template, or what Flink's native mode adds
to a FlinkDeployment's pod template), not by hand-written label sets.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Iterable, Mapping

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from components.config.models import (
    ConfigError,
    EgressRule,
    NetworkConfig,
    NetworkPeer,
    ObjectStorageEndpoint,
    Problem,
)
from components.config.rules import load_platform_config
from components.operator import network as N
from components.operator import upstream
from planning import flows, manifests, netpol
from planning.mock_runtime import run_program
from tests.conftest import stack_config


def _objects(plan: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((plan / "manifests.yaml").read_text()) if d]


def _selector(namespace: str, labels: Mapping[str, str]) -> str:
    return f"{namespace}:" + ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def deployment_pod(objects: Iterable[Mapping[str, Any]], namespace: str, name: str) -> str:
    """``NAMESPACE:labels`` of the pods of Deployment ``name`` as the plan declares them."""
    for o in objects:
        if o.get("kind") == "Deployment" and o["metadata"]["name"] == name and o["metadata"]["namespace"] == namespace:
            return _selector(namespace, o["spec"]["template"]["metadata"]["labels"])
    raise AssertionError(f"no Deployment {namespace}/{name} in the plan")


def flink_pod(objects: Iterable[Mapping[str, Any]], namespace: str, name: str, component: str) -> str:
    """``NAMESPACE:labels`` of a FlinkDeployment's JobManager/TaskManager pod: its pod template's labels plus the
    ones Flink's native mode sets (``type``, ``app``, ``component``)."""
    for o in objects:
        if o.get("kind") == "FlinkDeployment" and o["metadata"]["name"] == name \
                and o["metadata"]["namespace"] == namespace:
            labels = dict((o["spec"].get("podTemplate") or {}).get("metadata", {}).get("labels") or {})
            labels.update({upstream.FLINK_LABEL_TYPE: upstream.FLINK_LABEL_TYPE_NATIVE,
                           upstream.FLINK_LABEL_APP: name, upstream.FLINK_LABEL_COMPONENT: component})
            return _selector(namespace, labels)
    raise AssertionError(f"no FlinkDeployment {namespace}/{name} in the plan")


def verdict(plan: Path, source: str, destination: str, port: int, protocol: str = "TCP") -> int:
    """The exit status of ``python -m tools.netpol`` for this flow (0 ALLOW, 1 DENY)."""
    return netpol.main(["--plan", str(plan / "manifests.yaml"), "--from", source, "--to", destination,
                        "--port", str(port), "--protocol", protocol])


ALLOW, DENY = 0, 1


# --- §1: a plain session cluster is labelled like operator-made pods -------------------------------------------------


def test_plain_session_cluster_taskmanagers_reach_their_jobmanager(committed_plans: dict[str, Path]) -> None:
    plan = committed_plans["staging"]
    objects = _objects(plan)
    jm = deployment_pod(objects, "analytics-staging", "legacy-session-jobmanager")
    tm = deployment_pod(objects, "analytics-staging", "legacy-session-taskmanager")
    # The issue's repro, with the pods' labels as planned (they include the repro's two labels).
    assert "flink-platform.io/component=taskmanager" in tm and "flink-platform.io/workload=legacy-session" in tm
    assert verdict(plan, tm, jm, upstream.JOBMANAGER_RPC_PORT) == ALLOW
    assert verdict(plan, tm, jm, upstream.BLOB_SERVER_PORT) == ALLOW
    assert verdict(plan, jm, tm, upstream.TASKMANAGER_RPC_PORT) == ALLOW
    for pod_ in (jm, tm):
        assert verdict(plan, pod_, "kube-system:k8s-app=kube-dns", 53, "UDP") == ALLOW
    # Neighbours: not the REST port from a TaskManager, not from a pod of the namespace that is not Flink's.
    assert verdict(plan, tm, jm, upstream.JOBMANAGER_REST_PORT) == DENY
    assert verdict(plan, "analytics-staging:app=debug", jm, upstream.JOBMANAGER_RPC_PORT) == DENY
    assert verdict(plan, tm, "kube-system:k8s-app=metrics-server", 53, "UDP") == DENY


# --- helpers for the features below ------------------------------------------------------------------------------------

def _platform(stack: str) -> dict[str, Any]:
    return copy.deepcopy(stack_config(stack))


def _flow_set(stack: str, config: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(from, to, ports) of every flow the rendered plan of ``config`` allows (the flow matrix, which
    tests/planning/test_flows.py checks cell by cell against the evaluator)."""
    monitor = run_program(stack, config)
    objects = [o.obj for o in manifests.collect_objects(list(monitor.registrations))]
    return flows.flow_set(flows.Flows(objects).matrix())


def _committed_flow_set(plan: Path) -> set[tuple[str, str, str]]:
    return flows.flow_set(flows.Flows(_objects(plan)).matrix())


def _problems(config: dict[str, Any]) -> list[Problem]:
    with pytest.raises(ConfigError) as err:
        load_platform_config(config["flink-platform:platform"])
    return err.value.problems


PROMETHEUS = "monitoring:app.kubernetes.io/name=prometheus"
RUNNER = "ci-runners:app.kubernetes.io/name=pulumi-runner"
INGRESS_NGINX = "ingress-nginx:app.kubernetes.io/name=ingress-nginx"


# --- §2: Prometheus reaches Flink's reporter when the stack scrapes it ------------------------------------------------


def test_prometheus_scrapes_flink_pods_and_nothing_else(committed_plans: dict[str, Path]) -> None:
    plan = committed_plans["prod"]
    objects = _objects(plan)
    tm = flink_pod(objects, "payments-prod", "payments-ledger", "taskmanager")
    jm = flink_pod(objects, "payments-prod", "payments-ledger", "jobmanager")
    assert verdict(plan, PROMETHEUS, tm, upstream.PROMETHEUS_PORT) == ALLOW
    assert verdict(plan, PROMETHEUS, jm, upstream.PROMETHEUS_PORT) == ALLOW
    assert verdict(plan, PROMETHEUS, tm, upstream.PROMETHEUS_PORT + 1) == DENY
    assert verdict(plan, PROMETHEUS, tm, upstream.TASKMANAGER_RPC_PORT) == DENY
    assert verdict(plan, PROMETHEUS, jm, upstream.JOBMANAGER_REST_PORT) == DENY
    assert verdict(plan, "monitoring:app.kubernetes.io/name=grafana", tm, upstream.PROMETHEUS_PORT) == DENY
    assert verdict(plan, "default:app.kubernetes.io/name=prometheus", tm, upstream.PROMETHEUS_PORT) == DENY


def test_the_reporter_adds_exactly_the_scrape_flows(committed_plans: dict[str, Path]) -> None:
    """Feature on vs off on the committed prod stack: the only flows gained are Prometheus -> Flink pods, 9249."""
    config = _platform("prod")
    config["flink-platform:platform"]["workloads"]["defaults"]["observability"] = {"prometheus": False,
                                                                                   "podMonitors": False}
    gained = _committed_flow_set(committed_plans["prod"]) - _flow_set("prod", config)
    assert gained, "the reporter adds flows"
    for source, destination, ports in gained:
        assert source == "app.kubernetes.io/name=prometheus (monitoring)", (source, destination)
        assert destination.startswith(("JobManagers of ", "TaskManagers of ")) and ports == "TCP 9249"
    # Every FlinkDeployment's JobManagers and TaskManagers: 5 clusters x 2.
    assert len(gained) == 10


def test_pod_monitors_without_metrics_sources_is_refused() -> None:
    config = _platform("prod")
    del config["flink-platform:platform"]["network"]["metricsSources"]
    paths = {p.path for p in _problems(config)}
    assert "platform.workloads.defaults.observability.podMonitors" in paths


# --- §3: the ingress controller reaches the REST port of workloads with an ingress ------------------------------------


def test_ingress_controller_reaches_only_the_jobmanagers_behind_an_ingress(committed_plans: dict[str, Path]) -> None:
    plan = committed_plans["prod"]
    objects = _objects(plan)
    indexer_jm = flink_pod(objects, "search-prod", "search-indexer", "jobmanager")
    assert verdict(plan, INGRESS_NGINX, indexer_jm, upstream.JOBMANAGER_REST_PORT) == ALLOW
    assert verdict(plan, INGRESS_NGINX, indexer_jm, upstream.JOBMANAGER_RPC_PORT) == DENY
    assert verdict(plan, INGRESS_NGINX, flink_pod(objects, "search-prod", "search-indexer", "taskmanager"),
                   upstream.JOBMANAGER_REST_PORT) == DENY
    # A workload without an ingress.
    assert verdict(plan, INGRESS_NGINX, flink_pod(objects, "payments-prod", "payments-ledger", "jobmanager"),
                   upstream.JOBMANAGER_REST_PORT) == DENY
    assert verdict(plan, "ingress-nginx:app=other", indexer_jm, upstream.JOBMANAGER_REST_PORT) == DENY


def test_the_ingress_adds_exactly_its_flow(committed_plans: dict[str, Path]) -> None:
    config = _platform("prod")
    platform = config["flink-platform:platform"]
    del platform["workloads"]["applications"][3]["ingress"]
    assert platform["workloads"]["applications"][3]["name"] == "search-indexer"
    gained = _committed_flow_set(committed_plans["prod"]) - _flow_set("prod", config)
    assert gained == {("app.kubernetes.io/name=ingress-nginx (ingress-nginx)",
                       "JobManagers of search-indexer (search-prod)", "TCP 8081")}


def test_an_ingress_without_ingress_controllers_is_refused() -> None:
    config = _platform("prod")
    del config["flink-platform:platform"]["network"]["ingressControllers"]
    problems = {p.path: p for p in _problems(config)}
    assert "platform.network.ingressControllers" in problems["platform.workloads.applications[3].ingress"].allowed


# --- §4: a fixed TaskManager data port, open between the TaskManagers of one cluster only ----------------------------


def test_the_platform_fixes_the_data_port(committed_plans: dict[str, Path]) -> None:
    objects = _objects(committed_plans["staging"])
    for o in objects:
        if o.get("kind") == "FlinkDeployment":
            assert o["spec"]["flinkConfiguration"][upstream.TASKMANAGER_DATA_PORT_KEY] == "6121", o["metadata"]["name"]
        if o.get("kind") == "Deployment" and o["metadata"]["name"].startswith("legacy-session-"):
            env = o["spec"]["template"]["spec"]["containers"][0]["env"]
            assert f"{upstream.TASKMANAGER_DATA_PORT_KEY}: 6121" in env[0]["value"]


def test_taskmanagers_exchange_data_within_their_cluster_only(committed_plans: dict[str, Path]) -> None:
    plan = committed_plans["staging"]
    objects = _objects(plan)
    port = upstream.TASKMANAGER_DATA_PORT
    sessionize_tm = flink_pod(objects, "analytics-staging", "sessionize", "taskmanager")
    sessionize_jm = flink_pod(objects, "analytics-staging", "sessionize", "jobmanager")
    legacy_tm = deployment_pod(objects, "analytics-staging", "legacy-session-taskmanager")
    assert verdict(plan, sessionize_tm, sessionize_tm, port) == ALLOW
    assert verdict(plan, legacy_tm, legacy_tm, port) == ALLOW
    # Another cluster of the same namespace: neither the data port nor the RPC ports (per-cluster policies).
    assert verdict(plan, sessionize_tm, legacy_tm, port) == DENY
    assert verdict(plan, legacy_tm, sessionize_tm, port) == DENY
    assert verdict(plan, legacy_tm, sessionize_jm, upstream.JOBMANAGER_RPC_PORT) == DENY
    # The JobManager has no business on the data port; a TaskManager not on a neighbouring port.
    assert verdict(plan, sessionize_jm, sessionize_tm, port) == DENY
    assert verdict(plan, sessionize_tm, sessionize_tm, port - 1) == DENY


def test_a_workload_may_not_move_the_data_port() -> None:
    config = _platform("staging")
    workloads = config["flink-platform:platform"]["workloads"]
    workloads["applications"][0].setdefault("flinkConfiguration", {})[upstream.TASKMANAGER_DATA_PORT_KEY] = 7000
    workloads["plainSessionClusters"][0]["flinkConfiguration"][upstream.TASKMANAGER_DATA_PORT_KEY] = 7000
    paths = {p.path for p in _problems(config)}
    assert f"platform.workloads.applications[0].flinkConfiguration['{upstream.TASKMANAGER_DATA_PORT_KEY}']" in paths
    assert f"platform.workloads.plainSessionClusters[0].flinkConfiguration['{upstream.TASKMANAGER_DATA_PORT_KEY}']" \
        in paths


# --- §5: state on object storage ---------------------------------------------------------------------------------------


def test_flink_pods_with_s3_state_reach_the_object_store(committed_plans: dict[str, Path]) -> None:
    plan = committed_plans["staging"]
    objects = _objects(plan)
    s3, not_s3 = "ip:10.41.7.7", "ip:10.42.0.1"
    for pod_ in (flink_pod(objects, "analytics-staging", "sessionize", "taskmanager"),
                 flink_pod(objects, "analytics-staging", "sessionize", "jobmanager"),
                 deployment_pod(objects, "analytics-staging", "legacy-session-jobmanager")):
        assert verdict(plan, pod_, s3, 443) == ALLOW, pod_
        assert verdict(plan, pod_, s3, 80) == DENY
        assert verdict(plan, pod_, not_s3, 443) == DENY
    assert verdict(plan, "analytics-staging:app=debug", s3, 443) == DENY
    prod = committed_plans["prod"]
    prod_objects = _objects(prod)
    for ns, name in (("analytics-prod", "sessionize"), ("search-prod", "search-indexer")):
        assert verdict(prod, flink_pod(prod_objects, ns, name, "taskmanager"), "ip:10.60.1.1", 443) == ALLOW


def test_s3_state_without_an_object_store_is_refused() -> None:
    config = _platform("staging")
    del config["flink-platform:platform"]["network"]["objectStorage"]
    problem = next(p for p in _problems(config) if p.path == "platform.workloads.defaults.storage.baseUri")
    assert problem.found == repr("s3://acme-flink-staging/state")
    assert "platform.network.objectStorage" in problem.allowed and "'s3'" in problem.allowed


# --- §6: the operator downloads session jobs' https jars ---------------------------------------------------------------


def test_the_operator_reaches_the_artifact_host(committed_plans: dict[str, Path]) -> None:
    plan = committed_plans["prod"]
    objects = _objects(plan)
    operator = deployment_pod(objects, "flink-operator", "flink-kubernetes-operator")
    host = "ip:10.80.0.9"
    assert verdict(plan, operator, host, 443) == ALLOW
    assert verdict(plan, operator, host, 80) == DENY
    assert verdict(plan, operator, "ip:10.81.0.9", 443) == DENY
    # The search team's operator runs no session job with an https jar; the Flink pods download nothing.
    assert verdict(plan, deployment_pod(objects, "search-flink-operator", "flink-kubernetes-operator"), host, 443) == DENY
    assert verdict(plan, flink_pod(objects, "analytics-reporting-prod", "reporting", "jobmanager"), host, 443) == DENY


def test_an_https_jar_without_artifact_hosts_is_refused() -> None:
    config = _platform("prod")
    del config["flink-platform:platform"]["network"]["artifactHosts"]
    paths = {p.path for p in _problems(config)}
    assert paths == {"platform.workloads.sessionJobs[0].job.jarURI"}


# --- §7: SavepointGate and REST jobs from where pulumi up runs ---------------------------------------------------------


def test_rest_runners_reach_the_jobmanagers_they_gate(committed_plans: dict[str, Path]) -> None:
    plan = committed_plans["staging"]
    objects = _objects(plan)
    for jm in (flink_pod(objects, "payments-staging", "payments-ledger", "jobmanager"),
               flink_pod(objects, "analytics-staging", "sessionize", "jobmanager"),
               deployment_pod(objects, "analytics-staging", "legacy-session-jobmanager")):
        assert verdict(plan, RUNNER, jm, upstream.JOBMANAGER_REST_PORT) == ALLOW, jm
        assert verdict(plan, RUNNER, jm, upstream.JOBMANAGER_RPC_PORT) == DENY
        assert verdict(plan, "ci-runners:app=other", jm, upstream.JOBMANAGER_REST_PORT) == DENY
    assert verdict(plan, RUNNER, flink_pod(objects, "payments-staging", "payments-ledger", "taskmanager"),
                   upstream.JOBMANAGER_REST_PORT) == DENY


def test_a_gate_without_rest_runners_is_refused() -> None:
    config = _platform("staging")
    for tenant in config["flink-platform:platform"]["tenants"]:
        del tenant["restRunners"]
    problems = {p.path: p for p in _problems(config)}
    assert set(problems) == {"platform.workloads.applications[0].gate", "platform.workloads.applications[1].gate",
                             "platform.workloads.restJobs[0].cluster"}
    assert "platform.tenants[0].restRunners" in problems["platform.workloads.applications[0].gate"].allowed
    # gate.restUrl (a port-forward or an ingress) needs no runner flow.
    config["flink-platform:platform"]["workloads"]["applications"][0]["gate"] = {"restUrl": "http://127.0.0.1:8081"}
    assert "platform.workloads.applications[0].gate" not in {p.path for p in _problems(config)}


def test_the_readme_names_the_stack_key_for_runners() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    assert "allow it in the tenant's network policy" not in readme
    assert "tenants[].restRunners" in readme


# --- §8: operator namespaces deny by default; a tenant's operator namespace gets the tenant's guard rails -------------


def test_operator_namespaces_deny_everything_but_the_operators_flows(committed_plans: dict[str, Path]) -> None:
    plan = committed_plans["prod"]
    objects = _objects(plan)
    for ns in ("flink-operator", "search-flink-operator"):
        policies = {o["metadata"]["name"]: o for o in objects
                    if o["kind"] == "NetworkPolicy" and o["metadata"]["namespace"] == ns}
        assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        operator = deployment_pod(objects, ns, "flink-kubernetes-operator")
        other = f"{ns}:app=debug"
        assert verdict(plan, operator, "kube-system:k8s-app=kube-dns", 53, "UDP") == ALLOW
        assert verdict(plan, other, "kube-system:k8s-app=kube-dns", 53, "UDP") == DENY
        assert verdict(plan, other, "ip:1.1.1.1", 443) == DENY
        assert verdict(plan, "default:app=curl", other, 8080) == DENY
        assert verdict(plan, PROMETHEUS, operator, upstream.OPERATOR_METRICS_PORT_DEFAULT) == ALLOW


def test_a_tenant_operator_namespace_gets_the_tenants_guard_rails(committed_plans: dict[str, Path]) -> None:
    objects = _objects(committed_plans["prod"])
    ns = next(o for o in objects if o["kind"] == "Namespace" and o["metadata"]["name"] == "search-flink-operator")
    assert ns["metadata"]["labels"]["flink-platform.io/tenant"] == "search"
    in_ns = {o["kind"]: o for o in objects if o["metadata"].get("namespace") == "search-flink-operator"}
    search = {o["kind"]: o for o in objects if o["metadata"].get("namespace") == "search-prod"}
    for kind in ("ResourceQuota", "LimitRange"):
        assert in_ns[kind]["spec"] == search[kind]["spec"], kind
    # The shared operator's namespace is the platform's, not a tenant's.
    assert not [o for o in objects if o["metadata"].get("namespace") == "flink-operator"
                and o["kind"] in ("ResourceQuota", "LimitRange")]


# --- §9: stack rules: network required where the policies are mandatory; open CIDRs and empty peers refused ----------


def test_a_mandatory_stack_without_network_fails_its_plan() -> None:
    from planning.plan import build_plan

    config = _platform("prod")
    del config["flink-platform:platform"]["network"]
    verdict_ = build_plan("prod", config).policy
    assert not verdict_.passed
    tenants = [v for v in verdict_.violations if "[stack-tenant-network]" in v]
    operators = [v for v in verdict_.violations if "[stack-operator-network]" in v]
    assert len(tenants) == 5 and any("payments-prod" in v for v in tenants), tenants  # the five tenant namespaces
    assert len(operators) == 2 and any("'search-flink-operator'" in v for v in operators), operators
    # The committed prod plan (network on) passes both rules.
    assert not [v for v in build_plan("prod", _platform("prod")).policy.violations if "-network]" in v]


def test_dev_without_network_is_only_advised() -> None:
    from planning.plan import build_plan

    config = _platform("dev")
    del config["flink-platform:platform"]["network"]
    verdict_ = build_plan("dev", config).policy
    assert verdict_.passed and any("[stack-operator-network]" in a for a in verdict_.advisories)


@pytest.mark.parametrize("where", ["tenant-egress", "extra-egress", "metrics-source"])
def test_every_address_only_as_a_named_exception(where: str) -> None:
    config = _platform("prod")
    platform = config["flink-platform:platform"]
    if where == "tenant-egress":
        platform["tenants"][0]["egress"].append({"name": "web", "dstNets": ["0.0.0.0/0"], "dstPorts": [443]})
        path, fix = "platform.tenants[0].egress[2]", platform["tenants"][0]["egress"][2]
    elif where == "extra-egress":
        platform["operator"]["extraEgress"] = {"enabled": True, "dstNets": ["0.0.0.0/0"], "dstPorts": [443]}
        path, fix = "platform.operator.extraEgress", platform["operator"]["extraEgress"]
    else:
        platform["network"]["metricsSources"].append({"cidrs": ["0.0.0.0/0"]})
        path, fix = "platform.network.metricsSources[1]", None
    problems = _problems(config)
    assert [p.path for p in problems] == [path] and "0.0.0.0/0" in problems[0].allowed
    if fix is not None:  # named and explained: accepted
        fix["anyAddressReason"] = "the partner API has no fixed addresses (ticket NET-142)"
        load_platform_config(platform)
        fix["dstNets"] = ["10.1.0.0/16"]  # a reason without an open CIDR is stale: refused
        assert "anyAddressReason" in _problems(config)[0].allowed


def test_a_peer_must_select_something() -> None:
    config = _platform("prod")
    config["flink-platform:platform"]["network"]["metricsSources"] = [{}]
    problem, = _problems(config)
    assert problem.path == "platform.network.metricsSources[0]" and "every pod in every namespace" in problem.allowed


# --- generated clusters: each feature on => exactly its flows, and never a flow between two clusters -----------------

_NET = NetworkConfig(apiServerCidrs=["172.20.0.0/28"],
                     metricsSources=[NetworkPeer(namespaces=["monitoring"], podLabels={"app": "prom"})],
                     ingressControllers=[NetworkPeer(namespaces=["ingress"], podLabels={"app": "nginx"})])
_RUNNERS = (NetworkPeer(namespaces=["ci"], podLabels={"app": "runner"}),)
_STORE = (ObjectStorageEndpoint(name="s3", dstNets=["10.60.0.0/16"], dstPorts=[443]),)
_JARS = (EgressRule(name="artifacts", dstNets=["10.80.0.0/24"], dstPorts=[443]),)
_PROM, _NGINX, _RUNNER = (netpol.pod("monitoring", {"app": "prom"}), netpol.pod("ingress", {"app": "nginx"}),
                          netpol.pod("ci", {"app": "runner"}))
_S3, _ARTIFACTS = netpol.external("10.60.1.1"), netpol.external("10.80.0.7")

features = st.fixed_dictionaries({"metrics": st.booleans(), "ingress": st.booleans(), "runners": st.booleans(),
                                  "storage": st.booleans(), "artifacts": st.booleans()})


def _cluster(name: str, f: Mapping[str, bool]) -> N.ClusterFlows:
    return N.ClusterFlows(namespace="ns", workload=name, metrics=f["metrics"], ingress=f["ingress"],
                          runners=_RUNNERS if f["runners"] else (), storage=_STORE if f["storage"] else (),
                          artifacts=_JARS if f["artifacts"] else ())


def _flink(name: str, component: str) -> netpol.Endpoint:
    return netpol.pod("ns", {"type": "flink-native-kubernetes", "component": component, "app": name,
                             "flink-platform.io/workload": name})


@settings(max_examples=40, deadline=None, derandomize=True)
@given(features, features)
@example({k: False for k in ("metrics", "ingress", "runners", "storage", "artifacts")},
         {k: True for k in ("metrics", "ingress", "runners", "storage", "artifacts")})
def test_generated_clusters_get_exactly_the_flows_of_their_features(a: Mapping[str, bool], b: Mapping[str, bool]) -> None:
    manifests_ = [m for _, m in N.flink_namespace_policies(namespace="ns", operator_namespace="ops", network=_NET,
                                                           egress=(), labels={})]
    for name, f in (("a", a), ("b", b)):
        manifests_ += [m for _, m in N.cluster_policies(_cluster(name, f), _NET, {})]
    policies = netpol.PolicySet(manifests_)
    rest, prom, data = upstream.JOBMANAGER_REST_PORT, upstream.PROMETHEUS_PORT, upstream.TASKMANAGER_DATA_PORT
    for name, f, other in (("a", a, "b"), ("b", b, "a")):
        jm, tm = _flink(name, "jobmanager"), _flink(name, "taskmanager")
        assert policies.allows(_PROM, tm, prom) == f["metrics"] == policies.allows(_PROM, jm, prom)
        assert policies.allows(_NGINX, jm, rest) == f["ingress"]
        assert policies.allows(_RUNNER, jm, rest) == f["runners"]
        assert policies.allows(tm, _S3, 443) == f["storage"] == policies.allows(jm, _S3, 443)
        assert policies.allows(jm, _ARTIFACTS, 443) == f["artifacts"]
        # Never more than the feature: not the TaskManagers' REST, not another port, not the other cluster.
        assert not policies.allows(_NGINX, tm, rest) and not policies.allows(_RUNNER, tm, rest)
        assert not policies.allows(tm, _ARTIFACTS, 443) and not policies.allows(_PROM, tm, rest)
        assert not policies.allows(_NGINX, jm, prom) and not policies.allows(tm, _S3, 80)
        assert policies.allows(tm, tm, data) and not policies.allows(jm, tm, data)
        for port in (data, *N.FLINK_INTERNAL_PORTS):
            assert not policies.allows(tm, _flink(other, "taskmanager"), port)
            assert not policies.allows(tm, _flink(other, "jobmanager"), port)
        for port in N.FLINK_INTERNAL_PORTS:
            assert policies.allows(tm, jm, port) and policies.allows(jm, tm, port)
