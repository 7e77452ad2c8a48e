"""What the operator will do to a running job when a workload's custom resource changes (stateful-impact preview).

Pulumi-free and plain data: it compares two workload records (the one last deployed and the new one) and returns
an :class:`Impact`. Used by the program (``pulumi.log`` lines under ``pulumi preview``/``up``), by the offline
plan (``impact.md``) and by a later review summary.

A record is ``{"kind": FlinkDeployment|FlinkBlueGreenDeployment|FlinkSessionJob, "name": <CR name>,
"spec": <CR spec>, "autoClean": bool}``, keyed by ``<kind>/<namespace>/<workload name>``.

The rules follow the operator 1.15 (``../shared/notes/operator-1.15-facts.md`` §c.1.10 and §d):

- ``upgradeMode``, ``initialSavepointPath``, ``allowNonRestoredState`` and the trigger nonces are ignored by the
  operator's spec diff: changing only them redeploys nothing (a changed ``savepointTriggerNonce`` takes a
  manual savepoint).
- any other change upgrades the job with the *new* spec's upgradeMode: stateless restart (state discarded),
  savepoint upgrade (stop-with-savepoint, restore) or last-state upgrade (restore from HA metadata / the latest
  checkpoint; a Flink version change makes the operator take a savepoint instead).
- ``job.state`` running→suspended suspends, suspended→running restores, suspended→suspended only records.
- forbidden (the validator rejects the change): session↔application, native↔standalone, a session job's
  ``deploymentName``, and ``flinkVersion`` after a last-state suspend.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from components.operator import upstream

NOTHING = "nothing"
CREATE = "create"
DELETE = "delete"
STATELESS_RESTART = "stateless restart"
SAVEPOINT_UPGRADE = "savepoint upgrade"
LAST_STATE_UPGRADE = "last-state upgrade"
SUSPEND = "suspend"
RESUME = "resume"
SCALE = "in-place rescale"
SAVEPOINT_REDEPLOY = "savepoint redeploy"
CLUSTER_REDEPLOY = "session cluster redeploy"
CLEAN_REDEPLOY = "clean session cluster redeploy"
BLUE_GREEN = "blue/green transition"
REPLACE = "replace"
FORBIDDEN = "forbidden"

#: Actions that take or restore state (a savepoint directory matters for them).
STATEFUL_ACTIONS = (SAVEPOINT_UPGRADE, LAST_STATE_UPGRADE, SUSPEND, RESUME, SAVEPOINT_REDEPLOY, BLUE_GREEN)


@dataclass(frozen=True)
class Impact:
    key: str
    action: str
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def line(self) -> str:
        text = f"{self.key}: {self.action}"
        if self.reasons:
            text += " (" + "; ".join(self.reasons) + ")"
        for w in self.warnings:
            text += f" WARNING: {w}"
        return text


def _flat(config: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in (config or {}).items():
        full = f"{prefix}.{k}" if prefix else str(k)
        out.update(_flat(v, full) if isinstance(v, Mapping) else {full: v})
    return out


def savepoint_dir(spec: Mapping[str, Any]) -> str | None:
    flat = _flat(spec.get("flinkConfiguration"))
    for key in (upstream.SAVEPOINT_DIR_KEY, *upstream.CONFIG_KEY_ALIASES[upstream.SAVEPOINT_DIR_KEY]):
        if flat.get(key):
            return str(flat[key])
    return None


def deployment_spec(record: Mapping[str, Any]) -> dict[str, Any]:
    spec = record.get("spec") or {}
    if record.get("kind") == "FlinkBlueGreenDeployment":
        return dict((spec.get("template") or {}).get("spec") or {})
    return dict(spec)


def relevant_spec(record: Mapping[str, Any]) -> dict[str, Any]:
    """The spec without the fields the operator's diff ignores (what a restart depends on)."""
    spec = copy.deepcopy(deployment_spec(record))
    job = spec.get("job")
    if isinstance(job, dict):
        for key in upstream.JOB_DIFF_IGNORED:
            job.pop(key, None)
    return spec


def _canon(value: Any) -> Any:
    """Integral floats as ints (the engine carries every number as a double), containers recursively."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _canon(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    return value


def restart_fingerprint(record: Mapping[str, Any]) -> str:
    """sha256 of :func:`relevant_spec`: changes exactly when the operator would redeploy the job."""
    body = json.dumps(_canon(relevant_spec(record)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _changed(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths that differ between two specs (leaves; lists compared whole; 1 == 1.0)."""
    old, new = _canon(old), _canon(new)
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out = []
        for key in sorted(set(old) | set(new)):
            out += _changed(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else str(key))
        return out
    return [] if old == new else [prefix]


def classify(key: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> Impact:
    """The operator's reaction to replacing ``old`` (last deployed, or None) by ``new`` (or None: removed)."""
    if old is None and new is None:
        raise ValueError("classify needs an old or a new record")
    old, new = _canon(old), _canon(new)  # numbers as the engine hands them back (doubles) compare as written
    if old is None:
        assert new is not None
        job = deployment_spec(new).get("job") or {}
        start = (f"restores from initialSavepointPath {job['initialSavepointPath']}" if job.get("initialSavepointPath")
                 else "starts from empty state" if job else "new session cluster")
        return Impact(key, CREATE, (start,))
    if new is None:
        job = deployment_spec(old).get("job") or {}
        warnings = ()
        if job.get("upgradeMode") in upstream.STATEFUL_UPGRADE_MODES:
            warnings = ("the job stops and the resource's savepoint history is dropped; a re-created resource "
                        "starts empty unless initialSavepointPath is set",)
        return Impact(key, DELETE, ("the custom resource is removed",), warnings)

    if old.get("kind") != new.get("kind"):
        return Impact(key, REPLACE, (f"{old.get('kind')} → {new.get('kind')}: the old resource is deleted and the "
                                     "new one starts empty unless initialSavepointPath is set",))
    o, n = deployment_spec(old), deployment_spec(new)
    ojob, njob = o.get("job"), n.get("job")
    kind = new.get("kind")

    if kind != "FlinkSessionJob":
        if bool(ojob) != bool(njob):
            what = "session → application" if njob else "application → session"
            return Impact(key, FORBIDDEN, (f"{what} cluster: the operator refuses to switch (\"Cannot switch from "
                                           "session to job cluster\"); delete and re-create instead",))
        if (o.get("mode") or "native") != (n.get("mode") or "native"):
            return Impact(key, FORBIDDEN, (f"mode {o.get('mode') or 'native'} → {n.get('mode') or 'native'}: the "
                                           "operator cannot change native ↔ standalone",))
    elif o.get("deploymentName") != n.get("deploymentName"):
        if old.get("autoClean") or new.get("autoClean"):
            return Impact(key, REPLACE, (f"moves to the fresh session cluster {n.get('deploymentName')} (autoClean): "
                                         "the job is re-created and starts from empty state unless "
                                         "initialSavepointPath is set",))
        return Impact(key, FORBIDDEN, (f"deploymentName {o.get('deploymentName')} → {n.get('deploymentName')}: "
                                       "\"The deploymentName can't be changed\"",))

    if kind == "FlinkDeployment" and not njob:
        changed = _changed(o, n)
        if new.get("name") != old.get("name") and new.get("autoClean"):
            return Impact(key, CLEAN_REDEPLOY, (f"configuration changed: a fresh cluster {new.get('name')} replaces "
                                                f"{old.get('name')}; its HA data goes with the old one, so no stale "
                                                "job is recovered; session jobs on it start again",))
        if not changed:
            return Impact(key, NOTHING)
        return Impact(key, CLUSTER_REDEPLOY, ("changed: " + ", ".join(changed[:6]),
                                              "session jobs on it are restarted from their last savepoint/checkpoint"))

    ojob, njob = ojob or {}, njob or {}
    warnings: list[str] = []
    if ojob.get("parallelism") != njob.get("parallelism"):
        warnings.append(f"parallelism {ojob.get('parallelism')} → {njob.get('parallelism')}: keyed state is "
                        "redistributed; it must stay within the job's max parallelism")
    if bool(ojob.get("allowNonRestoredState")) != bool(njob.get("allowNonRestoredState")):
        warnings.append(f"allowNonRestoredState {bool(ojob.get('allowNonRestoredState'))} → "
                        f"{bool(njob.get('allowNonRestoredState'))}: state of removed operators is "
                        + ("dropped silently on the next restore" if njob.get("allowNonRestoredState")
                           else "required again on the next restore"))

    old_state, new_state = ojob.get("state", "running"), njob.get("state", "running")
    mode = njob.get("upgradeMode", "stateless")
    if (o.get("flinkVersion") != n.get("flinkVersion") and old_state == "suspended"
            and ojob.get("upgradeMode") == "last-state" and mode != "stateless"):
        return Impact(key, FORBIDDEN, (f"flinkVersion {o.get('flinkVersion')} → {n.get('flinkVersion')} after a "
                                       "last-state suspend: \"Changing flinkVersion after last-state suspend is "
                                       "not allowed\"",), tuple(warnings))

    changed = _changed(relevant_spec(old), relevant_spec(new))
    changed_wo_state = [c for c in changed if c != "job.state"]
    action, reasons = NOTHING, []
    if old_state == "running" and new_state == "suspended":
        action = SUSPEND
        reasons.append({"savepoint": "stop with a savepoint", "last-state": "cancel, keeping checkpoints and HA "
                        "metadata", "stateless": "cancel; state is discarded"}[mode])
    elif old_state == "suspended" and new_state == "running":
        action = RESUME
        reasons.append({"savepoint": "restore from the suspend savepoint", "last-state": "restore from the latest "
                        "checkpoint", "stateless": "start from empty state"}[mode])
    elif old_state == "suspended":
        if changed_wo_state:
            reasons.append("suspended: the change is recorded and applied when the job is resumed")
    elif changed_wo_state == ["job.savepointRedeployNonce"]:
        if not njob.get("initialSavepointPath"):
            return Impact(key, FORBIDDEN, ("savepointRedeployNonce changed without initialSavepointPath "
                                           "(\"InitialSavepointPath must not be empty for savepoint redeployment\")",),
                          tuple(warnings))
        action = SAVEPOINT_REDEPLOY
        reasons.append(f"redeploy from initialSavepointPath {njob['initialSavepointPath']}")
    elif changed_wo_state:
        if kind == "FlinkBlueGreenDeployment":
            action = BLUE_GREEN
            reasons.append("a new deployment starts from a savepoint of the active one, then traffic switches")
        elif n.get("mode") == "standalone" and set(changed_wo_state) <= {"job.parallelism", "taskManager.replicas"}:
            action = SCALE
        elif mode == "stateless":
            action = STATELESS_RESTART
            if ojob.get("upgradeMode") in upstream.STATEFUL_UPGRADE_MODES:
                warnings.append("the previous upgradeMode was stateful: this restart discards the job's state")
        elif mode == "savepoint":
            action = SAVEPOINT_UPGRADE
            reasons.append("stop with a savepoint, restore the new spec from it")
        else:
            action = LAST_STATE_UPGRADE
            reasons.append("restore from HA metadata / the latest checkpoint")
            if o.get("flinkVersion") != n.get("flinkVersion"):
                reasons.append("the Flink version changes, so the operator takes a savepoint instead")
        reasons.insert(0, "changed: " + ", ".join(changed_wo_state[:6]))
    if action == NOTHING:
        ignored = [k for k in upstream.JOB_DIFF_IGNORED if ojob.get(k) != njob.get(k)]
        if ignored:
            reasons.append("only " + ", ".join(ignored) + " changed, which the operator does not redeploy for")
        if ojob.get("savepointTriggerNonce") != njob.get("savepointTriggerNonce") and njob.get(
                "savepointTriggerNonce") is not None:
            reasons.append("a manual savepoint is triggered")
    if action in STATEFUL_ACTIONS and mode != "stateless" and not savepoint_dir(n):
        warnings.append("a stateful change without a savepoint directory: no savepoint can be taken")
    return Impact(key, action, tuple(reasons), tuple(warnings))


#: What a session cluster's own impact does to the session jobs running on it.
_CLUSTER_IMPACT_ON_JOBS = {CLUSTER_REDEPLOY: "restarted", CLEAN_REDEPLOY: "started again on the fresh cluster",
                           DELETE: "stopped"}


def compare(previous: Mapping[str, Mapping[str, Any]] | None, current: Mapping[str, Mapping[str, Any]]) -> list[Impact]:
    """The impact of every workload, sorted by key (removed workloads included).

    A session job whose own spec is unchanged takes its session cluster's impact: a redeployed cluster restarts
    the jobs on it."""
    previous = previous or {}
    impacts = {k: classify(k, previous.get(k), current.get(k)) for k in sorted(set(previous) | set(current))}
    clusters = {}  # (namespace, resource name in the previous plan) -> the cluster's impact
    for k, i in impacts.items():
        kind, _, rest = k.partition("/")
        if kind == "FlinkDeployment" and i.action in _CLUSTER_IMPACT_ON_JOBS and k in previous:
            clusters[(rest.partition("/")[0], previous[k].get("name") or rest.partition("/")[2])] = i
    for k, i in impacts.items():
        if not k.startswith("FlinkSessionJob/") or i.action != NOTHING or k not in previous:
            continue
        cluster = clusters.get((k.split("/")[1], deployment_spec(previous[k]).get("deploymentName")))
        if cluster is not None:
            mode = (deployment_spec(current.get(k) or previous[k]).get("job") or {}).get("upgradeMode", "stateless")
            start = ("" if cluster.action == DELETE else " from empty state (upgradeMode stateless)"
                     if mode == "stateless" else " from its last savepoint/checkpoint")
            impacts[k] = Impact(k, cluster.action, (
                f"its session cluster {cluster.key} has the impact '{cluster.action}': the job is "
                f"{_CLUSTER_IMPACT_ON_JOBS[cluster.action]}{start}",) + i.reasons, i.warnings)
    return list(impacts.values())


def table(impacts: list[Impact], *, previous_known: bool) -> str:
    """impact.md: one row per workload."""
    lines = ["# Stateful impact of this plan", ""]
    if not previous_known:
        lines += ["No previous plan was given (`--previous DIR`): every workload is compared with nothing.", ""]
    lines += ["| workload | operator action | why | warnings |", "|---|---|---|---|"]
    for i in impacts:
        cells = [i.key, i.action, "; ".join(i.reasons), "; ".join(i.warnings)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    if not impacts:
        lines.append("| (no workloads) | | | |")
    return "\n".join(lines) + "\n"
