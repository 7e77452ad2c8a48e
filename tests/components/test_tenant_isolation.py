"""Tenant isolation as properties over generated tenant layouts (hypothesis, deterministic, examples pinned).

For every layout (tenants, their namespaces, which tenants run their own operator, cluster/namespaced shared
operator where allowed):
- no subject is bound outside its tenant: a RoleBinding in a namespace binds only that namespace's job
  ServiceAccount and the ServiceAccount of the one operator that watches the namespace;
- every watched namespace holds exactly the RBAC objects the upstream chart renders for it (the real chart as oracle);
- no two operators watch the same namespace, and every tenant namespace is watched by exactly one operator;
- a namespace in two tenants, or a tenant operator watching all namespaces beside others, is a config error with
  its path.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from components.operator import upstream
from components.config.models import ConfigError
from components.config.rules import load_platform_config
from tests.chart_oracle import platform_chart_values, render_chart, tenant_chart_values
from planning import manifests
from planning.mock_runtime import run_program

RBAC_KINDS = ("Role", "RoleBinding", "ServiceAccount", "ClusterRole", "ClusterRoleBinding")
BASE = {
    "environment": "test",
    "cluster": {"identifier": "test-1", "kubeconfigContext": "test-1", "kubernetesVersion": "1.33"},
    "operator": {"version": "1.15.0", "namespace": "flink-operator"},
    "network": {"apiServerCidrs": ["10.0.0.0/28"]},
}


@st.composite
def layouts(draw: st.DrawFn) -> dict[str, Any]:
    """A valid platform config: 1-4 tenants with 1-3 namespaces each; some run their own operator."""
    count = draw(st.integers(1, 4))
    tenants = []
    for t in range(count):
        namespaces = [f"t{t}-ns{n}" for n in range(draw(st.integers(1, 3)))]
        tenant: dict[str, Any] = {"name": f"t{t}", "namespaces": namespaces}
        if draw(st.booleans()):
            tenant["operator"] = {"namespace": f"t{t}-operator", "replicas": draw(st.integers(1, 2))}
        tenants.append(tenant)
    config = copy.deepcopy(BASE)
    config["tenants"] = tenants
    if all("operator" not in t for t in tenants) and draw(st.booleans()):
        config["operator"]["watch"] = "cluster"
    return config


def _plan(config: dict[str, Any]) -> list[dict[str, Any]]:
    stack = {"pulumi:disable-default-providers": ["kubernetes"], "flink-platform:platform": config}
    return [o.obj for o in manifests.collect_objects(list(run_program("test", stack).registrations))]


def _watched(objects: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Operator namespace → namespaces its ConfigMap says it watches ("*" = all)."""
    out = {}
    for o in objects:
        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == upstream.OPERATOR_CONFIGMAP_NAME:
            config = yaml.safe_load(o["data"]["config.yaml"])
            watched = config.get(upstream.KEY_WATCHED_NAMESPACES)
            out[o["metadata"]["namespace"]] = set(watched.split(",")) if watched else {"*"}
    return out


def _rbac_view(o: dict[str, Any]) -> tuple[Any, ...]:
    canonical = lambda v: json.dumps(v, sort_keys=True)  # noqa: E731
    return (o["kind"], o["metadata"].get("namespace", "") if not o["kind"].startswith("Cluster") else "",
            o["metadata"]["name"], canonical(o.get("rules")), canonical(o.get("roleRef")), canonical(o.get("subjects")))


PINNED = [
    {**copy.deepcopy(BASE), "tenants": [{"name": "t0", "namespaces": ["t0-ns0"]}]},
    {**copy.deepcopy(BASE), "operator": {**BASE["operator"], "watch": "cluster"},
     "tenants": [{"name": "t0", "namespaces": ["t0-ns0", "t0-ns1"]}]},
    {**copy.deepcopy(BASE), "tenants": [
        {"name": "t0", "namespaces": ["t0-ns0", "t0-ns1"], "operator": {"namespace": "t0-operator", "replicas": 2}},
        {"name": "t1", "namespaces": ["t1-ns0"]},
    ]},
    {**copy.deepcopy(BASE), "tenants": [
        {"name": "t0", "namespaces": ["t0-ns0"], "operator": {"namespace": "t0-operator"}},
        {"name": "t1", "namespaces": ["t1-ns0", "t1-ns1", "t1-ns2"], "operator": {"namespace": "t1-operator"}},
    ]},
]


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(layouts())
@example(PINNED[0])
@example(PINNED[1])
@example(PINNED[2])
@example(PINNED[3])
def test_isolation_properties(config: dict[str, Any]) -> None:
    platform = load_platform_config(config)
    objects = _plan(config)
    tenant_of = {ns: t.name for t in platform.tenants for ns in t.namespaces}
    own_ops = {t.operator.namespace: t.name for t in platform.tenants if t.operator is not None}

    # Every tenant namespace is watched by exactly one operator; no two operators share a namespace.
    watched = _watched(objects)
    for op_ns, namespaces in watched.items():
        if op_ns in own_ops:
            assert namespaces == {ns for ns, t in tenant_of.items() if t == own_ops[op_ns]}
    claimed = [ns for namespaces in watched.values() for ns in namespaces]
    assert len(claimed) == len(set(claimed))
    if "*" not in claimed:
        assert set(claimed) == set(tenant_of)
    else:
        assert watched == {"flink-operator": {"*"}} and not own_ops
    watcher = {ns: op for op, namespaces in watched.items() for ns in namespaces}

    # No subject bound outside its tenant.
    for o in objects:
        if o["kind"] == "ClusterRoleBinding":
            assert not own_ops, "a cluster-wide binding beside tenant operators"
            continue
        if o["kind"] != "RoleBinding":
            continue
        ns = o["metadata"]["namespace"]
        for subject in o["subjects"]:
            sa_ns = subject["namespace"]
            if subject["name"] == upstream.JOB_SERVICE_ACCOUNT:
                assert sa_ns == ns
                continue
            assert subject["name"] == upstream.OPERATOR_SERVICE_ACCOUNT
            if ns in tenant_of:
                assert watcher.get(ns, watcher.get("*")) == sa_ns, f"{sa_ns} bound in {ns}"
                if sa_ns in own_ops:
                    assert own_ops[sa_ns] == tenant_of[ns]
            else:
                assert ns == sa_ns, f"operator of {sa_ns} bound in foreign namespace {ns}"

    # Every watched namespace (and each operator namespace) holds exactly what the upstream chart renders.
    ours = {_rbac_view(o) for o in objects if o["kind"] in RBAC_KINDS}
    expected: set[tuple[Any, ...]] = set()
    renders = [platform_chart_values(platform)] if any(t.operator is None for t in platform.tenants) else []
    renders += [tenant_chart_values(platform, t) for t in own_ops.values()]
    for values, namespace in renders:
        for o in render_chart(values, namespace):
            if o["kind"] in RBAC_KINDS:
                expected.add(_rbac_view(o))
    assert ours == expected


@settings(max_examples=25, deadline=None, derandomize=True)
@given(layouts(), st.data())
def test_a_namespace_in_two_tenants_is_refused_with_its_path(config: dict[str, Any], data: st.DataObject) -> None:
    tenants = config["tenants"]
    if len(tenants) < 2:
        tenants.append({"name": "extra", "namespaces": ["extra-ns"]})
    i = data.draw(st.integers(0, len(tenants) - 2))
    j = data.draw(st.integers(i + 1, len(tenants) - 1))
    stolen = data.draw(st.sampled_from(tenants[i]["namespaces"]))
    tenants[j]["namespaces"].append(stolen)
    k = len(tenants[j]["namespaces"]) - 1
    try:
        load_platform_config(config)
    except ConfigError as err:
        assert stolen in str(err)
        assert any(p.path == f"platform.tenants[{j}].namespaces[{k}]" for p in err.problems), err.problems
    else:
        raise AssertionError(f"{stolen!r} in tenants {i} and {j} was accepted")


@settings(max_examples=25, deadline=None, derandomize=True)
@given(layouts(), st.data())
def test_a_tenant_operator_watching_everything_is_refused(config: dict[str, Any], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(config["tenants"]) - 1))
    tenant = config["tenants"][i]
    tenant["operator"] = {**tenant.get("operator", {"namespace": f"t{i}-operator"}), "watch": "cluster"}
    config["operator"].pop("watch", None)
    try:
        load_platform_config(config)
    except ConfigError as err:
        assert f"platform.tenants[{i}].operator.watch" in {p.path for p in err.problems}
    else:
        raise AssertionError("a tenant operator watching every namespace was accepted")
