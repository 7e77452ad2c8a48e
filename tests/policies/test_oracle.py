"""The pack's ``operator-*`` verdicts agree with the operator's own ``DefaultValidator`` (the real one, 1.15.0).

The oracle is ``testbed/operator/validator.py``: ``DefaultValidator`` built from ``../shared`` in one JVM
(fixture ``operator_validator``). Compared, as accepted / refused (an exception in the operator's code counts as a
refusal: the webhook and the controller both refuse the resource then):

- every upstream example (``../shared/upstream/examples``), FlinkSessionJobs with the session cluster of their file;
- every Flink resource of every committed stack's plan, under that stack's own operator ``config.yaml`` (the plan's
  ``flink-operator-config`` ConfigMap) and the stack's policy config;
- the single-field mutations of :mod:`tests.policies.oracle_cases` (4,090, every rule area).

A disagreement is a *false positive* (the pack refuses what the operator accepts) or a *miss* (the pack accepts
what the operator refuses). Exempt, and counted apart: refusals that only live name resolution decides (a jar host
name the operator resolves to a restricted address or cannot resolve; the pack runs offline) — see
``policies/README.md``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Mapping, Sequence

import pytest
import yaml

from planning import policy_gate
from testbed.operator import validator as harness
from tests.conftest import shared_path
from tests.policies import oracle_cases
from tests.policies.oracle_cases import Case
from tests.policy_fixtures import record

EXAMPLES = shared_path("upstream", "examples")
FLINK_KINDS = ("FlinkDeployment", "FlinkSessionJob", "FlinkStateSnapshot", "FlinkBlueGreenDeployment")
SESSION_JOB_CLUSTER = "operator-session-job-cluster"



def operator_policy_config(judge, jar_uri: Mapping[str, Any] | None = None) -> dict[str, Any]:
    props = {"operator_jar_uri": dict(jar_uri)} if jar_uri else {}
    return judge.only(*[n for n in judge.names if n.startswith("operator-")], **props)


def pack_verdicts(judge, cases: Sequence[Case], config: Mapping[str, Any]) -> list[list[str]]:
    """The ``operator-*`` findings of each case (its session job's with-cluster policy included)."""
    judge.configure(config)
    found = []
    for case in cases:
        r = record(case.resource)
        messages = [f"{d.policy}: {d.message}"
                    for d in policy_gate._diagnostics(judge.analyzer.analyze(r), r["urn"])]
        if case.session is not None:
            stack = [record(case.session, 1), r]
            messages += [f"{d.policy}: {d.message}"
                         for d in policy_gate._diagnostics(judge.analyzer.analyze_stack(stack), "")
                         if d.policy == SESSION_JOB_CLUSTER and d.urn == r["urn"]]
        found.append(messages)
    return found


def oracle_requests(cases: Sequence[Case], config: str | None = None) -> list[dict[str, Any]]:
    out = []
    for case in cases:
        kind = case.resource["kind"]
        if kind == "FlinkSessionJob":
            out.append(harness.session_job(case.resource, case.session, config=config))
        else:
            out.append(harness._BY_KIND[kind](case.resource, config=config))
    return out


_HOST = re.compile(r"jarURI host '([^']*)' (?:cannot be resolved|resolves to a restricted address)$")


def needs_live_dns(verdict: harness.Verdict) -> bool:
    """The operator refused only because of what a host *name* resolves to (not an address literal)."""
    m = _HOST.search(verdict.error or "")
    if not m:
        return False
    host = m.group(1).strip("[]")
    return not re.fullmatch(r"[\d.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*", host)


class Agreement:
    """Verdicts of the pack and the validator on the same cases, counted by rule area."""

    def __init__(self, cases: Sequence[Case], pack: Sequence[list[str]], oracle: Sequence[harness.Verdict]):
        self.rows: dict[str, Counter] = defaultdict(Counter)
        self.examples: dict[str, list[str]] = defaultdict(list)
        for case, found, verdict in zip(cases, pack, oracle, strict=True):
            area = case.area
            row = self.rows[area]
            row["cases"] += 1
            if bool(found) == (not verdict.accepted):
                row["agree"] += 1
                continue
            if verdict.accepted:
                kind = "false positive"
            elif needs_live_dns(verdict):
                row["exempt (live DNS)"] += 1
                continue
            else:
                kind = "miss"
            row[kind] += 1
            self.examples[area].append(f"{kind}: {case.label}\n      pack: {found or 'accepts'}\n      "
                                       f"operator: {'EXC ' if verdict.exception else ''}{verdict.error or 'accepts'}")

    def disagreements(self) -> dict[str, tuple[int, int]]:
        return {area: (row["false positive"], row["miss"]) for area, row in sorted(self.rows.items())
                if row["false positive"] or row["miss"]}

    def total(self, key: str) -> int:
        return sum(row[key] for row in self.rows.values())

    def table(self) -> str:
        lines = [f"{'area':42} {'cases':>6} {'agree':>6} {'FP':>4} {'miss':>5} {'DNS':>4}"]
        for area, row in sorted(self.rows.items()):
            lines.append(f"{area:42} {row['cases']:6} {row['agree']:6} {row['false positive']:4} {row['miss']:5} "
                         f"{row['exempt (live DNS)']:4}")
        n, agree = self.total("cases"), self.total("agree")
        lines.append(f"{'total':42} {n:6} {agree:6} {self.total('false positive'):4} {self.total('miss'):5} "
                     f"{self.total('exempt (live DNS)'):4}   agreement {100 * agree / n:.1f} %")
        return "\n".join(lines)

    def report(self, limit: int = 6) -> str:
        details = [f"  [{area}]\n    " + "\n    ".join(items[:limit]) for area, items in sorted(self.examples.items())]
        return self.table() + "\n" + "\n".join(details)


def measure(judge, oracle, cases: Sequence[Case], *, config: str | None = None,
            jar_uri: Mapping[str, Any] | None = None) -> Agreement:
    pack = pack_verdicts(judge, cases, operator_policy_config(judge, jar_uri))
    return Agreement(cases, pack, oracle.judge(oracle_requests(cases, config)))


# --- upstream examples -----------------------------------------------------------------------------------------


def example_cases() -> list[Case]:
    cases = []
    for path in sorted(EXAMPLES.rglob("*.y*ml")):
        docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)
                and str(d.get("apiVersion", "")).startswith("flink.apache.org/") and d.get("kind") in FLINK_KINDS]
        deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "FlinkDeployment"}
        for doc in docs:
            # Applied with kubectl, each lands in a namespace (the API server sets metadata.namespace).
            doc["metadata"].setdefault("namespace", "default")
            session = deployments.get(doc.get("spec", {}).get("deploymentName")) if doc["kind"] == "FlinkSessionJob" else None
            cases.append(Case(f"example {path.relative_to(EXAMPLES)}", f"{doc['kind']}/{doc['metadata']['name']}",
                              doc, session))
    return cases


def test_every_upstream_example_gets_the_operators_verdict(policy_judge, operator_validator) -> None:
    cases = example_cases()
    assert len(cases) >= 20, "the upstream examples hold at least 20 Flink resources"
    agreement = measure(policy_judge, operator_validator, cases)
    assert agreement.disagreements() == {}, agreement.report()


# --- committed workloads ---------------------------------------------------------------------------------------


def plan_cases(plan_dir: Path) -> tuple[list[Case], str]:
    """The Flink resources of a plan (session jobs with their cluster when the plan has it) and its operator's
    ``config.yaml``."""
    resources = policy_gate.load_resources(plan_dir / "resources.json")
    objs = [r["inputs"] for r in resources if r["type"].startswith("kubernetes:flink.apache.org/")
            and r["type"].rsplit(":", 1)[-1] in FLINK_KINDS]
    config_maps = [r["inputs"] for r in resources if r["type"] == "kubernetes:core/v1:ConfigMap"
                   and r["inputs"].get("metadata", {}).get("name") == "flink-operator-config"]
    assert config_maps, f"the plan in {plan_dir} renders the operator's flink-operator-config ConfigMap"
    deployments = {(o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in objs
                   if o["kind"] == "FlinkDeployment"}
    cases = []
    for o in objs:
        session = None
        if o["kind"] == "FlinkSessionJob":
            session = deployments.get((o["metadata"].get("namespace"), o["spec"].get("deploymentName")))
        cases.append(Case("committed workload", f"{o['kind']}/{o['metadata'].get('namespace')}/{o['metadata']['name']}",
                          o, session))
    return cases, config_maps[0]["data"]["config.yaml"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_committed_workload_gets_the_operators_verdict(policy_judge, operator_validator, committed_plans,
                                                            stack) -> None:
    cases, config_yaml = plan_cases(committed_plans[stack])
    assert cases or stack == "staging", f"the {stack} stack renders Flink workloads"
    operator_validator.add_config(f"plan-{stack}", config_yaml)
    jar_uri = policy_gate.load_config_file(policy_gate.default_config_path(stack)).get("operator-jar-uri")
    agreement = measure(policy_judge, operator_validator, cases, config=f"plan-{stack}", jar_uri=jar_uri)
    assert agreement.disagreements() == {}, agreement.report()


# --- generated single-field mutations ----------------------------------------------------------------------------


def test_generated_mutations_agree_in_every_rule_area(policy_judge, operator_validator) -> None:
    cases = oracle_cases.mutations()
    assert len(cases) >= 1000
    covered = {case.area.rsplit("/", 1)[-1] for case in cases}
    assert covered == set(oracle_cases.AREAS)
    agreement = measure(policy_judge, operator_validator, cases)
    print(agreement.table())
    exempt = {area for area, row in agreement.rows.items() if row["exempt (live DNS)"]}
    assert exempt <= {"jar-uri"}, f"only jar hosts depend on name resolution, not {sorted(exempt)}"
    assert agreement.disagreements() == {}, agreement.report()


def test_the_mutations_are_not_all_accepted_or_all_refused(operator_validator) -> None:
    """The mutations test both sides of every rule area: the operator accepts some and refuses some in each."""
    cases = oracle_cases.mutations()
    verdicts = operator_validator.judge(oracle_requests(cases))
    by_area: dict[str, set[bool]] = defaultdict(set)
    for case, verdict in zip(cases, verdicts, strict=True):
        by_area[case.area.rsplit("/", 1)[-1]].add(verdict.accepted)
    one_sided = {area for area, seen in by_area.items() if len(seen) < 2}
    assert one_sided <= {"session-job"}, f"areas the operator only accepts or only refuses: {sorted(one_sided)}"


# --- the hand-written examples of every operator-* rule ------------------------------------------------------


@pytest.mark.parametrize("violating", [True, False], ids=["violations-refused", "passes-accepted"])
def test_each_rules_hand_written_examples_get_the_same_verdict_from_the_operator(operator_validator,
                                                                                violating) -> None:
    """The allowed and refused examples of ``test_operator_rules`` are the operator's verdicts too."""
    from tests.policies import test_operator_rules as rules
    from tests.policies.resources import BASES, mutate

    rows = [(r[0], mutate(BASES[r[1]], *r[2])) for r in (rules.VIOLATIONS if violating else rules.PASSES)]
    verdicts = operator_validator.judge(oracle_requests([Case("hand-written", i, obj) for i, obj in rows]))
    wrong = [f"{i}: {v.error or 'accepted'}" for (i, _), v in zip(rows, verdicts, strict=True)
             if v.accepted == violating]
    assert not wrong, "the operator disagrees with these examples:\n" + "\n".join(wrong)


# --- the operator's artifact-host setting, from the stack to the operator and the pack -------------------------


def _plan_with(tmp_path: Path, stack: str, operator_changes: Mapping[str, Any]) -> Path:
    from planning import plan
    from tests.conftest import stack_config, write_stack_file

    config = stack_config(stack)
    config["flink-platform:platform"]["operator"].update(operator_changes)
    out = tmp_path / "plan"
    assert plan.main(["--stack", stack, "--config-file", str(write_stack_file(tmp_path / f"Pulumi.{stack}.yaml", config)),
                      "--out", str(out)]) == 0
    return out


def test_the_stack_key_for_restricted_artifact_hosts_reaches_the_operator(operator_validator, committed_plans,
                                                                          tmp_path) -> None:
    """``operator.disallowRestrictedArtifactHosts: false`` in a stack renders the operator's config.yaml so that the
    real validator accepts a jar on a private address, which the committed dev stack's operator refuses."""
    from tests.policies.resources import FSJ, mutate

    job = mutate(FSJ, (("spec", "job", "jarURI"), "https://artifacts.acme.internal/job-1.0.jar"))
    _, default_yaml = plan_cases(committed_plans["dev"])
    _, allowed_yaml = plan_cases(_plan_with(tmp_path, "dev", {"disallowRestrictedArtifactHosts": False}))
    assert "disallow-restricted-hosts: false" in allowed_yaml and "disallow-restricted-hosts" not in default_yaml
    operator_validator.add_config("dev-default", default_yaml)
    operator_validator.add_config("dev-private-artifacts", allowed_yaml)
    refused, accepted = operator_validator.judge([harness.session_job(job, config="dev-default"),
                                                  harness.session_job(job, config="dev-private-artifacts")])
    assert refused.error.endswith("resolves to a restricted address") and accepted.accepted


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_packs_jar_rule_follows_each_stacks_operator_setting(stack) -> None:
    """Each stack's policy config judges jar hosts as that stack's operators do (the platform's and every tenant's
    own operator)."""
    from components.config.models import PlatformConfig
    from tests.conftest import platform_config

    platform = PlatformConfig.model_validate(platform_config(stack))
    settings = [platform.operator] + [t.operator for t in platform.tenants if t.operator is not None]
    effective = {s.disallow_restricted_artifact_hosts for s in settings}
    jar_rule = policy_gate.load_config_file(policy_gate.default_config_path(stack))["operator-jar-uri"]
    assert effective == {jar_rule["disallowRestrictedHosts"]}, (
        f"policies/config/{stack}.json operator-jar-uri.disallowRestrictedHosts is "
        f"{jar_rule['disallowRestrictedHosts']}, the stack's operators use {sorted(effective)}")
