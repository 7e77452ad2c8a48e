"""testbed.kube.control_plane and testbed.go_build: the recipe, the build cache, the lifecycle of a real control plane."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from tests.e2e.kubeapi import KubeApi, KubeApiError
from testbed import go_build
from testbed.kube import control_plane as kube_local
from testbed.process_groups import is_alive, pids_mentioning

pytestmark = pytest.mark.kube


def test_the_recipe_replaces_every_staging_module_at_the_matching_release(kube_cluster):
    """The oracle is k8s.io/kubernetes's own go.mod: each ``=> ./staging/...`` there has a replace to the
    published ``v0.<minor>.<patch>`` module here."""
    version = kube_local.kubernetes_version()
    download = subprocess.run([go_build.find_go(), "mod", "download", "-json", f"k8s.io/kubernetes@{version}"],
                              cwd="/", capture_output=True, text=True, check=True, timeout=600)
    upstream = Path(json.loads(download.stdout)["GoMod"]).read_text()
    staging = re.findall(r"^\s*(k8s\.io/\S+) => \./staging/", upstream, re.MULTILINE)
    ours = dict(re.findall(r"^\s*(k8s\.io/\S+) => \1 (v\S+)$", (kube_local.RECIPE_DIR / "go.mod").read_text(),
                           re.MULTILINE))
    assert len(staging) > 20
    published = "v0." + version.split(".", 1)[1]
    assert {module: ours.get(module) for module in staging} == {module: published for module in staging}


def test_a_built_recipe_is_reused(kube_cluster):
    first = kube_local.ensure_binaries()
    again = kube_local.ensure_binaries()
    assert again == first
    assert set(first["binaries"]) == {"etcd", "kube-apiserver", "kube-controller-manager"}
    assert Path(first["binaries"]["kube-apiserver"]).parent == go_build.cache_root() / "kube" / first["version"]


def test_no_go_toolchain_is_an_error_that_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(go_build, "GO_FALLBACK", tmp_path / "no-go")
    with pytest.raises(go_build.GoPrerequisiteError, match="install the Go toolchain"):
        kube_local.ensure_binaries()


def test_start_status_kubeconfig_stop_and_nothing_left(kube_cluster, tmp_path: Path):
    cluster = kube_local.KubeLocalCluster(tmp_path / "cp")
    assert kube_local.main(["status", "--dir", str(cluster.work_dir)]) == 1
    cluster.start()
    try:
        status = cluster.status()
        assert status["state"] == "running" and all(status["alive"].values())
        with pytest.raises(kube_local.KubeLocalError, match="already running"):
            kube_local.KubeLocalCluster(cluster.work_dir).start()
        assert kube_local.main(["status", "--dir", str(cluster.work_dir)]) == 0

        config = yaml.safe_load(cluster.kubeconfig_path.read_text())
        assert config["current-context"] == kube_local.CONTEXT
        assert config["clusters"][0]["cluster"]["server"] == cluster.server
        cert = x509.load_pem_x509_certificate(Path(cluster.admin_cert[0]).read_bytes())
        assert [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == ["system:masters"]

        admin = KubeApi(cluster.server, str(cluster.ca_file), cert=cluster.admin_cert)
        assert admin.get("/version")["gitVersion"] == kube_local.kubernetes_version()
        assert admin.can("x", ("system:masters",), verb="delete", resource="secrets", namespace="y")[0]
        admin.close()
        anonymous = KubeApi(cluster.server, str(cluster.ca_file))
        with pytest.raises(KubeApiError) as refused:
            anonymous.get("/api/v1/namespaces")
        assert refused.value.status == 401
        anonymous.close()
        pids = list(status["pids"].values())
    finally:
        cluster.stop()
    assert not [pid for pid in pids if is_alive(pid)]
    assert pids_mentioning(str(cluster.work_dir)) == []
    assert cluster.status()["state"] == "stopped" and not cluster.state_file.exists()


def test_cli_start_and_stop_from_separate_processes(kube_cluster, tmp_path: Path):
    """``start`` returns with the control plane running in the background; a later ``stop`` (another process)
    ends every process of it."""
    import sys

    work = tmp_path / "cli"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tools.kube_local", *args, "--dir", str(work)],
                              cwd=kube_local.PROJECT_ROOT, capture_output=True, text=True, timeout=300)

    started = cli("start")
    assert started.returncode == 0, started.stderr
    try:
        assert cli("status").stdout.startswith("running https://127.0.0.1:")
        assert cli("kubeconfig").stdout.strip() == str(work / "kubeconfig")
        pids = list(kube_local.KubeLocalCluster(work).status()["pids"].values())
        assert len(pids) == 3 and all(is_alive(pid) for pid in pids)
    finally:
        stopped = cli("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert not [pid for pid in pids if is_alive(pid)] and pids_mentioning(str(work)) == []
    assert cli("status").returncode == 1 and cli("kubeconfig").returncode == 1
