"""bench/plan_scale.py runs end to end at a tiny size and its default large stack has what the issues ask for."""

from __future__ import annotations

import re

import pytest

from bench import plan_scale


def test_the_default_large_stack_has_hundreds_of_flink_deployments_and_tenant_operators() -> None:
    config = plan_scale.synthetic_config(50, 10, plan_scale.DEFAULTS.own_operator_every, plan_scale.DEFAULTS.jobs_per_tenant)
    platform = config["flink-platform:platform"]
    workloads = platform["workloads"]
    assert len(workloads["applications"]) + len(workloads["sessionClusters"]) == 250
    assert len(workloads["sessionJobs"]) == 50
    assert sum(1 for t in platform["tenants"] if "operator" in t) == 10
    assert len({ns for t in platform["tenants"] for ns in t["namespaces"]}) == 500


def test_the_benchmark_prints_every_figure_next_to_its_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert plan_scale.main(["--small-tenants", "1", "--large-tenants", "2", "--namespaces", "2",
                            "--own-operator-every", "2", "--jobs-per-tenant", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 tenants with their own operator (plus the shared one); 4 FlinkDeployments, 2 FlinkSessionJobs" in out
    for line in ("cost ratio platform/bare (program run", "cost ratio whole plan", "growth ratio (time per resource",
                 "peak RSS"):
        (found,) = [x for x in out.splitlines() if x.startswith(line)]
        assert re.search(r"target [<>=]+ [\d.]+", found), found
