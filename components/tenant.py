"""A tenant: a team and the namespaces it owns.

This first version creates the namespaces with the tenant, environment and Pod Security labels. The tenant's own
operator, its RBAC and its network policies are added by later components under this one.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict

from components.config import TenantConfig

#: Label keys the platform sets on every namespace it owns (policies and network policies select on them).
LABEL_TENANT = "flink-platform.io/tenant"
LABEL_ENVIRONMENT = "flink-platform.io/environment"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
#: Pod Security Admission labels (Kubernetes Pod Security Standards).
LABEL_PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
LABEL_PSA_ENFORCE_VERSION = "pod-security.kubernetes.io/enforce-version"
LABEL_PSA_WARN = "pod-security.kubernetes.io/warn"
LABEL_PSA_AUDIT = "pod-security.kubernetes.io/audit"


class TenantArgs(BaseModel):
    """Config of :class:`Tenant`: the tenant's own config plus the platform facts it needs."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    tenant: TenantConfig
    environment: str
    kubernetes_version: str


class Tenant(pulumi.ComponentResource):
    """A tenant's namespaces (``flink-platform:tenant:Tenant``). Namespaces are retained on delete: removing a
    tenant from the config never deletes the workloads and state inside its namespaces."""

    def __init__(self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("flink-platform:tenant:Tenant", name, None, opts)
        tenant = args.tenant
        labels = {
            **tenant.labels,
            LABEL_TENANT: tenant.name,
            LABEL_ENVIRONMENT: args.environment,
            LABEL_MANAGED_BY: "pulumi",
            LABEL_PSA_ENFORCE: tenant.pod_security,
            LABEL_PSA_ENFORCE_VERSION: f"v{args.kubernetes_version}",
            LABEL_PSA_WARN: "restricted",
            LABEL_PSA_AUDIT: "restricted",
        }
        self.namespaces: dict[str, k8s.core.v1.Namespace] = {
            ns: k8s.core.v1.Namespace(
                f"{name}-{ns}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels=labels),
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
            )
            for ns in tenant.namespaces
        }
        self.namespace_names = list(tenant.namespaces)
        self.register_outputs({"namespaces": self.namespace_names})
