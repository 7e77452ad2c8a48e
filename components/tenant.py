"""A tenant: a team and the namespaces it owns.

It creates the namespaces with the tenant, environment and Pod Security labels. A tenant with its own operator
(``tenants[].operator``) gets a :class:`~components.operator.install.FlinkOperator` under this component that watches exactly
the tenant's namespaces (its RBAC and network policies come with it, and its namespace, which carries the tenant
label, gets the tenant's ResourceQuota and LimitRange and a default-deny policy like the tenant's other
namespaces); the other tenants are watched by the platform's shared operator.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict

from components.config import labels as L
from components.config.models import EgressRule, GuardRailsConfig, NetworkConfig, TenantConfig
from components.guardrails import NamespaceGuardRails, NamespaceGuardRailsArgs


class TenantArgs(BaseModel):
    """Config of :class:`Tenant`: the tenant's own config plus the platform facts it needs."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    tenant: TenantConfig
    environment: str
    kubernetes_version: str
    operator_version: str
    guard_rails: GuardRailsConfig = GuardRailsConfig()
    network: NetworkConfig | None = None
    #: What each Flink cluster of the tenant's namespaces needs from the network (by namespace), and the artifact
    #: hosts its own operator downloads session-job jars from (:mod:`components.operator.network`).
    clusters: dict[str, tuple[Any, ...]] = {}
    artifact_hosts: tuple[EgressRule, ...] = ()


class Tenant(pulumi.ComponentResource):
    """A tenant's namespaces (``flink-platform:tenant:Tenant``). Namespaces are retained on delete: removing a
    tenant from the config never deletes the workloads and state inside its namespaces."""

    def __init__(
        self,
        name: str,
        args: TenantArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        keystore_password: pulumi.Input[str] | None = None,
        operator_depends_on: list[pulumi.Resource] | None = None,
    ):
        super().__init__("flink-platform:tenant:Tenant", name, None, opts)
        tenant = args.tenant
        labels = {
            **tenant.labels,
            **L.managed(),
            L.TENANT: tenant.name,
            L.ENVIRONMENT: args.environment,
            L.PSA_ENFORCE: tenant.pod_security,
            L.PSA_ENFORCE_VERSION: f"v{args.kubernetes_version}",
            # Always warn and audit at the strictest level, so teams see what `restricted` would refuse.
            L.PSA_WARN: "restricted",
            L.PSA_AUDIT: "restricted",
        }
        self.namespaces: dict[str, k8s.core.v1.Namespace] = {
            ns: k8s.core.v1.Namespace(
                f"{name}-{ns}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels=labels),
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
            for ns in tenant.namespaces
        }
        self.guard_rails = {
            ns: NamespaceGuardRails(
                f"{name}-{ns}-guard-rails",
                NamespaceGuardRailsArgs(
                    namespace=ns,
                    tenant=tenant.name,
                    operator_version=args.operator_version,
                    guard_rails=args.guard_rails,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=[namespace]),
            )
            for ns, namespace in self.namespaces.items()
        }
        self.namespace_names = list(tenant.namespaces)
        self.operator = None
        if tenant.operator is not None:
            from components.operator.install import FlinkOperator, FlinkOperatorArgs, WatchedNamespace

            if args.operator_version is None or args.network is None:
                raise ValueError(f"{name}: a tenant with its own operator needs operator_version and network")
            self.operator = FlinkOperator(
                f"{name}-operator",
                FlinkOperatorArgs(
                    settings=tenant.operator,
                    namespace=tenant.operator.namespace,
                    operator_version=args.operator_version,
                    watched=tuple(
                        WatchedNamespace(name=ns, tenant=tenant.name, egress=tuple(tenant.egress),
                                         clusters=tuple(args.clusters.get(ns, ())))
                        for ns in tenant.namespaces
                    ),
                    network=args.network,
                    environment=args.environment,
                    kubernetes_version=args.kubernetes_version,
                    tenant=tenant.name,
                    artifact_hosts=args.artifact_hosts,
                    guard_rails=args.guard_rails,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=operator_depends_on or []),
                keystore_password=keystore_password,
                namespaces=self.namespaces,
            )
        self.register_outputs({
            "namespaces": self.namespace_names,
            "operatorNamespace": tenant.operator.namespace if tenant.operator else None,
        })
