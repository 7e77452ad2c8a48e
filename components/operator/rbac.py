"""RBAC of one operator, exactly as the upstream chart renders it (rule tables in :mod:`components.operator.upstream`).

Watch mode (the default): in each watched namespace a Role ``flink-operator`` + RoleBinding to the operator's
ServiceAccount, and the job ServiceAccount ``flink`` + Role ``flink`` + RoleBinding ``flink-role-binding``; the
operator's own namespace gets the leases/snapshot Role when it is not watched. Cluster mode (only when the stack
asks for it): ClusterRole + ClusterRoleBinding, and the job objects in the operator's namespace only. The job
objects are retained on delete (upstream annotates them ``helm.sh/resource-policy: keep``): removing a namespace
from the config never breaks the Flink jobs still running in it.
"""

from __future__ import annotations

from typing import Any, Mapping

import pulumi
from pydantic import BaseModel, ConfigDict

from components.config import labels as L
from components.operator import upstream
from components.operator.kube import declare

RBAC_API = "rbac.authorization.k8s.io/v1"
RBAC_GROUP = "rbac.authorization.k8s.io"


class WatchedNamespaceRbacArgs(BaseModel):
    """Config of :class:`WatchedNamespaceRbac`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    operator_namespace: str
    watched: tuple[str, ...]
    cluster_wide: bool = False
    nodes_rule: bool = False
    labels: dict[str, str]
    #: The chart's rbac.create (False: no Roles and bindings, the job ServiceAccounts only) and object names.
    create: bool = True
    operator_role: str = upstream.OPERATOR_ROLE
    operator_role_binding: str = upstream.OPERATOR_ROLE_BINDING
    job_role: str = upstream.JOB_ROLE
    job_role_binding: str = upstream.JOB_ROLE_BINDING
    operator_service_account: str = upstream.OPERATOR_SERVICE_ACCOUNT
    job_service_account_annotations: dict[str, str] = {}


def _meta(name: str, namespace: str | None, labels: Mapping[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": dict(labels)}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def _binding(kind: str, name: str, namespace: str | None, role_kind: str, role: str, sa: str, sa_ns: str,
             labels: Mapping[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": RBAC_API,
        "kind": kind,
        "metadata": _meta(name, namespace, labels),
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": role_kind, "name": role},
        "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": sa_ns}],
    }


def _rules(rules: tuple[upstream.PolicyRule, ...]) -> list[dict[str, list[str]]]:
    return [r.to_k8s() for r in rules]


def operator_rbac_manifests(args: WatchedNamespaceRbacArgs) -> list[tuple[str, dict[str, Any], bool]]:
    """Every RBAC object of one operator as ``(role, manifest, retain_on_delete)``; ``role`` names the Pulumi child."""
    op_ns, labels = args.operator_namespace, args.labels
    rules = _rules(upstream.operator_rules(args.nodes_rule))
    out: list[tuple[str, dict[str, Any], bool]] = []
    if args.cluster_wide:
        out.append(("clusterrole", {"apiVersion": RBAC_API, "kind": "ClusterRole",
                                    "metadata": _meta(args.operator_role, None, labels), "rules": rules}, False))
        out.append(("clusterrolebinding", _binding(
            "ClusterRoleBinding", args.operator_role_binding, None, "ClusterRole", args.operator_role,
            args.operator_service_account, op_ns, labels), False))
        job_namespaces: tuple[str, ...] = (op_ns,)
    else:
        for ns in args.watched:
            out.append((f"role-{ns}", {"apiVersion": RBAC_API, "kind": "Role",
                                       "metadata": _meta(args.operator_role, ns, labels), "rules": rules}, False))
            out.append((f"rolebinding-{ns}", _binding(
                "RoleBinding", args.operator_role_binding, ns, "Role", args.operator_role,
                args.operator_service_account, op_ns, labels), False))
        if op_ns not in args.watched:
            out.append((f"role-{op_ns}", {"apiVersion": RBAC_API, "kind": "Role",
                                          "metadata": _meta(args.operator_role, op_ns, labels),
                                          "rules": _rules(upstream.OPERATOR_NAMESPACE_RULES)}, False))
            out.append((f"rolebinding-{op_ns}", _binding(
                "RoleBinding", args.operator_role_binding, op_ns, "Role", args.operator_role,
                args.operator_service_account, op_ns, labels), False))
        job_namespaces = args.watched
    for ns in job_namespaces:
        job_sa = _meta(upstream.JOB_SERVICE_ACCOUNT, ns, labels)
        if args.job_service_account_annotations:
            job_sa["annotations"] = dict(args.job_service_account_annotations)
        out.append((f"job-sa-{ns}", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": job_sa}, True))
        out.append((f"job-role-{ns}", {"apiVersion": RBAC_API, "kind": "Role",
                                       "metadata": _meta(args.job_role, ns, labels),
                                       "rules": _rules(upstream.JOB_RULES)}, True))
        out.append((f"job-rolebinding-{ns}", _binding(
            "RoleBinding", args.job_role_binding, ns, "Role", args.job_role,
            upstream.JOB_SERVICE_ACCOUNT, ns, labels), True))
    if not args.create:  # the chart's rbac.create: false keeps the job ServiceAccounts only
        out = [o for o in out if o[1]["kind"] == "ServiceAccount"]
    return out


class WatchedNamespaceRbac(pulumi.ComponentResource):
    """The RBAC of one operator (``flink-platform:rbac:WatchedNamespaceRbac``)."""

    def __init__(
        self,
        name: str,
        args: WatchedNamespaceRbacArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        namespaces: Mapping[str, pulumi.Resource] | None = None,
    ):
        super().__init__("flink-platform:rbac:WatchedNamespaceRbac", name, None, opts)
        namespaces = namespaces or {}
        self.objects: dict[str, pulumi.CustomResource] = {}
        #: The objects by namespace (``None``: cluster-scoped), for dependents that need one namespace's RBAC.
        self.by_namespace: dict[str | None, list[pulumi.CustomResource]] = {}
        for role, manifest, retain in operator_rbac_manifests(args):
            ns = manifest["metadata"].get("namespace")
            deps = [namespaces[ns]] if ns in namespaces else []
            self.objects[role] = declare(
                f"{name}-{role}", manifest,
                pulumi.ResourceOptions(parent=self, retain_on_delete=retain or None, depends_on=deps),
            )
            self.by_namespace.setdefault(ns, []).append(self.objects[role])
        self.register_outputs({"watched": list(args.watched), "clusterWide": args.cluster_wide})
