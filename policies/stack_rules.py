"""Stack policies: rules over the whole stack (``AnalyzeStack``), plus the operator's session-job rules that need the
session cluster.

How the stack is read (upstream chart layout, operator-1.15 facts §a/§b):

- an operator = a ConfigMap ``flink-operator-config``; its ``config.yaml``/``flink-conf.yaml`` line
  ``kubernetes.operator.watched.namespaces`` lists the namespaces it watches; without it, it watches all of them;
- a namespace's job RBAC = ServiceAccount ``flink`` bound by a RoleBinding to a Role of the namespace (the chart's
  names ``flink`` and ``flink-role-binding``, renamed by ``operator.rbac``);
- a tenant = the ``flink-platform.io/tenant`` label of a Namespace.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterator, Mapping, Sequence

from pulumi_policy import PolicyConfigSchema

from components.config import labels as L
from components.operator import upstream
from components.operator import validation as V
from policies import operator_rules as O
from policies.framework import Finding, StackPolicy, get, is_map, items, kind_of

OPERATOR_CONFIGMAP = "flink-operator-config"
WATCHED_NAMESPACES_KEY = "kubernetes.operator.watched.namespaces"
JOB_SERVICE_ACCOUNT = "flink"
JOB_ROLE = "flink"
JOB_ROLE_BINDING = "flink-role-binding"
WORKLOAD_KINDS = ("FlinkDeployment", "FlinkSessionJob", "FlinkStateSnapshot", "FlinkBlueGreenDeployment")
ALL = "*"


class Obj:
    __slots__ = ("kind", "props", "urn", "name", "namespace")

    def __init__(self, r: Any):
        self.kind = kind_of(r.resource_type) or ""
        self.props = r.props
        self.urn = r.urn
        self.name = get(r.props, "metadata", "name", default="")
        self.namespace = get(r.props, "metadata", "namespace", default="")

    @property
    def where(self) -> str:
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


def objects(resources: Sequence[Any]) -> list[Obj]:
    return [Obj(r) for r in resources if kind_of(r.resource_type)]


def watched_by(cm: Obj) -> set[str] | str:
    """Namespaces an operator ConfigMap watches (:data:`ALL` for cluster-wide)."""
    data = get(cm.props, "data", default={})
    for file in ("config.yaml", "flink-conf.yaml"):
        text = get(data, file)
        if not isinstance(text, str):
            continue
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == WATCHED_NAMESPACES_KEY and value.strip():
                return {n.strip() for n in value.split(",") if n.strip()}
    return ALL


def check_watched_namespaces(resources, cfg) -> Iterator[tuple[str, Finding, str]]:
    objs = objects(resources)
    operators = [o for o in objs if o.kind == "ConfigMap" and o.name == OPERATOR_CONFIGMAP]
    present = {(o.kind, o.namespace, o.name) for o in objs}
    for w in (o for o in objs if o.kind in WORKLOAD_KINDS):
        ns = w.namespace
        watchers = [op.namespace for op in operators if (lambda s: s == ALL or ns in s)(watched_by(op))]
        if len(watchers) != 1:
            found = f"operators in {sorted(watchers)}" if watchers else "no operator"
            yield w.where, Finding("metadata.namespace", f"namespace {ns!r} is watched by {found}; exactly one "
                                   "operator must watch it", "add the namespace to exactly one tenant operator's "
                                   "watched namespaces"), w.urn
        if w.kind in ("FlinkDeployment", "FlinkBlueGreenDeployment"):
            if ("ServiceAccount", ns, JOB_SERVICE_ACCOUNT) not in present:
                yield w.where, Finding("metadata.namespace", f"namespace {ns!r} has no ServiceAccount "
                                       f"{JOB_SERVICE_ACCOUNT!r} (the job RBAC the JobManager uses)",
                                       "watch the namespace with the platform's operator RBAC (WatchedNamespaceRbac)"), w.urn
            elif not _job_account_bound(objs, present, ns):
                yield w.where, Finding("metadata.namespace", f"namespace {ns!r} has no RoleBinding of ServiceAccount "
                                       f"{JOB_SERVICE_ACCOUNT!r} to a Role of the namespace (the chart names them "
                                       f"{JOB_ROLE!r} and {JOB_ROLE_BINDING!r}; operator.rbac may rename them)",
                                       "watch the namespace with the platform's operator RBAC (WatchedNamespaceRbac)"), w.urn


def _job_account_bound(objs: list[Obj], present: set[tuple[str, str, str]], ns: str) -> bool:
    """A RoleBinding in ``ns`` binds the job ServiceAccount of ``ns`` to a Role declared in ``ns`` (any names)."""
    for b in objs:
        if b.kind != "RoleBinding" or b.namespace != ns:
            continue
        role = get(b.props, "roleRef", default={})
        if not is_map(role) or role.get("kind") != "Role" or ("Role", ns, role.get("name")) not in present:
            continue
        for subject in items(get(b.props, "subjects", default=[])):
            if is_map(subject) and subject.get("kind") == "ServiceAccount" and subject.get(
                    "name") == JOB_SERVICE_ACCOUNT and subject.get("namespace", ns) == ns:
                return True
    return False


def _tenants(objs: list[Obj]) -> dict[str, set[str]]:
    tenants: dict[str, set[str]] = defaultdict(set)
    for o in objs:
        if o.kind == "Namespace":
            tenant = get(o.props, "metadata", "labels", L.TENANT)
            if tenant:
                tenants[o.name].add(str(tenant))
    return tenants


def check_tenant_namespaces(resources, cfg) -> Iterator[tuple[str, Finding, str]]:
    objs = objects(resources)
    tenants = _tenants(objs)
    seen: dict[str, int] = defaultdict(int)
    for o in objs:
        if o.kind == "Namespace":
            seen[o.name] += 1
    for o in objs:
        if o.kind != "Namespace":
            continue
        if len(tenants.get(o.name, ())) > 1:
            yield o.where, Finding(f"metadata.labels[{L.TENANT!r}]", f"namespace {o.name!r} is claimed by tenants "
                                   f"{sorted(tenants[o.name])}", "give each namespace to one tenant"), o.urn
        elif seen[o.name] > 1:
            yield o.where, Finding("metadata.name", f"namespace {o.name!r} is declared {seen[o.name]} times",
                                   "declare it once"), o.urn
    for o in objs:
        if o.kind in WORKLOAD_KINDS and o.namespace not in tenants:
            yield o.where, Finding("metadata.namespace", f"namespace {o.namespace!r} belongs to no tenant in this "
                                   "stack", "run Flink workloads in a tenant's namespace"), o.urn


def _denies_everything(policy: Obj) -> bool:
    """A NetworkPolicy selecting every pod of its namespace and isolating both directions with no rule."""
    spec = get(policy.props, "spec", default={}) or {}
    return (get(spec, "podSelector", default={}) or {}) == {} \
        and {"Ingress", "Egress"} <= set(get(spec, "policyTypes", default=[]) or []) \
        and not get(spec, "ingress", default=None) and not get(spec, "egress", default=None)


def check_operator_network(resources, cfg) -> Iterator[tuple[str, Finding, str]]:
    """Every operator namespace denies by default (issue 17 §8; a stack planned without ``network`` has no policy
    at all, §9). Tenant namespaces: ``stack-tenant-network`` (policies/tenant_rules.py)."""
    objs = objects(resources)
    guarded = {o.namespace for o in objs if o.kind == "NetworkPolicy" and _denies_everything(o)}
    operators = {o.namespace for o in objs if o.kind == "ConfigMap" and o.name == OPERATOR_CONFIGMAP}
    for o in objs:
        if o.kind == "Namespace" and o.name in operators and o.name not in guarded:
            yield o.where, Finding("metadata.name", f"namespace {o.name!r} (an operator namespace) has no "
                                   "default-deny NetworkPolicy: every pod in it may reach and be reached by anything",
                                   "turn on network policies (platform.network with apiServerCidrs)"), o.urn


def check_cross_tenant_bindings(resources, cfg) -> Iterator[tuple[str, Finding, str]]:
    objs = objects(resources)
    tenants = _tenants(objs)
    for o in objs:
        if o.kind != "RoleBinding":
            continue
        owner = tenants.get(o.namespace)
        if not owner:
            continue
        for i, subject in enumerate(items(get(o.props, "subjects"))):
            sns = get(subject, "namespace")
            if get(subject, "kind") != "ServiceAccount" or not sns:
                continue
            other = tenants.get(sns)
            if other and other != owner:
                yield o.where, Finding(f"subjects[{i}]", f"ServiceAccount {sns}/{get(subject, 'name')} of tenant "
                                       f"{sorted(other)} gets rights in namespace {o.namespace!r} of tenant "
                                       f"{sorted(owner)}", "bind only subjects of the same tenant (or the "
                                       "platform operator)"), o.urn


def _session_clusters(objs: list[Obj]) -> dict[tuple[str, str], Obj]:
    return {(o.namespace, o.name): o for o in objs if o.kind == "FlinkDeployment"}


def check_session_job_target(resources, cfg) -> Iterator[tuple[str, Finding, str]]:
    objs = objects(resources)
    clusters = _session_clusters(objs)
    for o in objs:
        if o.kind != "FlinkSessionJob":
            continue
        target = get(o.props, "spec", "deploymentName")
        cluster = clusters.get((o.namespace, target))
        if cluster is None:
            yield o.where, Finding("spec.deploymentName", f"no FlinkDeployment {o.namespace}/{target} in this stack",
                                   "declare the session cluster in the same stack and namespace"), o.urn
        elif get(cluster.props, "spec", "job") is not None:
            yield o.where, Finding("spec.deploymentName", f"FlinkDeployment {o.namespace}/{target} is an application "
                                   "cluster (it has spec.job), not a session cluster", "target a session "
                                   "FlinkDeployment (no spec.job)"), o.urn


def check_session_job_with_cluster(resources, cfg) -> Iterator[tuple[str, Finding, str]]:
    """``validateSessionJobWithCluster``: only when the target FlinkDeployment is in the stack, as upstream only
    runs it when it finds the cluster. Effective config = cluster flinkConfiguration + session job's."""
    objs = objects(resources)
    clusters = _session_clusters(objs)
    for o in objs:
        if o.kind != "FlinkSessionJob":
            continue
        cluster = clusters.get((o.namespace, get(o.props, "spec", "deploymentName")))
        job = get(o.props, "spec", "job")
        if cluster is None or job is None:
            continue
        if get(cluster.props, "spec", "job") is not None:
            yield o.where, Finding("spec.deploymentName", "a session job cannot be submitted to an application "
                                   "cluster", "target a session FlinkDeployment"), o.urn
        conf = {**V.flatten_config(get(cluster.props, "spec", "flinkConfiguration")),
                **V.flatten_config(get(o.props, "spec", "flinkConfiguration"))}
        for f in O.job_state_findings(job, conf, "spec.job", "spec.flinkConfiguration"):
            yield o.where, f, o.urn
        for f in O.parallelism_findings(job, None, "spec.job", None):
            yield o.where, f, o.urn
        for f in O.autoscaler_findings(conf, "spec.flinkConfiguration"):
            yield o.where, f, o.urn


def check_crds_match_operator(resources, cfg) -> Iterator[tuple[str, Finding, str]]:
    objs = objects(resources)
    version = cfg["operatorVersion"]
    pins = {p.crd_name: p for p in upstream.CRD_PINS.get(version, ())}
    crds = {o.name: o for o in objs if o.kind == "CustomResourceDefinition" and o.name.endswith("." + upstream.FLINK_API_GROUP)}
    uses_flink = any(o.kind in WORKLOAD_KINDS or (o.kind == "ConfigMap" and o.name == OPERATOR_CONFIGMAP) for o in objs)
    if not crds and not uses_flink:
        return
    for name, pin in sorted(pins.items()):
        crd = crds.get(name)
        if crd is None:
            yield f"CustomResourceDefinition {name}", Finding("metadata.name", f"the CRD {name} of operator {version} "
                                                               "is missing from the stack", "install all four operator "
                                                               "CRDs (OperatorCrds)"), ""
            continue
        digest = get(crd.props, "metadata", "annotations", "flink-platform.io/crd-sha256")
        app_version = get(crd.props, "metadata", "labels", L.APP_VERSION)
        if digest != pin.sha256 or (app_version is not None and app_version != version):
            yield crd.where, Finding("metadata", f"CRD does not match operator {version}: sha256 annotation "
                                     f"{digest!r}, version label {app_version!r} (expected {pin.sha256[:12]}…, "
                                     f"{version})", "install the CRDs pinned for the operator version"), crd.urn
    for name in sorted(set(crds) - set(pins)):
        yield crds[name].where, Finding("metadata.name", f"CRD {name} is not part of operator {version}",
                                        "remove it or pin the operator version that serves it"), crds[name].urn
    # Workloads' flinkVersion must be in the enum the CRD in the stack serves.
    for o in objs:
        if o.kind not in upstream.CRD_KINDS_WITH_FLINK_VERSION:
            continue
        crd = crds.get(next((p.crd_name for p in pins.values() if p.kind == o.kind), ""))
        spec_path = ("spec", "template", "spec") if o.kind == "FlinkBlueGreenDeployment" else ("spec",)
        fv = get(o.props, *spec_path, "flinkVersion")
        enum = _flink_version_enum(crd, o.kind) if crd else None
        if fv is not None and enum is not None and fv not in enum:
            yield o.where, Finding(".".join((*spec_path, "flinkVersion")), f"{fv!r} is not in the flinkVersion enum "
                                   f"of the CRD in this stack ({', '.join(enum)})", "use a version the installed CRD "
                                   "accepts"), o.urn


def _flink_version_enum(crd: Obj, kind: str) -> list[str] | None:
    for version in items(get(crd.props, "spec", "versions")):
        schema = get(version, "schema", "openAPIV3Schema", "properties", "spec", "properties")
        if kind == "FlinkBlueGreenDeployment":
            schema = get(schema, "template", "properties", "spec", "properties")
        enum = get(schema, "flinkVersion", "enum")
        if enum is not None:
            return [str(e) for e in items(enum)]
    return None


def policies() -> list[StackPolicy]:
    S = StackPolicy
    return [
        S("operator-session-job-cluster", "A session job fits its session cluster (the operator's with-cluster "
          "checks: session mode, state directories, parallelism, autoscaler).", check_session_job_with_cluster),
        S("stack-watched-namespaces", "Every Flink workload's namespace is watched by exactly one operator and has "
          "the job ServiceAccount, Role and RoleBinding.", check_watched_namespaces),
        S("stack-tenant-namespaces", "Each namespace belongs to exactly one tenant; workloads run in tenant "
          "namespaces.", check_tenant_namespaces),
        S("stack-tenant-isolation", "No RoleBinding gives a subject of one tenant rights in another tenant's "
          "namespace.", check_cross_tenant_bindings),
        S("stack-operator-network", "Every operator namespace has a default-deny NetworkPolicy.",
          check_operator_network),
        S("stack-session-job-target", "Each FlinkSessionJob targets a session-mode FlinkDeployment in the stack.",
          check_session_job_target),
        S("stack-crds-match-operator", "The operator CRDs in the stack are the ones pinned for the operator version.",
          check_crds_match_operator,
          config_schema=PolicyConfigSchema(properties={"operatorVersion": {
              "enum": list(upstream.SUPPORTED_OPERATOR_VERSIONS)}}),
          defaults={"operatorVersion": V.OPERATOR_VERSION}),
    ]
