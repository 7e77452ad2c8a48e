"""The operator's verdict through the stack config: every generated ``flinkConfiguration`` mutation of a committed
workload that the real ``DefaultValidator`` refuses (on the resource the platform renders, under the plan's own
operator ``config.yaml``) is refused by the plan too, naming the workload's stack path.

The mutations are the memory-model cases of :mod:`tests.policies.oracle_cases` (JobManager and TaskManager, every
knob on several totals) and the autoscaler, high-availability and restart cases written as stack config: the same
generated set on every run. A mutation the stack config refuses is refused before anything renders (``make plan``
prints its path); one it accepts is rendered, judged by the operator, and — when the operator refuses it — must be
refused by the whole plan (config rules, schema validation and the policy gate) with the same stack path.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.config.models import ConfigError
from components.config.rules import load_platform_config
from components.workloads.render import render
from planning import plan
from testbed.operator import validator as harness
from tests.conftest import stack_config
from tests.policies import oracle_cases as oc
from tests.policies.test_oracle import plan_cases

STACK = "dev"
WHERE = "platform.workloads.applications[0]"
EXTRA = [
    *([("high-availability.type", v)] for v in ("standalone", "zookeeper", "bogus")),
    *([("job.autoscaler.enabled", "true"), (f"job.autoscaler.{k}", v)] for k, v in (
        ("target.utilization", "1.5"), ("target.utilization", "-0.1"), ("target.utilization.boundary", "2"),
        ("excluded.periods", "0 0 9 ? * 1-7 x"), ("excluded.periods", "bogus"), ("stabilization.interval", "1 h"))),
    [("kubernetes.operator.job.restart.failed", "true"), ("execution.checkpointing.interval", "0")],
    [("kubernetes.operator.cluster.health-check.enabled", "true")],
    *([("kubernetes.operator.cluster.health-check.enabled", on), ("kubernetes.operator.jm-deployment-recovery.enabled",
                                                                   off)]
      for on in ("true", "TRUE") for off in ("false", "False")),
    [("kubernetes.operator.jm-deployment-recovery.enabled", "false")],
    *([(k, "bogus")] for k in ("kubernetes.operator.job.upgrade.last-state-fallback.enabled",
                               "kubernetes.operator.periodic.checkpoint.interval", "kubernetes.operator.job.restart.failed",
                               "execution.checkpointing.interval", "kubernetes.operator.savepoint.format.type",
                               "kubernetes.operator.periodic.savepoint.interval", "job.autoscaler.enabled")),
    [("parallelism.default", "0")], [("kubernetes.jobmanager.replicas", "2")],
    [("taskmanager.numberOfTaskSlots", "0")], [("taskmanager.numberOfTaskSlots", "-1")],
]


def mutations() -> list[list[tuple[str, str]]]:
    return [m for m in (*oc.JM_MEMORY_CONFIG, *oc.TM_MEMORY_CONFIG, *EXTRA)
            if all(v is not oc.DELETE for _, v in m)]


def _mutated(changes: list[tuple[str, str]]) -> dict[str, Any]:
    config = copy.deepcopy(stack_config(STACK))
    app = config["flink-platform:platform"]["workloads"]["applications"][0]
    conf = dict(app.get("flinkConfiguration") or {})
    conf.update(dict(changes))
    app["flinkConfiguration"] = conf
    return config


def _resource(config: dict[str, Any]) -> dict[str, Any]:
    platform = load_platform_config(config["flink-platform:platform"])
    app = platform.workloads.applications[0]
    (r,) = [r for r in render(platform.workloads, platform.environment) if r.workload is app]
    return {"apiVersion": "flink.apache.org/v1beta1", "kind": r.kind,
            "metadata": {"name": r.name, "namespace": app.namespace}, "spec": r.spec}


def test_the_operators_refusals_are_refused_by_the_plan_with_the_stack_path(operator_validator,
                                                                           committed_plans) -> None:
    _, config_yaml = plan_cases(committed_plans[STACK])
    operator_validator.add_config(f"stack-config-{STACK}", config_yaml)
    cases = mutations()
    assert len(cases) >= 200, len(cases)
    by_config, rendered = 0, []
    for changes in cases:
        config = _mutated(changes)
        try:
            rendered.append((changes, config, _resource(config)))
        except ConfigError as err:
            assert WHERE in str(err), f"{changes}: refused without the workload's path: {err}"
            by_config += 1
    verdicts = operator_validator.judge([harness.deployment(res, config=f"stack-config-{STACK}")
                                         for _, _, res in rendered])
    refused_by_operator = [(changes, config, v) for (changes, config, _), v in zip(rendered, verdicts)
                           if not v.accepted]
    misses = []
    for changes, config, verdict in refused_by_operator:
        built = plan.build_plan(STACK, config)
        text = plan.summary(built)
        if built.ok or WHERE not in text:
            misses.append(f"{changes}: the operator says {verdict.error!r}; the plan "
                          + ("accepts it" if built.ok else "refuses it without the stack path"))
    print(f"{len(cases)} mutations: {by_config} refused by the stack config, {len(rendered)} rendered, "
          f"{len(refused_by_operator)} of those refused by the operator, {len(misses)} missed by the plan")
    assert not misses, "\n".join(misses)
    assert by_config and rendered and refused_by_operator, "the cases reach every layer (the test could fail)"
