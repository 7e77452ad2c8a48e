"""Shared fixtures.

- Paths to the project and to ``../shared`` (upstream CRDs, examples, notes) beside the checkout.
- Every test runs with the CRD cache pointed at ``../shared/upstream/crds``, so nothing reaches the network.
- The real-Flink fixtures (``flink_cluster``, ``job_jars``, ``flink_client``, ``job_output``) are defined in
  ``tests/flink_fixtures.py`` and re-exported here: one local Flink cluster per session, never a leaked JVM.
- ``pulumi_runtime``: a fresh event loop, a recording mock monitor (``preview=False``, so an output the mock does
  not return fails loudly instead of hiding an assertion) and a clean config for one test; pending tasks are
  cancelled and Pulumi's settings reset afterwards, so nothing leaks into the next test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components import crds
from tests.flink_fixtures import flink_client, flink_cluster, job_jars, job_output  # noqa: F401 (fixtures)
from tools.mock_runtime import mock_runtime

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
STACKS = ("dev", "staging", "prod")


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: the tests read upstream files from ../shared beside the checkout "
            "(CI clones the project with shared/ next to it)"
        )
    return path


@pytest.fixture(scope="session")
def crd_dir() -> Path:
    """The operator 1.15.0 CRD files as published upstream."""
    return shared_path("upstream", "crds", "1.15.0")


@pytest.fixture(autouse=True)
def offline_crd_cache(monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = shared_path("upstream", "crds")
    monkeypatch.setenv(crds.CACHE_ENV, str(cache))
    return cache


def stack_config(stack: str) -> dict:
    """The ``config:`` map of a committed stack file."""
    return yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]


def platform_config(stack: str) -> dict:
    return stack_config(stack)["flink-platform:platform"]


@pytest.fixture
def pulumi_runtime():
    with mock_runtime("test") as monitor:
        yield monitor
