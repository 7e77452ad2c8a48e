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
    assert "**0 added, 0 changed, 0 removed**" in text and "**0 flow(s) gained, 0 lost, 0 with changed ports**" in text
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
    assert "- changed: ResourceQuota search-prod/flink-platform-quota: `spec.hard.requests.cpu`: '6' → '12'" in text
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
    assert "[flows.svg](flows.svg)" in text
    without = (committed_plans["dev"] / "review.md").read_text()
    assert "No earlier plan was given" in without


def test_a_changed_field_shows_its_old_and_new_value_down_to_the_list_element(committed_plans) -> None:
    current = objects(committed_plans["prod"])
    previous = copy.deepcopy(current)
    deployment = next(o for o in previous if o["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    new_image = next(o for o in current if o is not None and o["kind"] == "Deployment")[
        "spec"]["template"]["spec"]["containers"][0]["image"]
    container["image"] = "ghcr.io/apache/flink-kubernetes-operator:1.14.0"
    app = next(o for o in previous if o["kind"] == "FlinkDeployment")
    app["spec"]["image"] = "flink:2.1.0-java17"
    text = review.review_markdown(previous, current, stack="prod")
    name = app["metadata"]["name"]
    assert f"FlinkDeployment {app['metadata']['namespace']}/{name}: `spec.image`: 'flink:2.1.0-java17' → " in text
    assert (f"`spec.template.spec.containers[0].image`: 'ghcr.io/apache/flink-kubernetes-operator:1.14.0' → "
            f"{new_image!r}") in text


def test_an_added_port_is_one_changed_flow_not_a_loss_and_a_gain(committed_plans) -> None:
    previous = objects(committed_plans["prod"])
    current = copy.deepcopy(previous)
    policy = next(o for o in current if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "flink-egress-kafka"
                  and o["metadata"]["namespace"] == "payments-prod")
    policy["spec"]["egress"][0]["ports"].append({"port": 9094, "protocol": "TCP"})
    text = review.review_markdown(previous, current, stack="prod")
    assert ("- ports changed: TaskManagers of payments-ledger (payments-prod) → kafka (10.50.0.0/16): TCP 9092, 9093 → "
            "TCP 9092, 9093, "
            "9094 (+TCP 9094)") in text
    assert "- lost:" not in text and "- gained:" not in text
    assert ('- changed: NetworkPolicy payments-prod/flink-egress-kafka: `spec.egress[0].ports`: '
            '+{"port": 9094, "protocol": "TCP"}') in text


def engine(plan_dir) -> review.Engine:
    import json

    return review.Engine.from_resources(json.loads((plan_dir / "resources.json").read_text()))


def test_a_cluster_change_is_a_banner_saying_every_object_is_replaced(committed_plans) -> None:
    objs = objects(committed_plans["prod"])
    before = engine(committed_plans["prod"])
    urn = next(iter(before.providers))
    after = review.Engine(before.stack, {urn: {"clusterIdentifier": "prod-eu-west-2", "context": "prod-eu-west-2"}},
                          before.managed, before.retained)
    text = review.review_markdown(objs, copy.deepcopy(objs), stack="prod", previous_engine=before,
                                  current_engine=after)
    banner = text.split("\n")[2]
    assert banner.startswith("> **⚠ provider `flink-k8s`: `clusterIdentifier` 'prod-eu-west-1' → 'prod-eu-west-2', "
                             "`context` 'prod-eu-west-1' → 'prod-eu-west-2'. Pulumi replaces the provider and with it "
                             f"all {before.managed[urn]} Kubernetes objects it manages")
    assert before.managed[urn] == sum(1 for o in objs)  # every object of the plan goes through that provider
    assert "- every workload is replaced with its provider" in text
    same = review.review_markdown(objs, objs, stack="prod", previous_engine=before, current_engine=before)
    assert "⚠" not in same


def test_a_removed_namespace_is_left_in_the_cluster_without_its_guard_rails(committed_plans) -> None:
    previous = objects(committed_plans["prod"])
    ns = "payments-fraud-prod"
    current = [o for o in previous if ns not in (o["metadata"].get("namespace"), o["metadata"].get("name"))]
    before = engine(committed_plans["prod"])
    text = review.review_markdown(previous, current, stack="prod", previous_engine=before, current_engine=before)
    assert (f"> **⚠ namespace `{ns}` is left in the cluster (retainOnDelete) without its guard rails: LimitRange "
            "flink-platform-limits (container defaults and limits), NetworkPolicy default-deny (default deny), "
            "ResourceQuota flink-platform-quota (quota) are deleted") in text
    payments = text.split("### tenant payments")[1].split("###")[0]
    assert f"- left in the cluster (retainOnDelete, no longer managed): Namespace {ns}" in payments
    assert f"- left in the cluster (retainOnDelete, no longer managed): ServiceAccount {ns}/flink" in payments
    assert f"- deleted: ResourceQuota {ns}/flink-platform-quota" in payments
    assert f"- deleted: Namespace {ns}" not in payments


def test_an_operator_restart_is_named_and_nothing_impacts_are_not_counted(committed_plans) -> None:
    from components.workloads import impact

    current = objects(committed_plans["prod"])
    previous = copy.deepcopy(current)
    operator = next(o for o in previous if o["kind"] == "Deployment")
    operator["spec"]["template"]["metadata"]["annotations"]["flink-platform.io/config-checksum"] = "0" * 64
    impacts = [impact.Impact("FlinkDeployment/a/b", impact.NOTHING), impact.Impact("FlinkDeployment/a/c",
                                                                                   impact.SAVEPOINT_UPGRADE)]
    text = review.review_markdown(previous, current, stack="prod", impacts=impacts, picture="flows.svg")
    label = f"Deployment {operator['metadata']['namespace']}/{operator['metadata']['name']}"
    assert f"- {label}: the Flink operator restarts (a rolling update of its pods)" in text.split("## Restarts")[1]
    assert "1 workload(s) with a stateful impact (1 unchanged); 1 restart(s)." in text
    assert "FlinkDeployment/a/b" not in text and "- FlinkDeployment/a/c: savepoint upgrade" in text
    assert "[flows.svg](flows.svg)" in text


def test_a_previous_plan_of_another_stack_is_refused(committed_plans, tmp_path, capsys) -> None:
    from planning import plan

    out = tmp_path / "out"
    assert plan.main(["--stack", "prod", "--out", str(out), "--previous", str(committed_plans["dev"])]) == 1
    err = capsys.readouterr().err
    assert (f"error: --previous {committed_plans['dev']} is a plan of stack 'dev' (its resources.json), this plan "
            "is of stack 'prod'") in err
    assert not out.exists()
