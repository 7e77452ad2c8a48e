"""``security-*`` rules that read what a resource grants (RBAC, NetworkPolicies, admission webhooks, Services) and
``stack-tenant-*`` rules that keep secrets, state and network reach inside their tenant.

Tenancy is read from the stack itself: a tenant's namespaces are the Namespaces labelled
``flink-platform.io/tenant: <tenant>``; operator namespaces are those holding the ``flink-operator-config``
ConfigMap. What the stack cannot show (which workload-secret keys a tenant owns) is policy config
(``stack-tenant-secrets.tenantSecrets``, the same lists as the stack's ``tenants[].secrets``).
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterator

from pulumi_policy import PolicyConfigSchema

from components.config import labels as L
from components.config import tenancy as T
from components.operator import upstream
from components.operator import validation as V
from policies.framework import Finding, KindPolicy, Resource, StackPolicy, get, is_map, items
from policies.platform_rules import POD_KINDS, pod_views
from policies.stack_rules import OPERATOR_CONFIGMAP, Obj, objects

# ---------------------------------------------------------------------------------------------------------------
# RBAC: what a Role grants


#: Verbs that hand out more rights than the Role itself holds.
ESCALATING_VERBS = ("bind", "escalate", "impersonate")
#: Resources whose use reaches another workload's processes, credentials or the cluster's control.
SENSITIVE_RESOURCES = (
    "secrets", "pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "services/proxy", "nodes/proxy",
    "serviceaccounts/token", "serviceaccounts", "roles", "rolebindings", "clusterroles", "clusterrolebindings",
    "certificatesigningrequests/approval", "mutatingwebhookconfigurations", "validatingwebhookconfigurations",
    "customresourcedefinitions", "nodes", "persistentvolumes", "namespaces",
)
#: The Role names the platform renders from the upstream chart, and the rules each may hold (no more).
UPSTREAM_ROLES = {
    "flink-operator": upstream.operator_rules(nodes_rule=True) + upstream.OPERATOR_NAMESPACE_RULES,
    upstream.JOB_SERVICE_ACCOUNT: upstream.JOB_RULES,
}


def _triples(rule: Any) -> set[tuple[str, str, str]]:
    return {(str(g), str(r), str(v)) for g in items(get(rule, "apiGroups")) for r in items(get(rule, "resources"))
            for v in items(get(rule, "verbs"))}


def _upstream_triples(rules) -> set[tuple[str, str, str]]:
    return {(g, r, v) for rule in rules for g in rule.api_groups for r in rule.resources for v in rule.verbs}


_ALL_UPSTREAM = set().union(*(_upstream_triples(r) for r in UPSTREAM_ROLES.values()))


def check_rbac_grants(res: Resource, cfg) -> Iterator[Finding]:
    allowed = _upstream_triples(UPSTREAM_ROLES[res.name]) if res.name in UPSTREAM_ROLES else None
    for i, rule in enumerate(items(get(res.props, "rules"))):
        granted = _triples(rule)
        if items(get(rule, "nonResourceURLs")):
            yield Finding(f"rules[{i}].nonResourceURLs", "grants non-resource URLs", "remove nonResourceURLs")
        if allowed is not None and granted - allowed:
            extra = sorted(granted - allowed)[:4]
            yield Finding(f"rules[{i}]", f"widens the upstream {res.name!r} Role with {extra}",
                          "keep the chart's rules (components/operator/upstream.py)")
            continue
        if granted <= _ALL_UPSTREAM and allowed is not None:
            continue
        verbs = sorted({v for _, _, v in granted if v in ESCALATING_VERBS})
        if verbs:
            yield Finding(f"rules[{i}].verbs", f"grants {verbs}, which hand out rights the Role does not hold",
                          "remove bind/escalate/impersonate")
        sensitive = sorted({r for _, r, _ in granted if r in SENSITIVE_RESOURCES})
        if sensitive:
            yield Finding(f"rules[{i}].resources", f"grants access to {sensitive}",
                          "grant only the workload's own objects (configmaps, pods, services...)")


BUILTIN_POWERFUL_ROLES = ("cluster-admin", "admin", "edit", "system:aggregate-to-admin", "system:aggregate-to-edit")
#: Group subjects no binding may name: everybody, every ServiceAccount, the masters.
FORBIDDEN_GROUPS = ("system:authenticated", "system:unauthenticated", "system:serviceaccounts", "system:masters")
SA_GROUP_PREFIX = "system:serviceaccounts:"
SA_USER_PREFIX = "system:serviceaccount:"


def subject_namespace(subject: Any, binding_ns: str) -> str | None:
    """The namespace a subject's ServiceAccount(s) live in (None for users and non-SA groups)."""
    kind, name = str(get(subject, "kind", default="")), str(get(subject, "name", default=""))
    if kind == "ServiceAccount":
        return str(get(subject, "namespace", default=binding_ns) or binding_ns)
    if kind == "Group" and name.startswith(SA_GROUP_PREFIX):
        return name[len(SA_GROUP_PREFIX):]
    if kind == "User" and name.startswith(SA_USER_PREFIX):
        return name[len(SA_USER_PREFIX):].split(":", 1)[0]
    return None


def check_rbac_subjects(res: Resource, cfg) -> Iterator[Finding]:
    ref = get(res.props, "roleRef", default={})
    if str(get(ref, "kind")) == "ClusterRole" and str(get(ref, "name")) in BUILTIN_POWERFUL_ROLES:
        yield Finding("roleRef", f"binds the built-in ClusterRole {get(ref, 'name')!r} (secrets, exec, RBAC)",
                      "bind a Role that lists the rights needed")
    for i, subject in enumerate(items(get(res.props, "subjects"))):
        kind, name = str(get(subject, "kind", default="")), str(get(subject, "name", default=""))
        if kind == "Group" and name in FORBIDDEN_GROUPS:
            yield Finding(f"subjects[{i}]", f"binds the group {name!r}", "bind a named ServiceAccount")
        elif kind == "User" and name in ("system:anonymous",):
            yield Finding(f"subjects[{i}]", f"binds {name!r}", "bind a named ServiceAccount")
        elif kind == "Group" and name.startswith(SA_GROUP_PREFIX):
            yield Finding(f"subjects[{i}]", f"binds every ServiceAccount of namespace {name[len(SA_GROUP_PREFIX):]!r}",
                          "bind the one ServiceAccount that needs the rights")


# ---------------------------------------------------------------------------------------------------------------
# NetworkPolicies: what a policy opens

OPEN_CIDRS = ("0.0.0.0/0", "::/0")


def _peer_problem(peer: Any) -> str | None:
    cidr = get(peer, "ipBlock", "cidr")
    if cidr is not None:
        problem = T.open_cidr_problem(str(cidr))
        if problem:
            return f"ipBlock {problem}"
    ns_sel = get(peer, "namespaceSelector")
    if ns_sel is not None and is_map(ns_sel) and not get(ns_sel, "matchLabels") and not items(
            get(ns_sel, "matchExpressions")):
        return "namespaceSelector {} selects every namespace"
    return None


def check_network_policy(res: Resource, cfg) -> Iterator[Finding]:
    spec = get(res.props, "spec", default={})
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(items(get(spec, direction))):
            peers = items(get(rule, peers_key))
            if not peers:
                what = "all sources" if direction == "ingress" else "all destinations"
                ports = " on its ports" if items(get(rule, "ports")) else ""
                yield Finding(f"spec.{direction}[{i}].{peers_key}", f"no peers: the rule allows {what}{ports}",
                              f"list {peers_key}: podSelector/namespaceSelector/ipBlock peers")
            for j, peer in enumerate(peers):
                problem = _peer_problem(peer)
                if problem:
                    yield Finding(f"spec.{direction}[{i}].{peers_key}[{j}]", problem,
                                  "name the namespaces (kubernetes.io/metadata.name) or address ranges")


# ---------------------------------------------------------------------------------------------------------------
# Admission webhooks and CRD conversion: nothing sends the cluster's objects outside it


def check_webhooks(res: Resource, cfg) -> Iterator[Finding]:
    if res.kind == "CustomResourceDefinition":
        conversion = get(res.props, "spec", "conversion", default={})
        if str(get(conversion, "strategy", default="None")) != "None":
            yield Finding("spec.conversion.strategy", f"a {get(conversion, 'strategy')!r} conversion sends every "
                          "object of this CRD to a webhook", "use strategy None (the operator's CRDs have none)")
        return
    for i, hook in enumerate(items(get(res.props, "webhooks"))):
        if get(hook, "clientConfig", "url") is not None:
            yield Finding(f"webhooks[{i}].clientConfig.url", "sends admission requests to a URL outside the cluster",
                          "use clientConfig.service (the operator's webhook Service)")


# ---------------------------------------------------------------------------------------------------------------
# Services: nothing exposed outside the cluster

EXPOSED_TYPES = ("LoadBalancer", "NodePort")
REST_EXPOSED_TYPE_KEY = upstream.FLINK_REST_EXPOSED_TYPE_KEY


def check_service_exposure(res: Resource, cfg) -> Iterator[Finding]:
    if res.kind == "Service":
        kind = str(get(res.props, "spec", "type", default="ClusterIP"))
        if kind in EXPOSED_TYPES:
            yield Finding("spec.type", f"type {kind!r} exposes the Service outside the cluster", "use ClusterIP")
        if items(get(res.props, "spec", "externalIPs")):
            yield Finding("spec.externalIPs", "externalIPs expose the Service", "remove externalIPs")
        return
    spec = get(res.props, "spec", "template", "spec") if res.kind == "FlinkBlueGreenDeployment" else get(res.props, "spec")
    prefix = "spec.template.spec" if res.kind == "FlinkBlueGreenDeployment" else "spec"
    value = V.flatten_config(get(spec, "flinkConfiguration")).get(REST_EXPOSED_TYPE_KEY, "")
    if value.strip() in EXPOSED_TYPES:
        yield Finding(f"{prefix}.flinkConfiguration[{REST_EXPOSED_TYPE_KEY!r}]", f"{value!r} exposes the "
                      "JobManager REST API outside the cluster", "use ClusterIP (the default)")


# ---------------------------------------------------------------------------------------------------------------
# Ingress: allowed classes, no configuration snippets

#: ingress-nginx annotations that inject raw nginx configuration (a tenant could read other tenants' traffic or the
#: controller's service-account token with them).
SNIPPET_ANNOTATION_SUFFIXES = ("-snippet", "-snippets")


def _ingress_parts(res: Resource) -> tuple[str, Any, Any]:
    """(path prefix, class name, annotations) of an Ingress or a Flink kind's ``spec.ingress``."""
    if res.kind == "Ingress":
        return "spec", get(res.props, "spec", "ingressClassName", default=get(
            res.props, "metadata", "annotations", "kubernetes.io/ingress.class")), get(
            res.props, "metadata", "annotations", default={})
    spec = get(res.props, "spec", "template", "spec") if res.kind == "FlinkBlueGreenDeployment" else get(res.props, "spec")
    prefix = "spec.template.spec.ingress" if res.kind == "FlinkBlueGreenDeployment" else "spec.ingress"
    ingress = get(spec, "ingress")
    return prefix, get(ingress, "className"), get(ingress, "annotations", default={}) if ingress is not None else None


def check_ingress(res: Resource, cfg) -> Iterator[Finding]:
    prefix, class_name, annotations = _ingress_parts(res)
    if annotations is None:
        return
    allowed = list(cfg["allowedClasses"])
    if allowed and class_name is not None and str(class_name) not in allowed:
        field = "ingressClassName" if res.kind == "Ingress" else "className"
        yield Finding(f"{prefix}.{field}", f"ingress class {class_name!r} is not one of {allowed}",
                      f"use one of {allowed}")
    ann_path = "metadata.annotations" if res.kind == "Ingress" else f"{prefix}.annotations"
    for key in (annotations or {}):
        if str(key).endswith(SNIPPET_ANNOTATION_SUFFIXES):
            yield Finding(f"{ann_path}[{key!r}]", "injects raw controller configuration",
                          "remove the snippet annotation; ask the platform team for a controller setting")


# ---------------------------------------------------------------------------------------------------------------
# Kinds the pack cannot read


#: Kinds whose effect the pack cannot see: server-side patches of existing objects, Helm releases (their objects
#: are rendered by Helm, not declared here).
OPAQUE_KINDS = ("Release", *(f"{k}Patch" for k in (
    "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob",
    "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "NetworkPolicy", "Namespace", "Service",
    "ServiceAccount", "Secret", "ConfigMap", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "CustomResourceDefinition", "Ingress")))


def check_opaque(res: Resource, cfg) -> Iterator[Finding]:
    yield Finding("kind", f"{res.type} changes objects the policy pack cannot read", "declare the object itself")


# ---------------------------------------------------------------------------------------------------------------
# Stack: tenancy


class Tenancy:
    def __init__(self, objs: list[Obj]):
        self.tenant_of: dict[str, str] = {}
        for o in objs:
            if o.kind == "Namespace":
                tenant = get(o.props, "metadata", "labels", L.TENANT)
                if tenant is not None and not self._is_operator(o, objs):
                    self.tenant_of[o.name] = str(tenant)
        self.operator_namespaces = {o.namespace for o in objs if o.kind == "ConfigMap" and o.name == OPERATOR_CONFIGMAP}
        self.tenants = set(self.tenant_of.values())

    @staticmethod
    def _is_operator(ns: Obj, objs: list[Obj]) -> bool:
        return any(o.kind == "ConfigMap" and o.name == OPERATOR_CONFIGMAP and o.namespace == ns.name for o in objs)

    def namespaces(self, tenant: str) -> set[str]:
        return {ns for ns, t in self.tenant_of.items() if t == tenant}


def _secret_refs(view) -> Iterator[tuple[str, str]]:
    for rel, c in view.containers:
        for i, env in enumerate(items(get(c, "env"))):
            key = get(env, "valueFrom", "secretKeyRef", "key")
            if key is not None:
                yield view.cpath((*rel, "env", i, "valueFrom", "secretKeyRef", "key")), str(key)


def check_tenant_secrets(resources, cfg) -> Iterator[tuple[str, Finding, str]]:
    owners = {str(k): str(t) for t, keys in (cfg.get("tenantSecrets") or {}).items() for k in keys}
    if not owners:
        return
    objs = objects(resources)
    tenancy = Tenancy(objs)
    for o in objs:
        tenant = tenancy.tenant_of.get(o.namespace)
        if tenant is None:
            continue
        found: list[tuple[str, str]] = []
        if o.kind == "Secret":
            for field in ("data", "stringData"):
                found += [(f"{field}[{k!r}]", str(k)) for k in (get(o.props, field, default={}) or {})]
        elif o.kind in POD_KINDS:
            for view in pod_views(Resource(o.kind, o.props, o.urn, f"kubernetes:x:{o.kind}")):
                found += list(_secret_refs(view))
        for path, key in found:
            if key in owners and owners[key] != tenant:
                yield o.where, Finding(path, f"names workload secret {key!r} of tenant {owners[key]!r} in a "
                                       f"namespace of tenant {tenant!r}", "use a secret of this tenant"), o.urn


def _state_paths(o: Obj) -> Iterator[tuple[str, str]]:
    prefix_path = ("spec", "template", "spec") if o.kind == "FlinkBlueGreenDeployment" else ("spec",)
    prefix = ".".join(prefix_path)
    spec = get(o.props, *prefix_path, default={})
    conf = V.flatten_config(get(spec, "flinkConfiguration"))
    for key in T.STATE_KEYS:
        if conf.get(key):
            yield f"{prefix}.flinkConfiguration[{key!r}]", conf[key]
    initial = get(spec, "job", "initialSavepointPath")
    if initial:
        yield f"{prefix}.job.initialSavepointPath", str(initial)
    if o.kind == "FlinkStateSnapshot":
        for field in ("savepoint", "checkpoint"):
            path = get(o.props, "spec", field, "path")
            if path:
                yield f"spec.{field}.path", str(path)


def check_tenant_state(resources, cfg) -> Iterator[tuple[str, Finding, str]]:
    objs = objects(resources)
    tenancy = Tenancy(objs)
    for o in objs:
        if o.kind not in ("FlinkDeployment", "FlinkBlueGreenDeployment", "FlinkSessionJob", "FlinkStateSnapshot"):
            continue
        tenant = tenancy.tenant_of.get(o.namespace)
        if tenant is None:
            continue
        for path, uri in _state_paths(o):
            problem = T.state_path_problem(uri, tenant, tenancy.tenant_of)
            if problem:
                yield o.where, Finding(path, f"{uri!r} {problem}; the workload runs in a namespace of tenant "
                                       f"{tenant!r}", f"keep state under <baseUri>/{tenant}/{o.namespace}/"), o.urn


def _selected_namespaces(peer: Any) -> tuple[set[str], set[str]]:
    """(namespace names, tenant names) a peer's namespaceSelector names explicitly."""
    sel = get(peer, "namespaceSelector", default={})
    names, tenants = set(), set()
    for key, value in (get(sel, "matchLabels", default={}) or {}).items():
        if key == "kubernetes.io/metadata.name":
            names.add(str(value))
        elif key == L.TENANT:
            tenants.add(str(value))
    for expr in items(get(sel, "matchExpressions")):
        if str(get(expr, "operator")) == "In":
            values = {str(v) for v in items(get(expr, "values"))}
            if get(expr, "key") == "kubernetes.io/metadata.name":
                names |= values
            elif get(expr, "key") == L.TENANT:
                tenants |= values
    return names, tenants


def check_tenant_network(resources, cfg) -> Iterator[tuple[str, Finding, str]]:
    objs = objects(resources)
    tenancy = Tenancy(objs)
    denied: dict[str, bool] = {ns: False for ns in tenancy.tenant_of}
    for o in objs:
        if o.kind != "NetworkPolicy":
            continue
        spec = get(o.props, "spec", default={})
        types = {str(t) for t in items(get(spec, "policyTypes"))}
        selector = get(spec, "podSelector", default={})
        if (o.namespace in denied and not get(selector, "matchLabels") and not items(get(selector, "matchExpressions"))
                and {"Ingress", "Egress"} <= types and not items(get(spec, "ingress")) and not items(get(spec, "egress"))):
            denied[o.namespace] = True
        tenant = tenancy.tenant_of.get(o.namespace)
        if tenant is None:
            continue
        for direction, key in (("ingress", "from"), ("egress", "to")):
            for i, rule in enumerate(items(get(spec, direction))):
                for j, peer in enumerate(items(get(rule, key))):
                    names, tenants = _selected_namespaces(peer)
                    others = sorted(n for n in names if tenancy.tenant_of.get(n, tenant) != tenant)
                    others += sorted(t for t in tenants if t != tenant)
                    if others:
                        yield o.where, Finding(f"spec.{direction}[{i}].{key}[{j}].namespaceSelector",
                                               f"opens tenant {tenant!r}'s pods to {others} of another tenant",
                                               "allow only this tenant's namespaces and the operator's"), o.urn
    for ns, ok in sorted(denied.items()):
        if not ok:
            urn = next((o.urn for o in objs if o.kind == "Namespace" and o.name == ns), "")
            yield f"Namespace {ns}", Finding("NetworkPolicy default-deny", "the tenant namespace has no policy "
                                             "denying all ingress and egress (podSelector {}, policyTypes "
                                             "[Ingress, Egress], no rules)", "keep the platform's default-deny "
                                             "NetworkPolicy"), urn


def _hosts(o: Obj) -> Iterator[tuple[str, str]]:
    if o.kind == "Ingress":
        for i, rule in enumerate(items(get(o.props, "spec", "rules"))):
            if get(rule, "host"):
                yield f"spec.rules[{i}].host", str(get(rule, "host"))
        for i, tls in enumerate(items(get(o.props, "spec", "tls"))):
            for j, host in enumerate(items(get(tls, "hosts"))):
                yield f"spec.tls[{i}].hosts[{j}]", str(host)
        return
    spec_path = ("spec", "template", "spec") if o.kind == "FlinkBlueGreenDeployment" else ("spec",)
    template = get(o.props, *spec_path, "ingress", "template")
    if template:
        host = T.rendered_ingress_host(str(template), o.name, o.namespace)
        yield ".".join((*spec_path, "ingress", "template")), host


def check_tenant_ingress(resources, cfg) -> Iterator[tuple[str, Finding, str]]:
    """An Ingress host (or a FlinkDeployment's ingress template, rendered) names no other tenant's namespace or
    tenant (the platform's hosts are ``<name>.<namespace>.<domain>``)."""
    objs = objects(resources)
    tenancy = Tenancy(objs)
    for o in objs:
        tenant = tenancy.tenant_of.get(o.namespace)
        if tenant is None or o.kind not in ("Ingress", "FlinkDeployment", "FlinkBlueGreenDeployment"):
            continue
        for path, host in _hosts(o):
            others = T.foreign_host_labels(host, tenant, tenancy.tenant_of)
            if others:
                yield o.where, Finding(path, f"host {host!r} names {others} of another tenant than {tenant!r}",
                                       "use a host of this namespace (<name>.<namespace>.<domain>)"), o.urn


def check_operator_namespace_bindings(resources, cfg) -> Iterator[tuple[str, Finding, str]]:
    objs = objects(resources)
    tenancy = Tenancy(objs)
    for o in objs:
        if o.kind != "RoleBinding" or o.namespace not in tenancy.operator_namespaces:
            continue
        for i, subject in enumerate(items(get(o.props, "subjects"))):
            ns = subject_namespace(subject, o.namespace)
            if ns is not None and ns not in tenancy.operator_namespaces:
                yield o.where, Finding(f"subjects[{i}]", f"gives a ServiceAccount of namespace {ns!r} rights in the "
                                       f"operator namespace {o.namespace!r}", "bind only the operator's own "
                                       "ServiceAccount there"), o.urn


def policies() -> list:
    P, S = KindPolicy, StackPolicy
    return [
        P("security-rbac-grants", "Roles grant no escalating verbs or sensitive resources (secrets, exec, tokens, "
          "RBAC), and the upstream Roles are not widened.", {k: (check_rbac_grants,) for k in ("Role", "ClusterRole")}),
        P("security-rbac-subjects", "Bindings name neither everybody nor whole groups of ServiceAccounts, nor the "
          "built-in admin roles.", {k: (check_rbac_subjects,) for k in ("RoleBinding", "ClusterRoleBinding")}),
        P("security-network-policy", "NetworkPolicy rules name their peers; none opens to every address or every "
          "namespace.", {"NetworkPolicy": (check_network_policy,)}),
        P("security-admission-webhooks", "Admission webhooks and CRD conversions stay in the cluster.",
          {k: (check_webhooks,) for k in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
                                          "CustomResourceDefinition")}),
        P("security-service-exposure", "No Service, and no JobManager REST service, is exposed outside the cluster.",
          {k: (check_service_exposure,) for k in ("Service", "FlinkDeployment", "FlinkBlueGreenDeployment")}),
        P("security-ingress", "Ingresses use an allowed class and no configuration snippets.",
          {k: (check_ingress,) for k in ("Ingress", "FlinkDeployment", "FlinkBlueGreenDeployment")},
          config_schema=PolicyConfigSchema(properties={"allowedClasses": {
              "type": "array", "items": {"type": "string", "minLength": 1},
              "description": "ingress classes tenants may use; empty: any"}}),
          defaults={"allowedClasses": []}),
        P("security-readable-kinds", "No resource the pack cannot read (patches, Helm releases).",
          {k: (check_opaque,) for k in OPAQUE_KINDS}),
        S("stack-tenant-secrets", "Workloads name only their own tenant's workload secrets.", check_tenant_secrets,
          config_schema=PolicyConfigSchema(properties={"tenantSecrets": {
              "type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
              "description": "tenant -> the workload-secret keys it owns (the stack's tenants[].secrets)"}}),
          defaults={"tenantSecrets": {}}),
        S("stack-tenant-state", "Checkpoint, savepoint, HA and initial savepoint paths lie under the workload's "
          "tenant prefix.", check_tenant_state),
        S("stack-tenant-network", "Every tenant namespace keeps its default-deny policy; no policy opens a tenant's "
          "pods to another tenant's namespaces.", check_tenant_network),
        S("stack-tenant-ingress", "Ingress hosts name only the tenant's own namespaces.", check_tenant_ingress),
        S("stack-operator-namespace-bindings", "Only operator ServiceAccounts get rights in operator namespaces.",
          check_operator_namespace_bindings),
    ]
