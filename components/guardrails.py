"""Guard rails of one tenant namespace: a ResourceQuota and a LimitRange, so one team cannot starve another.

The ResourceQuota caps CPU and memory requests and limits, pods, and the number of FlinkDeployments and
FlinkSessionJobs (``count/<plural>.<group>``, object-count quota on the operator's custom resources). Because a
quota on ``requests.*``/``limits.*`` makes the API server refuse pods that set none, the LimitRange gives every
container default requests and limits and caps what one container may ask for.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict

from components.config import labels as L
from components.operator import upstream
from components.config.models import GuardRailsConfig, QuotaConfig

#: Names of the objects in every tenant namespace (stable: other tools and the capacity table look them up).
QUOTA_NAME = "flink-platform-quota"
LIMIT_RANGE_NAME = "flink-platform-limits"
#: Until the quota controller has computed a new quota's status, the API server refuses every object the quota
#: counts ("status unknown for quota", seen on the real control plane): `pulumi up` waits for the status, and the
#: workloads of the namespace depend on the guard rails, so they are created only after it.
def quota_await(operator_version: str) -> dict[str, str]:
    """``pulumi.com/waitFor`` of the quota: usage known for pods and both Flink object counts (for a CRD's kind the
    quota controller first has to discover the new resource, which takes it up to half a minute)."""
    counted = ("pods", object_count_key("FlinkDeployment", operator_version),
               object_count_key("FlinkSessionJob", operator_version))
    return {"pulumi.com/waitFor": json.dumps([f"jsonpath={{.status.used['{key}']}}" for key in counted])}
#: ``app.kubernetes.io/component`` of the guard rails' objects.
GUARD_RAILS_COMPONENT = "guard-rails"


def object_count_key(kind: str, operator_version: str) -> str:
    """``count/<plural>.<group>`` of an operator custom resource kind, from the pinned CRD files."""
    pin = next(p for p in upstream.CRD_PINS[operator_version] if p.kind == kind)
    return f"count/{pin.crd_name}"


def quota_hard(quota: QuotaConfig, operator_version: str) -> dict[str, str]:
    """The ResourceQuota's ``spec.hard``."""
    return {
        "requests.cpu": quota.requests_cpu,
        "requests.memory": quota.requests_memory,
        "limits.cpu": quota.limits_cpu,
        "limits.memory": quota.limits_memory,
        "pods": str(quota.pods),
        object_count_key("FlinkDeployment", operator_version): str(quota.flink_deployments),
        object_count_key("FlinkSessionJob", operator_version): str(quota.flink_session_jobs),
    }


class NamespaceGuardRailsArgs(BaseModel):
    """Config of :class:`NamespaceGuardRails`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    namespace: str
    tenant: str
    operator_version: str
    guard_rails: GuardRailsConfig


class NamespaceGuardRails(pulumi.ComponentResource):
    """ResourceQuota and LimitRange of one namespace (``flink-platform:guardrails:NamespaceGuardRails``)."""

    def __init__(self, name: str, args: NamespaceGuardRailsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("flink-platform:guardrails:NamespaceGuardRails", name, None, opts)
        labels = {**L.managed(), L.APP_NAME: L.PART_OF, L.APP_COMPONENT: GUARD_RAILS_COMPONENT,
                  L.APP_INSTANCE: args.tenant, L.TENANT: args.tenant}
        limits = args.guard_rails.limit_range
        child = pulumi.ResourceOptions(parent=self)
        self.quota = k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=QUOTA_NAME, namespace=args.namespace, labels=labels,
                                                annotations=quota_await(args.operator_version)),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=quota_hard(args.guard_rails.quota, args.operator_version)),
            opts=child,
        )
        self.limit_range = k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=LIMIT_RANGE_NAME, namespace=args.namespace, labels=labels),
            spec=k8s.core.v1.LimitRangeSpecArgs(
                limits=[
                    k8s.core.v1.LimitRangeItemArgs(
                        type="Container",
                        default_request={"cpu": limits.default_request.cpu, "memory": limits.default_request.memory},
                        default={"cpu": limits.default.cpu, "memory": limits.default.memory},
                        max={"cpu": limits.max.cpu, "memory": limits.max.memory},
                    )
                ]
            ),
            opts=child,
        )
        self.register_outputs({"quota": QUOTA_NAME, "limitRange": LIMIT_RANGE_NAME})
