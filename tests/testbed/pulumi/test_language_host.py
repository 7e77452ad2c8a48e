"""testbed.pulumi.language_host: the language host's recipe follows its upstream go.mod, its source is pinned, the
CLI folder holds real copies; testbed.pulumi.no_kubelet: what the no-kubelet remediation changes."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from testbed import go_build
from testbed.pulumi import cli, language_host, no_kubelet


SHARED_MAIN = language_host.UPSTREAM_DIR / "main.go"


def requirements(go_mod: Path) -> dict[str, str]:
    return dict(re.findall(r"^\s*(?:require\s+)?(\S+) (v\S+)(?: // indirect)?$", go_mod.read_text(), re.MULTILINE))


def replaces(go_mod: Path) -> dict[str, str]:
    return dict(re.findall(r"^\s*(?:replace\s+)?(\S+) => (.+)$", go_mod.read_text(), re.MULTILINE))


def direct(go_mod: Path) -> set[str]:
    """Modules required without ``// indirect``."""
    return set(re.findall(r"^\s*(?:require\s+)?(\S+) v\S+$", go_mod.read_text(), re.MULTILINE))


def test_the_recipe_is_upstreams_go_mod_against_the_clis_release() -> None:
    upstream = language_host.UPSTREAM_DIR / "go.mod"
    recipe = language_host.RECIPE_DIR / "go.mod"
    up_replaces, ours = replaces(upstream), replaces(recipe)
    # the two replace lines into the repository are gone, the clipboard one is kept as it is
    assert {k for k, v in up_replaces.items() if v.startswith(".")} == {
        "github.com/pulumi/pulumi/pkg/v3", "github.com/pulumi/pulumi/sdk/v3"}
    assert ours == {k: v for k, v in up_replaces.items() if not v.startswith(".")}
    # pkg/v3 and sdk/v3 at the CLI's version; every other direct requirement of upstream kept (at least as new)
    wanted, have = requirements(upstream), requirements(recipe)
    assert have["github.com/pulumi/pulumi/pkg/v3"] == have["github.com/pulumi/pulumi/sdk/v3"] == cli.cli_version()
    assert language_host.host_version() == cli.cli_version()
    for module in direct(upstream) - {"github.com/pulumi/pulumi/pkg/v3", "github.com/pulumi/pulumi/sdk/v3",
                                      "github.com/stretchr/testify"}:  # testify: main.go's tests only
        assert module in have, f"the recipe dropped {module}"
        assert _semver(have[module]) >= _semver(wanted[module]), (module, have[module], wanted[module])
    # the host shares the CLI's build: every module both require is at the same version
    theirs = requirements(cli.RECIPE_CLI / "go.mod")
    assert {m: v for m, v in have.items() if m in theirs and theirs[m] != v} == {}


def _semver(version: str) -> tuple:
    core = version.lstrip("v").split("-")[0].split("+")[0]
    return tuple(int(x) for x in core.split("."))


def test_a_changed_or_missing_source_is_refused_with_the_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(language_host, "UPSTREAM_DIR", tmp_path)
    with pytest.raises(language_host.LanguageHostSourceError, match=f"no {tmp_path}/main.go"):
        language_host.recipe()
    shutil.copyfile(SHARED_MAIN, tmp_path / "main.go")
    language_host.recipe()  # the pinned file
    with open(tmp_path / "main.go", "a") as f:
        f.write("// changed\n")
    with pytest.raises(language_host.LanguageHostSourceError, match="has sha256 .* expects " + language_host.MAIN_SHA256):
        language_host.recipe()


def test_the_cli_folder_holds_copies_of_all_four() -> None:
    folder = language_host.cli_folder()  # built on first use, reused afterwards
    names = {"pulumi", language_host.HOST, language_host.EXEC, language_host.DYNAMIC_PROVIDER}
    assert names <= {p.name for p in folder.iterdir()}
    for name in names:
        path = folder / name
        assert path.is_file() and not path.is_symlink() and os.access(path, os.X_OK), path
    sdk = go_build.module_dir(go_build.find_go(), language_host.SDK_MODULE, cli.cli_version())
    for relative, name in language_host.SDK_SCRIPTS:
        assert (folder / name).read_bytes() == (sdk / relative).read_bytes()
    assert language_host.cli_folder() == folder


@pytest.mark.parametrize(("type_", "skipped"), [
    ("kubernetes:apps/v1:Deployment", True),
    ("kubernetes:core/v1:Service", True),
    ("kubernetes:flink.apache.org/v1beta1:FlinkDeployment", True),
    ("kubernetes:core/v1:Namespace", False),
    ("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", False),
    ("kubernetes:core/v1:ResourceQuota", False),
    ("pulumi:providers:kubernetes", False),
    ("pulumi-python:dynamic/flink:SavepointGate", False),
])
def test_no_kubelet_skips_exactly_what_only_a_kubelet_makes_ready(type_: str, skipped: bool) -> None:
    assert no_kubelet.needs_skip(type_) is skipped


def test_no_kubelet_adds_the_annotation_and_keeps_the_rest() -> None:
    props = {"metadata": {"name": "x", "annotations": {"a": "b"}}, "spec": {"replicas": 1}}
    changed = no_kubelet.with_skip_await(props)
    assert changed == {"metadata": {"name": "x", "annotations": {"a": "b", no_kubelet.SKIP_AWAIT_ANNOTATION: "true"}},
                       "spec": {"replicas": 1}}
    assert props["metadata"]["annotations"] == {"a": "b"}  # the input is not changed
    assert no_kubelet.with_skip_await(changed) is None
