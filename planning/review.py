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
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from components.config import labels as L
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
    """``path: old → new``; a list of scalars as the items added and removed, a multi-line text as its lines."""
    if isinstance(old, list) and isinstance(new, list):
        delta = [f"+{_value(v)}" for v in new if v not in old] + [f"-{_value(v)}" for v in old if v not in new]
        if delta:
            return f"`{path}`: " + ", ".join(delta[:4]) + (f" (+{len(delta) - 4} more)" if len(delta) > 4 else "")
    if isinstance(old, str) and isinstance(new, str) and ("\n" in old or "\n" in new):
        before, after = old.splitlines(), new.splitlines()
        delta = [f"+{_value(v)}" for v in after if v not in before] + [f"-{_value(v)}" for v in before
                                                                        if v not in after]
        if delta:
            return f"`{path}` lines: " + ", ".join(delta[:4]) + (f" (+{len(delta) - 4} more)" if len(delta) > 4
                                                                    else "")
    return f"`{path}`: {_value(old)} → {_value(new)}"


def object_changes(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]],
                   retained: frozenset[tuple[str, str, str, str]] = frozenset()) -> dict[str, dict[str, list[str]]]:
    """{tenant: {"added": [...], "changed": [...], "removed": [...], "retained": [...]}} (entries are object labels).

    ``retained``: objects of the previous plan created with ``retainOnDelete``; removed from the plan, they are left
    in the cluster, so they are listed as "retained", not "removed"."""
    old = {_key(o): o for o in previous}
    new = {_key(o): o for o in current}
    tenant_of = {**_tenants(previous), **_tenants(current)}
    out: dict[str, dict[str, list[str]]] = {}

    def bucket(key: tuple[str, str, str, str]) -> dict[str, list[str]]:
        ns = key[2] or (key[3] if key[1] == "Namespace" else "")
        tenant = tenant_of.get(ns) or PLATFORM
        return out.setdefault(tenant, {"added": [], "changed": [], "removed": [], "retained": []})

    for key in sorted(new.keys() - old.keys()):
        bucket(key)["added"].append(_label(key))
    for key in sorted(old.keys() - new.keys()):
        bucket(key)["retained" if key in retained else "removed"].append(_label(key))
    for key in sorted(old.keys() & new.keys()):
        if old[key] != new[key]:
            paths = _changed_paths(old[key], new[key])
            shown = "; ".join(_change_text(*c) for c in paths[:4]) + (
                f" (+{len(paths) - 4} more)" if len(paths) > 4 else "")
            bucket(key)["changed"].append(f"{_label(key)}: {shown}")
    return dict(sorted(out.items(), key=lambda kv: (kv[0] == PLATFORM, kv[0])))


# --- what the engine will do that the manifests do not show (read off resources.json) ----------------------------

PROVIDER_TYPE = "pulumi:providers:kubernetes"
#: Provider inputs whose change makes Pulumi replace the provider, and with it every object it manages.
PROVIDER_IDENTITY = ("clusterIdentifier", "context", "kubeconfig")
#: Kinds whose deletion takes a namespace's guard rails away (what each one protected).
GUARD_RAILS = {"NetworkPolicy": "default deny", "ResourceQuota": "quota", "LimitRange": "container defaults and limits"}


@dataclass(frozen=True)
class Engine:
    """The Pulumi view of one plan (its ``resources.json``) the review needs beside the manifests."""

    stack: str
    #: provider URN → its identity inputs (cluster identifier, kubeconfig context).
    providers: Mapping[str, Mapping[str, Any]]
    #: provider URN → how many Kubernetes objects it manages.
    managed: Mapping[str, int]
    #: objects created with ``retainOnDelete``: removing them from the plan leaves them in the cluster.
    retained: frozenset[tuple[str, str, str, str]]

    @classmethod
    def from_resources(cls, document: Mapping[str, Any]) -> "Engine":
        resources = [r for r in document.get("resources") or [] if isinstance(r, Mapping)]
        providers, managed, retained = {}, {}, set()
        for r in resources:
            if r.get("type") == PROVIDER_TYPE:
                inputs = r.get("inputs") or {}
                providers[str(r.get("urn"))] = {k: inputs.get(k) for k in PROVIDER_IDENTITY if k in inputs}
            elif str(r.get("type", "")).startswith("kubernetes:"):
                provider = str(r.get("provider") or "").rsplit("::", 1)[0]  # a reference is "<urn>::<id>"
                managed[provider] = managed.get(provider, 0) + 1
                if (r.get("options") or {}).get("retainOnDelete") and isinstance(r.get("inputs"), Mapping):
                    retained.add(_key(r["inputs"]))
        return cls(str(document.get("stack") or ""), providers, managed, frozenset(retained))


def provider_replacements(previous: Engine, current: Engine) -> list[str]:
    """One line per Kubernetes provider whose cluster or context changes: every object it manages is replaced."""
    out = []
    for urn in sorted(previous.providers.keys() & current.providers.keys()):
        old, new = previous.providers[urn], current.providers[urn]
        changed = [f"`{k}` {_value(old.get(k))} → {_value(new.get(k))}" for k in PROVIDER_IDENTITY
                   if old.get(k) != new.get(k)]
        if changed:
            n = current.managed.get(urn, 0)
            out.append(f"provider `{urn.rsplit('::', 1)[-1]}`: {', '.join(changed)}. Pulumi replaces the provider and "
                       f"with it all {n} Kubernetes objects it manages: each is created through the new provider and "
                       "deleted through the old one (objects kept on delete are left in the old cluster), every Flink "
                       "workload included, so each job stops and starts again in the new cluster. The object lists "
                       "and stateful impacts below compare specs only and do not show this.")
    return out


def _guards(obj: Mapping[str, Any]) -> bool:
    """A guard rail: a quota, a LimitRange, or a NetworkPolicy isolating every pod (empty selector, no rule)."""
    if obj.get("kind") != "NetworkPolicy":
        return True
    spec = obj.get("spec") or {}
    return not spec.get("podSelector") and not spec.get("ingress") and not spec.get("egress")


def retained_namespaces(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]],
                        retained: frozenset[tuple[str, str, str, str]]) -> list[str]:
    """One warning per namespace removed from the plan but kept in the cluster whose guard rails are deleted."""
    new = {_key(o) for o in current}
    removed = {_key(o): o for o in previous if _key(o) not in new}
    gone = list(removed)
    out = []
    for key in gone:
        if key[1] != "Namespace" or key not in retained:
            continue
        ns = key[3]
        lost = sorted(f"{k[1]} {k[3]} ({GUARD_RAILS[k[1]]})" for k, o in removed.items()
                      if k[2] == ns and k[1] in GUARD_RAILS and k not in retained and _guards(o))
        kept = sorted(_label(k) for k in gone if k[2] == ns and k in retained)
        if lost:
            out.append(f"namespace `{ns}` is left in the cluster (retainOnDelete) without its guard rails: "
                       f"{', '.join(lost)} {'is' if len(lost) == 1 else 'are'} deleted, so pods that still run there "
                       "or are started there are neither isolated nor limited"
                       + (f"; also left: {', '.join(kept)}" if kept else "") + ". Empty the namespace and delete "
                       "it by hand, or keep it in the config until it is empty.")
    return out


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


def changed_pairs(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]
                  ) -> set[tuple[str, str]]:
    """(from, to) group names whose flow is gained, lost or on other ports: the cells the picture outlines."""
    before = {(s, d): p for s, d, p in flows.flow_set(flows.Flows(previous).matrix())}
    after = {(s, d): p for s, d, p in flows.flow_set(flows.Flows(current).matrix())}
    return {pair for pair in before.keys() | after.keys() if before.get(pair) != after.get(pair)}


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
            return (capacity.format_cores(t.requests_cpu), capacity.format_gib(t.requests_memory) + " GiB",
                    capacity.format_cores(q.requests_cpu) if q.requests_cpu is not None else "—",
                    capacity.format_gib(q.requests_memory) + " GiB" if q.requests_memory is not None else "—", t.pods)

        va, vb = view(a), view(b)
        if va != vb:
            tenant = (b or a).tenant  # type: ignore[union-attr]
            out.append(f"{tenant} / {ns}: CPU requested {va[0]} → {vb[0]} (quota {va[2]} → {vb[2]}), memory "
                       f"requested {va[1]} → {vb[1]} (quota {va[3]} → {vb[3]}), pods {va[4]} → {vb[4]}")
    return out


def restarts(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per Deployment whose pod template changes (its pods are replaced); the operator's named as such."""
    from components.operator import upstream

    old = {_key(o): o for o in previous if o.get("kind") == "Deployment"}
    out = []
    for o in current:
        key = _key(o)
        if o.get("kind") != "Deployment" or key not in old:
            continue
        paths = _changed_paths((old[key].get("spec") or {}).get("template"), (o.get("spec") or {}).get("template"),
                               "spec.template")
        if not paths:
            continue
        labels = (o.get("metadata") or {}).get("labels") or {}
        what = ("the Flink operator restarts" if labels.get(L.APP_NAME) == upstream.OPERATOR_APP_NAME
                else "its pods are replaced")
        why = "; ".join(_change_text(*c) for c in paths[:3]) + (f" (+{len(paths) - 3} more)" if len(paths) > 3 else "")
        extra = (" (a rolling update of its pods): running jobs keep running, but nothing reconciles them until "
                 "the new pods have elected a leader" if what.startswith("the Flink") else "")
        out.append(f"{_label(key)}: {what}{extra} ({why})")
    return out


def review_markdown(previous: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]], *, stack: str,
                    impact_lines: Sequence[str] = (), impacts: Sequence[Any] = (),
                    previous_engine: Engine | None = None, current_engine: Engine | None = None,
                    picture: str | None = None) -> str:
    """The whole review page.

    ``impacts`` (:class:`components.workloads.impact.Impact`) are counted and listed when the operator does
    something (``nothing`` rows are not impacts); ``impact_lines`` are listed as they are. The engines (from both
    plans' ``resources.json``) add what the manifests do not show: a replaced provider, objects kept on delete.
    ``picture`` is the file name of the flow picture beside the page, linked from the flows section.
    """
    from components.workloads.impact import NOTHING

    retained = previous_engine.retained if previous_engine else frozenset()
    changes = object_changes(previous, current, retained)
    gained, lost, moved = flow_changes(previous, current)
    cap = capacity_changes(previous, current)
    real = list(impact_lines) + [i.line() for i in impacts if i.action != NOTHING]
    unchanged = sum(1 for i in impacts if i.action == NOTHING)
    counts = {k: sum(len(v[k]) for v in changes.values()) for k in ("added", "changed", "removed", "retained")}
    gone = "deleted" if previous_engine else "removed"
    lines = [f"# Review of stack `{stack}`", ""]
    warnings = []
    if previous_engine and previous_engine.stack and previous_engine.stack != stack:
        warnings.append(f"the previous plan is of stack `{previous_engine.stack}`, not `{stack}`: this page compares "
                        "two different stacks")
    if previous_engine and current_engine:
        warnings += provider_replacements(previous_engine, current_engine)
        warnings += retained_namespaces(previous, current, retained)
    restarted = restarts(previous, current)
    lines += [f"> **⚠ {w}**" for w in warnings] + ([""] if warnings else [])
    lines += [f"**{counts['added']} added, {counts['changed']} changed, {counts['removed']} {gone}"
              + (f", {counts['retained']} left in the cluster" if previous_engine else "") + "** Kubernetes "
              f"objects; **{len(gained)} flow(s) gained, {len(lost)} lost, {len(moved)} with changed ports**; "
              f"{len(cap)} namespace(s) with capacity changes; {len(real)} workload(s) with a stateful impact"
              + (f" ({unchanged} unchanged)" if impacts else "") + f"; {len(restarted)} restart(s).", ""]
    lines += ["## Stateful impact per workload", ""]
    replaced = previous_engine and current_engine and provider_replacements(previous_engine, current_engine)
    if replaced:
        lines += ["- every workload is replaced with its provider (see the warning above)"]
    lines += [f"- {line}" for line in real] or ([] if replaced else ["- none"])
    lines += ["", "## Restarts", ""]
    lines += [f"- {r}" for r in restarted] or ["- none"]
    lines += ["", "## Objects per tenant", ""]
    if not changes:
        lines += ["- no object changes", ""]
    for tenant, kinds in changes.items():
        lines.append(f"### {tenant if tenant == PLATFORM else 'tenant ' + tenant}")
        for what, label in (("added", "added"), ("changed", "changed"), ("removed", gone),
                            ("retained", "left in the cluster (retainOnDelete, no longer managed)")):
            for entry in kinds[what]:
                lines.append(f"- {label}: {entry}")
        lines.append("")
    lines += ["## Network flows", ""]
    if picture:
        lines += [f"The flow matrix of this plan: [{picture}]({picture}) (cells whose flows change are outlined in "
                  "red).", ""]
    lines += ([f"- gained: {g}" for g in gained] + [f"- lost: {x}" for x in lost]
              + [f"- ports changed: {m}" for m in moved]) or ["- no flow changes"]
    lines += ["", "## Capacity", ""]
    lines += [f"- {c}" for c in cap] or ["- no capacity changes"]
    return "\n".join(lines).rstrip() + "\n"
