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
#: More recommended labels (the operator's objects).
APP_INSTANCE = "app.kubernetes.io/instance"
APP_COMPONENT = "app.kubernetes.io/component"

#: Pod template annotation: digest of the operator config that should restart the pods when it changes.
CONFIG_CHECKSUM = "flink-platform.io/config-checksum"
#: Prometheus scrape annotations (the prometheus.io/* convention of the Prometheus Kubernetes SD examples).
PROMETHEUS_SCRAPE = "prometheus.io/scrape"
PROMETHEUS_PORT = "prometheus.io/port"
PROMETHEUS_PATH = "prometheus.io/path"

#: NetworkPolicy annotation naming the address ranges of its ipBlocks (JSON map CIDR -> name, e.g. "api-server",
#: "kafka"), so the flow matrix can label external destinations from the rendered policies alone.
DESTINATIONS = "flink-platform.io/destinations"
#: NetworkPolicy annotation saying which feature a policy's flows are for (shown by flows.md beside each flow).
FLOW = "flink-platform.io/flow"
