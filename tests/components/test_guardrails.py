"""Guard rails per tenant namespace: a ResourceQuota and a LimitRange in every one, platform defaults, tenant
overrides field by field, and inconsistent settings refused with their path."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from components.config.models import ConfigError
from components.config.rules import load_platform_config
from components.guardrails import LIMIT_RANGE_NAME, QUOTA_NAME
from tests.conftest import STACKS, platform_config

BASE: dict[str, Any] = {
    "environment": "dev",
    "cluster": {"identifier": "dev-1", "kubernetesVersion": "1.33"},
    "operator": {"version": "1.15.0"},
    "tenants": [{"name": "team-a", "namespaces": ["team-a-dev", "team-a-batch"]}],
}


def objects(plan_dir) -> list[dict]:
    return [d for d in yaml.safe_load_all((plan_dir / "manifests.yaml").read_text()) if d]


@pytest.mark.parametrize("stack", STACKS)
def test_every_tenant_namespace_has_one_quota_and_one_limit_range(stack: str, committed_plans) -> None:
    objs = objects(committed_plans[stack])
    # A tenant's own operator namespace carries the tenant label: it gets the tenant's guard rails (issue 17 §8).
    tenant_namespaces = {ns for t in platform_config(stack)["tenants"]
                         for ns in [*t["namespaces"], *([t["operator"]["namespace"]] if t.get("operator") else [])]}
    for kind, name in (("ResourceQuota", QUOTA_NAME), ("LimitRange", LIMIT_RANGE_NAME)):
        found = sorted((o["metadata"]["namespace"], o["metadata"]["name"]) for o in objs if o["kind"] == kind)
        assert found == sorted((ns, name) for ns in tenant_namespaces), kind


def test_quota_counts_the_operators_custom_resources(committed_plans) -> None:
    quota = next(o for o in objects(committed_plans["dev"]) if o["kind"] == "ResourceQuota")
    hard = quota["spec"]["hard"]
    assert set(hard) == {
        "requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "pods",
        "count/flinkdeployments.flink.apache.org", "count/flinksessionjobs.flink.apache.org",
    }
    crds = {o["metadata"]["name"] for o in objects(committed_plans["dev"]) if o["kind"] == "CustomResourceDefinition"}
    assert {k.removeprefix("count/") for k in hard if k.startswith("count/")} <= crds


def test_prod_tenant_overrides_only_the_fields_it_sets(committed_plans) -> None:
    quotas = {o["metadata"]["namespace"]: o["spec"]["hard"] for o in objects(committed_plans["prod"])
              if o["kind"] == "ResourceQuota"}
    platform = platform_config("prod")["guardRails"]["quota"]
    assert quotas["search-prod"]["requests.cpu"] == "12" and quotas["search-prod"]["requests.memory"] == "32Gi"
    assert quotas["search-prod"]["count/flinkdeployments.flink.apache.org"] == "4"
    assert quotas["search-prod"]["limits.cpu"] == platform["limitsCpu"]  # not overridden: the platform's
    assert quotas["payments-prod"]["requests.cpu"] == platform["requestsCpu"]


def test_defaults_apply_without_any_guard_rails_config() -> None:
    config = load_platform_config(copy.deepcopy(BASE))
    rails = config.guard_rails_for(config.tenants[0])
    assert rails.quota.pods == 100 and rails.limit_range.default_request.cpu == "250m"


@pytest.mark.parametrize(
    ("guard_rails", "tenant_rails", "path", "fragment"),
    [
        ({"quota": {"requestsCpu": "40"}}, None, "platform.guardRails.quota.requestsCpu", "more than quota.limitsCpu '32'"),
        (None, {"quota": {"requestsMemory": "1Ti"}}, "platform.tenants[0].guardRails.quota.requestsMemory", "after tenant 'team-a'"),
        ({"limitRange": {"max": {"cpu": "500m", "memory": "1Gi"}}}, None, "platform.guardRails.limitRange.default.cpu", "is more than limitRange.max.cpu '500m'"),
        ({"quota": {"requestsCpu": "lots"}}, None, "platform.guardRails.quota.requestsCpu", "must be a Kubernetes quantity"),
        ({"quota": {"requestsCpu": "2\n"}}, None, "platform.guardRails.quota.requestsCpu", "must be a Kubernetes quantity"),
        ({"quota": {"pods": -1}}, None, "platform.guardRails.quota.pods", "greater than or equal to 0"),
        ({"quota": {"podz": 1}}, None, "platform.guardRails.quota.podz", "allowed keys here"),
    ],
)
def test_inconsistent_guard_rails_are_refused_with_their_path(guard_rails, tenant_rails, path, fragment) -> None:
    cfg = copy.deepcopy(BASE)
    if guard_rails is not None:
        cfg["guardRails"] = guard_rails
    if tenant_rails is not None:
        cfg["tenants"][0]["guardRails"] = tenant_rails
    with pytest.raises(ConfigError) as info:
        load_platform_config(cfg)
    matching = [str(p) for p in info.value.problems if p.path == path]
    assert matching and any(fragment in m for m in matching), [str(p) for p in info.value.problems]


def test_a_tenant_may_raise_limits_above_the_platform_defaults() -> None:
    cfg = copy.deepcopy(BASE)
    cfg["tenants"][0]["guardRails"] = {"quota": {"requestsCpu": "64", "limitsCpu": "128"}}
    config = load_platform_config(cfg)
    assert config.guard_rails_for(config.tenants[0]).quota.requests_cpu == "64"


def _stack_with_workload(quota: dict, **app: Any) -> dict:
    """The dev stack's platform config with its tenant's quota set and its application job changed."""
    import copy as _copy

    cfg = _copy.deepcopy(platform_config("dev"))
    cfg["tenants"][0]["guardRails"] = {"quota": quota}
    cfg["workloads"]["applications"][0].update(app)
    return cfg


def test_workloads_over_the_quota_are_a_config_error_with_both_numbers() -> None:
    cfg = _stack_with_workload(
        {"requestsCpu": "2", "limitsCpu": "64"},
        jobManager={"replicas": 2, "resource": {"cpu": 1, "memory": "2048m"}},
        taskManager={"resource": {"cpu": 2, "memory": "4096m"}},
    )
    with pytest.raises(ConfigError) as info:
        load_platform_config(cfg)
    (problem,) = [p for p in info.value.problems if "requests.cpu" in str(p)]
    assert problem.path == "platform.tenants[0].namespaces[0]"
    text = str(problem)
    assert "tenant 'streaming'" in text and "requests.cpu=2 (platform.tenants[0].guardRails.quota.requestsCpu)" in text
    assert "2 JobManager(s) × 1 CPU" in text  # the HA standby counts
    needed = float(text.split("need requests.cpu=")[1].split(":")[0])
    assert needed > 2


def test_object_count_quota_is_checked_before_anything_is_registered() -> None:
    cfg = _stack_with_workload({"flinkDeployments": 1})
    with pytest.raises(ConfigError) as info:
        load_platform_config(cfg)
    assert any("count/flinkdeployments" in str(p) and "allows 1" in str(p) for p in info.value.problems)


def test_workloads_that_fit_pass() -> None:
    assert load_platform_config(_stack_with_workload({"requestsCpu": "64", "limitsCpu": "64"}))


def test_workloads_wait_for_their_namespace_quota_to_be_computed() -> None:
    """The real API server refuses a counted object while a new quota's status is unknown: the quota is awaited
    (status.hard) and every workload object of the namespace depends on it."""
    import json as _json
    from tests.conftest import stack_config
    from planning.mock_runtime import run_program

    monitor = run_program("dev", stack_config("dev"))
    quota = next(r for r in monitor.registrations if r.type == "kubernetes:core/v1:ResourceQuota")
    waits = _json.loads(quota.inputs["metadata"]["annotations"]["pulumi.com/waitFor"])
    assert waits == ["jsonpath={.status.used['pods']}",
                     "jsonpath={.status.used['count/flinkdeployments.flink.apache.org']}",
                     "jsonpath={.status.used['count/flinksessionjobs.flink.apache.org']}"]
    workloads = [r for r in monitor.registrations if r.type.startswith("kubernetes:flink.apache.org/")]
    assert workloads and all(quota.urn in r.dependencies for r in workloads)
