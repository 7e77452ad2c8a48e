"""The capacity table: demand per namespace from rendered objects, against the quota; it adds up."""

from __future__ import annotations

import math
import re
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from components.config import quantities
from planning import capacity

GI = 2**30
MI = 2**20


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", 1), ("250m", Decimal("0.25")), ("1.5", Decimal("1.5")), ("2Gi", 2 * GI), ("512Mi", 512 * MI),
     ("1k", 1000), ("1M", 10**6), ("1e3", 1000), ("1E3", 1000), ("1E", 10**18), ("100n", Decimal("1e-7")),
     ("+1", 1), (".5", Decimal("0.5"))],
)
def test_kubernetes_quantities_parse_exactly(text: str, value) -> None:
    assert quantities.parse_quantity(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "lots", "1Gb", "1 Gi", "1Gi\n", "Gi", "1e", "1.2.3", "--1"])
def test_invalid_quantities_are_refused(text: str) -> None:
    with pytest.raises(quantities.QuantityError, match="Kubernetes quantity"):
        quantities.parse_quantity(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("2048m", 2048 * MI), ("2g", 2 * GI), ("2 gb", 2 * GI), ("1024", 1024), ("1k", 1024), ("3 mebibytes", 3 * MI),
     ("1T", 2**40), ("7b", 7)],
)
def test_flink_memory_sizes_are_1024_based(text: str, value: int) -> None:
    assert quantities.parse_flink_memory(text) == value


@pytest.mark.parametrize("text", ["2048Mi", "1.5g", "", "-1m", "2048m\n0"])
def test_invalid_flink_memory_sizes_are_refused(text: str) -> None:
    with pytest.raises(quantities.QuantityError, match="Flink memory size"):
        quantities.parse_flink_memory(text)


def flink_deployment(name: str, ns: str, *, jm_cpu: str, jm_mem_mi: int, tm_cpu: str, tm_mem_mi: int,
                     jm_replicas: int = 1, tm_replicas: int | None = None, parallelism: int | None = None,
                     slots: int = 1) -> dict:
    spec: dict = {
        "flinkConfiguration": {"taskmanager.numberOfTaskSlots": str(slots)},
        "jobManager": {"resource": {"cpu": float(jm_cpu), "memory": f"{jm_mem_mi}m"}, "replicas": jm_replicas},
        "taskManager": {"resource": {"cpu": float(tm_cpu), "memory": f"{tm_mem_mi}m"}},
    }
    if tm_replicas is not None:
        spec["taskManager"]["replicas"] = tm_replicas
    if parallelism is not None:
        spec["job"] = {"jarURI": "local:///x.jar", "parallelism": parallelism}
    return {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def test_flink_deployment_counts_standby_jobmanagers_and_taskmanagers_from_slots() -> None:
    obj = flink_deployment("j", "ns", jm_cpu="0.5", jm_mem_mi=1024, tm_cpu="2", tm_mem_mi=4096, jm_replicas=2,
                           parallelism=5, slots=2)
    demand = capacity.object_demand(obj)
    assert demand.pods == 2 + 3  # two JobManagers (one standby) and ceil(5 / 2) TaskManagers
    assert demand.requests_cpu == Decimal("0.5") * 2 + 2 * 3
    assert demand.requests_memory == 1024 * MI * 2 + 4096 * MI * 3


def test_containers_without_requests_get_the_limit_range_defaults() -> None:
    limit_range = {"kind": "LimitRange", "spec": {"limits": [{"type": "Container",
                                                              "defaultRequest": {"cpu": "250m", "memory": "512Mi"},
                                                              "default": {"cpu": "1", "memory": "2Gi"}}]}}
    defaults = capacity.ContainerDefaults.from_limit_range(limit_range)
    deployment = {"kind": "Deployment", "spec": {"replicas": 3, "template": {"spec": {"containers": [
        {"name": "a"}, {"name": "b", "resources": {"limits": {"cpu": "2", "memory": "1Gi"}}}]}}}}
    demand = capacity.object_demand(deployment, defaults)
    assert demand.pods == 3
    assert demand.requests_cpu == (Decimal("0.25") + 2) * 3  # b: requests default to its own limits
    assert demand.limits_memory == (2 * GI + GI) * 3


def namespace(name: str, tenant: str) -> dict:
    return {"kind": "Namespace", "metadata": {"name": name, "labels": {"flink-platform.io/tenant": tenant}}}


def quota(ns: str, cpu: str, memory: str) -> dict:
    return {"kind": "ResourceQuota", "metadata": {"name": "q", "namespace": ns},
            "spec": {"hard": {"requests.cpu": cpu, "requests.memory": memory, "pods": "50"}}}


workload = st.fixed_dictionaries({
    "jm_cpu": st.sampled_from(["0.25", "0.5", "1", "2"]),
    "jm_mem_mi": st.integers(256, 8192),
    "tm_cpu": st.sampled_from(["0.5", "1", "1.5", "4"]),
    "tm_mem_mi": st.integers(512, 16384),
    "jm_replicas": st.integers(1, 3),
    "tm_replicas": st.one_of(st.none(), st.integers(1, 8)),
    "parallelism": st.integers(1, 32),
    "slots": st.integers(1, 8),
})
layout = st.lists(  # tenants → namespaces → workloads
    st.lists(st.lists(workload, max_size=4), min_size=1, max_size=3), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(layout, st.integers(1, 64))
@example([[[{"jm_cpu": "1", "jm_mem_mi": 2048, "tm_cpu": "1", "tm_mem_mi": 2048, "jm_replicas": 1,
             "tm_replicas": None, "parallelism": 2, "slots": 2}]]], 1)
def test_the_capacity_table_adds_up(tenants, quota_cpu: int) -> None:
    objects, expected = [], {}
    for t, namespaces in enumerate(tenants):
        for n, workloads in enumerate(namespaces):
            ns = f"t{t}-ns{n}"
            objects += [namespace(ns, f"t{t}"), quota(ns, str(quota_cpu), "64Gi")]
            cpu, mem, pods = Decimal(0), 0, 0
            for w, params in enumerate(workloads):
                objects.append(flink_deployment(f"job{w}", ns, **params))
                tms = params["tm_replicas"] if params["tm_replicas"] is not None else math.ceil(
                    params["parallelism"] / params["slots"])
                cpu += Decimal(params["jm_cpu"]) * params["jm_replicas"] + Decimal(params["tm_cpu"]) * tms
                mem += params["jm_mem_mi"] * MI * params["jm_replicas"] + params["tm_mem_mi"] * MI * tms
                pods += params["jm_replicas"] + tms
            expected[ns] = (cpu, mem, pods)
    rows = capacity.capacity(objects)
    assert {r.namespace: (r.total.requests_cpu, r.total.requests_memory, r.total.pods) for r in rows} == expected
    demand, total_quota = capacity.totals(rows)
    assert demand.requests_cpu == sum(c for c, _, _ in expected.values())
    assert total_quota.requests_cpu == quota_cpu * len(expected)
    table = capacity.capacity_markdown(rows, stack="s")
    assert len([line for line in table.splitlines() if re.match(r"\| t\d+ \| ", line)]) == len(expected)
    over = [ns for ns, (c, _, _) in expected.items() if c > quota_cpu]
    for ns in over:
        assert any(line.startswith(f"| {ns.split('-')[0]} | {ns} |") and "over quota" in line for line in table.splitlines())
    assert ("OVER QUOTA" in capacity.capacity_summary(rows)) == bool(over or any(
        m > 64 * GI for _, m, _ in expected.values()))


def test_the_table_uses_one_unit_per_column_and_compares_limits_too(committed_plans) -> None:
    import yaml as _yaml

    objects = [d for d in _yaml.safe_load_all((committed_plans["prod"] / "manifests.yaml").read_text()) if d]
    table = capacity.capacity_markdown(capacity.capacity(objects), stack="prod")
    header = next(line for line in table.splitlines() if line.startswith("| tenant |"))
    assert header == ("| tenant | namespace | requests.cpu (cores) | requests.memory (GiB) | limits.cpu (cores) | "
                      "limits.memory (GiB) | pods | notes |")
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| tenant")]
    assert rows and not any(re.search(r"\d(Mi|Gi|Ki|m)\b", line) for line in rows), "no unit suffix inside a cell"
    search = next(line for line in rows if line.startswith("| search | search-prod |"))
    # search-prod: quota requests 12 CPU / 32 GiB, limits 48 CPU / 192 GiB (stacks/Pulumi.prod.yaml guard rails)
    assert search.split(" | ")[2:6] == ["9 / 12 (3 free)", "18 / 32 (14 free)", "9 / 48 (39 free)",
                                        "18 / 192 (174 free)"]
    operator = next(line for line in rows if " | flink-operator | " in line)
    assert operator.split(" | ")[2:6] == ["1.2", "2.5", "no limit (a container sets none)", "5"]
    assert any(line.startswith("| **total** | namespaces with a quota |") for line in rows)


def test_a_workload_over_its_limits_quota_is_flagged() -> None:
    objects = [namespace("a-ns", "a"), quota("a-ns", "16", "64Gi"),
               flink_deployment("big", "a-ns", tm_cpu="2", tm_mem_mi=4096, tm_replicas=4, jm_cpu="1", jm_mem_mi=2048)]
    objects[1]["spec"]["hard"].update({"limits.cpu": "8", "limits.memory": "16Gi"})
    line = next(x for x in capacity.capacity_markdown(capacity.capacity(objects), stack="s").splitlines()
                if x.startswith("| a | a-ns |"))
    assert line.split(" | ")[4:6] == ["9 / 8 (⚠ over quota by 1)", "18 / 16 (⚠ over quota by 2)"]
