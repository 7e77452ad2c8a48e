"""Label and annotation keys the platform writes, each defined once (policies and network policies select on them)."""

from __future__ import annotations

#: Kubernetes recommended labels.
APP_NAME = "app.kubernetes.io/name"
APP_VERSION = "app.kubernetes.io/version"
APP_PART_OF = "app.kubernetes.io/part-of"
APP_MANAGED_BY = "app.kubernetes.io/managed-by"

PART_OF = "flink-platform"
MANAGED_BY = "pulumi"

#: Platform labels.
TENANT = "flink-platform.io/tenant"
ENVIRONMENT = "flink-platform.io/environment"
#: Workload labels (FlinkDeployments, session jobs, their pods and Secrets): owning team and workload name.
TEAM = "flink-platform.io/team"
WORKLOAD = "flink-platform.io/workload"

#: Pod Security Admission labels (Kubernetes Pod Security Standards).
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
PSA_ENFORCE_VERSION = "pod-security.kubernetes.io/enforce-version"
PSA_WARN = "pod-security.kubernetes.io/warn"
PSA_AUDIT = "pod-security.kubernetes.io/audit"


def managed() -> dict[str, str]:
    """The labels every object the platform manages carries."""
    return {APP_PART_OF: PART_OF, APP_MANAGED_BY: MANAGED_BY}

#: Namespace label keys only the platform (or the API server) writes; a stack's own labels may not use them.
RESERVED_PREFIXES = ("flink-platform.io/", "pod-security.kubernetes.io/")
RESERVED_KEYS = (APP_PART_OF, APP_MANAGED_BY, "kubernetes.io/metadata.name")


def is_reserved(key: str) -> bool:
    """True for a label key the platform writes itself (a user value would be silently overwritten)."""
    return key in RESERVED_KEYS or key.startswith(RESERVED_PREFIXES)
