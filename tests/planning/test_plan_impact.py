"""The stateful-impact preview: ``--previous DIR`` in the offline plan (impact.md) and pulumi.log lines in a run."""

from __future__ import annotations

import copy
import logging
import runpy
from pathlib import Path

import pulumi
import pytest

from components.workloads.component import SPECS_OUTPUT
from tests.conftest import ROOT, stack_config, write_stack_file
from planning import plan
from planning.mock_runtime import PlatformMocks, RecordingMonitor, mock_runtime


def _changed_dev() -> dict:
    config = copy.deepcopy(stack_config("dev"))
    workloads = config["flink-platform:platform"]["workloads"]
    workloads["applications"][0]["job"]["parallelism"] = 4
    workloads["sessionClusters"][0]["flinkConfiguration"]["taskmanager.numberOfTaskSlots"] = 8
    return config


def _rows(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| workload") and "/" in line.split(" | ")[0]:
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows[cells[0]] = cells[1:]
    return rows


def test_plan_without_previous_says_every_workload_is_new(committed_plans: dict[str, Path]) -> None:
    text = (committed_plans["dev"] / plan.IMPACT_FILE).read_text()
    assert "No previous plan was given" in text
    rows = _rows(text)
    assert set(rows) == {"FlinkDeployment/streaming-dev/clickstream", "FlinkDeployment/streaming-dev/adhoc",
                         "FlinkSessionJob/streaming-dev/top-speed"}
    assert {r[0] for r in rows.values()} == {"create"}


def test_previous_plan_gives_the_operator_action_per_workload(tmp_path: Path, committed_plans: dict[str, Path],
                                                              capsys: pytest.CaptureFixture) -> None:
    changed = write_stack_file(tmp_path / "Pulumi.dev.yaml", _changed_dev())
    out = tmp_path / "out"
    assert plan.main(["--config-file", str(changed), "--out", str(out), "--previous", str(committed_plans["dev"])]) == 0
    summary = capsys.readouterr().out
    rows = _rows((out / plan.IMPACT_FILE).read_text())
    action, why, warnings = rows["FlinkDeployment/streaming-dev/clickstream"]
    assert action == "savepoint upgrade" and "changed: job.parallelism" in why and "parallelism 2 → 4" in warnings
    action, why, _ = rows["FlinkDeployment/streaming-dev/adhoc"]
    assert action == "clean session cluster redeploy" and "no stale job is recovered" in why
    action, why, _ = rows["FlinkSessionJob/streaming-dev/top-speed"]
    assert action == "replace" and "fresh session cluster" in why
    assert "FlinkDeployment/streaming-dev/clickstream: savepoint upgrade" in summary
    # The same plan against itself: nothing to do anywhere.
    again = tmp_path / "again"
    assert plan.main(["--config-file", str(changed), "--out", str(again), "--previous", str(out)]) == 0
    assert {r[0] for r in _rows((again / plan.IMPACT_FILE).read_text()).values()} == {"nothing"}


def test_previous_must_be_a_plan_directory(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert plan.main(["--stack", "dev", "--out", str(tmp_path / "out"), "--previous", str(tmp_path / "nope")]) == 1
    assert "--previous" in capsys.readouterr().err and not (tmp_path / "out").exists()


class PreviousOutputs(PlatformMocks):
    """Answers the program's StackReference to its own stack with earlier workload records."""

    def __init__(self, outputs: dict | None):
        self.outputs = outputs

    def new_resource(self, args):
        if args.typ == "pulumi:pulumi:StackReference":
            return args.name, {"name": args.name, "outputs": self.outputs or {}, "secretOutputNames": []}
        return super().new_resource(args)


def _run_with_previous(config: dict, previous: dict | None, caplog: pytest.LogCaptureFixture) -> list[str]:
    monitor = RecordingMonitor(PreviousOutputs(previous))
    with caplog.at_level(logging.INFO), mock_runtime("dev", config, preview=True, monitor=monitor):

        @pulumi.runtime.test
        def program() -> None:
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

        program()
    return [r.getMessage() for r in caplog.records if "stateful impact" in r.getMessage()]


def test_preview_logs_the_impact_against_the_last_deployment(committed_plans: dict[str, Path],
                                                              caplog: pytest.LogCaptureFixture) -> None:
    import json

    previous = json.loads((committed_plans["dev"] / plan.RESOURCES_FILE).read_text())["outputs"][SPECS_OUTPUT]
    lines = _run_with_previous(_changed_dev(), {SPECS_OUTPUT: previous}, caplog)
    assert any("FlinkDeployment/streaming-dev/clickstream: savepoint upgrade" in line
               and "parallelism 2 → 4" in line for line in lines), lines
    assert any("clean session cluster redeploy" in line for line in lines), lines
    warned = [r for r in caplog.records if "clickstream: savepoint upgrade" in r.getMessage()]
    assert warned and all(r.levelno == logging.WARNING for r in warned)


def test_a_first_deploy_logs_creation(caplog: pytest.LogCaptureFixture) -> None:
    lines = _run_with_previous(stack_config("dev"), None, caplog)
    assert len(lines) == 3 and all(": create" in line and "no earlier deployment recorded" in line for line in lines)


def test_the_preview_can_be_turned_off(caplog: pytest.LogCaptureFixture) -> None:
    config = copy.deepcopy(stack_config("dev"))
    config["flink-platform:platform"]["workloads"]["defaults"]["impactPreview"] = False
    assert _run_with_previous(config, None, caplog) == []


def _gate_inputs(config: dict, previous: dict | None) -> dict:
    monitor = RecordingMonitor(PreviousOutputs(previous))
    with mock_runtime("dev", config, monitor=monitor):

        @pulumi.runtime.test
        def program() -> None:
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

        program()
    (gate,) = [r for r in monitor.registrations if r.type.endswith(":SavepointGate")]
    return gate.inputs


def test_resuming_a_suspended_job_is_not_blocked_by_the_gate(committed_plans: dict[str, Path]) -> None:
    """The gate fails on a missing job, except when the last deployment had suspended it on purpose."""
    import json

    previous = json.loads((committed_plans["dev"] / plan.RESOURCES_FILE).read_text())["outputs"][SPECS_OUTPUT]
    assert not _gate_inputs(stack_config("dev"), {SPECS_OUTPUT: previous}).get("skipWhenNoJob")
    suspended = copy.deepcopy(previous)
    suspended["FlinkDeployment/streaming-dev/clickstream"]["spec"]["job"]["state"] = "suspended"
    assert _gate_inputs(stack_config("dev"), {SPECS_OUTPUT: suspended})["skipWhenNoJob"] is True
    now_suspended = copy.deepcopy(stack_config("dev"))
    now_suspended["flink-platform:platform"]["workloads"]["applications"][0]["job"]["state"] = "suspended"
    assert _gate_inputs(now_suspended, None)["skipWhenNoJob"] is True
    assert not _gate_inputs(stack_config("dev"), None).get("skipWhenNoJob")  # first deploy: nothing suspended
