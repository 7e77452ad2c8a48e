"""One lifecycle for the real local clusters the tests start (Flink session clusters, Kubernetes control planes).

:func:`running` starts a cluster, yields it and stops it, for session- or module-scoped fixtures:

- the stop is also registered with ``atexit`` while the cluster runs, so no JVM, etcd or kube-apiserver outlives
  pytest even if the fixture's teardown never runs;
- if the start fails, or any test failed while the cluster ran, the cluster's logs are copied to
  ``build/test-logs/<kind>/<timestamp>-<work dir name>/`` and the path is printed.

A cluster is anything with ``start()``, ``stop(grace_s=...)``, ``log_dir`` and ``work_dir``
(:class:`testbed.flink.cluster.FlinkLocalCluster`, :class:`testbed.kube.control_plane.KubeLocalCluster`).
"""

from __future__ import annotations

import atexit
import shutil
import time
from typing import Any, Iterator, TypeVar

import pytest

from testbed.flink.cluster import PROJECT_ROOT

TEST_LOG_DIR = PROJECT_ROOT / "build" / "test-logs"

C = TypeVar("C")


def keep_logs(cluster: Any, request: pytest.FixtureRequest, kind: str, why: str) -> None:
    """Copy the cluster's logs under ``build/test-logs/<kind>/`` and say where (or that it left none)."""
    target = TEST_LOG_DIR / kind / f"{time.strftime('%Y%m%d-%H%M%S')}-{cluster.work_dir.name}"
    if cluster.log_dir.is_dir():
        shutil.copytree(cluster.log_dir, target, dirs_exist_ok=True)
        message = f"{kind} cluster logs ({why}) kept in {target}"
    else:
        message = f"{kind} cluster ({why}) left no logs in {cluster.log_dir}"
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    (reporter.write_line if reporter is not None else print)(message)


def running(cluster: C, request: pytest.FixtureRequest, kind: str) -> Iterator[C]:
    """Start ``cluster``, yield it, stop it (see the module docstring); ``kind`` names its log directory."""
    atexit.register(cluster.stop, grace_s=2.0)  # type: ignore[attr-defined]
    failed_before = request.session.testsfailed
    try:
        cluster.start()  # type: ignore[attr-defined]
    except BaseException:
        try:
            keep_logs(cluster, request, kind, "start failed")
        finally:
            try:
                cluster.stop(grace_s=2.0)  # type: ignore[attr-defined]  # whatever part of it did start
            finally:
                atexit.unregister(cluster.stop)  # type: ignore[attr-defined]
        raise
    try:
        yield cluster
    finally:
        try:
            cluster.stop()  # type: ignore[attr-defined]
        finally:
            atexit.unregister(cluster.stop)  # type: ignore[attr-defined]
            failed = request.session.testsfailed - failed_before
            if failed > 0:
                keep_logs(cluster, request, kind, f"{failed} test(s) failed")
