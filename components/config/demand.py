"""What Kubernetes objects ask of their namespace (CPU and memory requests and limits, pods), and its quota.

Pulumi-free: it reads plain Kubernetes object dicts (a custom resource built from config, or the offline plan's
objects), so the config's over-quota rule (:mod:`components.config.rules`) and the plan's capacity table
(:mod:`planning.capacity`, which only renders) count the same way.

How demand is counted, per object:

- Pod-bearing built-ins (Deployment, StatefulSet, ReplicaSet, Job, Pod): replicas (default 1) × the pod's demand.
  A pod asks for the sum over its containers, or the largest init container if that is more (Kubernetes' effective
  request). A container without a request gets the namespace LimitRange's ``defaultRequest`` (then its limit, then
  ``default``), as the LimitRanger admission plugin would; without a LimitRange it counts as 0.
- FlinkDeployment: ``jobManager.replicas`` (default 1; HA standbys included) JobManager pods and the TaskManager
  pods: ``taskManager.replicas`` if set, else (application mode) ``ceil(job.parallelism / taskmanager.numberOfTaskSlots)``
  (slots default 1). Each Flink pod requests ``resource.cpu`` and ``resource.memory`` (a Flink memory size), with
  limits = requests × ``kubernetes.{jobmanager,taskmanager}.{cpu,memory}.limit-factor`` (default 1.0). Extra
  containers of the pod templates count like any container. A session cluster without TaskManager replicas gets its
  TaskManagers on demand: they are counted as 0 and the row says "+ TaskManagers on demand".
- FlinkBlueGreenDeployment: one FlinkDeployment (``spec.template.spec``); during a transition both run for a while.
- Anything else asks for nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping

from components.config import quantities

POD_BEARING = {"Deployment", "StatefulSet", "ReplicaSet", "Job", "Pod", "DaemonSet"}
FLINK_MAIN_CONTAINER = "flink-main-container"
RESOURCES = ("cpu", "memory")


@dataclass
class Demand:
    """CPU (cores) and memory (bytes) requests and limits, and a pod count."""

    requests_cpu: Decimal = Decimal(0)
    requests_memory: Decimal = Decimal(0)
    limits_cpu: Decimal = Decimal(0)
    limits_memory: Decimal = Decimal(0)
    pods: int = 0
    notes: list[str] = field(default_factory=list)

    def __add__(self, other: Demand) -> Demand:
        return Demand(
            self.requests_cpu + other.requests_cpu,
            self.requests_memory + other.requests_memory,
            self.limits_cpu + other.limits_cpu,
            self.limits_memory + other.limits_memory,
            self.pods + other.pods,
            self.notes + [n for n in other.notes if n not in self.notes],
        )

    def times(self, n: int) -> Demand:
        return Demand(self.requests_cpu * n, self.requests_memory * n, self.limits_cpu * n, self.limits_memory * n,
                      self.pods * n, list(self.notes))


@dataclass(frozen=True)
class ContainerDefaults:
    """A namespace LimitRange's container defaults (what LimitRanger fills in)."""

    default_request: Mapping[str, Decimal] = field(default_factory=dict)
    default_limit: Mapping[str, Decimal] = field(default_factory=dict)

    @classmethod
    def from_limit_range(cls, obj: Mapping[str, Any] | None) -> ContainerDefaults:
        if not obj:
            return cls()
        for item in (obj.get("spec") or {}).get("limits") or []:
            if item.get("type") == "Container":
                return cls(
                    {k: quantities.parse_quantity(v) for k, v in (item.get("defaultRequest") or {}).items()},
                    {k: quantities.parse_quantity(v) for k, v in (item.get("default") or {}).items()},
                )
        return cls()


def container_demand(container: Mapping[str, Any], defaults: ContainerDefaults) -> Demand:
    resources = container.get("resources") or {}
    requests = {k: quantities.parse_quantity(v) for k, v in (resources.get("requests") or {}).items()}
    limits = {k: quantities.parse_quantity(v) for k, v in (resources.get("limits") or {}).items()}
    out = Demand(pods=0)
    for kind in RESOURCES:
        limit = limits.get(kind, defaults.default_limit.get(kind, Decimal(0)))
        request = requests.get(kind, limits.get(kind, defaults.default_request.get(kind, limit)))
        setattr(out, f"requests_{kind}", request)
        setattr(out, f"limits_{kind}", limit)
    return out


def pod_demand(pod_spec: Mapping[str, Any], defaults: ContainerDefaults) -> Demand:
    """One pod: the containers' sum, or the largest init container where that is more."""
    total = Demand(pods=1)
    for container in pod_spec.get("containers") or []:
        total = total + container_demand(container, defaults)
    for init in pod_spec.get("initContainers") or []:
        one = container_demand(init, defaults)
        for attr in ("requests_cpu", "requests_memory", "limits_cpu", "limits_memory"):
            setattr(total, attr, max(getattr(total, attr), getattr(one, attr)))
    return total


def _flink_conf(spec: Mapping[str, Any]) -> dict[str, str]:
    """``flinkConfiguration`` flattened to dotted keys (the CRD allows nested YAML since FLINK-37406)."""
    out: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            out[prefix] = str(value)

    walk("", spec.get("flinkConfiguration") or {})
    return out


def _side_containers(template: Mapping[str, Any] | None) -> dict[str, Any]:
    spec = (template or {}).get("spec") or {}
    return {
        "containers": [c for c in spec.get("containers") or [] if c.get("name") != FLINK_MAIN_CONTAINER],
        "initContainers": list(spec.get("initContainers") or []),
    }


def _flink_pod(spec: Mapping[str, Any], role: str, conf: Mapping[str, str], defaults: ContainerDefaults) -> Demand:
    """One JobManager or TaskManager pod of a FlinkDeployment spec."""
    component = spec.get("jobManager" if role == "jobmanager" else "taskManager") or {}
    resource = component.get("resource") or {}
    cpu = Decimal(str(resource.get("cpu", conf.get(f"kubernetes.{role}.cpu", "1.0"))))
    memory_text = resource.get("memory") or conf.get(f"{role}.memory.process.size")
    memory = Decimal(quantities.parse_flink_memory(memory_text)) if memory_text else Decimal(0)
    cpu_factor = Decimal(conf.get(f"kubernetes.{role}.cpu.limit-factor", "1.0"))
    memory_factor = Decimal(conf.get(f"kubernetes.{role}.memory.limit-factor", "1.0"))
    main = Demand(cpu, memory, cpu * cpu_factor, memory * memory_factor, pods=1)
    sides = Demand()
    for template in (spec.get("podTemplate"), component.get("podTemplate")):
        sides = sides + pod_demand(_side_containers(template), defaults)
    return main + Demand(sides.requests_cpu, sides.requests_memory, sides.limits_cpu, sides.limits_memory)


@dataclass(frozen=True)
class FlinkPods:
    """The pods of one FlinkDeployment spec: how many JobManagers and TaskManagers, and what one of each asks."""

    jobmanagers: int
    jobmanager: Demand
    taskmanagers: int
    taskmanager: Demand
    on_demand: bool  # a session cluster without TaskManager replicas: TaskManagers come with the jobs

    @property
    def demand(self) -> Demand:
        total = self.jobmanager.times(self.jobmanagers) + self.taskmanager.times(self.taskmanagers)
        if self.on_demand:
            total.notes.append("+ TaskManagers on demand (session cluster)")
        return total

    def describe(self, kind: str) -> str:
        """``2 JobManagers × 1 CPU + 4 TaskManagers × 2 CPU = 10 CPU`` for ``kind`` cpu or memory (requests)."""
        attr, fmt = (("requests_cpu", lambda v: f"{quantities.format_cpu(v)} CPU") if kind == "cpu"
                     else ("requests_memory", quantities.format_memory))
        parts = [f"{self.jobmanagers} JobManager(s) × {fmt(getattr(self.jobmanager, attr))}",
                 f"{self.taskmanagers} TaskManager(s) × {fmt(getattr(self.taskmanager, attr))}"]
        return " + ".join(parts) + f" = {fmt(getattr(self.demand, attr))}"


def flink_pods(spec: Mapping[str, Any], defaults: ContainerDefaults = ContainerDefaults()) -> FlinkPods:
    """JobManager replicas (HA standbys included) and TaskManagers of a FlinkDeployment spec, and one pod of each."""
    conf = _flink_conf(spec)
    jm_replicas = int((spec.get("jobManager") or {}).get("replicas", 1))
    tm = spec.get("taskManager") or {}
    job = spec.get("job")
    on_demand = False
    if tm.get("replicas") is not None:
        tm_replicas = int(tm["replicas"])
    elif job:
        slots = int(conf.get("taskmanager.numberOfTaskSlots", "1"))
        tm_replicas = math.ceil(int(job.get("parallelism") or 1) / max(1, slots))
    else:
        tm_replicas, on_demand = 0, True
    return FlinkPods(jm_replicas, _flink_pod(spec, "jobmanager", conf, defaults), tm_replicas,
                     _flink_pod(spec, "taskmanager", conf, defaults), on_demand)


def flink_deployment_demand(spec: Mapping[str, Any], defaults: ContainerDefaults = ContainerDefaults()) -> Demand:
    """All pods of one FlinkDeployment spec (JobManagers incl. HA standbys, TaskManagers)."""
    if not spec:
        return Demand()
    return flink_pods(spec, defaults).demand


def object_demand(obj: Mapping[str, Any], defaults: ContainerDefaults = ContainerDefaults()) -> Demand:
    """What one Kubernetes object makes the namespace run."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return pod_demand(spec, defaults)
    if kind in POD_BEARING:
        replicas = 1 if kind in ("Job", "DaemonSet") else int(spec.get("replicas", 1))
        return pod_demand(((spec.get("template") or {}).get("spec")) or {}, defaults).times(replicas)
    if kind == "FlinkDeployment":
        return flink_deployment_demand(spec, defaults)
    if kind == "FlinkBlueGreenDeployment":
        inner = ((spec.get("template") or {}).get("spec")) or {}
        demand = flink_deployment_demand(inner, defaults)
        demand.notes.append("x2 for a while during a blue/green transition")
        return demand
    return Demand()


@dataclass(frozen=True)
class Quota:
    """A namespace's ResourceQuota ``spec.hard`` for what the table compares (None = not limited)."""

    requests_cpu: Decimal | None = None
    requests_memory: Decimal | None = None
    limits_cpu: Decimal | None = None
    limits_memory: Decimal | None = None
    pods: int | None = None

    @classmethod
    def from_objects(cls, quotas: Iterable[Mapping[str, Any]]) -> Quota:
        """The tightest of several quotas in one namespace (the API server enforces each)."""
        found: dict[str, Decimal] = {}
        for obj in quotas:
            for key, value in ((obj.get("spec") or {}).get("hard") or {}).items():
                attr = key.replace(".", "_")
                if attr in ("requests_cpu", "requests_memory", "limits_cpu", "limits_memory", "pods"):
                    v = quantities.parse_quantity(value)
                    found[attr] = min(found.get(attr, v), v)
        if "pods" in found:
            found["pods"] = int(found["pods"])  # type: ignore[assignment]
        return cls(**found)  # type: ignore[arg-type]
