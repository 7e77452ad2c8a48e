"""The committed stack files (``stacks/Pulumi.<stack>.yaml``): where they are and how one is read.

Shared by the offline plan and the policy gate (each reads a stack by name), so neither imports the other for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from planning.mock_runtime import PROJECT_ROOT

STACKS_DIR = PROJECT_ROOT / "stacks"


class PlanError(Exception):
    """The plan could not be built (bad arguments, unreadable config file, unusable --out)."""


def stack_file(stack: str) -> Path:
    return STACKS_DIR / f"Pulumi.{stack}.yaml"


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping key given twice (PyYAML keeps the last one silently)."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:  # the keys written here; keys a merge (<<) brings in may be overridden
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key: the constructor below says so with its position
            continue
        line = key_node.start_mark.line + 1
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}: first on line {first}, again on line {line} (YAML keeps only "
                "the last one; remove one of them)", key_node.start_mark)
        seen[key] = line
    loader.flatten_mapping(node)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def load_yaml(text: str) -> Any:
    """One YAML document, refusing duplicate mapping keys (with both line numbers)."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def read_stack_file(path: Path) -> dict[str, Any]:
    try:
        document = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise PlanError(f"cannot read config file {path}: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        raise PlanError(f"config file {path} is not valid YAML: {err}") from None
    if not isinstance(document, dict) or not isinstance(document.get("config"), dict):
        raise PlanError(f"config file {path} has no 'config:' mapping (expected the Pulumi.<stack>.yaml format)")
    return document["config"]


def stack_from_file_name(path: Path) -> str | None:
    name = path.name
    for suffix in (".yaml", ".yml"):
        if name.startswith("Pulumi.") and name.endswith(suffix) and len(name) > len("Pulumi.") + len(suffix):
            return name[len("Pulumi.") : -len(suffix)]
    return None
