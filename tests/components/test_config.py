"""The typed stack config: committed stacks are valid, bad configs are refused with the right path."""

from __future__ import annotations

import copy
import json
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config import (
    SUPPORTED_KUBERNETES_VERSIONS,
    ConfigError,
    PlatformConfig,
    load_platform_config,
    stack_file_json_schema,
)
from tests.conftest import ROOT, STACKS, platform_config

BASE: dict[str, Any] = {
    "environment": "dev",
    "cluster": {"identifier": "dev-1", "kubeconfigContext": "dev-1", "kubernetesVersion": "1.33"},
    "operator": {"version": "1.15.0", "namespace": "flink-operator"},
    "tenants": [
        {"name": "team-a", "namespaces": ["team-a-dev"]},
        {"name": "team-b", "namespaces": ["team-b-dev", "team-b-batch"]},
    ],
}


def mutate(fn: Callable[[dict], None]) -> dict:
    cfg = copy.deepcopy(BASE)
    fn(cfg)
    return cfg


def set_in(path: str, value: Any) -> Callable[[dict], None]:
    """``set_in("tenants.1.namespaces.0", "X")`` sets that element (ints index lists)."""

    def apply(cfg: dict) -> None:
        node: Any = cfg
        parts = [int(p) if p.isdigit() else p for p in path.split(".")]
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = value

    return apply


def delete(path: str) -> Callable[[dict], None]:
    def apply(cfg: dict) -> None:
        node: Any = cfg
        parts = [int(p) if p.isdigit() else p for p in path.split(".")]
        for part in parts[:-1]:
            node = node[part]
        del node[parts[-1]]

    return apply


# (id, mutation, expected path, a fragment of what is allowed)
INVALID = [
    ("unknown-top-key", set_in("tenant", []), "platform.tenant", "allowed keys here: cluster, environment, network, operator, tenants"),
    ("unknown-nested-key", set_in("cluster.kubeContext", "x"), "platform.cluster.kubeContext", "kubeconfigContext"),
    ("unknown-tenant-key", set_in("tenants.1.namespace", "x"), "platform.tenants[1].namespace", "namespaces"),
    ("snake-case-key", set_in("cluster.kubernetes_version", "1.33"), "platform.cluster.kubernetes_version", "kubernetesVersion"),
    ("missing-cluster", delete("cluster"), "platform.cluster", "required"),
    ("missing-operator-version", delete("operator.version"), "platform.operator.version", "required"),
    ("missing-environment", delete("environment"), "platform.environment", "required"),
    ("namespace-uppercase", set_in("tenants.1.namespaces.0", "Team_B"), "platform.tenants[1].namespaces[0]", "RFC 1123 label"),
    ("namespace-too-long", set_in("tenants.0.namespaces.0", "a" * 64), "platform.tenants[0].namespaces[0]", "at most 63"),
    ("namespace-trailing-dash", set_in("tenants.0.namespaces.0", "team-"), "platform.tenants[0].namespaces[0]", "RFC 1123"),
    ("tenant-name-dots", set_in("tenants.0.name", "team.a"), "platform.tenants[0].name", "RFC 1123 label"),
    ("no-namespaces", set_in("tenants.0.namespaces", []), "platform.tenants[0].namespaces", "at least 1"),
    ("namespaces-not-list", set_in("tenants.0.namespaces", "team-a-dev"), "platform.tenants[0].namespaces", "list"),
    ("operator-version-unknown", set_in("operator.version", "1.9.0"), "platform.operator.version", "1.15.0"),
    ("operator-version-number", set_in("operator.version", 1.15), "platform.operator.version", "string"),
    ("operator-namespace-bad", set_in("operator.namespace", "Flink_Operator"), "platform.operator.namespace", "RFC 1123"),
    ("kubernetes-version-old", set_in("cluster.kubernetesVersion", "1.19"), "platform.cluster.kubernetesVersion", "from 1.25 to 1.37"),
    ("kubernetes-version-patch", set_in("cluster.kubernetesVersion", "1.33.2"), "platform.cluster.kubernetesVersion", "MAJOR.MINOR"),
    ("identifier-bad", set_in("cluster.identifier", "Prod Cluster"), "platform.cluster.identifier", "RFC 1123 subdomain"),
    ("context-empty", set_in("cluster.kubeconfigContext", ""), "platform.cluster.kubeconfigContext", "at least 1"),
    ("pod-security-bad", set_in("tenants.0.podSecurity", "strict"), "platform.tenants[0].podSecurity", "'privileged', 'baseline' or 'restricted'"),
    ("crd-source-bad", set_in("operator.crds", {"source": "helm"}), "platform.operator.crds.source", "'upstream' or 'local'"),
    ("crd-local-without-dir", set_in("operator.crds", {"source": "local"}), "platform.operator.crds", "localDir is required"),
    ("crd-dir-without-local", set_in("operator.crds", {"localDir": "/x"}), "platform.operator.crds", "only allowed when source is 'local'"),
    ("retain-not-bool", set_in("operator.crds", {"retainOnDelete": "maybe"}), "platform.operator.crds.retainOnDelete", "boolean"),
    ("label-value-bad", set_in("tenants.0.labels", {"cost-center": "cc 1"}), "platform.tenants[0].labels.cost-center", "label value"),
    ("duplicate-tenant", set_in("tenants.1.name", "team-a"), "platform", "tenants[1].name 'team-a' repeats tenants[0].name"),
    ("namespace-owned-twice", set_in("tenants.1.namespaces.1", "team-a-dev"), "platform", "already owned by tenant 'team-a'"),
    ("namespace-is-operator-ns", set_in("tenants.0.namespaces.0", "flink-operator"), "platform", "operator namespace"),
    ("tenants-not-list", set_in("tenants", {"name": "x"}), "platform.tenants", "list"),
]


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stacks_are_valid(stack: str) -> None:
    config = load_platform_config(platform_config(stack))
    assert config.environment == stack
    assert config.operator.version == "1.15.0"


def test_committed_stacks_differ_like_environments() -> None:
    dev, staging, prod = (load_platform_config(platform_config(s)) for s in STACKS)
    count = lambda c: sum(len(t.namespaces) for t in c.tenants)  # noqa: E731
    assert len(dev.tenants) == 1 and count(dev) == 1
    assert len(prod.tenants) >= 3 and count(prod) > count(staging) > count(dev)
    assert prod.operator.crds.protect and all(t.pod_security == "restricted" for t in prod.tenants)
    assert len({dev.cluster.identifier, staging.cluster.identifier, prod.cluster.identifier}) == 3


def test_base_config_is_valid() -> None:
    assert load_platform_config(copy.deepcopy(BASE)).tenants[1].namespaces == ["team-b-dev", "team-b-batch"]


@pytest.mark.parametrize(("case", "mutation", "path", "allowed"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_config_names_path_and_allowed(case: str, mutation, path: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_platform_config(mutate(mutation))
    matching = [p for p in info.value.problems if p.path == path]
    assert matching, f"no problem at {path}; got {[str(p) for p in info.value.problems]}"
    assert any(allowed in str(p) for p in matching), [str(p) for p in matching]
    assert path in str(info.value)


def test_invalid_config_shows_value_found() -> None:
    with pytest.raises(ConfigError) as info:
        load_platform_config(mutate(set_in("tenants.1.namespaces.0", "Team_B")))
    (problem,) = info.value.problems
    assert problem.found == "'Team_B'"
    assert str(problem).startswith("platform.tenants[1].namespaces[0]: found 'Team_B': must be a Kubernetes name")


def test_every_problem_is_listed_in_one_message() -> None:
    def several(cfg: dict) -> None:
        cfg["tenants"][1]["namespaces"][0] = "BAD"
        cfg["operator"]["version"] = "0.1.0"
        cfg["cluster"]["extra"] = True
        del cfg["environment"]

    with pytest.raises(ConfigError) as info:
        load_platform_config(mutate(several))
    paths = {p.path for p in info.value.problems}
    assert paths == {
        "platform.tenants[1].namespaces[0]",
        "platform.operator.version",
        "platform.cluster.extra",
        "platform.environment",
    }
    message = str(info.value)
    assert message.startswith("invalid stack config 'flink-platform:platform' (4 problem(s)):")
    assert all(p in message for p in paths)


def test_config_that_is_not_a_mapping() -> None:
    with pytest.raises(ConfigError) as info:
        load_platform_config(["not", "a", "mapping"])
    assert info.value.problems[0].path == "platform"


def test_config_error_is_a_pulumi_run_error() -> None:
    """The Pulumi language host prints a RunError's message without a Python traceback."""
    import pulumi

    assert issubclass(ConfigError, pulumi.RunError)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=70))
def test_namespace_names_follow_rfc1123(name: str) -> None:
    import re

    valid = len(name) <= 63 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) is not None
    cfg = mutate(set_in("tenants.0.namespaces.0", name))
    if valid and name not in ("flink-operator", "team-b-dev", "team-b-batch"):
        assert load_platform_config(cfg).tenants[0].namespaces[0] == name
    else:
        with pytest.raises(ConfigError):
            load_platform_config(cfg)


def test_kubernetes_versions_match_the_schemas_the_plan_validates_with() -> None:
    from kubernetes_validate import utils

    available = {utils.major_minor(v) for v in utils.all_versions()}
    assert set(SUPPORTED_KUBERNETES_VERSIONS) <= available


def test_json_schema_file_is_current() -> None:
    committed = json.loads((ROOT / "stacks" / "stack-config.schema.json").read_text())
    assert committed == stack_file_json_schema(), "run `python -m tools.config_schema` and commit the result"


def test_json_schema_validates_stacks_like_pydantic() -> None:
    import jsonschema
    import yaml

    schema = stack_file_json_schema()
    for stack in STACKS:
        doc = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
        jsonschema.validate(doc, schema)
    bad = {"config": {"flink-platform:platform": mutate(set_in("cluster.kubeContext", "x"))}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_models_are_frozen() -> None:
    config = PlatformConfig.model_validate(copy.deepcopy(BASE))
    with pytest.raises(Exception):
        config.environment = "prod"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("case", "mutation"),
    [
        ("namespace", set_in("tenants.1.namespaces.0", "Team_B")),
        ("operator-version", set_in("operator.version", "1.9.0")),
        ("kubernetes-version", set_in("cluster.kubernetesVersion", "1.19")),
        ("label-value", set_in("tenants.0.labels", {"cost-center": "cc 1"})),
    ],
)
def test_json_schema_carries_the_name_and_version_rules(case: str, mutation) -> None:
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"config": {"flink-platform:platform": mutate(mutation)}}, stack_file_json_schema())
