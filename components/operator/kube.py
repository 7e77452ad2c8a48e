"""Declare a Kubernetes object, given as a plain manifest dict, as the typed pulumi-kubernetes resource of its kind.

The operator, RBAC and network components build each object as the manifest the cluster will see (camelCase keys,
as upstream writes them), which keeps them comparable object by object with the upstream chart; this module turns
such a dict into the matching resource class so ``pulumi preview`` shows typed resources, never YAML blobs.
"""

from __future__ import annotations

from typing import Any, Mapping

import pulumi
import pulumi_kubernetes as k8s

#: (apiVersion, kind) → resource class for every kind the platform declares.
_CLASSES: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "Secret"): k8s.core.v1.Secret,
    ("v1", "Service"): k8s.core.v1.Service,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
    ("rbac.authorization.k8s.io/v1", "Role"): k8s.rbac.v1.Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): k8s.rbac.v1.ClusterRole,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): k8s.rbac.v1.ClusterRoleBinding,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"):
        k8s.admissionregistration.v1.MutatingWebhookConfiguration,
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"):
        k8s.admissionregistration.v1.ValidatingWebhookConfiguration,
}

#: Top-level manifest keys whose constructor argument is spelled differently.
_ARGS = {"roleRef": "role_ref", "stringData": "string_data", "aggregationRule": "aggregation_rule"}


def declare(name: str, manifest: Mapping[str, Any], opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """The resource for ``manifest`` named ``name`` (the Pulumi name; ``metadata.name`` is the object's name)."""
    api_version, kind = manifest["apiVersion"], manifest["kind"]
    body = {_ARGS.get(k, k): v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
    cls = _CLASSES.get((api_version, kind))
    if cls is None:  # a custom resource (cert-manager Issuer / Certificate)
        return k8s.apiextensions.CustomResource(name, api_version=api_version, kind=kind, **body, opts=opts)
    return cls(name, **body, opts=opts)
