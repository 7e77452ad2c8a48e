"""Bad input found by trying the committed stacks the way a newcomer would (issue 21): each is refused with its
stack path, the value found and what is allowed, never a traceback."""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest

from components.config.models import SUPPORTED_KUBERNETES_VERSIONS, ConfigError
from components.config.rules import load_platform_config
from tests.conftest import platform_config

APP = "workloads.applications[0]"


def dev(change: Callable[[dict], None]) -> dict:
    cfg = copy.deepcopy(platform_config("dev"))
    change(cfg)
    return cfg


def app(**fields: Any) -> Callable[[dict], None]:
    """Set ``fields`` (dotted paths inside the first application) on the dev stack."""
    def apply(cfg: dict) -> None:
        for path, value in fields.items():
            node = cfg["workloads"]["applications"][0]
            *parents, last = path.split("__")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
    return apply


def refused(cfg: dict) -> list[tuple[str, str, str]]:
    with pytest.raises(ConfigError) as err:
        load_platform_config(cfg)
    return [(p.path, p.found, p.allowed) for p in err.value.problems]


# (id, change, path, found, fragment of what is allowed)
CASES = [
    ("taskmanager-memory-GiB", app(taskManager__resource__memory="2GiB"), f"platform.{APP}.taskManager.resource.memory",
     "'2GiB'", "must be a Flink memory size: a whole number with an optional unit b, k/kb, m/mb, g/gb or t/tb"),
    ("taskmanager-memory-fraction", app(taskManager__resource__memory="1.5g"),
     f"platform.{APP}.taskManager.resource.memory", "'1.5g'", "a whole number"),
    ("task-slots-not-a-number", app(flinkConfiguration={"taskmanager.numberOfTaskSlots": "two"}),
     f"platform.{APP}.flinkConfiguration['taskmanager.numberOfTaskSlots']", "'two'", "must be a positive whole number"),
    ("task-slots-zero", app(flinkConfiguration={"taskmanager.numberOfTaskSlots": 0}),
     f"platform.{APP}.flinkConfiguration['taskmanager.numberOfTaskSlots']", "0", "must be a positive whole number"),
    ("parallelism-over-max", app(flinkConfiguration={"pipeline.max-parallelism": 2}, job__parallelism=4),
     f"platform.{APP}.job.parallelism", "4", "at most the job's pipeline.max-parallelism (2"),
    ("taskmanager-too-small", app(taskManager__resource__memory="100m"), f"platform.{APP}.taskManager.resource.memory",
     "'100m'", "the JVM metaspace and overhead exceed the total process memory (Flink refuses it at start-up); "
     "give at least 1024m"),
    ("jobmanager-too-small", app(jobManager__resource__memory="256m"), f"platform.{APP}.jobManager.resource.memory",
     "'256m'", "the JVM metaspace and overhead exceed the total process memory (Flink refuses it at start-up); "
     "give at least 640m"),
    ("memory-unquoted-names-the-unit", app(taskManager__resource__memory=2048),
     f"platform.{APP}.taskManager.resource.memory", "2048",
     'the number 2048, which would be 2048 bytes: give the unit, e.g. memory: "2048m" (2048 MiB'),
    ("quota-memory-unquoted-names-the-unit", lambda c: c.setdefault("guardRails", {}).setdefault("quota", {}).update(
        requestsMemory=2048), "platform.guardRails.quota.requestsMemory", "2048",
     'which would be 2048 bytes: give the unit, e.g. requestsMemory: "2048Mi"'),
    ("kubernetes-version-unquoted-lists-versions", lambda c: c["cluster"].update(kubernetesVersion=1.30),
     "platform.cluster.kubernetesVersion", "1.3",
     'quote it, e.g. kubernetesVersion: "1.30" (unquoted YAML drops trailing zeros: 1.30 becomes 1.3); supported: '
     + ", ".join(SUPPORTED_KUBERNETES_VERSIONS)),
    ("workload-toleration-operator", app(scheduling={"tolerations": [{"key": "dedicated", "operator": "Equals"}]}),
     f"platform.{APP}.scheduling.tolerations[0].operator", "'Equals'", "'Exists' or 'Equal'"),
    ("tenant-priority-class-not-a-dns-name", lambda c: c["tenants"][0].update(
        workloadDefaults={"scheduling": {"priorityClassName": "Flink_High"}}),
     "platform.tenants[0].workloadDefaults.scheduling.priorityClassName", "'Flink_High'",
     "lower-case letters, digits, '-' and '.'"),
]


@pytest.mark.parametrize("case, change, path, found, allowed", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_path_value_and_rule(case: str, change, path: str, found: str,
                                                       allowed: str) -> None:
    problems = refused(dev(change))
    assert any(p == path and f == found and allowed in a for p, f, a in problems), problems


def test_the_rules_accept_what_flink_accepts() -> None:
    for memory in ("2048m", "2 gb", "2G", "1024MB", "2147483648", "1g"):
        load_platform_config(dev(app(taskManager__resource__memory=memory)))
    load_platform_config(dev(app(flinkConfiguration={"taskmanager.numberOfTaskSlots": "4",
                                                     "pipeline.max-parallelism": 128})))


def test_a_taskmanager_over_the_limit_range_max_is_refused() -> None:
    problems = refused(dev(app(taskManager__resource__cpu=40)))
    assert (f"platform.{APP}.taskManager.resource.cpu", "40", "a CPU limit of 40 is over the namespace's LimitRange "
            "max of 8 per container (platform.guardRails.limitRange.max.cpu); the API server refuses the pod"
            ) in problems
    problems = refused(dev(app(taskManager__resource__memory="40g")))
    assert any(p == f"platform.{APP}.taskManager.resource.memory" and "over the namespace's LimitRange max of 32Gi"
               in a for p, _, a in problems), problems


def test_a_plain_session_taskmanager_above_the_default_cpu_limit_is_refused() -> None:
    cfg = copy.deepcopy(platform_config("staging"))
    cfg["workloads"]["plainSessionClusters"][0]["taskManager"]["cpu"] = 2
    assert refused(cfg) == [("platform.workloads.plainSessionClusters[0].taskManager.cpu", "2",
                             "a plain session cluster's containers set no CPU limit, so they get the LimitRange "
                             "default limit of 1 (platform.guardRails.limitRange.default.cpu), below this request; "
                             "the API server refuses the pod. Ask for at most 1 CPU or raise that default")]


def test_invalid_workload_labels_are_refused_before_they_reach_the_custom_resource() -> None:
    problems = refused(dev(app(labels={"Bad Key!": "x", "owner": "john doe"})))
    assert {p for p, _, _ in problems} == {f"platform.{APP}.labels['Bad Key!'] (the key)", f"platform.{APP}.labels.owner"}
    assert any("must be a Kubernetes label value" in a and f == "'john doe'" for _, f, a in problems)
    load_platform_config(dev(app(labels={"acme.io/cost-center": "cc-42"})))


def test_an_official_flink_image_of_another_version_than_flink_version_is_refused() -> None:
    assert refused(dev(app(image="flink:1.20.1"))) == [(
        f"platform.{APP}.image", "'flink:1.20.1'", "is the Flink 1.20 image but flinkVersion is v2_2: the operator "
        "configures the cluster for v2_2; use a flink:2.2.x image or set flinkVersion: v1_20")]
    for image in ("flink:2.2.0-java17", "docker.io/library/flink:2.2", "registry.acme.internal/team/app:1.20.1"):
        load_platform_config(dev(app(image=image)))  # the same version, or an image whose tag is its own


def test_a_type_error_does_not_hide_the_other_problems() -> None:
    def change(cfg: dict) -> None:
        cfg["operator"]["replicas"] = "two"
        cfg["tenants"].append({"name": "streaming", "namespaces": ["streaming-batch-dev"]})
        cfg["tenants"][0]["labels"] = {"flink-platform.io/tenant": "other"}

    paths = [p for p, _, _ in refused(dev(change))]
    assert paths[:2] == ["platform.operator.replicas", "platform.tenants[0].labels"]
    assert "platform.tenants[1].name" in paths, "the cross-field rules ran on the rest of the config"
    assert len(paths) == len(set(paths)), "each problem once"
