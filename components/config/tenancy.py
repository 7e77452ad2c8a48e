"""Where a tenant's state lives, and which network peers open a tenant to everything (stdlib only: the program's
config rules and the policy pack import it).

The platform lays state out as ``<baseUri>/<tenant>/<namespace>/<workload>/{checkpoints,savepoints,ha}``. A state
URI belongs to a tenant when the first path segment naming any tenant is that tenant and the segment after it, when
it is a tenant namespace, is one of that tenant's namespaces.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from components.operator import validation as V

#: Flink options that hold state locations (current and legacy keys).
STATE_KEYS = (*V.CHECKPOINTS_DIR.keys, *V.SAVEPOINT_DIR.keys, "high-availability.storageDir",
              "high-availability.zookeeper.storageDir", "recovery.zookeeper.storageDir")


def open_cidr_problem(cidr: str) -> str | None:
    """Why a NetworkPolicy peer / egress destination ``cidr`` opens too much (None when it does not): a /0 is every
    address (the internet, the cloud metadata service, every pod and node)."""
    try:
        net = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return f"{cidr!r} is not a CIDR"
    if net.prefixlen == 0:
        return f"{cidr!r} is every address"
    return None


def state_path_problem(uri: str, tenant: str, namespace_owner: Mapping[str, str]) -> str | None:
    """Why ``uri`` is not ``tenant``'s (None when it is); ``namespace_owner`` maps each tenant namespace to its
    tenant."""
    tenants = set(namespace_owner.values())
    parts = urlsplit(uri)
    path = f"{parts.netloc}/{parts.path}" if parts.scheme else uri
    segments = [s for s in path.split("/") if s][1 if parts.scheme else 0:]  # the bucket/authority is no tenant
    for i, seg in enumerate(segments):
        if seg in tenants:
            if seg != tenant:
                return f"lies under tenant {seg!r}'s prefix"
            nxt = segments[i + 1] if i + 1 < len(segments) else None
            if nxt in namespace_owner and namespace_owner[nxt] != tenant:
                return f"lies under namespace {nxt!r} of tenant {namespace_owner[nxt]!r}"
            return None
    return f"is outside every tenant prefix (no /{tenant}/ segment)"


def foreign_host_labels(host: str, tenant: str, namespace_owner: Mapping[str, str]) -> list[str]:
    """The DNS labels of ``host`` that name another tenant's namespace or another tenant (the platform's hosts
    are ``<name>.<namespace>.<domain>``)."""
    tenants = set(namespace_owner.values())
    labels = host.lower().rstrip(".").split(".")
    return sorted({lab for lab in labels if namespace_owner.get(lab, tenant) != tenant}
                  | {lab for lab in labels if lab in tenants and lab != tenant})


def rendered_ingress_host(template: str, name: str, namespace: str) -> str:
    """The host of the operator's ingress template (``{{name}}``/``{{namespace}}`` substituted, path dropped)."""
    return template.split("/", 1)[0].replace("{{name}}", name).replace("{{namespace}}", namespace)
