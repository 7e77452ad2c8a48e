"""Baseline program for ``bench/plan_scale.py``: ``count`` plain Namespaces at the top level, no components.

Config: ``count`` (how many) and ``labels`` (the labels of each, so the objects carry what the platform's
Namespaces carry). Run it through ``planning.mock_runtime.run_program(stack, {...}, program=<this file>)``.
"""

import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
count = config.require_int("count")
labels = config.get_object("labels") or {}
for i in range(count):
    k8s.core.v1.Namespace(f"bare-{i}", metadata=k8s.meta.v1.ObjectMetaArgs(name=f"bare-{i}", labels=labels))
