"""cert-manager objects in the plan: validated against the pinned release's CRDs (read from the CRD cache or from
cert-manager's Go module, digest-checked), otherwise listed as not validated with the reason (never silently
passed, never an unknown-kind failure); a file that is not the pinned one stops the plan."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import shutil
from pathlib import Path

import pytest

from components.operator import crds, upstream
from planning import cert_manager, plan
from planning.manifests import KubeObject
from planning.schema_validation import SchemaValidator
from tests.conftest import shared_crd_cache, stack_config

VERSION = "v1.18.2"
RELEASE = upstream.CERT_MANAGER_RELEASES[VERSION]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A CRD cache holding the operator CRDs (from ../shared) and no cert-manager files."""
    root = tmp_path / "cache"
    shutil.copytree(shared_crd_cache() / "1.15.0", root / "1.15.0")
    monkeypatch.setenv(crds.CACHE_ENV, str(root))
    return root / "cert-manager" / VERSION


@pytest.fixture(scope="module")
def staging_objects() -> list[KubeObject]:
    """The staging plan's objects (the program run once; the CRD source does not change what it renders)."""
    return list(plan.build_plan("staging", stack_config("staging")).objects)


@pytest.fixture(scope="module")
def module_crds() -> Path:
    """``deploy/crds`` of the cert-manager module (the Go module cache; downloaded on first use)."""
    go = cert_manager.find_go()
    assert go, "these tests need the Go toolchain (see testbed/go_build.py GO_INSTALL_HINT)"
    return cert_manager.module_dir(VERSION, go)


def test_the_pinned_files_are_the_modules(module_crds: Path) -> None:
    for kind, (name, sha256) in RELEASE.crds.items():
        assert hashlib.sha256((module_crds / name).read_bytes()).hexdigest() == sha256, name
    bodies, source = cert_manager.load_crds(VERSION)
    assert source == f"{upstream.CERT_MANAGER_MODULE}@{VERSION}/deploy/crds"
    assert sorted(b["spec"]["names"]["kind"] for b in bodies) == sorted(RELEASE.crds)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_webhooks_issuer_and_certificate_are_validated(stack: str, cache: Path, module_crds: Path) -> None:
    result = plan.build_plan(stack, stack_config(stack))
    assert result.ok, plan.summary(result)
    assert result.notes == []
    kinds = {(o.api_version, o.kind) for o in result.objects}
    assert plan.CERT_MANAGER_KINDS <= kinds
    schemas = plan.crd_schemas(result.objects, plan.external_crds(stack_config(stack))[0])
    for api_version, kind in plan.CERT_MANAGER_KINDS:
        assert schemas.schema_for(api_version, kind) is not None


def _validate(objects: list[KubeObject], change) -> list[str]:
    external, _ = plan.external_crds(stack_config("staging"))
    validator = SchemaValidator("1.33", plan.crd_schemas(objects, external))
    changed = []
    for o in objects:
        body = copy.deepcopy(o.obj)
        change(body)
        changed.append(KubeObject(o.urn, body))
    return plan.validate_objects([o for o in changed if o.api_version == upstream.CERT_MANAGER_API_VERSION],
                                 validator)


def test_what_cert_manager_refuses_the_plan_refuses(cache: Path, module_crds: Path, staging_objects) -> None:
    objects = staging_objects
    assert _validate(objects, lambda body: None) == []

    def bad_profile(body: dict) -> None:  # the release's enum: LegacyRC2, LegacyDES, Modern2023
        if body["kind"] == "Certificate":
            body["spec"]["keystores"]["pkcs12"]["profile"] = "Modern2099"

    problems = _validate(objects, bad_profile)
    assert len(problems) == 1 and "Certificate flink-operator/flink-operator-serving-cert" in problems[0] \
        and "profile" in problems[0], problems

    def typo(body: dict) -> None:
        if body["kind"] == "Issuer":
            body["spec"]["selfSigned"]["crlDistributionPoint"] = ["http://crl.example"]  # ...Points

    problems = _validate(objects, typo)
    assert len(problems) == 1 and "Issuer flink-operator/flink-operator-selfsigned-issuer" in problems[0] \
        and "crlDistributionPoint" in problems[0], problems


def test_the_cache_comes_first_and_is_digest_checked(cache: Path, module_crds: Path) -> None:
    cache.mkdir(parents=True)
    for name, _ in RELEASE.crds.values():
        shutil.copyfile(module_crds / name, cache / name)
    _, source = cert_manager.load_crds(VERSION)
    assert source == str(cache)
    name, sha256 = RELEASE.crds["Certificate"]
    (cache / name).write_text((module_crds / name).read_text() + "# changed\n")
    with pytest.raises(cert_manager.CertManagerCrdError, match=rf"{name} does not match its pin: sha256 found "
                                                               rf"[0-9a-f]{{64}}, expected {sha256}"):
        plan.external_crds(stack_config("staging"))  # what check_run calls: the plan stops (tools.plan prints it)


def test_a_module_with_another_digest_is_refused(cache: Path, module_crds: Path, monkeypatch) -> None:
    forged = dataclasses.replace(RELEASE, module_sum="h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    monkeypatch.setitem(upstream.CERT_MANAGER_RELEASES, VERSION, forged)
    with pytest.raises(cert_manager.CertManagerCrdError, match=f"has digest {RELEASE.module_sum}, expected h1:AAA"):
        plan.external_crds(stack_config("staging"))


def test_without_go_or_cached_files_the_objects_are_named_as_not_validated(cache: Path, monkeypatch) -> None:
    monkeypatch.setattr(cert_manager, "find_go", lambda: None)
    result = plan.build_plan("staging", stack_config("staging"))
    assert result.ok
    assert sorted(n.split(" [")[0] for n in result.notes) == [
        "Certificate flink-operator/flink-operator-serving-cert", "Issuer flink-operator/flink-operator-selfsigned-issuer"]
    assert all(f"cert-manager {VERSION} is declared installed" in n and "no Go toolchain" in n and str(cache) in n
               for n in result.notes), result.notes
    assert "note: Certificate" in plan.summary(result)


def test_an_unpinned_release_is_named_as_not_validated(cache: Path) -> None:
    config = copy.deepcopy(stack_config("staging"))
    config["flink-platform:platform"]["operator"]["webhook"]["certManagerVersion"] = "v1.17.0"
    bodies, unchecked = plan.external_crds(config)
    assert bodies == [] and set(unchecked) == plan.CERT_MANAGER_KINDS
    assert all(f"cert-manager v1.17.0 has no pinned CRDs (pinned: {VERSION})" in why for why in unchecked.values())


def test_without_a_declared_version_the_note_says_so(cache: Path) -> None:
    config = copy.deepcopy(stack_config("staging"))
    del config["flink-platform:platform"]["operator"]["webhook"]["certManagerVersion"]
    bodies, unchecked = plan.external_crds(config)
    assert bodies == [] and set(unchecked) == plan.CERT_MANAGER_KINDS
    assert all("without a version" in why for why in unchecked.values())


def test_other_unknown_custom_resources_still_fail(cache: Path, module_crds: Path, staging_objects) -> None:
    rogue = KubeObject("urn:x", {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
                                 "metadata": {"name": "x"}, "spec": {}})
    validator = SchemaValidator("1.33", plan.crd_schemas(staging_objects,
                                                         plan.external_crds(stack_config("staging"))[0]))
    assert any("unknown kind" in p for p in plan.validate_objects([rogue], validator))
