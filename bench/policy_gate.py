"""Throughput of the policy gate: resources per second through the Analyzer, this pack vs no-op packs.

    python -m bench.policy_gate [--tenants 40] [--namespaces 10] [--rounds 3]

The stack: the real program planned for ``tenants × namespaces`` namespaces (``bench.plan_scale``'s synthetic
config: Namespaces, tenants, the four operator CRDs), plus per namespace the objects the workload and RBAC issues
add (job ServiceAccount/Role/RoleBinding, an application FlinkDeployment, a session FlinkDeployment with a
FlinkSessionJob, a FlinkStateSnapshot, a NetworkPolicy), so every policy has work. At the defaults that is ~4,000
resources.

Each pack is started the same way (``planning.policy_gate.AnalyzerProcess``: ``python -m pulumi.policy`` in the
pack's virtualenv), configured with every policy mandatory, and driven the same way: one ``Analyze`` per
resource, then one ``AnalyzeStack``. Packs:

- ``pack``: policies/ (kind-dispatched policies, shared deserialization);
- ``noop``: the same number of resource and stack policies that do nothing, plain SDK;
- ``noop+shared``: the same no-op pack with ``policies.shared_props`` installed (what the rules themselves cost).

All three packs run side by side and the rounds are interleaved, so load from other processes hits them alike.
Printed: resources/s for each (best of ``--rounds``), the ratios time(pack)/time(noop) and
time(pack)/time(noop+shared), next to the target (≤ 1.3×). Exit status 0 unless something crashed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.plan_scale import STACK, synthetic_config  # noqa: E402 (sets the offline CRD cache)
from planning import policy_gate as policy_check  # noqa: E402
from planning.mock_runtime import PROJECT_ROOT, run_program  # noqa: E402

TARGET_RATIO = 1.3

NOOP_MAIN = """
import sys
sys.path.insert(0, {root!r})
from pulumi_policy import PolicyPack, ResourceValidationPolicy, StackValidationPolicy
{shared}
def nothing(args, report_violation):
    return None
PolicyPack(name="noop", policies=[ResourceValidationPolicy(f"noop-{{i}}", "does nothing", nothing)
                                  for i in range({resource_policies})]
                                 + [StackValidationPolicy(f"noop-stack-{{i}}", "does nothing", nothing)
                                    for i in range({stack_policies})])
"""


def _flink_objects(ns: str) -> list[dict[str, Any]]:
    sec = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True}
    spec = {
        "image": "flink:2.2.0", "flinkVersion": "v2_2", "serviceAccount": "flink",
        "flinkConfiguration": {"execution.checkpointing.dir": "s3://b/cp", "execution.checkpointing.savepoint-dir":
                               "s3://b/sp", "high-availability.type": "kubernetes"},
        "podTemplate": {"spec": {"securityContext": {"runAsNonRoot": True},
                                 "containers": [{"name": "flink-main-container", "securityContext": sec}]}},
        "jobManager": {"resource": {"memory": "2048m", "cpu": 1}},
        "taskManager": {"resource": {"memory": "2048m", "cpu": 1}},
    }
    app = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
           "metadata": {"name": "orders", "namespace": ns},
           "spec": {**copy.deepcopy(spec), "job": {"jarURI": "local:///opt/flink/usrlib/job.jar", "parallelism": 2,
                                                   "upgradeMode": "savepoint"}}}
    session = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
               "metadata": {"name": "session", "namespace": ns}, "spec": copy.deepcopy(spec)}
    job = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob",
           "metadata": {"name": "report", "namespace": ns},
           "spec": {"deploymentName": "session", "job": {"jarURI": "https://repo1.maven.org/x/job.jar",
                                                         "parallelism": 2, "upgradeMode": "savepoint"}}}
    snapshot = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkStateSnapshot",
                "metadata": {"name": "orders-sp", "namespace": ns},
                "spec": {"savepoint": {"path": "s3://b/sp/1", "alreadyExists": True}}}
    rbac = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "flink", "namespace": ns}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "flink", "namespace": ns},
         "rules": [{"apiGroups": [""], "resources": ["pods", "configmaps"],
                    "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": "flink-role-binding", "namespace": ns},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "flink"},
         "subjects": [{"kind": "ServiceAccount", "name": "flink", "namespace": ns}]},
    ]
    netpol = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "flink", "namespace": ns},
              "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                       "egress": [{"to": [{"namespaceSelector": {}}], "ports": [{"port": 443}]}]}}
    return [app, session, job, snapshot, *rbac, netpol]


def _type(obj: dict[str, Any]) -> str:
    api = obj["apiVersion"] if "/" in obj["apiVersion"] else f"core/{obj['apiVersion']}"
    return f"kubernetes:{api}:{obj['kind']}"


def build_stack(tenants: int, namespaces: int) -> list[dict[str, Any]]:
    config = synthetic_config(tenants, namespaces)
    monitor = run_program(STACK, config)
    resources = [r.to_json() for r in monitor.registrations]
    namespaces_ = [r["inputs"]["metadata"]["name"] for r in resources if r["type"] == "kubernetes:core/v1:Namespace"]
    operator_cm = {"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "flink-operator-config", "namespace": "flink-operator"},
                   "data": {"config.yaml": f"kubernetes.operator.watched.namespaces: {','.join(namespaces_)}\n"}}
    extra = [operator_cm] + [o for ns in namespaces_ for o in _flink_objects(ns)]
    for i, obj in enumerate(extra):
        typ, name = _type(obj), f"bench-{i}"
        resources.append({"urn": f"urn:pulumi:{STACK}::flink-platform::{typ}::{name}", "type": typ, "name": name,
                          "custom": True, "parent": "", "provider": "", "dependencies": [],
                          "propertyDependencies": {}, "options": {}, "inputs": obj, "outputs": {}})
    return resources


def drive(packs: dict[str, Path], resources: list[dict[str, Any]], rounds: int) -> dict[str, tuple[float, int]]:
    """Best wall time of ``rounds`` full passes (Analyze each + AnalyzeStack) per pack, and the diagnostics of the
    last pass. All packs run side by side and the rounds are interleaved (pack, noop, noop+shared, pack, ...), so
    load from other processes on the machine hits them alike."""
    best = {label: (float("inf"), 0) for label in packs}
    with contextlib.ExitStack() as stack:
        analyzers = {}
        for label, pack_dir in packs.items():
            analyzer = stack.enter_context(policy_check.AnalyzerProcess(pack_dir, stack=STACK,
                                                                         python=policy_check.pack_python()))
            analyzer.configure(policy_check.resolve_config(analyzer.info(), {"all": "mandatory"}))
            for r in resources[:20]:  # warm-up: imports, first-call paths
                analyzer.analyze(r)
            analyzers[label] = analyzer
        for _ in range(rounds):
            for label, analyzer in analyzers.items():
                start = time.perf_counter()
                report = policy_check.analyze_all(analyzer, resources)
                seconds = time.perf_counter() - start
                best[label] = (min(best[label][0], seconds), len(report.diagnostics))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.policy_gate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=40)
    parser.add_argument("--namespaces", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    resources = build_stack(args.tenants, args.namespaces)
    from policies.pack import all_policies
    from pulumi_policy import StackValidationPolicy

    policies = all_policies()
    stack_n = sum(isinstance(p, StackValidationPolicy) for p in policies)
    resource_n = len(policies) - stack_n
    print(f"stack: {len(resources)} resources ({args.tenants} tenants x {args.namespaces} namespaces); "
          f"pack: {resource_n} resource + {stack_n} stack policies")

    results = {}
    with tempfile.TemporaryDirectory(prefix="noop-pack-") as tmp:
        packs = {"pack": PROJECT_ROOT / "policies"}
        for label, shared in (("noop", ""), ("noop+shared", "from policies import shared_props\nshared_props.install()")):
            d = Path(tmp) / label.replace("+", "_")
            d.mkdir()
            (d / "__main__.py").write_text(NOOP_MAIN.format(root=str(PROJECT_ROOT), shared=shared,
                                                             resource_policies=resource_n, stack_policies=stack_n))
            packs[label] = d
        for label, (seconds, diagnostics) in drive(packs, resources, args.rounds).items():
            results[label] = seconds
            print(f"  {label:<12} {seconds:8.2f} s  {len(resources) / seconds:8.0f} resources/s  "
                  f"({diagnostics} diagnostics)")
    for base in ("noop", "noop+shared"):
        ratio = results["pack"] / results[base]
        verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
        print(f"ratio pack / {base:<12} {ratio:5.2f}x  (target <= {TARGET_RATIO}x: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
