"""What the e2e tests read out of a rendered plan: objects in engine order, pod templates, RBAC subjects and grants.

Everything is generic over the plan: whatever kinds, workloads and RBAC objects a stack renders are applied,
admitted and authorized by the API server, so the tests grow with the program.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from planning.manifests import FIRST_KINDS

#: Kinds whose ``spec.template`` is a pod template.
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController")
FLINK_GROUP = "flink.apache.org"
#: The container the operator builds every Flink pod around (pod templates merge into it).
FLINK_MAIN_CONTAINER = "flink-main-container"


def load_objects(plan_dir: Path) -> list[dict[str, Any]]:
    """The objects of ``<plan_dir>/manifests.yaml`` in file order (the plan writes them in apply order)."""
    return [d for d in yaml.safe_load_all((plan_dir / "manifests.yaml").read_text()) if d]


def engine_order(objects: Iterable[dict[str, Any]]) -> tuple[list[dict], list[dict], list[dict]]:
    """(CRDs, Namespaces, everything else): the order the engine creates them in (dependencies first)."""
    objects = list(objects)
    crds = [o for o in objects if o["kind"] == FIRST_KINDS[0]]
    namespaces = [o for o in objects if o["kind"] == FIRST_KINDS[1]]
    rest = [o for o in objects if o["kind"] not in FIRST_KINDS]
    return crds, namespaces, rest


def label(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    where = f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta.get("name")
    return f"{obj['kind']} {where}"


@dataclass(frozen=True)
class PodTemplate:
    """A pod template found in the plan: where it came from and the Pod spec the cluster would run."""

    source: str
    spec: dict[str, Any]
    namespace: str = ""


def _flink_pod_spec(resource: dict[str, Any], role: str) -> dict[str, Any]:
    """The Pod spec of a FlinkDeployment's JobManager or TaskManager: the role's ``podTemplate`` merged over the
    common ``spec.podTemplate`` and wrapped around ``flink-main-container`` running ``spec.image``, as the
    operator builds it (containers are merged by name)."""
    spec = resource.get("spec") or {}
    pod: dict[str, Any] = copy.deepcopy((spec.get("podTemplate") or {}).get("spec") or {})
    role_spec = ((spec.get(role) or {}).get("podTemplate") or {}).get("spec") or {}
    for key, value in role_spec.items():
        if key not in ("containers", "initContainers"):
            pod[key] = copy.deepcopy(value)
    for key in ("containers", "initContainers"):
        merged = {c["name"]: copy.deepcopy(c) for c in pod.get(key, [])}
        for container in role_spec.get(key, []):
            merged.setdefault(container["name"], {}).update(copy.deepcopy(container))
        if merged:
            pod[key] = list(merged.values())
    containers = pod.setdefault("containers", [])
    main = next((c for c in containers if c["name"] == FLINK_MAIN_CONTAINER), None)
    if main is None:
        main = {"name": FLINK_MAIN_CONTAINER}
        containers.insert(0, main)
    main.setdefault("image", spec.get("image") or "flink")
    if spec.get("serviceAccount"):
        pod.setdefault("serviceAccountName", spec["serviceAccount"])
    return pod


def pod_templates(objects: Iterable[dict[str, Any]]) -> Iterator[PodTemplate]:
    """Every pod template the plan renders: workloads, CronJobs, Pods, Flink JobManagers and TaskManagers."""
    for obj in objects:
        kind, spec = obj["kind"], obj.get("spec") or {}
        namespace = (obj.get("metadata") or {}).get("namespace") or ""
        if kind in WORKLOAD_KINDS:
            yield PodTemplate(label(obj), copy.deepcopy(spec["template"]["spec"]), namespace)
        elif kind == "CronJob":
            yield PodTemplate(label(obj), copy.deepcopy(spec["jobTemplate"]["spec"]["template"]["spec"]), namespace)
        elif kind == "Pod":
            yield PodTemplate(label(obj), copy.deepcopy(spec), namespace)
        elif kind == "FlinkDeployment" and obj["apiVersion"].startswith(FLINK_GROUP + "/"):
            for role in ("jobManager", "taskManager"):
                yield PodTemplate(f"{label(obj)} {role}", _flink_pod_spec(obj, role), namespace)


# --- RBAC ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Subject:
    """A ServiceAccount the tests ask the authorizer about."""

    namespace: str
    name: str

    @property
    def user(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.name}"


def namespaces_of(objects: Iterable[dict[str, Any]]) -> list[str]:
    """Namespaces the plan creates or puts objects in."""
    found = {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}
    found |= {o["metadata"]["namespace"] for o in objects if (o.get("metadata") or {}).get("namespace")}
    return sorted(found)


def subjects_of(objects: Iterable[dict[str, Any]]) -> list[Subject]:
    """Every ServiceAccount the plan renders, names in a binding or runs Flink pods as (a FlinkDeployment's
    ``spec.serviceAccount``), plus the ``default`` SA of its namespaces."""
    objects = list(objects)
    found = {Subject(o["metadata"].get("namespace", "default"), o["metadata"]["name"])
             for o in objects if o["kind"] == "ServiceAccount"}
    found |= {Subject(o["metadata"].get("namespace", "default"), o["spec"]["serviceAccount"])
              for o in objects if o["kind"] == "FlinkDeployment" and (o.get("spec") or {}).get("serviceAccount")}
    for binding in (o for o in objects if o["kind"] in ("RoleBinding", "ClusterRoleBinding")):
        for subject in binding.get("subjects") or []:
            if subject.get("kind") == "ServiceAccount":
                found.add(Subject(subject.get("namespace") or binding["metadata"].get("namespace", ""),
                                  subject["name"]))
    found |= {Subject(ns, "default") for ns in namespaces_of(objects)}
    return sorted(found, key=lambda s: (s.namespace, s.name))


def binds(binding: dict[str, Any], subject: Subject) -> bool:
    for s in binding.get("subjects") or []:
        kind = s.get("kind")
        if kind == "ServiceAccount" and s["name"] == subject.name and \
                (s.get("namespace") or binding["metadata"].get("namespace")) == subject.namespace:
            return True
        if kind == "Group" and s["name"] in ("system:serviceaccounts", f"system:serviceaccounts:{subject.namespace}",
                                              "system:authenticated"):
            return True
        if kind == "User" and s["name"] == subject.user:
            return True
    return False


def _rule_allows(rule: dict[str, Any], verb: str, group: str, resource: str) -> bool:
    def has(values, wanted):
        return "*" in (values or []) or wanted in (values or [])
    return (not rule.get("resourceNames") and has(rule.get("verbs"), verb) and has(rule.get("apiGroups"), group)
            and has(rule.get("resources"), resource))


def granted(objects: list[dict[str, Any]], role_rules, subject: Subject, namespace: str, verb: str, group: str,
            resource: str) -> bool:
    """Whether the plan's bindings grant ``subject`` ``verb`` on ``group/resource`` in ``namespace``.

    ``role_rules(kind, namespace, name)`` returns a role's rules (from the plan, or the live built-in role).
    """
    for binding in objects:
        if binding["kind"] == "ClusterRoleBinding":
            scope_ok = True
        elif binding["kind"] == "RoleBinding":
            scope_ok = binding["metadata"].get("namespace") == namespace
        else:
            continue
        if not scope_ok or not binds(binding, subject):
            continue
        ref = binding["roleRef"]
        rules = role_rules(ref["kind"], binding["metadata"].get("namespace", ""), ref["name"])
        if any(_rule_allows(rule, verb, group, resource) for rule in rules):
            return True
    return False
