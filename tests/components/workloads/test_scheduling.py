"""Scheduling of Flink pods (issue 20): a tenant default (``tenants[].workloadDefaults.scheduling``) and a workload's
own ``scheduling``, merged into spec.podTemplate over the workload's podTemplate as the operator merges pod templates."""

from __future__ import annotations

import copy

import pytest

from components.config.models import ConfigError
from components.config.rules import load_platform_config
from components.operator.pod_template import merge_pod_templates
from components.workloads.render import render, tenant_scheduling
from tests.conftest import stack_config

TAINT = {"key": "dedicated", "operator": "Equal", "value": "flink", "effect": "NoSchedule"}
SPOT = {"key": "spot", "operator": "Equal", "value": "yes", "effect": "NoExecute", "tolerationSeconds": 30}


def _platform() -> dict:
    return copy.deepcopy(stack_config("dev")["flink-platform:platform"])


def _spec(platform: dict, workload: str = "clickstream") -> dict:
    config = load_platform_config(platform)
    rendered = {r.workload.name: r for r in render(config.workloads, config.environment,
                                                   tenant_scheduling(config.tenants))}
    spec = rendered[workload].spec
    return spec.get("template", {}).get("spec", spec)


def _problems(platform: dict) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        load_platform_config(platform)
    return {p.path: f"{p.found}: {p.allowed}" for p in info.value.problems}


def test_unset_scheduling_renders_nothing() -> None:
    pod = _spec(_platform())["podTemplate"]["spec"]
    for key in ("nodeSelector", "tolerations", "affinity", "priorityClassName", "topologySpreadConstraints"):
        assert key not in pod


def test_the_tenant_default_reaches_every_cluster_of_the_tenant() -> None:
    platform = _platform()
    platform["tenants"][0]["workloadDefaults"] = {"scheduling": {
        "nodeSelector": {"pool": "flink"}, "tolerations": [TAINT], "priorityClassName": "flink-high"}}
    for key in ("clickstream", "adhoc"):  # an application and a session cluster
        pod = _spec(platform, key)["podTemplate"]["spec"]
        assert pod["nodeSelector"] == {"pool": "flink"}
        assert pod["tolerations"] == [TAINT]
        assert pod["priorityClassName"] == "flink-high"
        assert pod["securityContext"]["runAsNonRoot"] is True  # the platform's parts are still applied


def test_a_workload_override_merges_over_the_default_and_the_pod_template_as_the_operator_would() -> None:
    default = {"nodeSelector": {"pool": "flink", "zone": "a"}, "tolerations": [TAINT], "priorityClassName": "low"}
    template = {"spec": {"nodeSelector": {"disk": "ssd"}, "tolerations": [SPOT, TAINT]}}
    override = {"nodeSelector": {"zone": "b"}, "priorityClassName": "flink-high",
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": "arch", "operator": "In",
                                                                 "values": ["arm64"]}]}]}}}}
    platform = _platform()
    platform["tenants"][0]["workloadDefaults"] = {"scheduling": default}
    platform["workloads"]["applications"][0].update(podTemplate=template, scheduling=override)
    pod = _spec(platform)["podTemplate"]["spec"]
    expected = merge_pod_templates(merge_pod_templates({"spec": default}, template), {"spec": override})["spec"]
    for key in ("nodeSelector", "tolerations", "affinity", "priorityClassName"):
        assert pod[key] == expected[key]
    # what that is, spelled out: maps key by key (the override's zone wins), lists by index (the template's first
    # toleration merged over the default's, its second appended), scalars replaced
    assert pod["nodeSelector"] == {"pool": "flink", "zone": "b", "disk": "ssd"}
    assert pod["tolerations"] == [{**TAINT, **SPOT}, TAINT] == [SPOT, TAINT]
    assert pod["priorityClassName"] == "flink-high"
    assert pod["affinity"] == override["affinity"]


def test_role_templates_stay_for_the_operator_to_merge() -> None:
    platform = _platform()
    platform["workloads"]["applications"][0]["scheduling"] = {"nodeSelector": {"pool": "flink"}}
    platform["workloads"]["applications"][0]["taskManager"]["podTemplate"] = {"spec": {"nodeSelector": {"pool": "tm"}}}
    spec = _spec(platform)
    assert spec["podTemplate"]["spec"]["nodeSelector"] == {"pool": "flink"}
    assert spec["taskManager"]["podTemplate"]["spec"]["nodeSelector"] == {"pool": "tm"}
    assert merge_pod_templates(spec["podTemplate"], spec["taskManager"]["podTemplate"])["spec"]["nodeSelector"] == {
        "pool": "tm"}


@pytest.mark.parametrize(
    ("where", "scheduling", "path", "says"),
    [
        ("workload", {"tolerations": [{"key": "k", "operator": "Maybe"}]}, "tolerations[0].operator",
         "'Exists' or 'Equal'"),
        ("workload", {"tolerations": [{"key": "k", "operator": "Exists", "value": "v"}]}, "tolerations[0]",
         "operator 'Exists' has no value"),
        ("tenant", {"priorityClassName": "High_Priority"}, "priorityClassName",
         "'High_Priority': must be a Kubernetes name"),
        ("tenant", {"nodeSelector": {"pool": "not a label value"}}, "nodeSelector.pool",
         "must be a Kubernetes label value"),
        ("workload", {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 0, "preference": {}}]}}},
         "affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight", "greater than or equal to 1"),
        ("workload", {"nodeName": "n1"}, "nodeName",
         "an unknown key: allowed keys here: affinity, nodeSelector, priorityClassName, tolerations"),
    ],
)
def test_bad_scheduling_is_refused_with_its_path(where: str, scheduling: dict, path: str, says: str) -> None:
    platform = _platform()
    if where == "tenant":
        platform["tenants"][0]["workloadDefaults"] = {"scheduling": scheduling}
        full = f"platform.tenants[0].workloadDefaults.scheduling.{path}"
    else:
        platform["workloads"]["sessionClusters"][0]["scheduling"] = scheduling
        full = f"platform.workloads.sessionClusters[0].scheduling.{path}"
    problems = _problems(platform)
    matching = [p for p in problems if p.startswith(full)]
    assert matching, problems
    assert any(says.lower() in problems[p].lower() for p in matching), problems


def test_plain_session_cluster_pods_get_the_tenant_default_and_their_own_scheduling() -> None:
    from components.workloads.rest import deployment

    platform = copy.deepcopy(stack_config("staging")["flink-platform:platform"])
    cluster = platform["workloads"]["plainSessionClusters"][0]
    tenant = next(i for i, t in enumerate(platform["tenants"]) if t["name"] == cluster["tenant"])
    plain = load_platform_config(platform).workloads.plain_session_clusters[0]
    unscheduled = deployment(plain, "taskmanager", {})["spec"]["template"]["spec"]
    assert not {"nodeSelector", "tolerations", "priorityClassName"} & set(unscheduled)

    platform["tenants"][tenant]["workloadDefaults"] = {"scheduling": {"nodeSelector": {"pool": "flink"},
                                                                      "tolerations": [TAINT]}}
    cluster["scheduling"] = {"nodeSelector": {"zone": "b"}, "priorityClassName": "flink-high"}
    config = load_platform_config(platform)
    default = tenant_scheduling(config.tenants)[cluster["tenant"]]
    for role in ("jobmanager", "taskmanager"):
        pod = deployment(config.workloads.plain_session_clusters[0], role, {}, default)["spec"]["template"]["spec"]
        assert pod["nodeSelector"] == {"pool": "flink", "zone": "b"}
        assert pod["tolerations"] == [TAINT]
        assert pod["priorityClassName"] == "flink-high"
        assert pod["containers"] and pod["securityContext"]  # the platform's pod spec is kept


def test_a_plain_session_cluster_with_bad_scheduling_is_refused_with_its_path() -> None:
    platform = copy.deepcopy(stack_config("staging")["flink-platform:platform"])
    platform["workloads"]["plainSessionClusters"][0]["scheduling"] = {
        "tolerations": [{"operator": "Equal", "value": "x"}]}
    problems = _problems(platform)
    assert any(p.startswith("platform.workloads.plainSessionClusters[0].scheduling.tolerations[0]")
               and "without a key needs operator 'Exists'" in problems[p] for p in problems), problems


def test_a_workload_toleration_merged_into_a_default_of_another_kind_is_refused() -> None:
    platform = _platform()
    platform["tenants"][0]["workloadDefaults"] = {"scheduling": {"tolerations": [TAINT]}}
    platform["workloads"]["applications"][0]["scheduling"] = {"tolerations": [{"key": "spot", "operator": "Exists"}]}
    problems = _problems(platform)
    path = "platform.workloads.applications[0].scheduling"
    assert list(problems) == [path], problems
    assert "operator 'Exists' has no value" in problems[path] and "repeat the default's tolerations first" in \
        problems[path]
    # as the message says: the default's toleration first, then the workload's
    platform["workloads"]["applications"][0]["scheduling"] = {"tolerations": [TAINT, {"key": "spot",
                                                                                      "operator": "Exists"}]}
    assert _spec(platform)["podTemplate"]["spec"]["tolerations"] == [TAINT, {"key": "spot", "operator": "Exists"}]
