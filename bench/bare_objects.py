"""Baseline program for ``bench/plan_scale.py`` with workloads: the same objects, at the top level, no components.

Config: ``objects`` (Kubernetes objects as the platform renders them: FlinkDeployments, FlinkSessionJobs, Secrets),
``count`` (total registrations, filled up with plain Namespaces carrying ``labels``). Every object is one plain
top-level resource: a CustomResource for Flink kinds, a Secret with its values as Pulumi secrets. So the bare
program pays the SDK's cost for the same payloads and the same number of registrations, without components,
gates, rendering or validation.
"""

import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
objects = config.get_object("objects") or []
count = config.require_int("count")
labels = config.get_object("labels") or {}
for i, obj in enumerate(objects):
    meta = obj["metadata"]
    if obj["kind"] == "Secret":
        k8s.core.v1.Secret(f"bare-obj-{i}", metadata=meta, type=obj.get("type"),
                           string_data={k: pulumi.Output.secret("x") for k in obj.get("stringData", {})})
    else:
        k8s.apiextensions.CustomResource(f"bare-obj-{i}", api_version=obj["apiVersion"], kind=obj["kind"],
                                         metadata=meta, spec=obj["spec"])
for i in range(count - len(objects)):
    k8s.core.v1.Namespace(f"bare-{i}", metadata=k8s.meta.v1.ObjectMetaArgs(name=f"bare-{i}", labels=labels))
