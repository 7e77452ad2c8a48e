"""Shared fixtures.

- Paths to the project and to ``../shared`` (upstream CRDs, examples, notes) beside the checkout.
- Every test runs with the CRD cache pointed at ``../shared/upstream/crds``, so nothing reaches the network.
- The real-Flink fixtures (``flink_cluster``, ``job_jars``, ``flink_client``, ``job_output``) are defined in
  ``tests/flink_fixtures.py`` and re-exported here: one local Flink cluster per session, never a leaked JVM.
- The real-Kubernetes fixtures (``kube_cluster``, ``kube``) are defined in ``tests/kube_fixtures.py`` and
  re-exported here: one local control plane (etcd, kube-apiserver, kube-controller-manager) per session.
- ``pulumi_runtime``: a fresh event loop, a recording mock monitor (``preview=False``, so an output the mock does
  not return fails loudly instead of hiding an assertion) and a clean config for one test; pending tasks are
  cancelled and Pulumi's settings reset afterwards, so nothing leaks into the next test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from hypothesis import settings as hypothesis_settings

from components.operator import crds
from tests.flink_fixtures import flink_client, flink_cluster, job_jars, job_output  # noqa: F401 (fixtures)
from tests.policy_fixtures import operator_validator, policy_judge  # noqa: F401 (fixtures)
from tests.kube_fixtures import kube, kube_cluster  # noqa: F401 (fixtures)
from planning.mock_runtime import mock_runtime

# Property tests are deterministic: the same examples on every run and machine (derandomize), no example database
# carried between runs, and no wall-clock deadline. Cases that once failed are pinned with @example in the tests.
# `HYPOTHESIS_PROFILE=explore` searches with random seeds and more examples, to find new cases to pin.
hypothesis_settings.register_profile("deterministic", derandomize=True, database=None, deadline=None, print_blob=True)
hypothesis_settings.register_profile("explore", max_examples=2000, database=None, deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
STACKS = ("dev", "staging", "prod")


#: The smallest valid platform config (two tenants, no workloads): tests change one field of a copy.
MINIMAL_PLATFORM: dict[str, Any] = {
    "environment": "dev",
    "cluster": {"identifier": "dev-1", "kubeconfigContext": "dev-1", "kubernetesVersion": "1.33"},
    "operator": {"version": "1.15.0", "namespace": "flink-operator"},
    "tenants": [
        {"name": "team-a", "namespaces": ["team-a-dev"]},
        {"name": "team-b", "namespaces": ["team-b-dev", "team-b-batch"]},
    ],
}



def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: the tests read upstream files from ../shared beside the checkout "
            "(CI clones the project with shared/ next to it)"
        )
    return path


def shared_crd_cache() -> Path:
    """``../shared/upstream/crds``: the operator's published CRD files, used as the digest-checked CRD cache."""
    return shared_path("upstream", "crds", "1.15.0").parent


@pytest.fixture(scope="session")
def crd_dir() -> Path:
    """The operator 1.15.0 CRD files as published upstream."""
    return shared_path("upstream", "crds", "1.15.0")


@pytest.fixture(scope="session", autouse=True)
def offline_crd_cache() -> Iterator[Path]:
    """For the whole session, every test, fixture of any scope and subprocess reads the CRDs from ../shared,
    never from the network."""
    cache = shared_crd_cache()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(crds.CACHE_ENV, str(cache))
        yield cache


#: Generous bound for one ``python -m tools.plan`` subprocess; a hang must fail the test, not the CI job.
CLI_TIMEOUT_S = 600


def stack_file(stack: str) -> Path:
    return ROOT / "stacks" / f"Pulumi.{stack}.yaml"


def stack_config(stack: str) -> dict:
    """The ``config:`` map of a committed stack file."""
    return yaml.safe_load(stack_file(stack).read_text())["config"]


def write_stack_file(path: Path, config: dict) -> Path:
    """Write ``config`` as a stack file (``Pulumi.<stack>.yaml`` format) at ``path``."""
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return path


def run_plan_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m tools.plan ARGS`` from the project root (it inherits the offline CRD cache); output captured."""
    return subprocess.run(
        [sys.executable, "-m", "tools.plan", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


@pytest.fixture(scope="session")
def committed_plans(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Plan directories of every committed stack, each written once per session by ``planning.plan.main``.

    Read-only for tests: a test that needs to write must plan into its own ``tmp_path``.
    """
    from planning import plan

    out = tmp_path_factory.mktemp("plans")
    dirs = {}
    for stack in STACKS:
        dirs[stack] = out / stack
        status = plan.main(["--stack", stack, "--out", str(dirs[stack])])
        assert status == 0, f"planning the committed stack {stack!r} failed"
    yield dirs


def platform_config(stack: str) -> dict:
    return stack_config(stack)["flink-platform:platform"]


@pytest.fixture
def pulumi_runtime():
    with mock_runtime("test") as monitor:
        yield monitor
