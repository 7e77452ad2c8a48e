"""The top component and the program: one explicit provider per stack, children named from their parent."""

from __future__ import annotations

import runpy

import pulumi
import pytest

from components.config.models import ConfigError
from components.config import labels as L
from tests.conftest import ROOT, STACKS, stack_config
from planning.mock_runtime import mock_runtime, run_program

PROVIDER_TYPE = "pulumi:providers:kubernetes"


@pytest.mark.parametrize("stack", STACKS)
def test_every_kubernetes_object_uses_the_stack_provider(stack: str) -> None:
    monitor = run_program(stack, stack_config(stack))
    providers = [r for r in monitor.registrations if r.type == PROVIDER_TYPE]
    assert len(providers) == 1, "exactly one explicit provider per stack"
    provider = providers[0]
    platform = stack_config(stack)["flink-platform:platform"]
    assert provider.inputs["clusterIdentifier"] == platform["cluster"]["identifier"]
    assert provider.inputs["enableConfigMapMutable"] in (True, "true")  # flink-operator-config updates in place
    assert provider.inputs["context"] == platform["cluster"]["kubeconfigContext"]
    objects = [r for r in monitor.registrations if r.type.startswith("kubernetes:")]
    assert objects
    for r in objects:
        assert r.provider.startswith(provider.urn + "::"), f"{r.urn} uses {r.provider!r}"


def test_component_tree_and_type_tokens() -> None:
    monitor = run_program("prod", stack_config("prod"))
    by_name = {r.name: r for r in monitor.registrations}
    top = by_name["flink"]
    assert top.type == "flink-platform:platform:FlinkPlatform" and top.parent == ""
    assert by_name["flink-crds"].type == "flink-platform:crds:OperatorCrds"
    assert by_name["flink-crds"].parent == top.urn
    tenants = [r for r in monitor.registrations if r.type == "flink-platform:tenant:Tenant"]
    assert sorted(t.name for t in tenants) == ["flink-analytics", "flink-payments", "flink-search"]
    for r in monitor.registrations:
        if r is not top:
            parent = monitor.by_urn[r.parent]
            assert r.name.startswith(parent.name + "-"), f"{r.name} is not named from its parent {parent.name}"


def test_namespaces_carry_tenant_environment_and_pod_security() -> None:
    monitor = run_program("prod", stack_config("prod"))
    namespaces = {r.inputs["metadata"]["name"]: r for r in monitor.registrations if r.type == "kubernetes:core/v1:Namespace"}
    assert sorted(namespaces) == sorted(
        ["payments-prod", "payments-fraud-prod", "analytics-prod", "analytics-reporting-prod", "search-prod",
         "flink-operator", "search-flink-operator"]
    )
    labels = namespaces["payments-fraud-prod"].inputs["metadata"]["labels"]
    assert labels[L.TENANT] == "payments"
    assert labels[L.ENVIRONMENT] == "prod"
    assert labels[L.PSA_ENFORCE] == "restricted"
    assert labels[L.PSA_ENFORCE_VERSION] == "v1.32"
    assert labels["cost-center"] == "cc-1042"
    assert all(r.options["retainOnDelete"] for r in namespaces.values())
    operator_ns = namespaces["search-flink-operator"].inputs["metadata"]["labels"]
    assert operator_ns[L.TENANT] == "search" and operator_ns[L.PSA_ENFORCE] == "restricted"


def test_stack_outputs_are_exported() -> None:
    monitor = run_program("dev", stack_config("dev"))
    outputs = monitor.stack_outputs
    assert outputs["clusterIdentifier"] == "dev-eu-west-1"
    assert outputs["operatorVersion"] == "1.15.0"
    assert outputs["tenantNamespaces"] == {"streaming": ["streaming-dev"]}
    assert len(outputs["crdNames"]) == 4
    assert outputs["operatorNamespaces"] == ["flink-operator"]
    prod = run_program("prod", stack_config("prod")).stack_outputs
    assert prod["operatorNamespaces"] == ["flink-operator", "search-flink-operator"]


def test_invalid_config_registers_nothing() -> None:
    config = stack_config("dev")
    config["flink-platform:platform"]["tenants"][0]["namespaces"] = ["Streaming_Dev"]
    config["flink-platform:platform"]["operator"]["version"] = "2.0.0"
    with mock_runtime("dev", config) as monitor:

        @pulumi.runtime.test
        def program() -> None:
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

        with pytest.raises(ConfigError) as info:
            program()
        # Validation happens before the top component is built: the engine saw no resource at all.
        assert monitor.registrations == []
    assert {p.path for p in info.value.problems} == {
        "platform.tenants[0].namespaces[0]",
        "platform.operator.version",
    }


def test_stack_without_the_default_provider_guard_registers_nothing() -> None:
    config = stack_config("dev")
    del config["pulumi:disable-default-providers"]
    with mock_runtime("dev", config) as monitor:

        @pulumi.runtime.test
        def program() -> None:
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

        with pytest.raises(ConfigError) as info:
            program()
        assert monitor.registrations == []
    assert [p.path for p in info.value.problems] == ["pulumi:disable-default-providers"]


def test_missing_platform_key_is_a_clear_error() -> None:
    with pytest.raises(Exception, match="flink-platform:platform"):
        run_program("dev", {"pulumi:disable-default-providers": ["kubernetes"]})


def test_preview_runs_without_resolved_outputs() -> None:
    """Under preview the program must not depend on any value only known after deployment."""
    monitor = run_program("staging", stack_config("staging"), preview=True)
    assert len([r for r in monitor.registrations if r.custom]) == len(
        [r for r in run_program("staging", stack_config("staging")).registrations if r.custom]
    )
