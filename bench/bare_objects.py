"""Baseline program for ``bench/plan_scale.py``: the very Kubernetes objects the platform plan rendered, declared
as plain top-level pulumi_kubernetes resources (same classes, same bodies), without components.

Config: ``manifests`` = path of a JSON list of manifests. Run it through
``planning.mock_runtime.run_program(stack, {"manifests": PATH}, program=<this file>)``.
"""

import json

import pulumi

from components.operator.kube import declare

path = pulumi.Config().require("manifests")
with open(path, encoding="utf-8") as handle:
    manifests = json.load(handle)
for i, manifest in enumerate(manifests):
    declare(f"bare-{i}", manifest, pulumi.ResourceOptions())
