"""What the local control plane (no kubelet) changes about a run of the program: nothing becomes *ready* there.

No pod ever runs, so a Deployment's rollout, a Service's endpoints or a FlinkDeployment's job would be awaited until
their timeouts. Every Kubernetes object but the kinds the API server and the controller-manager alone make ready
(:data:`AWAITED_LOCALLY`) gets ``pulumi.com/skipAwait: "true"``; nothing else about it changes. Pure Python (no
Pulumi import): used by the inline runs' resource transform (:func:`testbed.pulumi.cli.skip_readiness`) and by the
CLI runs' remediation pack (``testbed/pulumi/no_kubelet_pack``).
"""

from __future__ import annotations

from typing import Any

#: pulumi-kubernetes skips its readiness wait for an object carrying this annotation.
SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait"
#: Kinds whose wait the local control plane can satisfy (the API server alone makes them ready).
AWAITED_LOCALLY = ("CustomResourceDefinition", "Namespace", "ResourceQuota")
KUBERNETES_PREFIX = "kubernetes:"


def needs_skip(resource_type: str) -> bool:
    """Whether a resource of this type token (``kubernetes:apps/v1:Deployment``) is awaited by the provider for
    something only a kubelet could bring about."""
    return resource_type.startswith(KUBERNETES_PREFIX) and resource_type.rsplit(":", 1)[-1] not in AWAITED_LOCALLY


def with_skip_await(props: dict[str, Any]) -> dict[str, Any] | None:
    """``props`` with the annotation added (a shallow copy along ``metadata.annotations``), or None when it is
    already there."""
    metadata = dict(props.get("metadata") or {})
    annotations = dict(metadata.get("annotations") or {})
    if annotations.get(SKIP_AWAIT_ANNOTATION) == "true":
        return None
    annotations[SKIP_AWAIT_ANNOTATION] = "true"
    metadata["annotations"] = annotations
    return {**props, "metadata": metadata}
