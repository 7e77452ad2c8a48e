"""Reading a stack file: what is refused before the program runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from planning.stack_files import PlanError, read_stack_file

STACK = """\
config:
  flink-platform:platform:
    environment: dev
    workloads:
      applications:
        - name: orders
          taskManager:
            replicas: 1
            replicas: 3
"""


def test_a_duplicate_key_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(STACK)
    with pytest.raises(PlanError) as err:
        read_stack_file(path)
    assert "duplicate key 'replicas': first on line 8, again on line 9" in str(err.value)
    assert str(path) in str(err.value)


def test_the_same_key_in_sibling_mappings_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(STACK.replace("            replicas: 3\n", "        - name: search\n          taskManager:\n"
                                  "            replicas: 3\n"))
    apps = read_stack_file(path)["flink-platform:platform"]["workloads"]["applications"]
    assert [a["taskManager"]["replicas"] for a in apps] == [1, 3]


def test_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text("config:\n  base: &b {a: 1, b: 2}\n  derived:\n    <<: *b\n    b: 3\n")
    assert read_stack_file(path)["derived"] == {"a": 1, "b": 3}
