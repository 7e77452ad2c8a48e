"""Pytest fixtures for tests against a real local Kubernetes control plane (re-exported by tests/conftest.py).

- ``kube_cluster`` (session): one :class:`testbed.kube.control_plane.KubeLocalCluster` (etcd, kube-apiserver,
  kube-controller-manager on 127.0.0.1) in a temp dir. The binaries are built from ``testbed/recipes/kube`` on first use
  and reused from ``~/.cache/flink-platform/kube/<version>`` later; no Go toolchain is an error that says how to
  install it. Stopped at the end of the session and, as a backstop, at interpreter exit. If any test failed (or the
  start failed) the control plane's logs are copied to ``build/test-logs/kube/<timestamp>-<dir>/`` (tests/local_clusters.py).
- ``kube`` (session): a :class:`tests.e2e.kubeapi.KubeApi` acting as cluster-admin (``O=system:masters``).
"""

from __future__ import annotations

import pytest

from tests.e2e.kubeapi import KubeApi
from tests.local_clusters import running
from testbed.kube.control_plane import KubeLocalCluster

__all__ = ["kube", "kube_cluster", "start_kube_cluster"]

def start_kube_cluster(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, name: str):
    """Start a control plane in a fresh temp dir; yields it and stops it afterwards (a generator for fixtures)."""
    yield from running(KubeLocalCluster(tmp_path_factory.mktemp(name)), request, "kube")


@pytest.fixture(scope="session")
def kube_cluster(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    """A running local control plane shared by the whole session."""
    yield from start_kube_cluster(tmp_path_factory, request, "kube")


@pytest.fixture(scope="session")
def kube(kube_cluster: KubeLocalCluster):
    """Cluster-admin REST client of the session's control plane."""
    api = KubeApi(kube_cluster.server, str(kube_cluster.ca_file), cert=kube_cluster.admin_cert)
    yield api
    api.close()
