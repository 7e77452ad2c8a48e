"""The pack's contents: its name and every policy, built without starting anything.

``policies/__main__.py`` hands these to ``PolicyPack`` (which starts the gRPC server); tests and tools import this
module to list policy names and config schemas.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from policies import operator_rules, platform_rules, stack_rules, tenant_rules

PACK_NAME = "flink-platform"
#: Level of every policy a config does not mention (pulumi-policy's own default).
DEFAULT_LEVEL = EnforcementLevel.ADVISORY


def all_policies() -> list[Policy]:
    found = [*operator_rules.policies(), *platform_rules.policies(), *stack_rules.policies(),
             *tenant_rules.policies()]
    names = [p.name for p in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate policy names {duplicates}")
    return found
