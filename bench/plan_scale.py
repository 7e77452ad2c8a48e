"""How the offline plan scales: platform program vs bare resources, small vs large, and peak memory.

    python bench/plan_scale.py [--small-tenants 50] [--large-tenants 500] [--namespaces 10] [--workloads 1]
    python -m bench.plan_scale ...    (the same)

A synthetic stack (``stacks/Pulumi.dev.yaml`` with its tenants replaced by ``tenants × namespaces`` and, per
tenant, ``--workloads`` stateful application FlinkDeployments with a secret each (so a Secret, a SavepointGate and
the impact preview per workload) plus one session cluster with one session job) is planned at two sizes through
the same code as ``python -m tools.plan``: ``run_program`` (the real ``__main__.py`` under the mock monitor), then
``check_run`` (render, schema validation, policy seam) and the output texts. For the same number of
registrations, ``bench/bare_objects.py`` registers the plan's workload objects (same bodies) as plain top-level
resources and fills up with plain ``k8s.core.v1.Namespace`` resources carrying the platform's Namespace labels,
under the same mock monitor: the floor any program pays for the Pulumi SDK for the same objects without
components.

Printed: the cost ratio platform / bare (program run, large size), render+validate time, growth ratio (time per
resource large / small), peak RSS, each next to its target. Targets are not asserted; the exit status is 0 unless
something crashed. Needs the CRD cache (``FLINK_PLATFORM_CRD_CACHE``, e.g. ``../shared/upstream/crds``).
"""

from __future__ import annotations

import argparse
import copy
import gc
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

if __package__ in (None, ""):  # run as a script (``python bench/plan_scale.py``): import from the project root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from components.crds import CACHE_ENV  # noqa: E402
from tools import plan as plan_tool  # noqa: E402
from tools.mock_runtime import PROJECT_ROOT, run_program  # noqa: E402

BARE_PROGRAM = Path(__file__).resolve().parent / "bare_objects.py"
WORKLOAD_KINDS = ("FlinkDeployment", "FlinkSessionJob", "Secret")
BASE_STACK = PROJECT_ROOT / "stacks" / "Pulumi.dev.yaml"
# Offline: read the operator CRDs from ../shared beside the checkout when no cache is named (as `make bench` does).
_SHARED_CRDS = PROJECT_ROOT.parent / "shared" / "upstream" / "crds"
if not os.environ.get(CACHE_ENV) and _SHARED_CRDS.is_dir():
    os.environ[CACHE_ENV] = str(_SHARED_CRDS)
STACK = "bench"

TARGET_COST_RATIO = 1.3
TARGET_GROWTH = 1.2
TARGET_RSS_MIB = 1024


@dataclass
class Measure:
    resources: int
    objects: int
    program_s: float
    check_s: float
    render_s: float
    namespace_labels: dict[str, str]
    workload_objects: list[dict[str, Any]]
    flink_deployments: int

    @property
    def render_validate_s(self) -> float:
        return self.check_s + self.render_s


def synthetic_config(tenants: int, namespaces: int, workloads: int = 1) -> dict[str, Any]:
    config = copy.deepcopy(yaml.safe_load(BASE_STACK.read_text())["config"])
    platform = config["flink-platform:platform"]
    platform["tenants"] = [
        {"name": f"team-{t}", "namespaces": [f"team-{t}-ns-{n}" for n in range(namespaces)]} for t in range(tenants)
    ]
    base = platform["workloads"]
    app, cluster, job = base["applications"][0], base["sessionClusters"][0], base["sessionJobs"][0]
    apps, clusters, jobs, secrets = [], [], [], {}
    for t in range(tenants):
        where = {"tenant": f"team-{t}", "namespace": f"team-{t}-ns-0"}
        for w in range(workloads):
            secret = f"team-{t}-job-{w}-password"
            apps.append({**copy.deepcopy(app), **where, "name": f"job-{w}",
                         "secretEnv": [{"name": "KAFKA_PASSWORD", "secret": secret}]})
            secrets[secret] = {"secure": f"v1:YmVuY2g=:{t}-{w}"}  # as a stack file holds it (ciphertext)
        clusters.append({**copy.deepcopy(cluster), **where})
        jobs.append({**copy.deepcopy(job), **where})
    base.update(applications=apps, sessionClusters=clusters, sessionJobs=jobs)
    config["flink-platform:workloadSecrets"] = secrets
    return config


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    gc.collect()
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def measure_platform(tenants: int, namespaces: int, workloads: int = 1) -> Measure:
    config = synthetic_config(tenants, namespaces, workloads)
    monitor, program_s = _timed(run_program, STACK, config)
    plan, check_s = _timed(plan_tool.check_run, STACK, config, monitor)
    if not plan.ok:
        raise SystemExit("the synthetic plan is not valid:\n" + plan_tool.summary(plan))
    _, render_s = _timed(lambda: (plan.manifests_text(), plan.resources_text(), plan.impact_text()))
    labels = next(o.obj["metadata"].get("labels", {}) for o in plan.objects if o.kind == "Namespace")
    workload_objects = [o.obj for o in plan.objects if o.kind in WORKLOAD_KINDS]
    deployments = sum(1 for o in plan.objects if o.kind == "FlinkDeployment")
    return Measure(len(plan.registrations), len(plan.objects), program_s, check_s, render_s, labels,
                   workload_objects, deployments)


def measure_bare(count: int, labels: dict[str, str], objects: list[dict[str, Any]] | None = None) -> float:
    config = {"count": count, "labels": labels, "objects": objects or []}
    monitor, seconds = _timed(lambda: run_program(STACK, config, program=BARE_PROGRAM))
    if len(monitor.registrations) != count:
        raise SystemExit(f"bare program registered {len(monitor.registrations)} resources, expected {count}")
    return seconds


def peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.plan_scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small-tenants", type=int, default=50)
    parser.add_argument("--large-tenants", type=int, default=500)
    parser.add_argument("--namespaces", type=int, default=10, help="namespaces per tenant")
    parser.add_argument("--workloads", type=int, default=1,
                        help="stateful application FlinkDeployments per tenant (plus one session cluster and job)")
    parser.add_argument("--repeat", type=int, default=1, help="measure each size N times (interleaved), keep the fastest")
    args = parser.parse_args(argv)

    # Warm-up: imports and the CRD files, so neither side of a ratio pays one-off costs.
    measure_platform(1, 1)
    measure_bare(10, {})

    def best(tenants: int) -> tuple[Measure, float]:
        runs = []
        for _ in range(max(1, args.repeat)):  # interleaved, so a busy moment hits both sides alike
            m = measure_platform(tenants, args.namespaces, args.workloads)
            runs.append((m, measure_bare(m.resources, m.namespace_labels, m.workload_objects)))
        fastest = min((m for m, _ in runs), key=lambda m: m.program_s)
        fastest.check_s = min(m.check_s for m, _ in runs)
        fastest.render_s = min(m.render_s for m, _ in runs)
        return fastest, min(b for _, b in runs)

    small, small_bare = best(args.small_tenants)
    large, large_bare = best(args.large_tenants)

    print(f"{'':>28}{'resources':>10}{'objects':>9}{'FlinkDepl.':>11}{'program s':>11}{'bare s':>9}"
          f"{'render+validate s':>19}")
    for label, m, bare in (("small", small, small_bare), ("large", large, large_bare)):
        print(f"{label:>28}{m.resources:>10}{m.objects:>9}{m.flink_deployments:>11}{m.program_s:>11.2f}{bare:>9.2f}"
              f"{m.render_validate_s:>19.2f}")
        print(f"{'':>28}(check/validate {m.check_s:.2f} s, render YAML+JSON {m.render_s:.2f} s)")

    cost = large.program_s / large_bare
    per_small, per_large = small.program_s / small.resources, large.program_s / large.resources
    growth = per_large / per_small
    rv_growth = (large.render_validate_s / large.resources) / (small.render_validate_s / small.resources)
    bare_growth = (large_bare / large.resources) / (small_bare / small.resources)
    rss = peak_rss_mib()
    print()
    print(f"cost ratio platform/bare (program run, {large.resources} resources): {cost:.2f}x"
          f"   target <= {TARGET_COST_RATIO}x   {_verdict(cost <= TARGET_COST_RATIO)}")
    whole = (large.program_s + large.render_validate_s) / large_bare
    print(f"cost ratio whole plan (program + render + validate) / bare: {whole:.2f}x"
          f"   target <= {TARGET_COST_RATIO}x   {_verdict(whole <= TARGET_COST_RATIO)}")
    print(f"render+validate ({large.resources} resources): {large.render_validate_s:.2f} s"
          f" = {1000 * large.render_validate_s / large.resources:.3f} ms/resource")
    print(f"growth ratio (time per resource large/small), program run: {growth:.2f}"
          f"   target <= {TARGET_GROWTH} (linear)   {_verdict(growth <= TARGET_GROWTH)}")
    print(f"growth ratio, render+validate: {rv_growth:.2f}"
          f"   target <= {TARGET_GROWTH} (linear)   {_verdict(rv_growth <= TARGET_GROWTH)}")
    print(f"growth ratio, bare program (reference): {bare_growth:.2f}")
    added = large.resources - small.resources
    print(f"marginal cost per added resource (large - small): program {1000 * (large.program_s - small.program_s) / added:.2f}"
          f" ms, bare {1000 * (large_bare - small_bare) / added:.2f} ms,"
          f" render+validate {1000 * (large.render_validate_s - small.render_validate_s) / added:.3f} ms")
    print(f"peak RSS: {rss:.0f} MiB   target < {TARGET_RSS_MIB} MiB   {_verdict(rss < TARGET_RSS_MIB)}")
    # The SDK leaves an event loop in each executor thread (pulumi.runtime.sync_await._ensure_event_loop); collect
    # them now, while their sockets are still open, not during interpreter shutdown (noisy "Invalid file descriptor").
    gc.collect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
