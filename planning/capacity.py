"""The capacity table of the offline plan: per tenant and namespace, what the rendered objects ask against the quota.

The arithmetic (what one object asks, a namespace's quota) is :mod:`components.config.demand`, shared with the
config's over-quota rule; this module groups it per namespace and category and renders ``capacity.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Mapping

from components.config import quantities
from components.config.demand import (POD_BEARING, ContainerDefaults, Demand, FlinkPods, Quota, flink_pods,
                                      object_demand)

__all__ = ["POD_BEARING", "ContainerDefaults", "Demand", "FlinkPods", "Quota", "flink_pods", "object_demand",
           "NamespaceCapacity", "capacity", "capacity_markdown", "capacity_summary", "totals", "category"]


# --- the capacity table -----------------------------------------------------------------------------------------

OPERATOR = "operators"
WORKLOADS = "workloads"
OTHER = "other"
CATEGORIES = (OPERATOR, WORKLOADS, OTHER)
FLINK_KINDS = {"FlinkDeployment", "FlinkBlueGreenDeployment"}
NO_TENANT = "(no tenant)"


def category(obj: Mapping[str, Any]) -> str:
    """operators (the operator's own Deployments), workloads (Flink clusters and their pods) or other."""
    from components.config import labels as L
    from components.operator import upstream

    labels = (obj.get("metadata") or {}).get("labels") or {}
    if obj.get("kind") in FLINK_KINDS:
        return WORKLOADS
    if labels.get(L.APP_NAME) == upstream.OPERATOR_APP_NAME:
        return OPERATOR
    if obj.get("kind") in POD_BEARING:
        return WORKLOADS
    return OTHER


@dataclass
class NamespaceCapacity:
    tenant: str
    namespace: str
    by_category: dict[str, Demand]
    quota: Quota

    @property
    def total(self) -> Demand:
        out = Demand()
        for demand in self.by_category.values():
            out = out + demand
        return out


def capacity(objects: Iterable[Mapping[str, Any]]) -> list[NamespaceCapacity]:
    """Demand per namespace and category against the namespace's quota, sorted by tenant and namespace."""
    from components.config import labels as L

    objects = list(objects)
    tenant_of = {
        (o.get("metadata") or {}).get("name"): ((o.get("metadata") or {}).get("labels") or {}).get(L.TENANT)
        for o in objects
        if o.get("kind") == "Namespace"
    }
    by_ns: dict[str, list[Mapping[str, Any]]] = {}
    for o in objects:
        ns = (o.get("metadata") or {}).get("namespace")
        if ns:
            by_ns.setdefault(ns, []).append(o)
    rows = []
    for ns in sorted(set(by_ns) | {n for n, t in tenant_of.items() if t}):
        members = by_ns.get(ns, [])
        limit_ranges = [o for o in members if o.get("kind") == "LimitRange"]
        defaults = ContainerDefaults.from_limit_range(limit_ranges[0] if limit_ranges else None)
        demand = {c: Demand() for c in CATEGORIES}
        for o in members:
            d = object_demand(o, defaults)
            if d.pods or d.notes:
                demand[category(o)] = demand[category(o)] + d
        quota = Quota.from_objects(o for o in members if o.get("kind") == "ResourceQuota")
        if any(d.pods or d.notes for d in demand.values()) or quota != Quota() or tenant_of.get(ns):
            rows.append(NamespaceCapacity(tenant_of.get(ns) or NO_TENANT, ns, demand, quota))
    return sorted(rows, key=lambda r: (r.tenant == NO_TENANT, r.tenant, r.namespace))


_GIB = Decimal(2**30)


def format_cores(v: Decimal) -> str:
    """CPU in cores, always: ``0.7``, ``13``, ``0.25`` (never millicores, so a column reads in one unit)."""
    text = f"{v.quantize(Decimal('0.001')):f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def format_gib(v: Decimal) -> str:
    """Memory in GiB, always: ``1.5``, ``26``, ``0.25`` (two decimals at most; ``16896Mi`` reads as ``16.5``)."""
    text = f"{(Decimal(v) / _GIB).quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _fmt_cpu(v: Decimal) -> str:
    return f"{format_cores(v)} CPU"


def _fmt_mem(v: Decimal) -> str:
    return f"{format_gib(v)} GiB"


def _cell(used: Decimal, limit: Decimal | None, fmt: Any) -> tuple[str, str, str]:
    if limit is None:
        return fmt(used), "—", "—"
    headroom = limit - used
    sign = "" if headroom >= 0 else "-"
    warn = " ⚠ over quota" if headroom < 0 else ""
    return fmt(used), fmt(limit), f"{sign}{fmt(abs(headroom))}{warn}"


def _against(used: Decimal, limit: Decimal | None, fmt: Any) -> str:
    """``13 / 24 (11 free)``, ``13 / 12 (⚠ over quota by 1)`` or ``13`` when the quota does not limit it."""
    if limit is None:
        return fmt(used)
    headroom = limit - used
    if headroom < 0:
        return f"{fmt(used)} / {fmt(limit)} (⚠ over quota by {fmt(-headroom)})"
    return f"{fmt(used)} / {fmt(limit)} ({fmt(headroom)} free)"


def totals(rows: Iterable[NamespaceCapacity]) -> tuple[Demand, Quota]:
    """Demand and quota summed over every row (a namespace without a quota adds no quota)."""
    demand = Demand()
    quota: dict[str, Any] = {k: None for k in ("requests_cpu", "requests_memory", "limits_cpu", "limits_memory")}
    for row in rows:
        demand = demand + row.total
        for k in quota:
            if getattr(row.quota, k) is not None:
                quota[k] = (quota[k] or Decimal(0)) + getattr(row.quota, k)
    return demand, Quota(**quota)


#: (column, Demand attribute, Quota attribute, formatter): what the table compares, each in one unit.
_COLUMNS = (
    ("requests.cpu (cores)", "requests_cpu", format_cores),
    ("requests.memory (GiB)", "requests_memory", format_gib),
    ("limits.cpu (cores)", "limits_cpu", format_cores),
    ("limits.memory (GiB)", "limits_memory", format_gib),
)


def _unbounded(demand: Demand, attr: str) -> bool:
    """A limits total below the requests total: some container has no limit (a limit is never below its request)."""
    if not attr.startswith("limits_"):
        return False
    return getattr(demand, attr) < getattr(demand, attr.replace("limits_", "requests_"))


def capacity_markdown(rows: list[NamespaceCapacity], *, stack: str) -> str:
    """``capacity.md``: per tenant and namespace, requests and limits of operators and workloads against the
    ResourceQuota, CPU always in cores and memory always in GiB."""
    lines = [
        f"# Capacity of stack `{stack}`",
        "",
        "What the operators and the Flink workloads the plan renders **request** and may use at most (**limits**) "
        "per namespace, against the namespace's ResourceQuota (`requests.cpu`, `requests.memory`, `limits.cpu`, "
        "`limits.memory`, `pods`): `used / quota (free)`. CPU is in cores, memory in GiB (2^30 bytes), everywhere. "
        "Flink pods are counted from each FlinkDeployment (JobManager replicas incl. HA standbys × "
        "`jobManager.resource`, TaskManagers × `taskManager.resource`, limits × the limit factors); containers "
        "without requests or limits get the namespace's LimitRange defaults, as the API server fills them in.",
        "",
        "| tenant | namespace | " + " | ".join(c for c, _, _ in _COLUMNS) + " | pods | notes |",
        "|---|---|" + "---:|" * len(_COLUMNS) + "---:|---|",
    ]

    def row_line(tenant: str, namespace: str, demand: Demand, quota: Quota, notes: list[str]) -> str:
        cells = [_against(getattr(demand, attr), getattr(quota, attr), fmt)
                 if not _unbounded(demand, attr) else "no limit (a container sets none)" for _, attr, fmt in _COLUMNS]
        pods = f"{demand.pods}" + (f" / {quota.pods}" if quota.pods is not None else "")
        return f"| {tenant} | {namespace} | " + " | ".join(cells) + f" | {pods} | {'; '.join(notes)} |"

    for row in rows:
        notes = list(row.total.notes)
        ops = row.by_category[OPERATOR]
        if ops.pods and row.by_category[WORKLOADS].pods:
            notes.insert(0, f"operators: {format_cores(ops.requests_cpu)} cores, {format_gib(ops.requests_memory)} GiB requested")
        lines.append(row_line(row.tenant, row.namespace, row.total, row.quota, notes))
    limited = [r for r in rows if r.quota != Quota()]
    demand, quota = totals(limited)
    lines.append(row_line("**total**", "namespaces with a quota", demand, quota, []))
    if len(limited) < len(rows):
        demand, quota = totals(r for r in rows if r not in limited)
        lines.append(row_line("**total**", "namespaces without a quota", demand, quota, []))
    return "\n".join(lines) + "\n"


def capacity_summary(rows: list[NamespaceCapacity]) -> str:
    """One line for the plan's printed summary: namespaces with a quota against it, then the rest."""
    limited = [r for r in rows if r.quota.requests_cpu is not None or r.quota.requests_memory is not None]
    free, _ = totals(r for r in rows if r not in limited)
    demand, quota = totals(limited)
    cpu = _cell(demand.requests_cpu, quota.requests_cpu, _fmt_cpu)
    mem = _cell(demand.requests_memory, quota.requests_memory, _fmt_mem)
    over = [r.namespace for r in rows if any(
        lim is not None and used > lim for used, lim in ((r.total.requests_cpu, r.quota.requests_cpu),
                                                         (r.total.requests_memory, r.quota.requests_memory)))]
    line = (f"capacity: CPU requested {cpu[0]} of quota {cpu[1]} (headroom {cpu[2]}), memory requested {mem[0]} of "
            f"quota {mem[1]} (headroom {mem[2]}), {demand.pods} pods in tenant namespaces")
    if free.pods or free.requests_cpu or free.requests_memory:
        line += (f"; {_fmt_cpu(free.requests_cpu)}, {_fmt_mem(free.requests_memory)} memory, {free.pods} pods "
                 "in namespaces without a quota (operators)")
    return line + (f"; OVER QUOTA in {', '.join(over)}" if over else "")
