"""The plan's cached schema validators agree with kubernetes_validate, and name what is wrong where."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest
from kubernetes_validate.utils import ValidationError as KvValidationError

from components.operator.crds import CrdSchemas, load_crds
from planning import manifests
from planning.schema_validation import (
    SchemaValidator,
    UnsupportedKubernetesVersion,
    builtin_validator,
    format_path,
    schema_version_for,
    strict_crd_schema,
)

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "labels": {"team": "a"}}}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "team-a"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]},
        },
    },
}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "team-a"},
    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]},
}
ROLE_BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "RoleBinding",
    "metadata": {"name": "edit", "namespace": "team-a"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
    "subjects": [{"kind": "Group", "name": "team-a", "apiGroup": "rbac.authorization.k8s.io"}],
}
NETWORK_POLICY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "deny", "namespace": "team-a"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}


def _broken(obj: dict, *path_and_value) -> dict:
    obj = copy.deepcopy(obj)
    *path, key, value = path_and_value
    node = obj
    for part in path:
        node = node[part]
    node[key] = value
    return obj


def _without(obj: dict, *path) -> dict:
    obj = copy.deepcopy(obj)
    node = obj
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return obj


SAMPLES = {
    "namespace": NAMESPACE,
    "deployment": DEPLOYMENT,
    "service": SERVICE,
    "rolebinding": ROLE_BINDING,
    "networkpolicy": NETWORK_POLICY,
    "unknown top-level field": _broken(NAMESPACE, "bogus", 1),
    "unknown metadata field": _broken(NAMESPACE, "metadata", "lables", {}),
    "label of the wrong type": _broken(NAMESPACE, "metadata", "labels", "team", 3),
    "replicas as a string": _broken(DEPLOYMENT, "spec", "replicas", "two"),
    "unknown container field": _broken(DEPLOYMENT, "spec", "template", "spec", "containers", 0, "imagee", "x"),
    "missing selector": _without(DEPLOYMENT, "spec", "selector"),
    "missing roleRef": _without(ROLE_BINDING, "roleRef"),
    "port as a list": _broken(SERVICE, "spec", "ports", 0, "port", [80]),
    "targetPort as a float": _broken(SERVICE, "spec", "ports", 0, "targetPort", 1.5),
    "policy type as an object": _broken(NETWORK_POLICY, "spec", "policyTypes", [{"type": "Ingress"}]),
}


def _kv_error(obj: dict, version: str) -> KvValidationError | None:
    try:
        kubernetes_validate.validate(copy.deepcopy(obj), version, strict=True)
    except KvValidationError as err:
        return err
    return None


@pytest.mark.parametrize("version", ["1.25", "1.32", "1.33", "1.37"])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_same_verdict_as_kubernetes_validate(name: str, version: str) -> None:
    obj = SAMPLES[name]
    ours = SchemaValidator(version).validate(obj)
    theirs = _kv_error(obj, version)
    assert bool(ours) == (theirs is not None), (ours, theirs)
    if theirs is not None:
        path = format_path(theirs.absolute_path)
        # kubernetes_validate reports its best match; it is among ours (unknown fields are reported one by one).
        if theirs.validator == "additionalProperties":
            # Reported per unknown field, one level deeper than kubernetes_validate's path, same message.
            assert any(
                p.found == "an unknown field" and p.allowed.startswith(theirs.message)
                and p.path.startswith("" if path == "(top level)" else path)
                for p in ours
            ), (ours, path, theirs.message)
        else:
            assert any(p.path == path and theirs.message in p.allowed for p in ours), (ours, path, theirs.message)


@pytest.mark.parametrize("version", ["1.32", "1.33"])
def test_same_verdict_for_the_operator_crd_objects(version: str) -> None:
    """The big objects of the plan (the four CRDs, as the plan renders them) agree too."""
    loaded = load_crds("1.15.0")
    validator = SchemaValidator(version)
    for crd in loaded:
        obj = manifests.canonical(crd.body)
        assert validator.validate(obj) == []
        assert _kv_error(obj, version) is None
        broken = _broken(obj, "spec", "scope", 7)
        assert validator.validate(broken) and _kv_error(broken, version) is not None


def test_problems_name_path_found_and_allowed() -> None:
    problems = SchemaValidator("1.33").validate(SAMPLES["label of the wrong type"])
    assert [str(p) for p in problems] == [
        "metadata.labels.team: found 3: 3 is not of type 'string', 'null'",
    ]
    (unknown,) = SchemaValidator("1.33").validate(SAMPLES["unknown container field"])
    assert unknown.path == "spec.template.spec.containers[0].imagee"
    assert unknown.found == "an unknown field"
    assert "('imagee' was unexpected)" in unknown.allowed and "image," in unknown.allowed
    (missing,) = SchemaValidator("1.33").validate(SAMPLES["missing selector"])
    assert (missing.path, missing.found, missing.allowed) == ("spec", "nothing", "'selector' is a required property")


def test_every_problem_is_reported_in_a_stable_order() -> None:
    obj = _broken(_broken(NAMESPACE, "zzz", 1), "aaa", 2)
    obj = _broken(obj, "metadata", "labels", "team", 3)
    paths = [p.path for p in SchemaValidator("1.33").validate(obj)]
    assert paths == ["aaa", "metadata.labels.team", "zzz"]


def test_validators_are_compiled_once_per_kind() -> None:
    validator = SchemaValidator("1.33")
    first = builtin_validator(validator.schema_dir, "v1", "Namespace")
    assert builtin_validator(validator.schema_dir, "v1", "Namespace") is first
    assert builtin_validator(validator.schema_dir, "apps/v1", "Deployment") is not first


def test_file_name_collisions_are_not_builtin_kinds() -> None:
    """apps.example.com/v1 maps to the same schema file as apps/v1; it must not be validated as apps/v1."""
    validator = SchemaValidator("1.33")
    assert validator.source_of("apps/v1", "Deployment") == "Kubernetes 1.33.0"
    assert validator.source_of("apps.example.com/v1", "Deployment") is None
    (problem,) = validator.validate({**DEPLOYMENT, "apiVersion": "apps.example.com/v1"})
    assert problem.path == "kind" and problem.allowed.startswith("unknown kind")


def test_schema_version_selection() -> None:
    assert schema_version_for("1.33") == "1.33.0"
    assert schema_version_for("v1.30.4") == "1.30.0"
    with pytest.raises(UnsupportedKubernetesVersion, match="1.99"):
        schema_version_for("1.99")
    with pytest.raises(UnsupportedKubernetesVersion, match="oldest"):
        schema_version_for("1.2")


def test_format_path() -> None:
    assert format_path([]) == "(top level)"
    assert format_path(["spec", "containers", 0, "image"]) == "spec.containers[0].image"
    assert format_path(["metadata", "labels", "app.kubernetes.io/name"]) == 'metadata.labels["app.kubernetes.io/name"]'


def test_strict_crd_schema_keeps_preserved_and_declared_maps_open() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    "conf": {"type": "object", "additionalProperties": {"type": "string"}},
                    "empty": {"type": "object"},
                    "items": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}}}},
                },
            }
        },
    }
    crd = {
        "spec": {
            "group": "example.com",
            "names": {"kind": "Thing"},
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}],
        }
    }

    class Loaded:
        body = crd

    validator = SchemaValidator("1.33", CrdSchemas([Loaded()]))  # type: ignore[list-item]
    base = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}}
    ok = {**base, "spec": {"free": {"any": {"thing": 1}}, "conf": {"k": "v"}, "empty": {}, "items": [{"a": "x"}]}}
    assert validator.validate(ok) == []
    bad = {**base, "spec": {"empty": {"x": 1}, "items": [{"b": 1}], "conf": {"k": 1}, "other": 1}}
    assert [p.path for p in validator.validate(bad)] == ["spec.conf.k", "spec.empty.x", "spec.items[0].b", "spec.other"]
    assert strict_crd_schema(schema, "example.com/v1", "Thing")["properties"]["spec"]["additionalProperties"] is False
    assert schema["properties"]["spec"].get("additionalProperties") is None, "the CRD's own schema is not modified"


def test_a_subtree_valid_once_is_never_taken_as_valid_for_another_schema_or_when_broken() -> None:
    """Valid ``$ref`` subtrees are remembered (a stack repeats them thousands of times); the memory is per schema
    node, so a pod spec valid for Kubernetes 1.34 (pod-level ``resources``, new in 1.32) is still refused for 1.31,
    as kubernetes-validate refuses it, and a broken copy of a remembered subtree is still reported, every time."""
    obj = copy.deepcopy(DEPLOYMENT)
    obj["spec"]["template"]["spec"]["resources"] = {"limits": {"cpu": "1"}}
    assert SchemaValidator("1.34").validate(obj) == []
    kubernetes_validate.validate(obj, "1.34", strict=True)
    with pytest.raises(KvValidationError):
        kubernetes_validate.validate(obj, "1.31", strict=True)
    for _ in range(2):
        assert [p.path for p in SchemaValidator("1.31").validate(obj)] == ["spec.template.spec.resources"]
    broken = _broken(obj, "spec", "template", "spec", "resources", "limits", "cpu", ["1"])
    for _ in range(2):
        assert SchemaValidator("1.34").validate(obj) == []
        assert [p.path for p in SchemaValidator("1.34").validate(broken)] == ["spec.template.spec.resources.limits.cpu"]
