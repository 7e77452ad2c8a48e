"""review.md: objects added/changed/removed per tenant, flows gained and lost, capacity changes."""

from __future__ import annotations

import copy

import yaml

from planning import review


def objects(plan_dir) -> list[dict]:
    return [d for d in yaml.safe_load_all((plan_dir / "manifests.yaml").read_text()) if d]


def test_same_plan_reviews_as_no_change(committed_plans) -> None:
    objs = objects(committed_plans["prod"])
    text = review.review_markdown(objs, copy.deepcopy(objs), stack="prod")
    assert "**0 added, 0 changed, 0 removed**" in text and "**0 flow(s) gained, 0 lost**" in text
    assert "- no flow changes" in text and "- no capacity changes" in text


def test_a_policy_change_shows_as_a_gained_or_lost_flow(committed_plans) -> None:
    current = objects(committed_plans["prod"])
    previous = [o for o in copy.deepcopy(current) if not (
        o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "flink-egress-kafka"
        and o["metadata"]["namespace"] == "payments-prod")]
    text = review.review_markdown(previous, current, stack="prod")
    assert "- added: NetworkPolicy payments-prod/flink-egress-kafka" in text.split("### tenant payments")[1]
    assert "- gained: JobManagers of payments-ledger (payments-prod) → kafka (10.50.0.0/16): TCP 9092, 9093" in text
    reverse = review.review_markdown(current, previous, stack="prod")
    assert "- lost: TaskManagers of payments-ledger (payments-prod) → kafka (10.50.0.0/16): TCP 9092, 9093" in reverse
    assert "- removed: NetworkPolicy payments-prod/flink-egress-kafka" in reverse


def test_changed_objects_name_the_changed_fields_and_capacity_moves(committed_plans) -> None:
    current = objects(committed_plans["prod"])
    previous = copy.deepcopy(current)
    for o in previous:
        if o["kind"] == "ResourceQuota" and o["metadata"]["namespace"] == "search-prod":
            o["spec"]["hard"]["requests.cpu"] = "6"
    text = review.review_markdown(previous, current, stack="prod")
    assert "- changed: ResourceQuota search-prod/flink-platform-quota: spec.hard.requests.cpu" in text
    assert "search / search-prod: CPU requested 9 → 9 (quota 6 → 12)" in text


def test_impact_lines_come_first(committed_plans) -> None:
    objs = objects(committed_plans["dev"])
    text = review.review_markdown(objs, objs, stack="dev", impact_lines=["streaming/orders: savepoint upgrade"])
    assert text.index("## Stateful impact per workload") < text.index("## Objects per tenant")
    assert "- streaming/orders: savepoint upgrade" in text and "1 workload(s) with a stateful impact" in text


def test_plan_with_previous_writes_review_md(committed_plans, tmp_path) -> None:
    from tests.conftest import stack_config, write_stack_file
    from planning import plan

    config = stack_config("dev")
    config["flink-platform:platform"]["tenants"][0]["namespaces"].append("streaming-batch-dev")
    config_file = write_stack_file(tmp_path / "Pulumi.dev.yaml", config)
    out = tmp_path / "out"
    assert plan.main(["--config-file", str(config_file), "--out", str(out), "--previous", str(committed_plans["dev"])]) == 0
    text = (out / "review.md").read_text()
    assert "- added: Namespace streaming-batch-dev" in text
    assert "- added: NetworkPolicy streaming-batch-dev/default-deny" in text
    assert "- gained: operator (flink-operator) → JobManagers (streaming-batch-dev): TCP 8081" in text
    assert "## Stateful impact per workload" in text
    without = (committed_plans["dev"] / "review.md").read_text()
    assert "No earlier plan was given" in without
