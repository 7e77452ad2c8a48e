"""Issue 19's catalogue: hostile variants of the prod stack's resources are all refused, harmless ones all pass.

The prod stack is planned once (``planning.plan``, as ``make plan STACK=prod``); the pack runs as the CLI starts it
(``planning.policy_gate.AnalyzerProcess``) with ``policies/config/prod.json``. Each refusal must name a policy and
a property path. The figures (hostile refused / total, harmless refused / total) are printed (``-s``).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from planning import plan
from planning import policy_gate as G
from tests.policies import hostile_catalogue as C


@pytest.fixture(scope="module")
def prod_records(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("prod-plan") / "prod"
    assert plan.main(["--stack", "prod", "--out", str(out)]) == 0
    return json.loads((out / "resources.json").read_text())["resources"]


@pytest.fixture
def prod_pack(policy_judge):
    config = G.load_config_file(G.default_config_path("prod"))
    policy_judge.analyzer.configure(G.resolve_config(policy_judge.info, config))
    return policy_judge.analyzer


def test_the_prod_stack_passes(prod_pack, prod_records) -> None:
    report = G.analyze_all(prod_pack, prod_records)
    assert report.mandatory == [], report.render()


def test_catalogue_size_and_classes() -> None:
    hostile, harmless = C.hostile(), C.harmless()
    assert len(hostile) >= 150 and len(harmless) >= 50
    assert len({v.id for v in hostile + harmless}) == len(hostile) + len(harmless)
    assert set(Counter(v.cls for v in hostile)) == {
        "restricted-profile", "pod-template-merge", "flink-options", "pod-security-labels", "tenant-secrets", "rbac",
        "network", "webhooks", "services", "unreadable-kinds", "tenant-state", "secret-detection", "ingress", "jar-uri"}


def test_every_hostile_variant_is_refused_naming_rule_and_path(prod_pack, prod_records) -> None:
    missed, refused = [], 0
    for v in C.hostile():
        found = C.judge(prod_pack, prod_records, v)
        if found:
            refused += 1
            assert all(d.policy and ": " in d.message for d in found), (v.id, found)
            assert {d.policy for d in found} - {"platform-required-labels"}, (v.id, found)
        else:
            missed.append(v.id)
    total = len(C.hostile())
    print(f"\nhostile refused: {refused}/{total}")
    assert missed == [], f"{len(missed)} hostile variants passed the gate: {missed}"


def test_no_harmless_variant_is_refused(prod_pack, prod_records) -> None:
    refused = {}
    for v in C.harmless():
        found = C.judge(prod_pack, prod_records, v)
        if found:
            refused[v.id] = [(d.policy, d.message.splitlines()[-1][:300]) for d in found]
    print(f"\nharmless refused: {len(refused)}/{len(C.harmless())}")
    assert refused == {}, refused
