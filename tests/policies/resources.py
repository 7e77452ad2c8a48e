"""Valid Flink resources and single-field mutations of them, shared by the policy tests."""

from __future__ import annotations

import copy
from typing import Any

DELETE = object()

FD: dict[str, Any] = {
    "apiVersion": "flink.apache.org/v1beta1",
    "kind": "FlinkDeployment",
    "metadata": {"name": "orders", "namespace": "team-a"},
    "spec": {
        "image": "flink:2.2",
        "flinkVersion": "v2_2",
        "serviceAccount": "flink",
        "flinkConfiguration": {
            "execution.checkpointing.dir": "s3://bucket/checkpoints",
            "execution.checkpointing.savepoint-dir": "s3://bucket/savepoints",
            "high-availability.type": "kubernetes",
            "high-availability.storageDir": "s3://bucket/ha",
        },
        "jobManager": {"resource": {"memory": "2048m", "cpu": 1}},
        "taskManager": {"resource": {"memory": "2048m", "cpu": 1}},
        "job": {"jarURI": "local:///opt/flink/usrlib/job.jar", "parallelism": 2, "upgradeMode": "savepoint"},
    },
}

SESSION = {
    "apiVersion": "flink.apache.org/v1beta1",
    "kind": "FlinkDeployment",
    "metadata": {"name": "session", "namespace": "team-a"},
    "spec": {k: v for k, v in copy.deepcopy(FD["spec"]).items() if k != "job"},
}

FSJ: dict[str, Any] = {
    "apiVersion": "flink.apache.org/v1beta1",
    "kind": "FlinkSessionJob",
    "metadata": {"name": "orders-job", "namespace": "team-a"},
    "spec": {
        "deploymentName": "session",
        "job": {"jarURI": "https://repo1.maven.org/maven2/org/example/job/1.0/job-1.0.jar", "parallelism": 2,
                "upgradeMode": "stateless"},
    },
}

FSS: dict[str, Any] = {
    "apiVersion": "flink.apache.org/v1beta1",
    "kind": "FlinkStateSnapshot",
    "metadata": {"name": "orders-sp", "namespace": "team-a"},
    "spec": {"savepoint": {"path": "s3://bucket/savepoints/sp-1", "alreadyExists": False},
             "jobReference": {"kind": "FlinkDeployment", "name": "orders"}},
}

FBG: dict[str, Any] = {
    "apiVersion": "flink.apache.org/v1beta1",
    "kind": "FlinkBlueGreenDeployment",
    "metadata": {"name": "orders-bg", "namespace": "team-a"},
    "spec": {"template": {"spec": copy.deepcopy(FD["spec"])}},
}

BASES = {"FD": FD, "SESSION": SESSION, "FSJ": FSJ, "FSS": FSS, "FBG": FBG}


def mutate(base: dict[str, Any], *changes: tuple[tuple[str, ...], Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with each ``(path, value)`` set (``DELETE`` removes the key)."""
    obj = copy.deepcopy(base)
    for path, value in changes:
        cur = obj
        for step in path[:-1]:
            cur = cur[step] if isinstance(cur, list) else cur.setdefault(step, {})
        if value is DELETE:
            if isinstance(cur, dict):
                cur.pop(path[-1], None)
            else:
                del cur[path[-1]]
        else:
            cur[path[-1]] = value
    return obj


def conf(*parts: str) -> tuple[str, ...]:
    """Path of a flinkConfiguration key (the key itself is one element, dots and all)."""
    return ("spec", "flinkConfiguration", *parts)
