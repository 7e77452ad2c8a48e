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
component outputs, plus the stack outputs), ``<out>/capacity.md`` (per tenant and namespace: CPU and memory
requested by operators and workloads against the quota, with the headroom), ``<out>/flows.md`` /
``<out>/flows.svg`` (the flow matrix read off the rendered NetworkPolicies: which pod groups may reach which, on
which ports), ``<out>/impact.md`` (what the operator will do to each workload's running job compared with
``--previous DIR``, an earlier plan) and ``<out>/review.md`` (the reviewer's page against ``--previous``: objects
added, changed and removed per tenant, flows gained and lost, capacity changes, stateful impact), prints a summary
and ``PLAN OK`` / ``PLAN FAILED``.

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
from typing import Any, Callable, Mapping, Sequence

import pulumi
import yaml

from components.config import labels as L
from components.operator import crds
from components.workloads import impact
from components.operator import upstream
from components.config.models import CONFIG_KEY
from components.config.rules import load_platform_config
from components.operator.crds import CrdSchemas, default_cache_dir
from components.workloads.render import POD_MONITOR_API_VERSION, POD_MONITOR_KIND
from components.workloads.component import SPECS_OUTPUT
from planning import capacity, cert_manager, flows, flows_picture, review
from planning import manifests
from planning.manifests import KubeObject
from planning.mock_runtime import PROJECT, PROJECT_ROOT, SECRET, RecordingMonitor, Registration, run_program, stack_config
from planning.stack_files import STACKS_DIR, PlanError, read_stack_file, stack_from_file_name
from planning.schema_validation import SchemaValidator, UnsupportedKubernetesVersion

MANIFESTS_FILE = "manifests.yaml"
RESOURCES_FILE = "resources.json"
CAPACITY_FILE = "capacity.md"
FLOWS_FILE = "flows.md"
FLOWS_PICTURE = "flows.svg"
IMPACT_FILE = "impact.md"
REVIEW_FILE = "review.md"
PLAN_FILES = (MANIFESTS_FILE, RESOURCES_FILE, CAPACITY_FILE, FLOWS_FILE, FLOWS_PICTURE, IMPACT_FILE, REVIEW_FILE)


CRD_SOURCES_HELP = f"""\
where the operator CRDs come from (each file's sha256 is checked against the pins in components/operator/upstream.py):
  1. operator.crds.source: local  -> the files in operator.crds.localDir (air-gapped clusters);
  2. otherwise the CRD cache ${crds.CACHE_ENV} (default ~/.cache/flink-platform/crds/<version>/);
  3. otherwise a download from the operator's release tag on GitHub, saved into that cache.
Without network access point the cache at a local copy, e.g. ../shared/upstream/crds beside this checkout:
  {crds.CACHE_ENV}=../shared/upstream/crds python -m tools.plan --stack dev
(`make plan STACK=dev` does this for you when ../shared is there.)"""


@dataclass(frozen=True)
class PolicyVerdict:
    """Result of the policy pack over the plan's resources; ``violations`` fail the plan, advisories do not."""

    violations: tuple[str, ...] = ()
    advisories: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.violations


def stack_path_of(record: Registration | None, message: str, platform: Any) -> str | None:
    """The stack config path a policy finding comes from, where the resource is made from one place of the config:
    an operator's Deployment (its ``resources`` or ``webhook.resources`` by the container the finding names) or a
    workload's custom resource. None when the resource is not one of those."""
    import re

    if record is None or platform is None:
        return None
    inputs = record.inputs or {}
    meta = inputs.get("metadata") or {}
    kind, ns, name = inputs.get("kind"), meta.get("namespace"), meta.get("name")
    if kind == "Deployment" and (meta.get("labels") or {}).get(L.APP_NAME) == upstream.OPERATOR_APP_NAME:
        base = {platform.operator.namespace: "platform.operator"}
        base.update({t.operator.namespace: f"platform.tenants[{i}].operator"
                     for i, t in enumerate(platform.tenants) if t.operator is not None})
        where = base.get(ns)
        if where is None:
            return None
        found = re.search(r"containers\[(\d+)\]", message)
        containers = (((inputs.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
        if found and int(found.group(1)) < len(containers):
            container = containers[int(found.group(1))].get("name")
            return f"{where}.webhook.resources" if container == upstream.WEBHOOK_CONTAINER_NAME else \
                f"{where}.resources"
        return where
    if kind in ("FlinkDeployment", "FlinkSessionJob", "FlinkBlueGreenDeployment"):
        sections = (("applications", platform.workloads.applications),
                    ("sessionClusters", platform.workloads.session_clusters),
                    ("sessionJobs", platform.workloads.session_jobs))
        for section, items in sections:
            for i, w in enumerate(items):
                if w.namespace == ns and (name == w.name or str(name).startswith(f"{w.name}-")) and (
                        (kind == "FlinkSessionJob") == (section == "sessionJobs")):
                    return f"platform.workloads.{section}[{i}]"
    return None


def _finding(d: Any, records: Mapping[str, Registration], platform: Any) -> str:
    """``<stack path>: [policy] <what is wrong> (<URN>)``; the rule's one-line description is left out (the
    policy name says it), and the URN stands first when no stack path is known."""
    detail = d.message.split("\n", 1)[-1].replace("\n", " ")
    path = stack_path_of(records.get(d.urn), detail, platform)
    if path:
        return f"{path}: [{d.policy}] {detail} ({d.urn})"
    return f"{d.urn or '<stack>'}: [{d.policy}] {detail}"


def run_policies(records: Sequence[Registration], config: dict[str, Any] | None = None) -> PolicyVerdict:
    """Judge every recorded resource with the policy pack (``planning.policy_gate``: the pack started as the CLI
    starts it, ``Analyze`` per resource and ``AnalyzeStack``, config ``policies/config/<stack>.json``).

    ``records`` are the engine's view of every resource (type, URN, inputs, options, parent, provider,
    dependencies), the same data ``pulumi preview --policy-pack`` hands to the analyzer; the stack is read from
    their URNs. Mandatory diagnostics are violations, the rest advisories; a gate that cannot run is a violation.
    """
    from planning import policy_gate as policy_check

    stack = records[0].urn.split("::", 1)[0].rsplit(":", 1)[-1] if records else ""
    try:
        report = policy_check.check_stack_records(records, stack)
    except policy_check.PolicyCheckError as err:
        return PolicyVerdict(violations=(f"the policy gate could not run: {err}",))
    platform = None
    if config is not None:
        try:
            platform = load_platform_config(json.loads(stack_config(config)[f"{PROJECT}:{CONFIG_KEY}"]))
        except (pulumi.RunError, KeyError, ValueError):
            platform = None
    by_urn = {r.urn: r for r in records}
    # each finding once: the same diagnostic may come from Analyze and AnalyzeStack
    return PolicyVerdict(
        violations=tuple(dict.fromkeys(_finding(d, by_urn, platform) for d in report.mandatory)),
        advisories=tuple(dict.fromkeys(_finding(d, by_urn, platform) for d in report.advisory)),
    )


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
    #: Objects of kinds the stack declares available from outside the plan whose schema is not cached (printed).
    notes: list[str] = field(default_factory=list)
    #: Objects of kinds the stack declares external whose CRD is not in the plan (not schema-validated).
    unvalidated: list[str] = field(default_factory=list)
    #: Workload records of an earlier plan (``--previous DIR``); None when no earlier plan was given.
    previous: dict[str, Any] | None = None
    #: The Kubernetes objects of that earlier plan (its manifests.yaml), for review.md.
    previous_objects: list[dict[str, Any]] | None = None
    #: The engine's view of that earlier plan (its resources.json: providers, objects kept on delete).
    previous_engine: review.Engine | None = None

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

    def capacity_rows(self) -> list[capacity.NamespaceCapacity]:
        return capacity.capacity(o.obj for o in self.objects)

    def flow_matrix(self) -> flows.FlowMatrix:
        return flows.Flows(o.obj for o in self.objects).matrix()

    def files(self) -> dict[str, str]:
        """Every plan file by name, rendered in memory (nothing is written until all of them exist)."""
        matrix = self.flow_matrix()
        return {
            MANIFESTS_FILE: self.manifests_text(),
            RESOURCES_FILE: self.resources_text(),
            CAPACITY_FILE: capacity.capacity_markdown(self.capacity_rows(), stack=self.stack),
            FLOWS_FILE: flows.flows_markdown(matrix, stack=self.stack),
            FLOWS_PICTURE: flows_picture.flows_svg(matrix, stack=self.stack, changed=review.changed_pairs(
                self.previous_objects, [o.obj for o in self.objects]) if self.previous_objects is not None else ()),
            IMPACT_FILE: self.impact_text(),
            REVIEW_FILE: self.review_text(),
        }

    def review_text(self) -> str:
        """review.md: this plan against ``--previous`` (objects per tenant, flows, capacity, stateful impact)."""
        if self.previous_objects is None:
            return (f"# Review of stack `{self.stack}`\n\nNo earlier plan was given: run the plan with "
                    "`--previous DIR` (the output of an earlier plan, e.g. of the target branch) to get this page.\n")
        current = review.Engine.from_resources(json.loads(self.resources_text()))
        return review.review_markdown(self.previous_objects, [o.obj for o in self.objects], stack=self.stack,
                                      impacts=self.impacts(), previous_engine=self.previous_engine,
                                      current_engine=current, picture=FLOWS_PICTURE)


def crd_schemas(objects: Sequence[KubeObject], external: Sequence[dict[str, Any]] = ()) -> CrdSchemas:
    """Schemas of the served versions of every CustomResourceDefinition in the plan (the CRD source of truth), plus
    the ``external`` CRDs the stack declares installed by someone else (cert-manager)."""
    return CrdSchemas.from_bodies(
        [o.obj for o in objects if o.kind == "CustomResourceDefinition" and o.api_version == "apiextensions.k8s.io/v1"]
        + list(external)
    )


#: cert-manager kinds the operator webhook needs; their CRDs are installed with cert-manager, not by this program.
CERT_MANAGER_KINDS = {(upstream.CERT_MANAGER_API_VERSION, "Issuer"), (upstream.CERT_MANAGER_API_VERSION, "Certificate")}


def cert_manager_crd_dir(version: str) -> Path:
    """Where the plan looks first for cert-manager's CRD files of ``version`` (the pinned file names of
    ``deploy/crds/``): ``<CRD cache>/cert-manager/<version>/``; then in the Go module (:mod:`planning.cert_manager`)."""
    return cert_manager.cache_dir(version)


def external_crds(config: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[tuple[str, str], str]]:
    """CRDs the stack declares available (cert-manager's Issuer and Certificate, when a webhook is on: pinned per
    release, see :mod:`planning.cert_manager`) and the declared kinds without a schema, each with the reason it is
    not validated. A CRD file that is not the pinned one raises :class:`planning.cert_manager.CertManagerCrdError`."""
    raw = json.loads(stack_config(config)[f"{PROJECT}:{CONFIG_KEY}"])
    platform = load_platform_config(raw)
    operators = [platform.operator] + [t.operator for t in platform.tenants if t.operator is not None]
    versions = sorted({op.webhook.cert_manager_version or "" for op in operators if op.webhook.enabled})
    bodies: list[dict[str, Any]] = []
    unchecked: dict[tuple[str, str], str] = {}
    kinds = tuple(kind for _, kind in sorted(CERT_MANAGER_KINDS))
    for version in versions:
        if not version:
            why = "cert-manager is declared installed without a version (webhook.certManagerVersion)"
            unchecked.update({kind: why for kind in CERT_MANAGER_KINDS})
            continue
        try:
            found, _ = cert_manager.load_crds(version, kinds)
        except cert_manager.CertManagerCrdsUnavailable as err:
            unchecked.update({kind: f"cert-manager {version} is declared installed, but: {err}"
                              for kind in CERT_MANAGER_KINDS})
            continue
        bodies += found
    return bodies, unchecked


def validate_objects(objects: Sequence[KubeObject], validator: SchemaValidator,
                     external: frozenset[tuple[str, str]] = frozenset()) -> list[str]:
    """One message per schema problem: the object (kind namespace/name, URN), JSON path, found, allowed.

    ``external`` kinds (apiVersion, kind) are served by CRDs the stack declares the cluster has but does not
    manage (e.g. the Prometheus operator's PodMonitor): validated when a CRD in the plan serves them, otherwise
    skipped (listed as not schema-validated).
    """
    problems = manifests.identity_problems(objects)
    for o in objects:
        if (o.api_version, o.kind) in external and validator.source_of(o.api_version, o.kind) is None:
            continue
        problems += [f"{o.label}: {p}" for p in validator.validate(_shape_of_secrets(o.obj))]
    return problems


def external_kinds(config: dict[str, Any]) -> frozenset[tuple[str, str]]:
    """Kinds whose CRDs the stack declares present in the cluster without managing them (PodMonitor)."""
    raw = json.loads(stack_config(config)[f"{PROJECT}:{CONFIG_KEY}"])
    platform = load_platform_config(raw)
    if platform.workloads.defaults.observability.pod_monitors:
        return frozenset({(POD_MONITOR_API_VERSION, POD_MONITOR_KIND)})
    return frozenset()


#: Secret fields pulumi-kubernetes marks secret as a whole (``Output.secret``): the plan shows them as ``[secret]``.
_SECRET_MAPS = ("data", "stringData")


def _shape_of_secrets(obj: dict[str, Any]) -> dict[str, Any]:
    """A v1 Secret whose ``data``/``stringData`` is secret as a whole is validated with an empty map in its place:
    its keys are part of the secret, and the SDK's input type already guarantees a string map."""
    if obj.get("apiVersion") != "v1" or obj.get("kind") != "Secret":
        return obj
    if not any(obj.get(k) == SECRET for k in _SECRET_MAPS):
        return obj
    return {k: ({} if k in _SECRET_MAPS and v == SECRET else v) for k, v in obj.items()}


def operator_notes(config: dict[str, Any]) -> list[str]:
    """Why the shared operator is not in the plan, when it is not (it is installed only to watch something)."""
    raw = json.loads(stack_config(config)[f"{PROJECT}:{CONFIG_KEY}"])
    platform = load_platform_config(raw)
    if platform.operator.watch == "cluster" or any(t.operator is None and t.namespaces for t in platform.tenants):
        return []
    why = ("platform.tenants is empty" if not platform.tenants
           else "every tenant runs its own operator (platform.tenants[*].operator)")
    return [f"the shared operator (platform.operator, namespace {platform.operator.namespace!r}) is not installed: "
            f"it would watch no namespace ({why}), and an empty watch list would mean every namespace. Add a tenant "
            "without an operator of its own, or set platform.operator.watch: cluster"]


def kubernetes_version_of(config: dict[str, Any]) -> str:
    raw = json.loads(stack_config(config)[f"{PROJECT}:{CONFIG_KEY}"])
    return load_platform_config(raw).cluster.kubernetes_version


def build_plan(stack: str, config: dict[str, Any], *, secret_keys: list[str] | None = None) -> Plan:
    """Run the program for ``stack`` with ``config`` (a stack file's ``config:`` map) and check everything.

    Raises what the program raises (``pulumi.RunError`` subclasses: ``ConfigError``, ``CrdSourceError``, missing
    config) and :class:`~planning.schema_validation.UnsupportedKubernetesVersion`.
    """
    return check_run(stack, config, run_program(stack, config, secret_keys=secret_keys))


def check_run(stack: str, config: dict[str, Any], monitor: RecordingMonitor, *,
              policies: Callable[[Sequence[Registration]], PolicyVerdict] | None = None) -> Plan:
    """The plan of a finished program run: objects rendered, validated, policies applied (no files written).

    ``policies`` judges the records (default :func:`run_policies`, the pack; a benchmark passes its own).
    """
    records = list(monitor.registrations)
    objects = manifests.collect_objects(records)
    external, unchecked = external_crds(config)
    schemas = crd_schemas(objects, external)
    unchecked = {k: why for k, why in unchecked.items() if schemas.schema_for(*k) is None}
    validator = SchemaValidator(kubernetes_version_of(config), schemas)
    checked = [o for o in objects if (o.api_version, o.kind) not in unchecked]
    notes = [f"{o.label}: not schema-validated: {unchecked[(o.api_version, o.kind)]}"
             for o in objects if (o.api_version, o.kind) in unchecked]
    declared = external_kinds(config)
    notes += operator_notes(config)
    return Plan(
        stack=stack,
        kubernetes_version=validator.kubernetes_version,
        registrations=records,
        stack_urn=monitor.stack_urn,
        stack_outputs=dict(monitor.stack_outputs),
        objects=objects,
        problems=validate_objects(checked, validator, declared),
        unvalidated=[o.label for o in objects if (o.api_version, o.kind) in declared
                     and validator.source_of(o.api_version, o.kind) is None],
        policy=policies(records) if policies else run_policies(records, config),
        notes=notes,
    )


def write_plan(plan: Plan, out: Path) -> None:
    """Write the plan files into a temporary directory beside ``out``, then swap it into place.

    An existing ``out`` must look like an earlier plan (only plan files in it), so a mistyped ``--out`` never
    deletes someone's directory.
    """
    out = Path(out)
    check_out_dir(out)
    files = plan.files()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    old = None
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
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
    lines.append(capacity.capacity_summary(plan.capacity_rows()))
    matrix = plan.flow_matrix()
    lines.append(f"flows: {len(flows.flow_set(matrix))} allowed flow(s) between {len(matrix.groups)} pod group(s)")
    for note in plan.notes:
        lines.append(f"note: {note}")
    if plan.unvalidated:
        lines.append(f"{len(plan.unvalidated)} object(s) not schema-validated (their CRD is the cluster's, declared "
                     "by the stack, not part of this plan):")
        lines += [f"  - {label}" for label in plan.unvalidated]
    if plan.problems:
        lines.append(f"{len(plan.problems)} invalid object problem(s):")
        lines += [f"  - {p}" for p in plan.problems]
    lines.append(f"policy pack: {len(plan.policy.violations)} mandatory violation(s), "
                 f"{len(plan.policy.advisories)} advisory")
    for v in plan.policy.violations:
        lines.append(f"policy violation: {v}")
    for a in plan.policy.advisories:
        lines.append(f"policy advisory: {a}")
    impacts = plan.impacts()
    if impacts:
        lines.append("stateful impact" + ("" if plan.previous is not None else " (no --previous plan)") + ":")
        lines += [f"  {i.line()}" for i in impacts]
    return "\n".join(lines)


def _previous_document(directory: Path) -> dict[str, Any]:
    path = Path(directory) / RESOURCES_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise PlanError(f"--previous {directory}: cannot read {path}: {err.strerror or err}") from None
    except ValueError as err:
        raise PlanError(f"--previous {directory}: {path} is not JSON: {err}") from None
    return document if isinstance(document, dict) else {}


def read_previous(directory: Path) -> dict[str, Any]:
    """The workload records of an earlier plan directory (its resources.json stack outputs)."""
    records = (_previous_document(directory).get("outputs") or {}).get(SPECS_OUTPUT)
    return records if isinstance(records, dict) else {}


def read_previous_engine(directory: Path, stack: str) -> review.Engine:
    """The engine's view of an earlier plan of the same ``stack`` (a plan of another stack is refused: its review
    would list every object of both stacks as added and removed)."""
    engine = review.Engine.from_resources(_previous_document(directory))
    if engine.stack != stack:
        found = f"of stack {engine.stack!r}" if engine.stack else "without a stack name"
        raise PlanError(f"--previous {directory} is a plan {found} (its {RESOURCES_FILE}), this plan is of stack "
                        f"{stack!r}: give an earlier plan of {stack!r}, e.g. `git worktree add` the target branch "
                        f"and run `python -m tools.plan --stack {stack} --out <dir>` there")
    return engine


def read_previous_objects(directory: Path) -> list[dict[str, Any]]:
    """The Kubernetes objects of an earlier plan directory (its manifests.yaml)."""
    path = Path(directory) / MANIFESTS_FILE
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader) if isinstance(d, dict)]
    except OSError as err:
        raise PlanError(f"--previous {directory}: cannot read {path}: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        raise PlanError(f"--previous {directory}: {path} is not YAML: {err}") from None


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
                        "will do to each running job when going from that plan to this one, and review.md lists "
                        "objects added/changed/removed per tenant, flows gained and lost, and capacity changes")
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
        previous_objects = read_previous_objects(args.previous) if args.previous else None
        previous_engine = read_previous_engine(args.previous, args.stack) if args.previous else None
        plan = build_plan(args.stack, config)
        plan.previous = previous
        plan.previous_objects = previous_objects
        plan.previous_engine = previous_engine
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
    print(f"wrote {', '.join(str(args.out / name) for name in PLAN_FILES)}")
    print("PLAN OK")
    return 0


def _fail(message: str, out: Path) -> int:
    sys.stdout.flush()  # keep the summary, the error and the verdict in order when both streams share a pipe
    print(f"error: {message}", file=sys.stderr)
    kept = " (it still holds the output of an earlier run)" if out.is_dir() and any(out.iterdir()) else ""
    print(f"nothing written to {out}{kept}", file=sys.stderr, flush=True)
    print("PLAN FAILED", flush=True)
    return 1
