"""``review.md``: the one page a reviewer reads in code review, comparing this plan with an earlier one.

Pulumi-free. Both plans are read from their rendered objects (``manifests.yaml``), so the page says what the
cluster will see change, never what the config meant to change:

- objects added, changed and removed, per tenant (a namespaced object belongs to its namespace's tenant; the
  operator's own objects and cluster-scoped ones are listed under "platform");
- network flows gained and lost (the flow matrices of both plans, see :mod:`planning.flows`);
- capacity per namespace whose requests, quota or pod count changed (see :mod:`planning.capacity`);
- the stateful impact of each workload change, when the plan computed one (``impact`` lines).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Sequence

from components.config import labels as L
from components.config import quantities
from planning import capacity, flows

PLATFORM = "platform"


def _key(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("apiVersion", "")), str(obj.get("kind", "")), str(meta.get("namespace") or ""),
            str(meta.get("name") or ""))


def _tenants(objects: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {
        (o.get("metadata") or {}).get("name"): ((o.get("metadata") or {}).get("labels") or {}).get(L.TENANT)
        for o in objects if o.get("kind") == "Namespace"
    }


def _label(key: tuple[str, str, str, str]) -> str:
    _, kind, ns, name = key
    return f"{kind} {ns}/{name}" if ns else f"{kind} {name}"


_IGNORED = ("resourceVersion", "uid", "generation", "managedFields", "creationTimestamp")


def _changed_paths(old: Any, new: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(dotted path, old value, new value) where two objects differ; lists of equal length element by element."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[tuple[str, Any, Any]] = []
        for k in sorted(set(old) | set(new), key=str):
            if k in _IGNORED:
                continue
            if old.get(k) != new.get(k):
                out += _changed_paths(old.get(k), new.get(k), f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [c for i, (a, b) in enumerate(zip(old, new)) if a != b
                for c in _changed_paths(a, b, f"{prefix}[{i}]")]
    return [(prefix or "(whole object)", old, new)] if old != new else []


def _value(value: Any, width: int = 60) -> str:
    """A field value for the page: strings quoted, absent as (unset), structures as short JSON."""
    if value is None:
        return "(unset)"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _change_text(path: str, old: Any, new: Any) -> str:
    return f"`{path}`: {_value(old)} → {_value(new)}"


def object_changes(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]
                   ) -> dict[str, dict[str, list[str]]]:
    """{tenant: {"added": [...], "changed": [...], "removed": [...]}} (entries are object labels)."""
    old = {_key(o): o for o in previous}
    new = {_key(o): o for o in current}
    tenant_of = {**_tenants(previous), **_tenants(current)}
    out: dict[str, dict[str, list[str]]] = {}

    def bucket(key: tuple[str, str, str, str]) -> dict[str, list[str]]:
        ns = key[2] or (key[3] if key[1] == "Namespace" else "")
        tenant = tenant_of.get(ns) or PLATFORM
        return out.setdefault(tenant, {"added": [], "changed": [], "removed": []})

    for key in sorted(new.keys() - old.keys()):
        bucket(key)["added"].append(_label(key))
    for key in sorted(old.keys() - new.keys()):
        bucket(key)["removed"].append(_label(key))
    for key in sorted(old.keys() & new.keys()):
        if old[key] != new[key]:
            paths = _changed_paths(old[key], new[key])
            shown = "; ".join(_change_text(*c) for c in paths[:4]) + (
                f" (+{len(paths) - 4} more)" if len(paths) > 4 else "")
            bucket(key)["changed"].append(f"{_label(key)}: {shown}")
    return dict(sorted(out.items(), key=lambda kv: (kv[0] == PLATFORM, kv[0])))


def flow_changes(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]
                 ) -> tuple[list[str], list[str], list[str]]:
    """(gained, lost, changed) flows as ``from → to: ports`` lines; a flow allowed in both plans on other ports is
    one ``changed`` line ``from → to: old ports → new ports (+added, -removed)``."""
    before = {(s, d): p for s, d, p in flows.flow_set(flows.Flows(previous).matrix())}
    after = {(s, d): p for s, d, p in flows.flow_set(flows.Flows(current).matrix())}
    gained = [f"{s} → {d}: {after[s, d]}" for s, d in sorted(after.keys() - before.keys())]
    lost = [f"{s} → {d}: {before[s, d]}" for s, d in sorted(before.keys() - after.keys())]
    changed = []
    for s, d in sorted(before.keys() & after.keys()):
        if before[s, d] != after[s, d]:
            old, new = _port_items(before[s, d]), _port_items(after[s, d])
            delta = [f"+{p}" for p in new if p not in old] + [f"-{p}" for p in old if p not in new]
            changed.append(f"{s} → {d}: {before[s, d]} → {after[s, d]} ({', '.join(delta)})")
    return gained, lost, changed


def _port_items(text: str) -> list[str]:
    """``TCP 9092, 9093; UDP 53`` → ``["TCP 9092", "TCP 9093", "UDP 53"]`` (``all`` stays whole)."""
    items = []
    for part in text.split("; "):
        proto, _, ports = part.partition(" ")
        items += [f"{proto} {p}" for p in ports.split(", ")] if ports else [part]
    return items


def capacity_changes(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per namespace whose requested CPU/memory, quota or pods changed."""
    def index(objects: Sequence[Mapping[str, Any]]) -> dict[str, capacity.NamespaceCapacity]:
        return {row.namespace: row for row in capacity.capacity(objects)}

    old, new = index(previous), index(current)
    out = []
    for ns in sorted(old.keys() | new.keys()):
        a, b = old.get(ns), new.get(ns)

        def view(row: capacity.NamespaceCapacity | None) -> tuple[str, str, str, str, int]:
            if row is None:
                return ("—", "—", "—", "—", 0)
            t = row.total
            q = row.quota
            return (quantities.format_cpu(t.requests_cpu), quantities.format_memory(t.requests_memory),
                    quantities.format_cpu(q.requests_cpu) if q.requests_cpu is not None else "—",
                    quantities.format_memory(q.requests_memory) if q.requests_memory is not None else "—", t.pods)

        va, vb = view(a), view(b)
        if va != vb:
            tenant = (b or a).tenant  # type: ignore[union-attr]
            out.append(f"{tenant} / {ns}: CPU requested {va[0]} → {vb[0]} (quota {va[2]} → {vb[2]}), memory "
                       f"requested {va[1]} → {vb[1]} (quota {va[3]} → {vb[3]}), pods {va[4]} → {vb[4]}")
    return out


def review_markdown(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]], *, stack: str,
                    impact_lines: Sequence[str] = ()) -> str:
    """The whole review page."""
    changes = object_changes(previous, current)
    gained, lost, moved = flow_changes(previous, current)
    cap = capacity_changes(previous, current)
    counts = {k: sum(len(v[k]) for v in changes.values()) for k in ("added", "changed", "removed")}
    lines = [f"# Review of stack `{stack}`", "",
             f"**{counts['added']} added, {counts['changed']} changed, {counts['removed']} removed** Kubernetes "
             f"objects; **{len(gained)} flow(s) gained, {len(lost)} lost, {len(moved)} with changed ports**; {len(cap)} namespace(s) with capacity "
             f"changes; {len(impact_lines)} workload(s) with a stateful impact.", ""]
    lines += ["## Stateful impact per workload", ""]
    lines += [f"- {line}" for line in impact_lines] or ["- none"]
    lines += ["", "## Objects per tenant", ""]
    if not changes:
        lines.append("- no object changes")
    for tenant, kinds in changes.items():
        lines.append(f"### {tenant if tenant == PLATFORM else 'tenant ' + tenant}")
        for what in ("added", "changed", "removed"):
            for entry in kinds[what]:
                lines.append(f"- {what}: {entry}")
        lines.append("")
    lines += ["## Network flows", ""]
    lines += ([f"- gained: {g}" for g in gained] + [f"- lost: {x}" for x in lost]
              + [f"- ports changed: {m}" for m in moved]) or ["- no flow changes"]
    lines += ["", "## Capacity", ""]
    lines += [f"- {c}" for c in cap] or ["- no capacity changes"]
    return "\n".join(lines).rstrip() + "\n"
