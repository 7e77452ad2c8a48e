"""The policy pack as the tests use it: one real Analyzer process (``python -m pulumi.policy``) per session.

``policy_judge`` starts the pack once with ``planning.policy_gate.AnalyzerProcess`` (the same code path as the gate)
and stops it at the end of the session, so no test leaks the process. Each call configures the pack first, so
tests do not depend on each other's configuration.
"""

from __future__ import annotations

import copy
from typing import Any, Iterator, Mapping, Sequence

import pytest

from planning import policy_gate as policy_check
from planning.policy_gate import AnalyzerProcess, Diagnostic

TEST_STACK = "policytest"


def type_token(obj: Mapping[str, Any]) -> str:
    """The Pulumi type token of a Kubernetes object (``kubernetes:apps/v1:Deployment``, ``kubernetes:core/v1:Pod``)."""
    api_version = obj["apiVersion"]
    if "/" not in api_version:
        api_version = f"core/{api_version}"
    return f"kubernetes:{api_version}:{obj['kind']}"


def record(obj: Mapping[str, Any], index: int = 0) -> dict[str, Any]:
    """A resources.json entry for a Kubernetes object (as the plan writes it)."""
    name = obj.get("metadata", {}).get("name") or f"unnamed-{index}"
    typ = type_token(obj)
    return {
        "urn": f"urn:pulumi:{TEST_STACK}::flink-platform::{typ}::{name}-{index}",
        "type": typ,
        "name": f"{name}-{index}",
        "custom": True,
        "parent": "",
        "provider": "",
        "dependencies": [],
        "propertyDependencies": {},
        "options": {},
        "inputs": copy.deepcopy(dict(obj)),
        "outputs": {},
    }


class Judge:
    """Configure-then-analyze helper over the session's Analyzer process."""

    def __init__(self, analyzer: AnalyzerProcess):
        self.analyzer = analyzer
        self.info = analyzer.info()
        self.names = [p.name for p in self.info.policies]

    def configure(self, config: Mapping[str, Any] | None = None) -> None:
        self.analyzer.configure(policy_check.resolve_config(self.info, config or {"all": "mandatory"}))

    def only(self, *names: str, **props: Mapping[str, Any]) -> dict[str, Any]:
        """A config with ``names`` mandatory (and their properties) and every other policy disabled."""
        config: dict[str, Any] = {"all": "disabled"}
        for n in names:
            config[n] = {"enforcementLevel": "mandatory", **props.get(n.replace("-", "_"), {})}
        return config

    def resource(self, obj: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> list[Diagnostic]:
        self.configure(config)
        r = record(obj)
        return policy_check._diagnostics(self.analyzer.analyze(r), r["urn"])

    def stack(self, objs: Sequence[Mapping[str, Any]], config: Mapping[str, Any] | None = None) -> list[Diagnostic]:
        self.configure(config)
        records = [record(o, i) for i, o in enumerate(objs)]
        return policy_check._diagnostics(self.analyzer.analyze_stack(records), "")

    def records(self, records: Sequence[Mapping[str, Any]], config: Mapping[str, Any] | None = None):
        self.configure(config)
        return policy_check.analyze_all(self.analyzer, records)


@pytest.fixture(scope="session")
def policy_judge() -> Iterator[Judge]:
    with AnalyzerProcess(stack=TEST_STACK) as analyzer:
        yield Judge(analyzer)


def policies_of(diagnostics: Sequence[Diagnostic]) -> set[str]:
    return {d.policy for d in diagnostics}


@pytest.fixture(scope="session")
def operator_validator():
    """The operator's own DefaultValidator (testbed/operator/validator.py): one JVM for the whole session, built
    from ../shared first if needed, stopped at the end."""
    from testbed.operator.validator import OperatorValidator

    with OperatorValidator() as validator:
        yield validator
