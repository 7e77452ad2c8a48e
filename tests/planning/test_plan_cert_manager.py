"""cert-manager objects in the plan: validated against cert-manager's CRDs when the stack names a cached version,
otherwise listed as not validated (never silently passed, never an unknown-kind failure)."""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import pytest
import yaml

from components.operator import crds
from tests.conftest import shared_crd_cache, stack_config
from planning import plan

VERSION = "v1.18.2"


def _crd(kind: str, plural: str, spec_schema: dict) -> dict:
    """A CustomResourceDefinition in cert-manager's group with the given spec schema (a stand-in for the release's
    file, which the project cannot ship: the mechanism is under test here, not cert-manager's schema)."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.cert-manager.io"},
        "spec": {"group": "cert-manager.io", "scope": "Namespaced",
                 "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "properties": {
                         "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
                         "spec": spec_schema}}}}]},
    }


REF = {"type": "object", "properties": {"name": {"type": "string"}, "key": {"type": "string"},
                                         "kind": {"type": "string"}, "group": {"type": "string"}}}
CERTIFICATE_SPEC = {"type": "object", "required": ["secretName", "issuerRef"], "properties": {
    "dnsNames": {"type": "array", "items": {"type": "string"}},
    "commonName": {"type": "string"},
    "secretName": {"type": "string"},
    "issuerRef": REF,
    "keystores": {"type": "object", "properties": {"pkcs12": {"type": "object", "required": ["create"], "properties": {
        "create": {"type": "boolean"}, "passwordSecretRef": REF}}}},
}}
ISSUER_SPEC = {"type": "object", "properties": {"selfSigned": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A CRD cache holding the operator CRDs (from ../shared) and a cert-manager folder to fill."""
    root = tmp_path / "cache"
    shutil.copytree(shared_crd_cache() / "1.15.0", root / "1.15.0")
    (root / "cert-manager" / VERSION).mkdir(parents=True)
    monkeypatch.setenv(crds.CACHE_ENV, str(root))
    return root / "cert-manager" / VERSION


def _write(folder: Path, certificate_spec: dict) -> None:
    docs = [_crd("Issuer", "issuers", ISSUER_SPEC), _crd("Certificate", "certificates", certificate_spec)]
    (folder / "cert-manager.crds.yaml").write_text(yaml.safe_dump_all(docs))


def test_cached_cert_manager_crds_validate_the_webhook_objects(cache: Path) -> None:
    _write(cache, CERTIFICATE_SPEC)
    result = plan.build_plan("staging", stack_config("staging"))
    assert result.ok, plan.summary(result)
    assert result.notes == []


def test_a_field_cert_manager_does_not_know_fails(cache: Path) -> None:
    spec = copy.deepcopy(CERTIFICATE_SPEC)
    del spec["properties"]["keystores"]
    _write(cache, spec)
    result = plan.build_plan("staging", stack_config("staging"))
    assert not result.ok
    assert any("Certificate flink-operator/flink-operator-serving-cert" in p and "keystores" in p for p in result.problems)


def test_without_cached_crds_the_objects_are_named_as_not_validated(cache: Path) -> None:
    result = plan.build_plan("staging", stack_config("staging"))
    assert result.ok
    assert sorted(n.split(" [")[0] for n in result.notes) == [
        "Certificate flink-operator/flink-operator-serving-cert", "Issuer flink-operator/flink-operator-selfsigned-issuer"]
    assert all(f"cert-manager {VERSION} is declared installed" in n for n in result.notes)
    assert "note: Certificate" in plan.summary(result)


def test_without_a_declared_version_the_note_says_so(cache: Path) -> None:
    config = copy.deepcopy(stack_config("staging"))
    del config["flink-platform:platform"]["operator"]["webhook"]["certManagerVersion"]
    result = plan.build_plan("staging", config)
    assert result.ok and len(result.notes) == 2
    assert all("without a version" in n for n in result.notes)


def test_other_unknown_custom_resources_still_fail(cache: Path) -> None:
    _write(cache, CERTIFICATE_SPEC)
    result = plan.build_plan("staging", stack_config("staging"))
    objects = list(result.objects)
    from planning.manifests import KubeObject
    from planning.schema_validation import SchemaValidator

    rogue = KubeObject("urn:x", {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
                                 "metadata": {"name": "x"}, "spec": {}})
    validator = SchemaValidator("1.33", plan.crd_schemas(objects, plan.external_crds(stack_config("staging"))[0]))
    assert any("unknown kind" in p for p in plan.validate_objects([rogue], validator))
    assert os.environ[crds.CACHE_ENV].endswith("cache")
