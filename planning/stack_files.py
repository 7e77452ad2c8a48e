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


def read_stack_file(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
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
