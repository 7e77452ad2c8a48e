"""The lifecycle every real local cluster of the tests goes through (tests/local_clusters.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import local_clusters


class Recorder:
    """Stands for a cluster: records calls; ``fail_start`` makes start() raise after "starting" a process."""

    def __init__(self, work_dir: Path, fail_start: bool = False):
        self.work_dir, self.log_dir, self.fail_start = work_dir, work_dir / "log", fail_start
        self.calls: list[str] = []
        self.log_dir.mkdir(parents=True)
        (self.log_dir / "x.log").write_text("boom\n")

    def start(self) -> None:
        self.calls.append("start")
        if self.fail_start:
            raise RuntimeError("port in use")

    def stop(self, grace_s: float = 10.0) -> None:
        self.calls.append("stop")


class Session:
    testsfailed = 0


class Request:
    def __init__(self) -> None:
        self.session = Session()
        self.config = type("Config", (), {"pluginmanager": type("PM", (), {"get_plugin": staticmethod(lambda name: None)})()})()


@pytest.fixture
def logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(local_clusters, "TEST_LOG_DIR", tmp_path / "kept")
    return tmp_path / "kept"


def test_a_cluster_is_stopped_after_use_and_logs_are_kept_only_when_a_test_failed(tmp_path: Path, logs: Path) -> None:
    request = Request()
    cluster = Recorder(tmp_path / "c1")
    gen = local_clusters.running(cluster, request, "flink")  # type: ignore[arg-type]
    assert next(gen) is cluster and cluster.calls == ["start"]
    with pytest.raises(StopIteration):
        next(gen)
    assert cluster.calls == ["start", "stop"] and not logs.exists()

    cluster = Recorder(tmp_path / "c2")
    gen = local_clusters.running(cluster, request, "flink")  # type: ignore[arg-type]
    next(gen)
    request.session.testsfailed += 1
    with pytest.raises(StopIteration):
        next(gen)
    assert cluster.calls == ["start", "stop"]
    (kept,) = (logs / "flink").iterdir()
    assert kept.name.endswith("-c2") and (kept / "x.log").read_text() == "boom\n"


def test_a_failed_start_keeps_the_logs_stops_what_started_and_raises_the_start_error(tmp_path: Path, logs: Path) -> None:
    cluster = Recorder(tmp_path / "c3", fail_start=True)
    with pytest.raises(RuntimeError, match="port in use"):
        next(local_clusters.running(cluster, Request(), "kube"))  # type: ignore[arg-type]
    assert cluster.calls == ["start", "stop"]
    assert [p.name.endswith("-c3") for p in (logs / "kube").iterdir()] == [True]


def test_the_atexit_backstop_is_removed_once_the_cluster_stopped(tmp_path: Path, logs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registered: list[Any] = []
    monkeypatch.setattr(local_clusters.atexit, "register", lambda fn, **kw: registered.append(fn))
    monkeypatch.setattr(local_clusters.atexit, "unregister", lambda fn: registered.remove(fn))
    cluster = Recorder(tmp_path / "c4")
    gen = local_clusters.running(cluster, Request(), "flink")  # type: ignore[arg-type]
    next(gen)
    assert registered == [cluster.stop]
    gen.close()  # the fixture's teardown
    assert registered == [] and cluster.calls == ["start", "stop"]
