"""The CRDs component: pinned, digest-checked sources and a lifecycle that never cascades into deleting CRs."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pulumi
import pytest
import yaml

from components.operator import upstream
from components.config.models import CrdsConfig
from components.operator.crds import (
    ANNOTATION_ENUM_PATCH,
    ANNOTATION_SHA256,
    CrdSourceError,
    OperatorCrds,
    OperatorCrdsArgs,
    crd_url,
    load_crds,
)

VERSION = "1.15.0"
PINS = upstream.CRD_PINS[VERSION]


def no_network(url: str) -> bytes:
    raise AssertionError(f"unexpected download of {url}")


def test_pins_match_the_published_files(crd_dir: Path) -> None:
    for pin in PINS:
        assert hashlib.sha256((crd_dir / pin.filename).read_bytes()).hexdigest() == pin.sha256


def test_local_dir_loads_all_four_kinds(crd_dir: Path) -> None:
    loaded = load_crds(VERSION, local_dir=crd_dir, fetch=no_network)
    assert {c.pin.kind for c in loaded} == {
        "FlinkDeployment",
        "FlinkSessionJob",
        "FlinkStateSnapshot",
        "FlinkBlueGreenDeployment",
    }
    assert all(c.source == "local" for c in loaded)


def test_local_dir_relative_to_project_root(crd_dir: Path) -> None:
    loaded = load_crds(VERSION, local_dir="../shared/upstream/crds/1.15.0", fetch=no_network)
    assert len(loaded) == 4


def test_digest_mismatch_in_local_dir(tmp_path: Path, crd_dir: Path) -> None:
    for pin in PINS:
        shutil.copy(crd_dir / pin.filename, tmp_path / pin.filename)
    target = tmp_path / PINS[0].filename
    target.write_bytes(target.read_bytes() + b"\n# edited\n")
    with pytest.raises(CrdSourceError) as info:
        load_crds(VERSION, local_dir=tmp_path, fetch=no_network)
    message = str(info.value)
    assert PINS[0].filename in message
    assert f"expected {PINS[0].sha256}" in message
    assert hashlib.sha256(target.read_bytes()).hexdigest() in message


def test_missing_file_in_local_dir(tmp_path: Path, crd_dir: Path) -> None:
    for pin in PINS[1:]:
        shutil.copy(crd_dir / pin.filename, tmp_path / pin.filename)
    with pytest.raises(CrdSourceError, match=f"{PINS[0].filename}.*missing"):
        load_crds(VERSION, local_dir=tmp_path, fetch=no_network)


def test_local_dir_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(CrdSourceError, match="is not a directory"):
        load_crds(VERSION, local_dir=tmp_path / "nope", fetch=no_network)


def test_unknown_version_lists_supported() -> None:
    with pytest.raises(CrdSourceError, match=r"'1\.9\.0' has no pinned CRD digests; supported versions: 1\.15\.0"):
        load_crds("1.9.0", fetch=no_network)


def test_upstream_download_is_verified_and_cached(tmp_path: Path, crd_dir: Path) -> None:
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return (crd_dir / url.rsplit("/", 1)[1]).read_bytes()

    loaded = load_crds(VERSION, fetch=fetch, cache_dir=tmp_path)
    assert sorted(fetched) == sorted(crd_url(VERSION, p.filename) for p in PINS)
    assert all(u.startswith("https://") and "/release-1.15.0/helm/flink-kubernetes-operator/crds/" in u for u in fetched)
    assert {c.source for c in loaded} == set(fetched)
    # The second load is served from the cache, still verified.
    assert len(load_crds(VERSION, fetch=no_network, cache_dir=tmp_path)) == 4
    assert sorted(p.name for p in (tmp_path / VERSION).iterdir()) == sorted(p.filename for p in PINS)


def test_upstream_digest_mismatch_is_not_cached(tmp_path: Path, crd_dir: Path) -> None:
    def tampered(url: str) -> bytes:
        return (crd_dir / url.rsplit("/", 1)[1]).read_bytes().replace(b"flinkVersion", b"flinkversion")

    with pytest.raises(CrdSourceError, match="does not match the pin for operator 1.15.0"):
        load_crds(VERSION, fetch=tampered, cache_dir=tmp_path)
    assert not (tmp_path / VERSION).exists() or not any((tmp_path / VERSION).iterdir())


def test_tampered_cache_is_refused(tmp_path: Path, crd_dir: Path) -> None:
    cache = tmp_path / VERSION
    cache.mkdir()
    for pin in PINS:
        shutil.copy(crd_dir / pin.filename, cache / pin.filename)
    (cache / PINS[2].filename).write_text("kind: CustomResourceDefinition\n")
    with pytest.raises(CrdSourceError, match=PINS[2].filename):
        load_crds(VERSION, fetch=no_network, cache_dir=tmp_path)


def test_download_failure_says_how_to_go_offline(tmp_path: Path) -> None:
    def unreachable(url: str) -> bytes:
        from components.operator.crds import _fetch_https

        return _fetch_https("http://127.0.0.1:9/closed")

    with pytest.raises(CrdSourceError, match="source: local"):
        load_crds(VERSION, fetch=unreachable, cache_dir=tmp_path)


def test_flink_version_enum_gap_is_patched(crd_dir: Path) -> None:
    loaded = {c.pin.kind: c for c in load_crds(VERSION, local_dir=crd_dir)}
    fd = loaded["FlinkDeployment"]
    assert fd.enum_added == ("v2_3", "v2_4")
    enum = fd.schema["properties"]["spec"]["properties"]["flinkVersion"]["enum"]
    assert enum[-3:] == ["v2_2", "v2_3", "v2_4"]
    assert set(upstream.FLINK_VERSIONS_KNOWN[VERSION]) == set(enum)
    bg = loaded["FlinkBlueGreenDeployment"]
    assert bg.enum_added == ("v2_3", "v2_4")
    assert loaded["FlinkSessionJob"].enum_added == ()


def test_flink_version_enum_patch_can_be_disabled(crd_dir: Path) -> None:
    fd = next(c for c in load_crds(VERSION, local_dir=crd_dir, patch_flink_version_enum=False) if c.pin.kind == "FlinkDeployment")
    assert fd.enum_added == ()
    assert fd.schema["properties"]["spec"]["properties"]["flinkVersion"]["enum"][-1] == "v2_2"


def test_patch_does_not_modify_the_source_object(crd_dir: Path) -> None:
    import yaml

    original = yaml.safe_load((crd_dir / PINS[0].filename).read_bytes())
    load_crds(VERSION, local_dir=crd_dir)
    assert yaml.safe_load((crd_dir / PINS[0].filename).read_bytes()) == original


def test_schemas_are_offered_for_custom_resources(crd_dir: Path) -> None:
    from components.operator.crds import CrdSchemas

    schemas = CrdSchemas(load_crds(VERSION, local_dir=crd_dir))
    assert schemas.kinds() == sorted((upstream.FLINK_API_VERSION, p.kind) for p in PINS)
    schema = schemas.schema_for(upstream.FLINK_API_VERSION, "FlinkDeployment")
    assert "spec" in schema["properties"]
    assert schemas.schema_for("flink.apache.org/v1", "FlinkDeployment") is None


def _crd_registrations(monitor, config: CrdsConfig) -> dict:
    @pulumi.runtime.test
    def build():
        component = OperatorCrds("crds", OperatorCrdsArgs(operator_version=VERSION, crds=config))
        return pulumi.Output.from_input(component.crd_names)

    build()
    return {r.name: r for r in monitor.registrations}


def test_component_protects_crds_from_cascading_delete(pulumi_runtime) -> None:
    regs = _crd_registrations(pulumi_runtime, CrdsConfig())
    component = regs["crds"]
    assert component.type == "flink-platform:crds:OperatorCrds"
    crds = [r for r in regs.values() if r.type == "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"]
    assert sorted(r.name for r in crds) == sorted(f"crds-{p.plural}" for p in PINS)
    for r in crds:
        assert r.options["retainOnDelete"] is True
        assert r.options["protect"] is False
        assert r.parent == component.urn
        pin = next(p for p in PINS if r.inputs["metadata"]["name"] == p.crd_name)
        assert r.inputs["metadata"]["annotations"][ANNOTATION_SHA256] == pin.sha256
        assert r.inputs["spec"]["names"]["kind"] == pin.kind
    fd = next(r for r in crds if r.name == "crds-flinkdeployments")
    assert fd.inputs["metadata"]["annotations"][ANNOTATION_ENUM_PATCH] == "v2_3,v2_4"


def test_component_protect_and_retain_follow_config(pulumi_runtime) -> None:
    regs = _crd_registrations(pulumi_runtime, CrdsConfig(protect=True, retain_on_delete=False))
    crds = [r for r in regs.values() if r.custom]
    assert crds and all(r.options["protect"] and not r.options["retainOnDelete"] for r in crds)


def test_component_with_bad_source_registers_no_crd(pulumi_runtime, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="is not a directory"):
        _crd_registrations(pulumi_runtime, CrdsConfig(source="local", local_dir=str(tmp_path / "missing")))
    assert not [r for r in pulumi_runtime.registrations if r.custom]


def test_loaded_crds_are_in_the_api_servers_canonical_form(crd_dir: Path) -> None:
    """The upstream files set ``priority: 0`` on printer columns; the API server omits that zero value, so the
    loaded CRDs leave it out (else every preview after ``up`` shows a diff), and keep every other column field."""
    raw = {p.kind: yaml.safe_load((crd_dir / p.filename).read_bytes()) for p in PINS}
    assert any(c.get("priority") == 0 for body in raw.values() for v in body["spec"]["versions"]
               for c in v.get("additionalPrinterColumns") or [])
    for crd in load_crds(VERSION, local_dir=crd_dir, fetch=no_network):
        for version, upstream_version in zip(crd.body["spec"]["versions"], raw[crd.pin.kind]["spec"]["versions"]):
            want = [{k: v for k, v in c.items() if not (k == "priority" and v == 0)}
                    for c in upstream_version.get("additionalPrinterColumns") or []]
            assert version.get("additionalPrinterColumns", []) == want
