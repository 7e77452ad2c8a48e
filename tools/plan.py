"""Offline plan: run the program under Pulumi mocks, render every Kubernetes object, validate it, write the plan.

Usage::

    python -m tools.plan --stack dev [--out build/dev]
    python -m tools.plan --config-file path/to/Pulumi.<name>.yaml [--stack NAME] [--out DIR]

``--stack`` reads ``stacks/Pulumi.<stack>.yaml``; ``--config-file`` reads any file in that format (the stack name
is ``--stack`` if given, else ``<name>`` from the file name). The default ``--out`` is ``build/<stack>`` under the
project root. No Pulumi CLI, cloud, cluster or provider plugin is involved; the CRD files come from the digest
checked cache (``FLINK_PLATFORM_CRD_CACHE``) or upstream, exactly as in ``pulumi up``.

It writes ``<out>/manifests.yaml`` (every Kubernetes object, multi-document YAML in apply order),
``<out>/resources.json`` (every Pulumi resource with type, URN, parent, dependencies, provider, options, inputs,
component outputs, plus the stack outputs) and ``<out>/impact.md`` (what the operator will do to each workload's
running job compared with ``--previous DIR``, an earlier plan), prints a summary and ``PLAN OK`` / ``PLAN FAILED``.

Validation: every built-in object against the strict OpenAPI schema of the stack's
``platform.cluster.kubernetesVersion``; every custom resource against the schema of the CRD that serves it. The
source of truth for CRD schemas is the set of CustomResourceDefinition objects in the plan itself (the ones the
OperatorCrds component created from its digest-checked files), i.e. exactly what the cluster will serve after
this plan is applied. A custom resource no CRD in the plan serves is an error.

Exit status: 0 plan OK; 1 plan failed (invalid config, CRD source error, invalid or unidentifiable object,
policy violation); 2 usage error. **On failure nothing is written**: the whole plan is built in memory first; only
a successful plan is written, into a temporary directory beside ``--out`` that then replaces ``--out``. An
``--out`` left by an earlier run is kept untouched when this run fails (the non-zero exit says it is not current).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pulumi
import yaml

from components.config import CONFIG_KEY, load_platform_config
from components import crds, impact
from components.workload_spec import POD_MONITOR_API_VERSION, POD_MONITOR_KIND
from components.workloads import SPECS_OUTPUT
from components.crds import CrdSchemas
from tools import manifests
from tools.manifests import KubeObject
from tools.mock_runtime import PROJECT, PROJECT_ROOT, RecordingMonitor, Registration, run_program, stack_config
from tools.schema_validation import SchemaValidator, UnsupportedKubernetesVersion

MANIFESTS_FILE = "manifests.yaml"
RESOURCES_FILE = "resources.json"
IMPACT_FILE = "impact.md"
PLAN_FILES = (MANIFESTS_FILE, RESOURCES_FILE, IMPACT_FILE)
STACKS_DIR = PROJECT_ROOT / "stacks"


CRD_SOURCES_HELP = f"""\
where the operator CRDs come from (each file's sha256 is checked against the pins in components/upstream.py):
  1. operator.crds.source: local  -> the files in operator.crds.localDir (air-gapped clusters);
  2. otherwise the CRD cache ${crds.CACHE_ENV} (default ~/.cache/flink-platform/crds/<version>/);
  3. otherwise a download from the operator's release tag on GitHub, saved into that cache.
Without network access point the cache at a local copy, e.g. ../shared/upstream/crds beside this checkout:
  {crds.CACHE_ENV}=../shared/upstream/crds python -m tools.plan --stack dev
(`make plan STACK=dev` does this for you when ../shared is there.)"""


class PlanError(Exception):
    """The plan could not be built (bad arguments, unreadable config file, unusable --out)."""


@dataclass(frozen=True)
class PolicyVerdict:
    """Result of the policy pack over the plan's resources; ``violations`` fail the plan, advisories do not."""

    violations: tuple[str, ...] = ()
    advisories: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.violations


def run_policies(records: Sequence[Registration]) -> PolicyVerdict:
    """Seam for the policy pack check (``tools/policy_check.py``, a later issue): judge every recorded resource.

    ``records`` are the engine's view of every resource (type, URN, inputs, options, parent, provider,
    dependencies), the same data ``pulumi preview --policy-pack`` hands to the analyzer. No policies yet.
    """
    return PolicyVerdict()


@dataclass
class Plan:
    stack: str
    kubernetes_version: str
    registrations: list[Registration]
    stack_urn: str
    stack_outputs: dict[str, Any]
    objects: list[KubeObject]
    problems: list[str] = field(default_factory=list)
    policy: PolicyVerdict = field(default_factory=PolicyVerdict)
    #: Objects of kinds the stack declares external whose CRD is not in the plan (not schema-validated).
    unvalidated: list[str] = field(default_factory=list)
    #: Workload records of an earlier plan (``--previous DIR``); None when no earlier plan was given.
    previous: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.policy.passed

    def manifests_text(self) -> str:
        return manifests.manifests_yaml(self.objects)

    def impacts(self) -> list[impact.Impact]:
        """What the operator will do with each workload compared with the earlier plan."""
        return impact.compare(self.previous, self.stack_outputs.get(SPECS_OUTPUT) or {})

    def impact_text(self) -> str:
        return impact.table(self.impacts(), previous_known=self.previous is not None)

    def resources_text(self) -> str:
        return manifests.resources_json(
            self.registrations,
            project=PROJECT,
            stack=self.stack,
            stack_urn=self.stack_urn,
            stack_outputs=self.stack_outputs,
        )


def crd_schemas(objects: Sequence[KubeObject]) -> CrdSchemas:
    """Schemas of the served versions of every CustomResourceDefinition in the plan (the CRD source of truth)."""
    return CrdSchemas.from_bodies(
        [o.obj for o in objects if o.kind == "CustomResourceDefinition" and o.api_version == "apiextensions.k8s.io/v1"]
    )


def validate_objects(objects: Sequence[KubeObject], validator: SchemaValidator,
                     external: frozenset[tuple[str, str]] = frozenset()) -> list[str]:
    """One message per schema problem: the object (kind namespace/name, URN), JSON path, found, allowed.

    ``external`` kinds (apiVersion, kind) are served by CRDs the stack declares the cluster has but does not
    manage (e.g. the Prometheus operator's PodMonitor): validated when a CRD in the plan serves them, otherwise
    skipped (see :func:`unvalidated`).
    """
    problems = manifests.identity_problems(objects)
    for o in objects:
        if (o.api_version, o.kind) in external and validator.source_of(o.api_version, o.kind) is None:
            continue
        problems += [f"{o.label}: {p}" for p in validator.validate(o.obj)]
    return problems


def external_kinds(config: dict[str, Any]) -> frozenset[tuple[str, str]]:
    """Kinds whose CRDs the stack declares present in the cluster without managing them."""
    raw = json.loads(stack_config(config)[f"{PROJECT}:{CONFIG_KEY}"])
    platform = load_platform_config(raw)
    if platform.workloads.defaults.observability.pod_monitors:
        return frozenset({(POD_MONITOR_API_VERSION, POD_MONITOR_KIND)})
    return frozenset()


def kubernetes_version_of(config: dict[str, Any]) -> str:
    raw = json.loads(stack_config(config)[f"{PROJECT}:{CONFIG_KEY}"])
    return load_platform_config(raw).cluster.kubernetes_version


def build_plan(stack: str, config: dict[str, Any], *, secret_keys: list[str] | None = None) -> Plan:
    """Run the program for ``stack`` with ``config`` (a stack file's ``config:`` map) and check everything.

    Raises what the program raises (``pulumi.RunError`` subclasses: ``ConfigError``, ``CrdSourceError``, missing
    config) and :class:`~tools.schema_validation.UnsupportedKubernetesVersion`.
    """
    return check_run(stack, config, run_program(stack, config, secret_keys=secret_keys))


def check_run(stack: str, config: dict[str, Any], monitor: RecordingMonitor) -> Plan:
    """The plan of a finished program run: objects rendered, validated, policies applied (no files written)."""
    records = list(monitor.registrations)
    objects = manifests.collect_objects(records)
    validator = SchemaValidator(kubernetes_version_of(config), crd_schemas(objects))
    external = external_kinds(config)
    return Plan(
        stack=stack,
        kubernetes_version=validator.kubernetes_version,
        registrations=records,
        stack_urn=monitor.stack_urn,
        stack_outputs=dict(monitor.stack_outputs),
        objects=objects,
        problems=validate_objects(objects, validator, external),
        unvalidated=[o.label for o in objects if (o.api_version, o.kind) in external
                     and validator.source_of(o.api_version, o.kind) is None],
        policy=run_policies(records),
    )


def write_plan(plan: Plan, out: Path) -> None:
    """Write the plan files into a temporary directory beside ``out``, then swap it into place.

    An existing ``out`` must look like an earlier plan (only plan files in it), so a mistyped ``--out`` never
    deletes someone's directory.
    """
    out = Path(out)
    check_out_dir(out)
    manifests_text, resources_text, impact_text = plan.manifests_text(), plan.resources_text(), plan.impact_text()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    old = None
    try:
        (tmp / MANIFESTS_FILE).write_text(manifests_text, encoding="utf-8")
        (tmp / RESOURCES_FILE).write_text(resources_text, encoding="utf-8")
        (tmp / IMPACT_FILE).write_text(impact_text, encoding="utf-8")
        os.chmod(tmp, 0o755)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / out.name)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and (old / out.name).exists() and not out.exists():
            os.replace(old / out.name, out)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise PlanError(f"--out {out} exists and is not a directory")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in PLAN_FILES)
        if foreign:
            raise PlanError(
                f"--out {out} holds files that are not plan output ({', '.join(foreign[:5])}); "
                "refusing to replace it. Choose an empty or new directory."
            )


def summary(plan: Plan) -> str:
    by_kind, by_namespace = manifests.counts(plan.objects)
    lines = [f"stack {plan.stack}: Kubernetes {plan.kubernetes_version}"]
    lines.append("objects by kind:")
    lines += [f"  {kind:<32} {n:>6}" for kind, n in by_kind.items()]
    lines.append("objects by namespace:")
    lines += [f"  {ns:<32} {n:>6}" for ns, n in by_namespace.items()]
    lines.append(f"Kubernetes objects: {len(plan.objects)}")
    lines.append(f"Pulumi resources:   {len(plan.registrations)}")
    if plan.unvalidated:
        lines.append(f"{len(plan.unvalidated)} object(s) not schema-validated (their CRD is the cluster's, declared "
                     "by the stack, not part of this plan):")
        lines += [f"  - {label}" for label in plan.unvalidated]
    if plan.problems:
        lines.append(f"{len(plan.problems)} invalid object problem(s):")
        lines += [f"  - {p}" for p in plan.problems]
    for v in plan.policy.violations:
        lines.append(f"policy violation: {v}")
    for a in plan.policy.advisories:
        lines.append(f"policy advisory: {a}")
    impacts = plan.impacts()
    if impacts:
        lines.append("stateful impact" + ("" if plan.previous is not None else " (no --previous plan)") + ":")
        lines += [f"  {i.line()}" for i in impacts]
    return "\n".join(lines)


def read_previous(directory: Path) -> dict[str, Any]:
    """The workload records of an earlier plan directory (its resources.json stack outputs)."""
    path = Path(directory) / RESOURCES_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise PlanError(f"--previous {directory}: cannot read {path}: {err.strerror or err}") from None
    except ValueError as err:
        raise PlanError(f"--previous {directory}: {path} is not JSON: {err}") from None
    records = (document.get("outputs") or {}).get(SPECS_OUTPUT) if isinstance(document, dict) else None
    return records if isinstance(records, dict) else {}


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


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.plan",
        description=__doc__.split("\n\n")[0],
        epilog=CRD_SOURCES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", help="stack name; reads stacks/Pulumi.<stack>.yaml unless --config-file is given")
    parser.add_argument("--config-file", type=Path, help="a file in Pulumi.<stack>.yaml format")
    parser.add_argument("--out", type=Path, help="output directory (default: build/<stack> under the project root)")
    parser.add_argument("--previous", type=Path, help="an earlier plan directory: impact.md says what the operator "
                        "will do to each running job when going from that plan to this one")
    args = parser.parse_args(argv)
    if args.config_file is None and not args.stack:
        parser.error("give --stack or --config-file")
    if not args.stack:
        args.stack = stack_from_file_name(args.config_file)
        if not args.stack:
            parser.error(f"--config-file {args.config_file} is not named Pulumi.<stack>.yaml; give --stack too")
    if args.config_file is None:
        args.config_file = STACKS_DIR / f"Pulumi.{args.stack}.yaml"
    if args.out is None:
        args.out = PROJECT_ROOT / "build" / args.stack
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = read_stack_file(args.config_file)
        previous = read_previous(args.previous) if args.previous else None
        plan = build_plan(args.stack, config)
        plan.previous = previous
        check_out_dir(args.out)
    except (PlanError, pulumi.RunError, UnsupportedKubernetesVersion) as err:
        return _fail(str(err), args.out)
    print(summary(plan))
    if not plan.ok:
        return _fail("the plan has invalid objects or policy violations (listed above)", args.out)
    try:
        write_plan(plan, args.out)
    except (PlanError, OSError) as err:
        return _fail(f"could not write the plan: {err}", args.out)
    print(f"wrote {args.out / MANIFESTS_FILE}, {args.out / RESOURCES_FILE} and {args.out / IMPACT_FILE}")
    print("PLAN OK")
    return 0


def _fail(message: str, out: Path) -> int:
    sys.stdout.flush()  # keep the summary, the error and the verdict in order when both streams share a pipe
    print(f"error: {message}", file=sys.stderr)
    kept = " (it still holds the output of an earlier run)" if out.is_dir() and any(out.iterdir()) else ""
    print(f"nothing written to {out}{kept}", file=sys.stderr, flush=True)
    print("PLAN FAILED", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
