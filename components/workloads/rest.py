"""Workloads without the operator: a plain Flink session cluster and jobs run on a cluster through REST.

- ``FlinkPlainSessionCluster`` (``flink-platform:rest_workloads:FlinkPlainSessionCluster``): a JobManager Deployment,
  a TaskManager Deployment and a Service (``<name>-rest``: RPC 6123, blob 6124, REST 8081), every pod with the
  restricted security context (non-root uid 9999, no privilege escalation, all capabilities dropped, seccomp
  RuntimeDefault). Flink settings reach the official image's entrypoint through ``FLINK_PROPERTIES``.
- ``FlinkRestJob`` (``flink-platform:rest_workloads:FlinkRestJob``): a :class:`~components.providers.flink_job.FlinkJob`
  dynamic resource on such a cluster (or any JobManager at ``restUrl``): jar upload, run, savepoint-aware
  upgrades with rollback. REST credentials come from the stack config keys of
  :mod:`components.providers.connection` (never from the workload config).
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config import labels as L
from components.operator import upstream
from components.providers.flink_job import FlinkJob
from components.providers.flink_job_model import FlinkJobArgs
from components.providers.serialization import reset_pickler
from components.config import quantities
from components.config.kube import SchedulingConfig
from components.workloads.config import PlainSessionCluster, RestJob, WorkloadDefaults
from components.workloads.render import (
    CONTAINER_SECURITY_CONTEXT,
    POD_SECURITY_CONTEXT,
    flatten,
    flink_value,
    rest_url,
    scheduled_pod_template,
    workload_labels,
)

ROLE_LABEL = "flink-platform.io/component"


def cluster_properties(c: PlainSessionCluster) -> str:
    """FLINK_PROPERTIES of every pod: where the JobManager is, slots, ports, the user's settings."""
    service = f"{c.name}{upstream.REST_SERVICE_SUFFIX}"
    props = {
        "jobmanager.rpc.address": service,
        "jobmanager.rpc.port": str(upstream.JOBMANAGER_RPC_PORT),
        "blob.server.port": str(upstream.BLOB_PORT),
        "rest.port": str(upstream.REST_PORT),
        upstream.TASKMANAGER_DATA_PORT_KEY: str(upstream.TASKMANAGER_DATA_PORT),
        "taskmanager.numberOfTaskSlots": str(c.task_slots),
        "jobmanager.memory.process.size": c.job_manager.memory,
        "taskmanager.memory.process.size": c.task_manager.memory,
        **{k: flink_value(v) for k, v in flatten(c.flink_configuration).items()},
    }
    return "\n".join(f"{k}: {v}" for k, v in props.items())


_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def kubernetes_quantity(memory: str) -> str:
    """A Flink memory size (binary units: 1536m = 1536 MiB) as a Kubernetes quantity in Mi."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)", memory.strip())
    if not match:
        raise ValueError(f"not a Flink memory size: {memory!r}")
    unit = match.group(2).lower()[:1]
    mebibytes = int(float(match.group(1)) * _UNITS[unit] // 1024**2)
    # As the API server writes it back (2048Mi -> 2Gi), so the live object equals the declared one.
    return f"{mebibytes // 1024}Gi" if mebibytes % 1024 == 0 else f"{mebibytes}Mi"


def _container(c: PlainSessionCluster, role: str) -> dict[str, Any]:
    resource = c.job_manager if role == "jobmanager" else c.task_manager
    ports = ([{"name": "rpc", "containerPort": upstream.JOBMANAGER_RPC_PORT},
              {"name": "blob", "containerPort": upstream.BLOB_PORT},
              {"name": "rest", "containerPort": upstream.REST_PORT}] if role == "jobmanager"
             else [{"name": "rpc", "containerPort": upstream.TASKMANAGER_RPC_PORT}])
    quantity = kubernetes_quantity(resource.memory)
    container: dict[str, Any] = {
        "name": role,
        "image": c.image,
        "args": [role],
        "env": [{"name": "FLINK_PROPERTIES", "value": cluster_properties(c)}],
        "ports": ports,
        "resources": {"requests": {"cpu": quantities.canonical_cpu(resource.cpu), "memory": quantity},
                      "limits": {"memory": quantity}},
        "securityContext": dict(CONTAINER_SECURITY_CONTEXT),
    }
    if role == "jobmanager":
        container["readinessProbe"] = {"httpGet": {"path": "/config", "port": upstream.REST_PORT},
                                       "periodSeconds": 10}
        container["livenessProbe"] = {"tcpSocket": {"port": upstream.JOBMANAGER_RPC_PORT},
                                      "initialDelaySeconds": 30, "periodSeconds": 30}
    return container


def native_labels(c: PlainSessionCluster, role: str) -> dict[str, str]:
    """The labels Flink's native Kubernetes mode puts on an operator-made JobManager/TaskManager pod
    (``type``, ``app``, ``component``), so the platform's network policies, flow matrix and PodMonitors see a plain
    session cluster's pods exactly like the operator's (issue 17 §1)."""
    return {upstream.FLINK_LABEL_TYPE: upstream.FLINK_LABEL_TYPE_NATIVE, upstream.FLINK_LABEL_APP: c.name,
            upstream.FLINK_LABEL_COMPONENT: role}


def deployment(c: PlainSessionCluster, role: str, labels: dict[str, str],
               tenant_default: SchedulingConfig | None = None) -> dict[str, Any]:
    """The JobManager or TaskManager Deployment as plain data (the selector stays the platform's own labels: a
    Deployment's selector cannot change; the pods carry the native-mode labels besides). Its pods get the tenant's
    default scheduling with the cluster's own ``scheduling`` merged over it, as for operator-made pods."""
    selector = {L.WORKLOAD: c.name, ROLE_LABEL: role}
    out = {
        "metadata": {"name": f"{c.name}-{role}", "namespace": c.namespace, "labels": labels},
        "spec": {
            "replicas": 1 if role == "jobmanager" else c.task_managers,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": {**labels, **native_labels(c, role), **selector}},
                "spec": {
                    "securityContext": dict(POD_SECURITY_CONTEXT),
                    "automountServiceAccountToken": False,
                    "containers": [_container(c, role)],
                },
            },
        },
    }
    template = out["spec"]["template"]
    template["spec"] = scheduled_pod_template(
        {"spec": template["spec"]}, tenant_default, c.scheduling)["spec"]  # type: ignore[index]
    return out


def service(c: PlainSessionCluster, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": {"name": f"{c.name}{upstream.REST_SERVICE_SUFFIX}", "namespace": c.namespace, "labels": labels},
        "spec": {
            "selector": {L.WORKLOAD: c.name, ROLE_LABEL: "jobmanager"},
            "ports": [{"name": "rpc", "port": upstream.JOBMANAGER_RPC_PORT},
                      {"name": "blob", "port": upstream.BLOB_PORT},
                      {"name": "rest", "port": upstream.REST_PORT}],
        },
    }


class FlinkPlainSessionCluster(pulumi.ComponentResource):
    """A session cluster without the operator (see the module docstring)."""

    def __init__(self, name: str, cluster: PlainSessionCluster, environment: str, after: list[Any],
                 opts: pulumi.ResourceOptions | None = None, scheduling: SchedulingConfig | None = None):
        super().__init__("flink-platform:rest_workloads:FlinkPlainSessionCluster", name, None, opts)
        labels = workload_labels(cluster, environment)  # type: ignore[arg-type]
        child = pulumi.ResourceOptions(parent=self, depends_on=list(after))
        svc = service(cluster, labels)
        self.service = k8s.core.v1.Service(f"{name}-service", metadata=svc["metadata"], spec=svc["spec"], opts=child)
        self.deployments = {
            role: k8s.apps.v1.Deployment(f"{name}-{role}", metadata=d["metadata"], spec=d["spec"], opts=child)
            for role in ("jobmanager", "taskmanager")
            for d in [deployment(cluster, role, labels, scheduling)]
        }
        self.rest_url = rest_url(cluster.name, cluster.namespace)
        self.register_outputs({"restUrl": self.rest_url})


def rest_job_args(job: RestJob, defaults: WorkloadDefaults) -> FlinkJobArgs:
    savepoint_dir = job.savepoint_dir or (
        f"{defaults.storage.base_uri.rstrip('/')}/{job.tenant}/{job.namespace}/{job.name}/savepoints"
        if defaults.storage else None)
    return FlinkJobArgs(
        rest_url=job.rest_url or rest_url(job.cluster or "", job.namespace),
        jar=job.jar,
        jar_sha256=job.jar_sha256,
        entry_class=job.entry_class,
        args=list(job.args) or None,
        parallelism=job.parallelism,
        flink_configuration=dict(job.flink_configuration) or None,
        savepoint_dir=savepoint_dir,
        upgrade_mode=job.upgrade_mode,
        allow_non_restored_state=job.allow_non_restored_state,
        on_delete=job.on_delete,
    )


class FlinkRestJob(pulumi.ComponentResource):
    """A job run through REST by the FlinkJob dynamic resource (see the module docstring)."""

    def __init__(self, name: str, job: RestJob, defaults: WorkloadDefaults, after: list[Any],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("flink-platform:rest_workloads:FlinkRestJob", name, None, opts)
        reset_pickler()  # SDK leak in dynamic-provider serialization (components/providers/serialization.py)
        self.job = FlinkJob(f"{name}-job", rest_job_args(job, defaults),
                            pulumi.ResourceOptions(parent=self, depends_on=list(after)))
        self.register_outputs({"restUrl": job.rest_url or rest_url(job.cluster or "", job.namespace)})
