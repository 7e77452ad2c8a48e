"""Flink workloads: application clusters, session clusters and session jobs as operator custom resources.

``FlinkWorkloads`` (``flink-platform:workloads:FlinkWorkloads``) holds one component per workload:

- ``FlinkApplication`` — a FlinkDeployment with a job (or a FlinkBlueGreenDeployment when the stack asks);
- ``FlinkSessionCluster`` — a FlinkDeployment without a job;
- ``FlinkSessionJob`` — a FlinkSessionJob on a session cluster.

Each renders its custom resource with :mod:`components.workloads.render` (platform defaults merged in), carries the
deploy-time await annotations, and gets, when it needs them:

- a Kubernetes Secret ``<name>-env`` with its secret values (Pulumi secrets from ``flink-platform:workloadSecrets``),
  reaching JobManager and TaskManagers as ``secretKeyRef`` environment variables through the pod template;
- a :class:`~components.providers.savepoint_gate.SavepointGate` in front (the CR depends on it) when the job is
  stateful, keyed on the spec fingerprint the operator redeploys for (:func:`guard`).

The stateful-impact preview compares each workload with the last deployed one (the stack's own ``workloadSpecs``
output read through a StackReference) and logs what the operator will do.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel, ConfigDict

from components.workloads import impact
from components.providers.savepoint_gate import SavepointGate, SavepointGateArgs
from components.providers.serialization import reset_pickler
from components.workloads.rest import FlinkPlainSessionCluster, FlinkRestJob
from components.config.kube import SchedulingConfig
from components.workloads.config import (
    ApplicationWorkload,
    SessionClusterWorkload,
    SessionJobWorkload,
    WorkloadsConfig,
)
from components.workloads.render import Rendered, custom_resource, pod_monitors, render, rest_url, secret_name

#: Stack output holding every workload's record (what the impact preview compares against).
SPECS_OUTPUT = "workloadSpecs"


class WorkloadsArgs(BaseModel):
    """Config of :class:`FlinkWorkloads`."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    workloads: WorkloadsConfig
    environment: str
    #: Each tenant's default scheduling of its Flink pods (``tenants[].workloadDefaults.scheduling``) by tenant.
    scheduling: dict[str, SchedulingConfig] = {}
    #: The stack's workload secret values (a secret Output of a name → value map), or None when none are set.
    secrets: Any = None
    #: Compare with the last deployed workloads (StackReference to this very stack) and log the impact.
    impact_preview: bool = True
    #: What workload objects wait for: the CRDs serving their kinds, and their own namespace's Namespace resource
    #: (only their own: depending on every tenant would give each object a dependency on every namespace of the
    #: stack, quadratic in size). Pulumi does not pass a component's depends_on to its children, so each
    #: Kubernetes object gets these explicitly.
    #: All of these are lists of named leaf resources, never components: a component in depends_on expands to all
    #: its descendants (the shared operator has thousands), which made the dependency lists quadratic in size.
    crds: list[Any] = []
    namespaces: dict[str, Any] = {}
    #: What each namespace's workloads wait for from the operator watching it (``FlinkOperator.ready_for``: its
    #: Deployment and webhook, the RBAC and network policies of that namespace): on create they wait for it, and
    #: `pulumi destroy` deletes them before it, while the operator still runs to remove their finalizers.
    operators: dict[str, list[Any]] = {}
    #: Each namespace's guard rails (ResourceQuota and LimitRange; the quota counts FlinkDeployments,
    #: FlinkSessionJobs and pods): workload objects are created once the quota's status is known, or the API server
    #: refuses them.
    guard_rails: dict[str, list[Any]] = {}


def record(r: Rendered) -> dict[str, Any]:
    """What the impact preview stores and compares for one workload."""
    return {"kind": r.kind, "name": r.name, "spec": r.spec,
            "autoClean": bool(getattr(r.workload, "auto_clean", False) or _on_auto_clean(r))}


def _on_auto_clean(r: Rendered) -> bool:
    return isinstance(r.workload, SessionJobWorkload) and r.cluster != r.workload.deployment_name


def workload_key(r: Rendered) -> str:
    return f"{r.kind}/{r.namespace}/{r.workload.name}"


def guard(name: str, r: Rendered, opts: pulumi.ResourceOptions,
          was_suspended: pulumi.Output[bool] | None = None) -> SavepointGate | None:
    """The SavepointGate in front of a stateful workload, or None (stateless, or the gate is disabled).

    Keyed on :func:`components.workloads.impact.restart_fingerprint`, so it runs exactly when the operator would redeploy
    the job. Its REST URL is the operator's own JobManager service unless the workload overrides it. A job that
    is suspended now, or was suspended in the last deployment (``was_suspended``, from the impact preview's
    StackReference), has no running job to save: the gate then records that instead of failing, so resuming a
    suspended job is not blocked. Otherwise a missing job fails the gate.
    """
    gate = getattr(r.workload, "gate", None)
    if not r.stateful or gate is None or not gate.enabled:
        return None
    if r.kind == "FlinkBlueGreenDeployment" and not gate.rest_url:
        # The operator runs blue/green jobs in child deployments whose names alternate, and takes the transition
        # savepoint itself; a gate needs an explicit REST URL (e.g. a stable Service in front of both).
        return None
    job = r.workload.job  # type: ignore[union-attr]
    reset_pickler()  # SDK leak: without it, ~470 dynamic resources overflow the stack (providers/serialization.py)
    return SavepointGate(
        f"{name}-gate",
        SavepointGateArgs(
            rest_url=gate.rest_url or rest_url(r.cluster, r.namespace),
            spec_hash=impact.restart_fingerprint(record(r)),
            savepoint_dir=r.savepoint_dir,
            job_name=gate.job_name,
            max_checkpoint_age_s=gate.max_checkpoint_age_s,
            skip_when_no_job=True if job.state == "suspended" else (
                was_suspended.apply(lambda w: True if w else None) if was_suspended is not None else None),
        ),
        opts,
    )


class _Workload(pulumi.ComponentResource):
    """One workload: optional Secret and SavepointGate, then its custom resource."""

    TYPE = ""

    def __init__(self, name: str, rendered: Rendered, secrets: Any, after: list[Any],
                 opts: pulumi.ResourceOptions | None = None, was_suspended: pulumi.Output[bool] | None = None,
                 secret_after: list[Any] | None = None):
        """``after``: what the custom resource waits for (CRDs, namespace, the watching operator, guard rails, a
        session job's cluster); ``secret_after``: what its Secret waits for (namespace and guard rails: a Secret
        needs no operator, and each extra dependency costs the SDK a walk over the operator's whole graph)."""
        super().__init__(self.TYPE, name, None, opts)
        r = rendered
        child = pulumi.ResourceOptions(parent=self, depends_on=list(after if secret_after is None else secret_after))
        env = getattr(r.workload, "secret_env", [])
        self.secret = None
        if env:
            keys = sorted({e.secret for e in env})
            self.secret = k8s.core.v1.Secret(
                f"{name}-env",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name(r.workload), namespace=r.namespace,
                                                    labels=r.labels),
                type="Opaque",
                string_data={k: pulumi.Output.secret(secrets.apply(lambda s, k=k: str((s or {})[k])))
                             for k in keys},
                opts=child,
            )
        self.gate = guard(name, r, pulumi.ResourceOptions(parent=self), was_suspended)
        depends = [*after, *(d for d in (self.gate, self.secret) if d is not None)]
        obj = custom_resource(r)
        self.resource = k8s.apiextensions.CustomResource(
            f"{name}-cr",
            api_version=obj["apiVersion"],
            kind=obj["kind"],
            metadata=obj["metadata"],
            spec=obj["spec"],
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=depends,
                # A session job moving to a fresh autoClean cluster cannot be updated in place ("The
                # deploymentName can't be changed"): it is replaced.
                replace_on_changes=["spec.deploymentName"] if r.kind == "FlinkSessionJob" else None,
                delete_before_replace=r.kind == "FlinkSessionJob",
            ),
        )
        self.key = workload_key(r)
        self.register_outputs({"kind": r.kind, "name": r.name, "namespace": r.namespace,
                               "stateful": r.stateful, "gated": self.gate is not None})


class FlinkApplication(_Workload):
    """A job in its own cluster (``flink-platform:workloads:FlinkApplication``)."""

    TYPE = "flink-platform:workloads:FlinkApplication"


class FlinkSessionCluster(_Workload):
    """A session cluster (``flink-platform:workloads:FlinkSessionCluster``)."""

    TYPE = "flink-platform:workloads:FlinkSessionCluster"


class FlinkSessionJob(_Workload):
    """A job on a session cluster (``flink-platform:workloads:FlinkSessionJob``)."""

    TYPE = "flink-platform:workloads:FlinkSessionJob"


_COMPONENTS = {ApplicationWorkload: FlinkApplication, SessionClusterWorkload: FlinkSessionCluster,
               SessionJobWorkload: FlinkSessionJob}
_SHORT = {ApplicationWorkload: "app", SessionClusterWorkload: "session", SessionJobWorkload: "sjob"}


class FlinkWorkloads(pulumi.ComponentResource):
    """Every workload of the stack (``flink-platform:workloads:FlinkWorkloads``)."""

    def __init__(self, name: str, args: WorkloadsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("flink-platform:workloads:FlinkWorkloads", name, None, opts)
        rendered = render(args.workloads, args.environment, args.scheduling)
        secrets = args.secrets if args.secrets is not None else pulumi.Output.secret({})
        #: The workload records of the last deployment (None: not compared, or nothing deployed yet).
        self.previous = self._previous_records() if args.impact_preview and rendered else None
        self.workloads: dict[str, _Workload] = {}
        clusters: dict[tuple[str, str], _Workload] = {}
        for r in rendered:
            cls = type(r.workload)
            after = self._after(args, r.namespace)
            if isinstance(r.workload, SessionJobWorkload):
                cluster = clusters.get((r.namespace, r.workload.deployment_name))
                after += [cluster] if cluster else []
            component = _COMPONENTS[cls](f"{name}-{_SHORT[cls]}-{r.namespace}-{r.workload.name}", r, secrets, after,
                                         pulumi.ResourceOptions(parent=self), self._was_suspended(r),
                                         secret_after=self._after(args, r.namespace, crds=False))
            if isinstance(r.workload, SessionClusterWorkload):
                clusters[(r.namespace, r.workload.name)] = component
            self.workloads[component.key] = component
        plain: dict[tuple[str, str], FlinkPlainSessionCluster] = {}
        for c in args.workloads.plain_session_clusters:
            plain[(c.namespace, c.name)] = FlinkPlainSessionCluster(
                f"{name}-plain-{c.namespace}-{c.name}", c, args.environment, self._after(args, c.namespace, crds=False),
                pulumi.ResourceOptions(parent=self), scheduling=args.scheduling.get(c.tenant))
        self.rest_jobs = {}
        for j in args.workloads.rest_jobs:
            cluster = plain.get((j.namespace, j.cluster or ""))
            self.rest_jobs[f"FlinkJob/{j.namespace}/{j.name}"] = FlinkRestJob(
                f"{name}-rest-{j.namespace}-{j.name}", j, args.workloads.defaults, [cluster] if cluster else [],
                pulumi.ResourceOptions(parent=self))
        self.pod_monitors = [
            k8s.apiextensions.CustomResource(
                f"{name}-podmonitor-{m['metadata']['namespace']}",
                api_version=m["apiVersion"], kind=m["kind"], metadata=m["metadata"], spec=m["spec"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=self._after(args, m["metadata"]["namespace"],
                                                                                crds=False)),
            )
            for m in pod_monitors(args.workloads, args.environment)
        ]
        self.records = {workload_key(r): record(r) for r in rendered}
        outputs: dict[str, Any] = {"workloads": sorted(self.records)}
        if self.previous is not None:
            # An output of the component, so the run waits for the comparison (and its log lines) to finish.
            outputs["impactLogged"] = self._preview(self.previous)
        self.register_outputs(outputs)

    @staticmethod
    def _after(args: WorkloadsArgs, namespace: str, *, crds: bool = True) -> list[Any]:
        ns = args.namespaces.get(namespace)
        operator = args.operators.get(namespace) if crds else None
        rails = args.guard_rails.get(namespace)
        return [*(args.crds if crds else []), *([ns] if ns is not None else []), *(operator or []), *(rails or [])]

    def _previous_records(self) -> pulumi.Output[Any]:
        """This stack's own ``workloadSpecs`` output as last deployed (a StackReference to the same stack)."""
        ref = pulumi.StackReference(
            f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}",
            opts=pulumi.ResourceOptions(parent=self),
        )
        return ref.outputs.apply(lambda outs: (outs or {}).get(SPECS_OUTPUT))

    def _was_suspended(self, r: Rendered) -> pulumi.Output[bool] | None:
        if self.previous is None:
            return None
        key = workload_key(r)

        def suspended(prev: Any) -> bool:
            old = (prev or {}).get(key) if isinstance(prev, dict) else None
            job = impact.deployment_spec(old).get("job") or {} if old else {}
            return job.get("state") == "suspended"

        return self.previous.apply(suspended)

    def _preview(self, previous: pulumi.Output[Any]) -> pulumi.Output[int]:
        """Log what the operator will do with each workload compared with the last deployed stack outputs."""
        records = self.records

        def log(prev: Any) -> int:
            known = isinstance(prev, dict)
            impacts = impact.compare(prev if known else {}, records)
            for i in impacts:
                target = self.workloads.get(i.key)
                text = "stateful impact: " + i.line() + ("" if known else " (no earlier deployment recorded)")
                if i.warnings or i.action == impact.FORBIDDEN:
                    pulumi.log.warn(text, resource=target)
                else:
                    pulumi.log.info(text, resource=target)
            return len(impacts)

        return previous.apply(log)


__all__ = ["FlinkApplication", "FlinkSessionCluster", "FlinkSessionJob", "FlinkWorkloads", "WorkloadsArgs",
           "guard", "record", "SPECS_OUTPUT"]
