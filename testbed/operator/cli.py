"""``python -m tools.operator_local build|path``: the real operator's build (and where it is)."""

from __future__ import annotations

import argparse
import sys

from testbed.maven_build import MavenBuildError, MavenPrerequisiteError, ensure_built
from testbed.operator.build import RECIPE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.operator_local", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("build", "path"))
    args = parser.parse_args(argv)
    if args.command == "path":
        print(RECIPE.dest)
        return 0
    try:
        stamp = ensure_built(RECIPE)
    except (MavenPrerequisiteError, MavenBuildError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"flink-kubernetes-operator {stamp['version']} built in {stamp['seconds']} s on {stamp['built_at']}: "
          f"{RECIPE.dest}")
    return 0
