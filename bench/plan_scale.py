"""How the offline plan scales: platform program vs bare resources, small vs large, and peak memory.

    python bench/plan_scale.py [--small-tenants 5] [--large-tenants 50] [--namespaces 10] [--own-operator-every 5]
                               [--jobs-per-tenant 4]
    python -m bench.plan_scale ...    (the same)

A synthetic stack (``stacks/Pulumi.dev.yaml`` with its tenants replaced by ``tenants × namespaces``; every
``--own-operator-every``-th tenant runs its own operator, the others are watched by the shared one, each watched
namespace gets the upstream RBAC and its network policies; every tenant runs ``--jobs-per-tenant`` application jobs
with a secret and a savepoint gate each, a session cluster and a session job, so the large size has 250
FlinkDeployments and 50 FlinkSessionJobs) is planned at two sizes through the same code as ``python -m tools.plan``: ``run_program`` (the real ``__main__.py`` under the
mock monitor), then ``check_run`` (render, schema validation, policy seam) and the two output texts. The baseline
(``--baseline objects``, default) is ``bench/bare_objects.py``: the very objects the plan rendered (Deployments,
Roles, NetworkPolicies, CRDs ...) declared as plain top-level resources of the same classes under the same mock
monitor: the floor any program pays for the Pulumi SDK for the same objects without components. ``--baseline
namespaces`` is the older floor: as many bare Namespaces as the platform registers resources
(``bench/bare_namespaces.py``), which undercounts programs whose objects are bigger than a Namespace.

Printed: the cost ratio platform / bare (program run, large size), render+validate time, growth ratio (time per
resource large / small), peak RSS, each next to its target. Targets are not asserted; the exit status is 0 unless
something crashed. Needs the CRD cache (``FLINK_PLATFORM_CRD_CACHE``, e.g. ``../shared/upstream/crds``).
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

if __package__ in (None, ""):  # run as a script (``python bench/plan_scale.py``): import from the project root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from components.operator.crds import CACHE_ENV  # noqa: E402
from planning import plan as plan_tool  # noqa: E402
from planning.mock_runtime import PROJECT_ROOT, run_program  # noqa: E402

BARE_PROGRAM = Path(__file__).resolve().parent / "bare_namespaces.py"
BARE_OBJECTS_PROGRAM = Path(__file__).resolve().parent / "bare_objects.py"
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
    manifests: list[dict[str, Any]]
    flink_deployments: int = 0
    session_jobs: int = 0
    #: The policy gate has its own benchmark (bench/policy_gate.py, ratio against a no-op pack); here it is timed
    #: once per size and reported apart, not folded into the cost ratio against bare resources (which have no pack).
    policy_gate_s: float | None = None

    @property
    def render_validate_s(self) -> float:
        return self.check_s + self.render_s


def synthetic_config(tenants: int, namespaces: int, own_operator_every: int = 0, workloads: int = 2
                     ) -> dict[str, Any]:
    """``tenants × namespaces``; every ``own_operator_every``-th tenant with its own operator; per tenant
    ``workloads`` application jobs (each with a secret and a savepoint gate), one session cluster and one session
    job, copied from the dev stack's workloads."""
    config = copy.deepcopy(yaml.safe_load(BASE_STACK.read_text())["config"])
    platform = config["flink-platform:platform"]
    runners = platform["tenants"][0].get("restRunners", [])  # where pulumi up runs: the gates reach the JobManagers
    platform["tenants"] = [
        {"name": f"team-{t}", "namespaces": [f"team-{t}-ns-{n}" for n in range(namespaces)],
         "secrets": [f"team-{t}-job-{w}-password" for w in range(workloads)], "restRunners": copy.deepcopy(runners)}
        for t in range(tenants)
    ]
    if own_operator_every > 0:
        for t, tenant in enumerate(platform["tenants"]):
            if t % own_operator_every == 0:
                tenant["operator"] = {"namespace": f"team-{t}-operator", "replicas": 2}
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


@dataclass(frozen=True)
class Settings:
    """What one benchmark run measures (the command-line options)."""

    small_tenants: int = 5
    large_tenants: int = 50
    namespaces: int = 10
    repeat: int = 1
    #: Every how many tenants one runs its own operator (0: only the shared operator).
    own_operator_every: int = 5
    #: Gated application jobs per tenant (besides one session cluster and one session job).
    jobs_per_tenant: int = 4
    #: "objects" (the same objects, no components) or "namespaces" (as many bare Namespaces).
    baseline: str = "objects"


DEFAULTS = Settings()


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    gc.collect()
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def _check_without_policies(config: dict[str, Any], monitor: Any) -> Any:
    return plan_tool.check_run(STACK, config, monitor, policies=lambda records: plan_tool.PolicyVerdict())


def measure_platform(tenants: int, namespaces: int, settings: Settings, *, gate: bool = False) -> Measure:
    config = synthetic_config(tenants, namespaces, settings.own_operator_every, settings.jobs_per_tenant)
    monitor, program_s = _timed(run_program, STACK, config)
    plan, check_s = _timed(_check_without_policies, config, monitor)
    gate_s = None
    if gate:
        verdict, gate_s = _timed(plan_tool.run_policies, list(monitor.registrations))
        if not verdict.passed:
            raise SystemExit("the synthetic plan fails the policy pack:\n" + "\n".join(verdict.violations[:20]))
    if not plan.ok:
        raise SystemExit("the synthetic plan is not valid:\n" + plan_tool.summary(plan))
    _, render_s = _timed(plan.files)
    labels = next(o.obj["metadata"].get("labels", {}) for o in plan.objects
                  if o.kind == "Namespace" and o.name.startswith("team-0-ns"))
    return Measure(len(plan.registrations), len(plan.objects), program_s, check_s, render_s, labels,
                   [o.obj for o in plan.objects],
                   flink_deployments=sum(1 for o in plan.objects if o.kind == "FlinkDeployment"),
                   session_jobs=sum(1 for o in plan.objects if o.kind == "FlinkSessionJob"), policy_gate_s=gate_s)


def measure_baseline(m: Measure, settings: Settings) -> float:
    if settings.baseline == "namespaces":
        return measure_bare(m.resources, m.namespace_labels)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "manifests.json"
        path.write_text(json.dumps(m.manifests), encoding="utf-8")
        monitor, seconds = _timed(lambda: run_program(STACK, {"manifests": str(path)}, program=BARE_OBJECTS_PROGRAM))
    if len(monitor.registrations) != len(m.manifests):
        raise SystemExit(f"bare program registered {len(monitor.registrations)} resources, expected {len(m.manifests)}")
    return seconds


def measure_bare(count: int, labels: dict[str, str]) -> float:
    config = {"count": count, "labels": labels}
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


def parse_args(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench.plan_scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small-tenants", type=int, default=DEFAULTS.small_tenants)
    parser.add_argument("--large-tenants", type=int, default=DEFAULTS.large_tenants)
    parser.add_argument("--namespaces", type=int, default=DEFAULTS.namespaces, help="namespaces per tenant")
    parser.add_argument("--repeat", type=int, default=DEFAULTS.repeat,
                        help="measure each size N times (interleaved), keep the fastest")
    parser.add_argument("--own-operator-every", type=int, default=DEFAULTS.own_operator_every,
                        help="every N-th tenant runs its own operator (0: only the shared operator)")
    parser.add_argument("--jobs-per-tenant", type=int, default=DEFAULTS.jobs_per_tenant,
                        help="gated application jobs per tenant (besides one session cluster and one session job)")
    parser.add_argument("--baseline", choices=("objects", "namespaces"), default=DEFAULTS.baseline,
                        help="bare program: the same objects without components (default), or bare Namespaces")
    return Settings(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


def run(settings: Settings) -> int:
    """Measure both sizes and print every figure next to its target."""
    # Warm-up: imports and the CRD files, so neither side of a ratio pays one-off costs.
    measure_platform(1, 1, settings)
    measure_bare(10, {})

    def best(tenants: int) -> tuple[Measure, float]:
        runs = []
        for i in range(max(1, settings.repeat)):  # interleaved, so a busy moment hits both sides alike
            m = measure_platform(tenants, settings.namespaces, settings, gate=i == 0)
            runs.append((m, measure_baseline(m, settings)))
        fastest = min((m for m, _ in runs), key=lambda m: m.program_s)
        fastest.check_s = min(m.check_s for m, _ in runs)
        fastest.render_s = min(m.render_s for m, _ in runs)
        fastest.policy_gate_s = runs[0][0].policy_gate_s
        return fastest, min(b for _, b in runs)

    small, small_bare = best(settings.small_tenants)
    large, large_bare = best(settings.large_tenants)

    every = settings.own_operator_every
    own = len([t for t in range(settings.large_tenants) if every and t % every == 0])
    print(f"large: {settings.large_tenants} tenants x {settings.namespaces} namespaces, {own} tenants with their own operator"
          f" (plus the shared one); {large.flink_deployments} FlinkDeployments, {large.session_jobs} FlinkSessionJobs")
    print(f"baseline: {settings.baseline}")
    print(f"{'':>28}{'resources':>10}{'objects':>9}{'program s':>11}{'bare s':>9}{'render+validate s':>19}")
    for label, m, bare in (("small", small, small_bare), ("large", large, large_bare)):
        print(f"{label:>28}{m.resources:>10}{m.objects:>9}{m.program_s:>11.2f}{bare:>9.2f}{m.render_validate_s:>19.2f}")
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
    gate = large.policy_gate_s
    if gate is not None:
        print(f"policy gate ({large.resources} resources, the pack started as the CLI starts it): {gate:.2f} s"
              " (not in the ratios above; bench/policy_gate.py measures it against a no-op pack)")
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
