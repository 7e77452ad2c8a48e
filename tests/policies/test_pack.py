"""The pack as a whole: how it is built and started, upstream examples, committed stacks, unknowns, config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE

from tests.conftest import ROOT, STACKS, shared_path
from tests.policies.resources import FD, mutate
from tests.policy_fixtures import record
from planning import policy_gate as policy_check

EXAMPLES = sorted(p for p in shared_path("upstream", "examples").rglob("*.y*ml"))


def _flink_docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d and d.get("apiVersion", "").startswith("flink.")]


def test_pack_declares_python_runtime_with_its_own_virtualenv() -> None:
    project = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    requirements = (ROOT / "policies" / "requirements.txt").read_text()
    assert "pulumi-policy==" in requirements


def test_pack_entry_point_only_builds_the_pack() -> None:
    source = (ROOT / "policies" / "__main__.py").read_text()
    assert source.count("PolicyPack(") == 1 and "def " not in source and "class " not in source


def test_pack_runs_in_its_own_virtualenv_without_program_dependencies() -> None:
    """The pack imports only stdlib fact modules from components/: no pydantic, no pulumi_kubernetes."""
    python = policy_check.pack_python()
    probe = ("import sys, runpy; sys.argv=['x']; import policies.pack as p; p.all_policies(); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic','pulumi_kubernetes','components')))")
    out = subprocess.run([str(python), "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "['components', 'components.config', 'components.config.labels', " \
                                 "'components.config.pod_security', 'components.config.tenancy', 'components.operator', " \
                                 "'components.operator.pod_template', 'components.operator.upstream', " \
                                 "'components.operator.validation', 'components.providers', " \
                                 "'components.providers.secret_config']"


def test_analyzer_info_lists_every_policy_with_schemas(policy_judge) -> None:
    info = policy_judge.info
    assert info.name == "flink-platform" and info.supportsConfig
    names = [p.name for p in info.policies]
    assert len(names) == len(set(names))
    assert {n.split("-")[0] for n in names} == {"operator", "platform", "security", "stack"}
    jar = next(p for p in info.policies if p.name == "operator-jar-uri")
    assert set(jar.configSchema.properties) == {"allowedSchemes", "disallowRestrictedHosts", "resolveHosts"}


@pytest.mark.parametrize("path", EXAMPLES, ids=[str(p.relative_to(shared_path("upstream", "examples"))) for p in EXAMPLES])
def test_upstream_examples_pass_the_operator_policies(policy_judge, path: Path) -> None:
    docs = _flink_docs(path)
    operator = policy_judge.only(*[n for n in policy_judge.names if n.startswith("operator-")])
    for doc in docs:
        diagnostics = policy_judge.resource(doc, operator)
        assert diagnostics == [], [(d.policy, d.message) for d in diagnostics]
    assert [d for d in policy_judge.stack(docs, operator)] == []


def test_examples_cover_every_flink_kind() -> None:
    kinds = {d["kind"] for p in EXAMPLES for d in _flink_docs(p)}
    assert kinds >= {"FlinkDeployment", "FlinkSessionJob", "FlinkStateSnapshot"}


@pytest.mark.parametrize("stack", STACKS)
def test_committed_stacks_have_no_mandatory_violation(committed_plans, stack: str) -> None:
    resources = policy_check.load_resources(committed_plans[stack] / "resources.json")
    config = policy_check.load_config_file(policy_check.default_config_path(stack))
    report = policy_check.check_resources(resources, stack=stack, config=config)
    assert report.resources == len(resources) > 0
    assert report.mandatory == [], report.render()


def test_prod_config_is_mandatory_and_dev_advisory(policy_judge) -> None:
    dev = policy_check.resolve_config(policy_judge.info, policy_check.load_config_file(ROOT / "policies/config/dev.json"))
    prod = policy_check.resolve_config(policy_judge.info, policy_check.load_config_file(ROOT / "policies/config/prod.json"))
    # dev: advisory, except the operator's own validation (a resource the operator refuses fails on every cluster)
    assert {name for name, (level, _) in dev.items() if level != policy_check.LEVELS["advisory"]} == {
        name for name in dev if name.startswith("operator-")}
    assert {level for name, (level, _) in dev.items() if name.startswith("operator-")} == {
        policy_check.LEVELS["mandatory"]}
    # prod: every policy mandatory, except that it *prefers* workload identity (advisory: a stack may still hand a
    # job static keys from a Secret, and is told so)
    advisory = {name for name, (level, _) in prod.items() if level != policy_check.LEVELS["mandatory"]}
    assert advisory == {"security-workload-identity"}
    assert prod["security-workload-identity"] == (policy_check.LEVELS["advisory"], {"preferWorkloadIdentity": True})
    assert prod["platform-upgrade-mode"][1] == {"forbiddenModes": ["stateless"]}


# --- unknown values (preview) ---------------------------------------------------------------------------------------


def test_unknown_values_give_an_advisory_not_a_crash(policy_judge) -> None:
    obj = mutate(FD, (("spec", "flinkVersion"), UNKNOWN_STRING_VALUE),
                 (("spec", "flinkConfiguration", "execution.checkpointing.dir"), UNKNOWN_STRING_VALUE))
    diagnostics = policy_judge.resource(obj, {"all": "mandatory"})
    unknown = [d for d in diagnostics if "can't be known" in d.message]
    assert {d.policy for d in unknown} >= {"operator-flink-version", "operator-state-dirs"}
    assert all(d.level == "advisory" for d in unknown)
    assert any(".spec.flinkVersion can't be known during preview" in d.message for d in unknown)


def test_unknown_list_in_a_stack_policy(policy_judge) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "labels": {}}}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "b", "namespace": "team-a"}, "subjects": UNKNOWN_ARRAY_VALUE}
    ns["metadata"]["labels"]["flink-platform.io/tenant"] = "alpha"
    diagnostics = policy_judge.stack([ns, binding], {"all": "disabled", "stack-tenant-isolation": "mandatory"})
    assert [(d.policy, d.level) for d in diagnostics] == [("stack-tenant-isolation", "advisory")]
    assert "can't be known" in diagnostics[0].message


def test_unknown_whole_spec(policy_judge) -> None:
    obj = {**FD, "spec": "dd056dcd-154b-4c76-9bd3-c8f88648b5ff"}  # UNKNOWN_OBJECT_VALUE
    diagnostics = policy_judge.resource(obj, {"all": "mandatory"})
    assert diagnostics and all(d.level == "advisory" and "can't be known" in d.message for d in diagnostics)


# --- policy config is validated against the pack ---------------------------------------------------------------


@pytest.mark.parametrize(
    "config,fragment",
    [
        ({"operator-nmae": "mandatory"}, "unknown policy ['operator-nmae']"),
        ({"all": "fatal"}, "enforcement level 'fatal' is not one of"),
        ({"platform-upgrade-mode": {"enforcementLevel": "strict"}}, "platform-upgrade-mode.enforcementLevel"),
        ({"platform-upgrade-mode": {"forbiddenModes": ["yolo"]}}, "platform-upgrade-mode.forbiddenModes.0: 'yolo'"),
        ({"platform-image-pinned": {"allowedRegistries": "ghcr.io"}}, "platform-image-pinned.allowedRegistries"),
        ({"security-cluster-scope": {"allowClusterScope": "yes"}}, "security-cluster-scope.allowClusterScope"),
        ({"operator-jar-uri": {"allowedScheme": ["https"]}}, "operator-jar-uri.allowedScheme: unknown property"),
        ({"operator-name": 3}, "'operator-name' must be an enforcement level or an object"),
    ],
)
def test_bad_policy_config_is_rejected(policy_judge, config, fragment) -> None:
    with pytest.raises(policy_check.PolicyCheckError) as err:
        policy_check.resolve_config(policy_judge.info, config, "my.json")
    assert fragment in str(err.value) and "my.json" in str(err.value)


def test_config_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(policy_check.PolicyCheckError, match="is not valid JSON"):
        policy_check.load_config_file(bad)
    bad.write_text("[]")
    with pytest.raises(policy_check.PolicyCheckError, match="top level must be an object"):
        policy_check.load_config_file(bad)
    with pytest.raises(policy_check.PolicyCheckError, match="cannot read policy config"):
        policy_check.load_config_file(tmp_path / "missing.json")


def test_gate_over_the_analyzer_matches_per_request_results(policy_judge) -> None:
    """analyze_all = one Analyze per resource + one AnalyzeStack, diagnostics keyed by the resource URN."""
    bad = mutate(FD, (("spec", "serviceAccount"), None))
    records = [record(FD, 0), record(bad, 1)]
    report = policy_judge.records(records, policy_judge.only("operator-service-account"))
    assert [(d.policy, d.urn) for d in report.diagnostics] == [("operator-service-account", records[1]["urn"])]
    assert not report.passed and "spec.serviceAccount" in report.render()
