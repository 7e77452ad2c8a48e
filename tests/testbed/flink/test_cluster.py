"""testbed.flink.cluster through its CLI (``python -m tools.flink_local``), each test with its own work dir.

Every cluster start costs about 5 s, so one test walks the whole life cycle (start, status, refusing a second
start, kill-jobmanager, stop) and one test covers a failing start. A finalizer stops anything left over.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from flink_rest.client import FlinkRestClient, FlinkUnreachableError
from testbed.flink.cluster import PROJECT_ROOT, FlinkLocalCluster
from testbed.process_groups import pids_mentioning

pytestmark = pytest.mark.flink


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.flink_local", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=180)


@pytest.fixture
def work_dir(tmp_path):
    directory = tmp_path / "cluster"
    yield directory
    FlinkLocalCluster(directory).stop(grace_s=2.0)  # backstop: never leak a JVM, even if an assertion failed
    assert pids_mentioning(str(directory)) == []


def test_cli_start_status_kill_jobmanager_and_stop(work_dir):
    started = cli("start", "--dir", str(work_dir))
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip().splitlines()[-1]
    assert url.startswith("http://127.0.0.1:")
    state = json.loads((work_dir / "cluster.json").read_text())
    assert state["url"] == url and set(state["pids"]) == {"jobmanager", "taskmanager"}

    status = cli("status", "--dir", str(work_dir))
    assert (status.returncode, status.stdout.strip()) == (0, f"running {url}")
    with FlinkRestClient(FlinkLocalCluster(work_dir).endpoint(read_retries=0, timeout_s=5)) as client:
        overview = client.overview()
        assert overview["taskmanagers"] == 1 and overview["slots-available"] >= 1

        second = cli("start", "--dir", str(work_dir))
        assert second.returncode == 1 and "already running" in second.stderr

        killed = cli("kill-jobmanager", "--dir", str(work_dir))
        assert killed.returncode == 0, killed.stderr
        degraded = cli("status", "--dir", str(work_dir))
        assert (degraded.returncode, degraded.stdout.strip()) == (1, f"degraded (jobmanager not running) {url}")
        with pytest.raises(FlinkUnreachableError) as info:
            client.overview()
        assert info.value.call == "GET /overview" and url in str(info.value)

    stopped = cli("stop", "--dir", str(work_dir))
    assert stopped.returncode == 0, stopped.stderr
    assert pids_mentioning(str(work_dir)) == []
    assert not (work_dir / "cluster.json").exists()
    after = cli("status", "--dir", str(work_dir))
    assert (after.returncode, after.stdout.strip()) == (1, "stopped")


def test_cli_failing_start_kills_what_it_started_and_shows_the_logs(work_dir):
    with socket.socket() as occupied:
        occupied.bind(("127.0.0.1", 0))
        occupied.listen()
        port = occupied.getsockname()[1]
        started = cli("start", "--dir", str(work_dir), "--rest-port", str(port))
    assert started.returncode == 1
    assert "flink_local start failed: the jobmanager exited" in started.stderr
    assert f"BindException: Could not start rest endpoint on any port in port range {port}" in started.stderr
    assert pids_mentioning(str(work_dir)) == []
    assert not (work_dir / "cluster.json").exists()


def test_cli_stop_and_status_without_a_cluster(tmp_path):
    stopped = cli("stop", "--dir", str(tmp_path))
    assert stopped.returncode == 0
    status = cli("status", "--dir", str(tmp_path))
    assert (status.returncode, status.stdout.strip()) == (1, "stopped")
