"""Write (or check) the JSON Schema of the stack files: ``python -m tools.config_schema [--check]``.

Editors that understand ``# yaml-language-server: $schema=...`` (the first line of each ``stacks/Pulumi.*.yaml``)
then validate the platform config while it is typed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from components.config.models import stack_file_json_schema

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "stacks" / "stack-config.schema.json"


def render() -> str:
    return json.dumps(stack_file_json_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.config_schema", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed schema is not current")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else ""
        if current != text:
            print(f"{SCHEMA_FILE} is out of date: run `python -m tools.config_schema`", file=sys.stderr)
            return 1
        print(f"{SCHEMA_FILE} is current")
        return 0
    SCHEMA_FILE.write_text(text)
    print(f"wrote {SCHEMA_FILE}")
    return 0

