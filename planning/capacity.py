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


def _cell(used: Decimal, limit: Decimal | None, fmt: Any) -> tuple[str, str, str]:
    if limit is None:
        return fmt(used), "—", "—"
    headroom = limit - used
    sign = "" if headroom >= 0 else "-"
    warn = " ⚠ over quota" if headroom < 0 else ""
    return fmt(used), fmt(limit), f"{sign}{fmt(abs(headroom))}{warn}"


def _fmt_cpu(v: Decimal) -> str:
    return quantities.format_cpu(v)


def _fmt_mem(v: Decimal) -> str:
    return quantities.format_memory(v)


def totals(rows: Iterable[NamespaceCapacity]) -> tuple[Demand, Quota]:
    """Demand and quota summed over every row (a namespace without a quota adds no quota)."""
    demand, quota = Demand(), {"requests_cpu": Decimal(0), "requests_memory": Decimal(0)}
    limited = False
    for row in rows:
        demand = demand + row.total
        if row.quota.requests_cpu is not None:
            quota["requests_cpu"] += row.quota.requests_cpu
            limited = True
        if row.quota.requests_memory is not None:
            quota["requests_memory"] += row.quota.requests_memory
    return demand, (Quota(**quota) if limited else Quota())


def capacity_markdown(rows: list[NamespaceCapacity], *, stack: str) -> str:
    """``capacity.md``: per tenant and namespace, requests by operators and workloads against the quota."""
    lines = [
        f"# Capacity of stack `{stack}`",
        "",
        "CPU and memory **requested** per namespace by the operators and the Flink workloads the plan renders, "
        "against the namespace's ResourceQuota (`requests.cpu`, `requests.memory`), with the headroom left. "
        "Flink pods are counted from each FlinkDeployment (JobManager replicas incl. HA standbys × "
        "`jobManager.resource`, TaskManagers × `taskManager.resource`).",
        "",
        "| tenant | namespace | operators CPU | workloads CPU | CPU requested | CPU quota | CPU headroom | "
        "operators memory | workloads memory | memory requested | memory quota | memory headroom | pods | notes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        total = row.total
        cpu = _cell(total.requests_cpu, row.quota.requests_cpu, _fmt_cpu)
        mem = _cell(total.requests_memory, row.quota.requests_memory, _fmt_mem)
        pods = f"{total.pods}" + (f" / {row.quota.pods}" if row.quota.pods is not None else "")
        lines.append(
            f"| {row.tenant} | {row.namespace} | {_fmt_cpu(row.by_category[OPERATOR].requests_cpu)} | "
            f"{_fmt_cpu(row.by_category[WORKLOADS].requests_cpu)} | {cpu[0]} | {cpu[1]} | {cpu[2]} | "
            f"{_fmt_mem(row.by_category[OPERATOR].requests_memory)} | "
            f"{_fmt_mem(row.by_category[WORKLOADS].requests_memory)} | {mem[0]} | {mem[1]} | {mem[2]} | {pods} | "
            f"{'; '.join(total.notes)} |"
        )
    demand, quota = totals(rows)
    cpu = _cell(demand.requests_cpu, quota.requests_cpu, _fmt_cpu)
    mem = _cell(demand.requests_memory, quota.requests_memory, _fmt_mem)
    lines.append(f"| **total** | | | | {cpu[0]} | {cpu[1]} | {cpu[2]} | | | {mem[0]} | {mem[1]} | {mem[2]} | "
                 f"{demand.pods} | |")
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
        line += (f"; {_fmt_cpu(free.requests_cpu)} CPU, {_fmt_mem(free.requests_memory)} memory, {free.pods} pods "
                 "in namespaces without a quota (operators)")
    return line + (f"; OVER QUOTA in {', '.join(over)}" if over else "")
