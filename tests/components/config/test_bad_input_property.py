"""Property: whatever field of a committed stack is made wrong (wrong type, wrong unit, out of range, empty,
duplicated), the config is either valid or refused with one ConfigError listing every problem with its path,
never a traceback. Derandomized; the cases that once raised are pinned as examples."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from components.config.models import ConfigError
from components.config.rules import load_platform_config
from tests.conftest import STACKS, platform_config


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every value's path in a config (mappings by key, lists by index), the root excluded."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        out.append(prefix + (key,))
        out += paths(value, prefix + (key,))
    return out


PATHS = {stack: paths(platform_config(stack)) for stack in STACKS}
BAD = ["two", -1, 0, 1.5, 10**12, "2GiB", "100m", "", " ", [], {}, None, True, "x" * 300, "Bad Key!", [1, 2],
       {"a": 1}, "1.30", 1.3]


def mutate(stack: str, index: int, bad: Any) -> dict:
    cfg = copy.deepcopy(platform_config(stack))
    path = PATHS[stack][index % len(PATHS[stack])]
    node = cfg
    for part in path[:-1]:
        node = node[part]
    if bad == "<duplicate>" and isinstance(node[path[-1]], list) and node[path[-1]]:
        node[path[-1]].append(copy.deepcopy(node[path[-1]][0]))
    elif bad == "<delete>" and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = bad
    return cfg


def outcome(cfg: dict) -> str:
    try:
        load_platform_config(cfg)
    except ConfigError as err:
        assert err.problems, "a ConfigError lists its problems"
        for p in err.problems:
            assert p.path.startswith("platform"), p
            assert p.found and p.allowed, p
        assert len({tuple(p) for p in err.problems}) == len(err.problems), "each problem once"
        return "refused"
    return "valid"


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(STACKS), st.integers(0, 10**6), st.sampled_from(BAD + ["<duplicate>", "<delete>"]))
@example("dev", [i for i, p in enumerate(PATHS["dev"]) if p[-1] == "memory"][1], "2GiB")
@example("dev", next(i for i, p in enumerate(PATHS["dev"]) if p[-1] == "taskmanager.numberOfTaskSlots"), "two")
@example("dev", next(i for i, p in enumerate(PATHS["dev"]) if p[-1] == "tenants"), [])
@example("staging", next(i for i, p in enumerate(PATHS["staging"]) if p[-1] == "plainSessionClusters"), "<duplicate>")
@example("prod", next(i for i, p in enumerate(PATHS["prod"]) if p[-1] == "namespaces"), "<duplicate>")
def test_a_wrong_field_is_valid_or_one_config_error_never_a_traceback(stack: str, index: int, bad: Any) -> None:
    assert outcome(mutate(stack, index, bad)) in ("valid", "refused")


@pytest.mark.parametrize("stack", STACKS)
def test_every_field_of_every_stack_survives_every_wrong_value(stack: str) -> None:
    """Exhaustive over the fields of a stack for a few of the values (the property above samples the rest)."""
    seen = {"valid": 0, "refused": 0}
    for index in range(len(PATHS[stack])):
        for bad in ("two", [], "<duplicate>"):
            seen[outcome(mutate(stack, index, bad))] += 1
    assert seen["refused"] > 0


@pytest.mark.parametrize("case", ["memory-GiB", "slots-two", "max-parallelism"])
def test_the_plan_entry_fails_with_an_error_not_a_traceback(case: str, tmp_path, capsys) -> None:
    from planning import plan
    from tests.conftest import stack_config, write_stack_file

    config = stack_config("dev")
    app = config["flink-platform:platform"]["workloads"]["applications"][0]
    {"memory-GiB": lambda: app["taskManager"]["resource"].update(memory="2GiB"),
     "slots-two": lambda: app["flinkConfiguration"].update({"taskmanager.numberOfTaskSlots": "two"}),
     "max-parallelism": lambda: app["flinkConfiguration"].update({"pipeline.max-parallelism": 1})}[case]()
    path = write_stack_file(tmp_path / "Pulumi.dev.yaml", config)
    assert plan.main(["--config-file", str(path), "--out", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert "error: invalid stack config 'flink-platform:platform' (1 problem(s)):" in captured.err
    assert "- platform.workloads.applications[0]." in captured.err and "Traceback" not in captured.err
    assert not (tmp_path / "out").exists()
