"""The top component: one stack's whole Flink platform."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.config.models import OperatorSettings, PlatformConfig
from components.operator.crds import OperatorCrds, OperatorCrdsArgs
from components.operator.install import FlinkOperator, FlinkOperatorArgs, WatchedNamespace
from components.operator.network import cluster_flows, operator_artifact_hosts
from components.tenant import Tenant, TenantArgs
from components.workloads.config import SECRETS_CONFIG_KEY
from components.workloads.component import SPECS_OUTPUT, FlinkWorkloads, WorkloadsArgs
from components.workloads.render import tenant_scheduling


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
            # ConfigMaps update in place: `flink-operator-config` keeps its fixed name, and a change of the watched
            # namespaces must not delete and recreate it under the running operator (the provider's default
            # replaces a changed ConfigMap; seen under the real engine).
            enable_config_map_mutable=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        children = pulumi.ResourceOptions(parent=self, providers={"kubernetes": self.provider})
        self.crds = OperatorCrds(
            f"{name}-crds",
            OperatorCrdsArgs(operator_version=config.operator.version, crds=config.operator.crds),
            children,
        )
        secrets = pulumi.Config()
        # What each Flink cluster needs from the network (metrics, ingress, gates, object storage, ...), by namespace.
        flows = cluster_flows(config) if config.network.enabled else {}
        self.tenants = {
            tenant.name: Tenant(
                f"{name}-{tenant.name}",
                TenantArgs(
                    tenant=tenant,
                    environment=config.environment,
                    kubernetes_version=cluster.kubernetes_version,
                    operator_version=config.operator.version,
                    guard_rails=config.guard_rails_for(tenant),
                    network=config.network,
                    clusters={ns: flows[ns] for ns in tenant.namespaces if ns in flows},
                    artifact_hosts=operator_artifact_hosts(config, tenant.namespaces) if tenant.operator else (),
                ),
                children,
                keystore_password=_keystore_password(secrets, tenant.operator),
                operator_depends_on=[self.crds],
            )
            for tenant in config.tenants
        }
        # The shared operator watches every tenant without an operator of its own (or, when asked explicitly,
        # the whole cluster). With nothing to watch it is not deployed: an empty list would mean "all namespaces".
        shared = tuple(
            WatchedNamespace(name=ns, tenant=t.name, egress=tuple(t.egress), clusters=flows.get(ns, ()),
                             job_service_account_annotations=t.job_service_account_annotations())
            for t in config.tenants if t.operator is None for ns in t.namespaces
        )
        self.operator: FlinkOperator | None = None
        if shared or config.operator.watch == "cluster":
            self.operator = FlinkOperator(
                f"{name}-operator",
                FlinkOperatorArgs(
                    settings=config.operator,
                    namespace=config.operator.namespace,
                    operator_version=config.operator.version,
                    watched=shared,
                    network=config.network,
                    environment=config.environment,
                    kubernetes_version=cluster.kubernetes_version,
                    artifact_hosts=operator_artifact_hosts(
                        config, None if config.operator.watch == "cluster" else [w.name for w in shared]),
                ),
                pulumi.ResourceOptions.merge(children, pulumi.ResourceOptions(depends_on=[self.crds])),
                keystore_password=_keystore_password(secrets, config.operator),
                namespaces={ns: r for t in self.tenants.values() for ns, r in t.namespaces.items()},
            )
        # Workloads need the CRDs (their kinds) and the namespaces; they reference the `flink` ServiceAccount.
        project, _, key = SECRETS_CONFIG_KEY.partition(":")
        self.workloads = FlinkWorkloads(
            f"{name}-workloads",
            WorkloadsArgs(
                workloads=config.workloads,
                environment=config.environment,
                scheduling=tenant_scheduling(config.tenants),
                secrets=pulumi.Config(project).get_secret_object(key),
                impact_preview=config.workloads.defaults.impact_preview,
                crds=list(self.crds.definitions.values()),
                namespaces={ns: res for t in self.tenants.values() for ns, res in t.namespaces.items()},
                guard_rails={ns: [rails.quota, rails.limit_range]
                             for t in self.tenants.values() for ns, rails in t.guard_rails.items()},
                operators={
                    ns: (t.operator or self.operator).ready_for(ns)  # type: ignore[union-attr]
                    for t in self.tenants.values() for ns in t.namespace_names
                    if (t.operator or self.operator) is not None
                },
            ),
            children,
        )
        self.workload_specs = self.workloads.records
        self.crd_names = self.crds.crd_names
        self.namespaces = {name_: t.namespace_names for name_, t in self.tenants.items()}
        self.operator_namespaces = sorted(
            ([config.operator.namespace] if self.operator else [])
            + [t.operator.namespace for t in config.tenants if t.operator is not None]
        )
        self.register_outputs(
            {
                "clusterIdentifier": cluster.identifier,
                "operatorVersion": config.operator.version,
                "crdNames": self.crd_names,
                "namespaces": self.namespaces,
                "operatorNamespaces": self.operator_namespaces,
                SPECS_OUTPUT: sorted(self.workload_specs),
            }
        )


def _keystore_password(config: pulumi.Config, operator: OperatorSettings | None) -> pulumi.Output[str] | None:
    """The webhook keystore password from the stack's secret config value (never a literal)."""
    if operator is None or not operator.webhook.enabled:
        return None
    return config.require_secret(operator.webhook.keystore_password_config_key)
