"""``python -m tools.policy_check``: the gate over the real Analyzer process, its exit codes, and the plan seam."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CLI_TIMEOUT_S, ROOT
from tests.policies.resources import FD, mutate
from tests.policy_fixtures import record
from planning import plan
from planning import policy_gate as policy_check
from planning.mock_runtime import Registration


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tools.policy_check", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=CLI_TIMEOUT_S, check=False)


def write_resources(path: Path, objs: list[dict]) -> Path:
    path.write_text(json.dumps({"resources": [record(o, i) for i, o in enumerate(objs)]}))
    return path


BAD_FD = mutate(FD, (("spec", "flinkVersion"), "v1_14"), (("spec", "job", "upgradeMode"), "stateless"))


def test_committed_plan_passes(committed_plans) -> None:
    result = run_cli("--stack", "prod", "--resources", str(committed_plans["prod"] / "resources.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "POLICIES PASSED" in result.stdout and "0 mandatory" in result.stdout


def test_plans_the_stack_itself_without_resources_file() -> None:
    result = run_cli("--stack", "dev")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "POLICIES PASSED" in result.stdout


def test_mandatory_violation_exits_1_grouped_by_resource(tmp_path: Path) -> None:
    resources = write_resources(tmp_path / "resources.json", [FD, BAD_FD])
    result = run_cli("--stack", "prod", "--resources", str(resources), "--config",
                     str(ROOT / "policies" / "config" / "prod.json"))
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "POLICIES FAILED" in out
    bad_urn = record(BAD_FD, 1)["urn"]
    section = out.split(bad_urn, 1)[1]
    assert "[mandatory] operator-flink-version: FlinkDeployment team-a/orders: spec.flinkVersion:" in section
    assert "[mandatory] platform-upgrade-mode:" in section and "Fix:" in section


def test_same_violation_is_advisory_under_dev_config(tmp_path: Path) -> None:
    resources = write_resources(tmp_path / "resources.json", [BAD_FD])
    result = run_cli("--stack", "dev", "--resources", str(resources))
    # the operator's own validation is mandatory in dev too: the operator would refuse the resource on any cluster
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[mandatory] operator-flink-version" in result.stdout
    # a platform rule is only advised in dev: the resource without the operator's refusal passes, advised
    resources = write_resources(tmp_path / "platform-only.json", [mutate(BAD_FD, (("spec", "flinkVersion"), "v1_20"))])
    result = run_cli("--stack", "dev", "--resources", str(resources))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[advisory] security-pod" in result.stdout and "POLICIES PASSED" in result.stdout


def test_bad_config_exits_2_with_a_clear_error(tmp_path: Path) -> None:
    resources = write_resources(tmp_path / "resources.json", [FD])
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"platform-upgrade-mode": {"forbiddenModes": "stateless"}}))
    result = run_cli("--stack", "dev", "--resources", str(resources), "--config", str(config))
    assert result.returncode == 2
    assert f"{config} is invalid" in result.stderr
    assert "platform-upgrade-mode.forbiddenModes: 'stateless' is invalid: 'stateless' is not of type 'array'" \
        in result.stderr


def test_an_unknown_stack_exits_2_without_a_traceback() -> None:
    result = run_cli("--stack", "qa")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "error: --stack qa: cannot read config file" in result.stderr and "Pulumi.qa.yaml" in result.stderr


def test_bad_resources_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"objects": []}))
    result = run_cli("--stack", "dev", "--resources", str(path))
    assert result.returncode == 2 and "has no 'resources' list" in result.stderr


def test_analyzer_process_is_stopped_even_on_error() -> None:
    with pytest.raises(RuntimeError):
        with policy_check.AnalyzerProcess(stack="t") as analyzer:
            proc = analyzer.proc
            assert analyzer.info().name == "flink-platform"
            raise RuntimeError("boom")
    assert proc.poll() is not None, "the pack process outlived the gate"


def test_a_pack_that_cannot_start_is_reported(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text("raise SystemExit('broken pack: no policies')\n")
    with pytest.raises(policy_check.PolicyCheckError, match="exited with status 1 before it started"):
        with policy_check.AnalyzerProcess(tmp_path, python=policy_check.pack_python()):
            pass


def test_pack_is_started_as_the_cli_starts_it() -> None:
    with policy_check.AnalyzerProcess(stack="t") as analyzer:
        cmdline = Path(f"/proc/{analyzer.proc.pid}/cmdline").read_bytes().split(b"\0")
        cwd = os.readlink(f"/proc/{analyzer.proc.pid}/cwd")
    args = [a.decode() for a in cmdline if a]
    assert args[0] == str(ROOT / "policies" / ".venv" / "bin" / "python")
    assert args[1:4] == ["-u", "-m", "pulumi.policy"] and args[5] == str(ROOT / "policies")
    assert cwd == str(ROOT / "policies")


# --- the plan's seam ------------------------------------------------------------------------------------------------


def _registration(obj: dict, stack: str) -> Registration:
    r = record(obj)
    urn = r["urn"].replace("urn:pulumi:policytest::", f"urn:pulumi:{stack}::")
    return Registration(urn=urn, type=r["type"], name=r["name"], custom=True, parent="", provider="",
                        dependencies=[], property_dependencies={}, options={}, inputs=r["inputs"])


def test_plan_seam_fails_on_mandatory_and_keeps_advisories() -> None:
    prod = plan.run_policies([_registration(BAD_FD, "prod")])
    assert not prod.passed
    assert any("[operator-flink-version]" in v and "spec.flinkVersion" in v for v in prod.violations)
    dev = plan.run_policies([_registration(BAD_FD, "dev")])
    assert not dev.passed and any("[operator-flink-version]" in v for v in dev.violations)  # the operator's own rule
    assert any("[security-pod]" in a for a in dev.advisories)  # a platform rule: advised, kept
