"""The README's facts that the code also holds say what the code says (issue 21, item 12)."""

from __future__ import annotations

import json

from tests.conftest import ROOT, platform_config

README = (ROOT / "README.md").read_text()


def test_make_plan_lists_every_file_the_plan_writes() -> None:
    from planning import plan

    line = README.split("make plan STACK=dev   #", 1)[1].split("\n```", 1)[0]
    assert f"{len(plan.PLAN_FILES)} files" in line
    for name in plan.PLAN_FILES:
        assert name in line


def test_the_stack_table_names_each_stacks_kubernetes_version() -> None:
    for stack in ("dev",):
        row = next(line for line in README.splitlines() if line.startswith(f"| `{stack}` |"))
        assert f"Kubernetes {platform_config(stack)['cluster']['kubernetesVersion']}" in row


def test_the_prod_registries_are_the_policy_configs() -> None:
    allowed = json.loads((ROOT / "policies" / "config" / "prod.json").read_text())["platform-image-pinned"][
        "allowedRegistries"]
    sentence = README.split("registries other than", 1)[1].split(")", 1)[0]
    assert [r for r in allowed if r in sentence] == allowed


def test_the_allowed_project_keys_are_the_programs() -> None:
    from components.config.stack import known_project_keys

    sentence = README.split("is an error naming the keys allowed", 1)[1].split(").\n", 1)[0]
    for key in known_project_keys():
        short = key.removeprefix("flink-platform:")
        assert short in sentence, key
