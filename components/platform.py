"""The top component: one stack's whole Flink platform."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.config import PlatformConfig
from components.crds import OperatorCrds, OperatorCrdsArgs
from components.tenant import Tenant, TenantArgs
from components.workload_config import SECRETS_CONFIG_KEY
from components.workloads import SPECS_OUTPUT, FlinkWorkloads, WorkloadsArgs


class FlinkPlatform(pulumi.ComponentResource):
    """Everything one stack deploys (``flink-platform:platform:FlinkPlatform``).

    It creates the stack's explicit Kubernetes provider from ``cluster`` and hands it to every child through
    ``parent=self``; no child creates a provider of its own, and the ambient default provider is never used.
    """

    def __init__(self, name: str, config: PlatformConfig, opts: pulumi.ResourceOptions | None = None):
        super().__init__("flink-platform:platform:FlinkPlatform", name, None, opts)
        cluster = config.cluster
        self.provider = k8s.Provider(
            f"{name}-k8s",
            context=cluster.kubeconfig_context,
            cluster_identifier=cluster.identifier,
            opts=pulumi.ResourceOptions(parent=self),
        )
        children = pulumi.ResourceOptions(parent=self, providers={"kubernetes": self.provider})
        self.crds = OperatorCrds(
            f"{name}-crds",
            OperatorCrdsArgs(operator_version=config.operator.version, crds=config.operator.crds),
            children,
        )
        self.tenants = {
            tenant.name: Tenant(
                f"{name}-{tenant.name}",
                TenantArgs(
                    tenant=tenant,
                    environment=config.environment,
                    kubernetes_version=cluster.kubernetes_version,
                ),
                children,
            )
            for tenant in config.tenants
        }
        # Workloads need the CRDs (their kinds) and the namespaces; they reference the `flink` ServiceAccount.
        project, _, key = SECRETS_CONFIG_KEY.partition(":")
        self.workloads = FlinkWorkloads(
            f"{name}-workloads",
            WorkloadsArgs(
                workloads=config.workloads,
                environment=config.environment,
                secrets=pulumi.Config(project).get_secret_object(key),
                impact_preview=config.workloads.defaults.impact_preview,
                crds=[self.crds],
                namespaces={ns: res for t in self.tenants.values() for ns, res in t.namespaces.items()},
            ),
            children,
        )
        self.workload_specs = self.workloads.records
        self.crd_names = self.crds.crd_names
        self.namespaces = {name_: t.namespace_names for name_, t in self.tenants.items()}
        self.register_outputs(
            {
                "clusterIdentifier": cluster.identifier,
                "operatorVersion": config.operator.version,
                "crdNames": self.crd_names,
                "namespaces": self.namespaces,
                SPECS_OUTPUT: sorted(self.workload_specs),
            }
        )
