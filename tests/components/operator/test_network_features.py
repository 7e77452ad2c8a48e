"""Issue 17: every feature the committed stacks switch on works under the platform's own NetworkPolicies, and no
more than what it needs is allowed. Each test replays the issue's ``python -m tools.netpol`` repro on the
committed plan (now ALLOW, exit 0) and checks the neighbouring flows stay denied (exit 1).

Pods are named by the labels the plan gives them (a Deployment's pod template, or what Flink's native mode adds
to a FlinkDeployment's pod template), not by hand-written label sets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

import pytest
import yaml

from components.operator import upstream
from planning import netpol


def _objects(plan: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((plan / "manifests.yaml").read_text()) if d]


def _selector(namespace: str, labels: Mapping[str, str]) -> str:
    return f"{namespace}:" + ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def deployment_pod(objects: Iterable[Mapping[str, Any]], namespace: str, name: str) -> str:
    """``NAMESPACE:labels`` of the pods of Deployment ``name`` as the plan declares them."""
    for o in objects:
        if o.get("kind") == "Deployment" and o["metadata"]["name"] == name and o["metadata"]["namespace"] == namespace:
            return _selector(namespace, o["spec"]["template"]["metadata"]["labels"])
    raise AssertionError(f"no Deployment {namespace}/{name} in the plan")


def flink_pod(objects: Iterable[Mapping[str, Any]], namespace: str, name: str, component: str) -> str:
    """``NAMESPACE:labels`` of a FlinkDeployment's JobManager/TaskManager pod: its pod template's labels plus the
    ones Flink's native mode sets (``type``, ``app``, ``component``)."""
    for o in objects:
        if o.get("kind") == "FlinkDeployment" and o["metadata"]["name"] == name \
                and o["metadata"]["namespace"] == namespace:
            labels = dict((o["spec"].get("podTemplate") or {}).get("metadata", {}).get("labels") or {})
            labels.update({upstream.FLINK_LABEL_TYPE: upstream.FLINK_LABEL_TYPE_NATIVE,
                           upstream.FLINK_LABEL_APP: name, upstream.FLINK_LABEL_COMPONENT: component})
            return _selector(namespace, labels)
    raise AssertionError(f"no FlinkDeployment {namespace}/{name} in the plan")


def verdict(plan: Path, source: str, destination: str, port: int, protocol: str = "TCP") -> int:
    """The exit status of ``python -m tools.netpol`` for this flow (0 ALLOW, 1 DENY)."""
    return netpol.main(["--plan", str(plan / "manifests.yaml"), "--from", source, "--to", destination,
                        "--port", str(port), "--protocol", protocol])


ALLOW, DENY = 0, 1


# --- §1: a plain session cluster is labelled like operator-made pods -------------------------------------------------


def test_plain_session_cluster_taskmanagers_reach_their_jobmanager(committed_plans: dict[str, Path]) -> None:
    plan = committed_plans["staging"]
    objects = _objects(plan)
    jm = deployment_pod(objects, "analytics-staging", "legacy-session-jobmanager")
    tm = deployment_pod(objects, "analytics-staging", "legacy-session-taskmanager")
    # The issue's repro, with the pods' labels as planned (they include the repro's two labels).
    assert "flink-platform.io/component=taskmanager" in tm and "flink-platform.io/workload=legacy-session" in tm
    assert verdict(plan, tm, jm, upstream.JOBMANAGER_RPC_PORT) == ALLOW
    assert verdict(plan, tm, jm, upstream.BLOB_SERVER_PORT) == ALLOW
    assert verdict(plan, jm, tm, upstream.TASKMANAGER_RPC_PORT) == ALLOW
    for pod_ in (jm, tm):
        assert verdict(plan, pod_, "kube-system:k8s-app=kube-dns", 53, "UDP") == ALLOW
    # Neighbours: not the REST port from a TaskManager, not from a pod of the namespace that is not Flink's.
    assert verdict(plan, tm, jm, upstream.JOBMANAGER_REST_PORT) == DENY
    assert verdict(plan, "analytics-staging:app=debug", jm, upstream.JOBMANAGER_RPC_PORT) == DENY
    assert verdict(plan, tm, "kube-system:k8s-app=metrics-server", 53, "UDP") == DENY
