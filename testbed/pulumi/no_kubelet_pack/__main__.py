"""A remediation pack for runs against the local control plane (no kubelet): ``pulumi.com/skipAwait: "true"`` on
every Kubernetes object nothing there can make ready (:mod:`testbed.pulumi.no_kubelet`). The program itself runs
unchanged; the CLI applies the remediation before the provider creates or updates the object."""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy  # noqa: E402

from testbed.pulumi import no_kubelet  # noqa: E402


def _target(value):
    """The plain value behind the policy SDK's proxies (unknowns and secrets stay as they are)."""
    try:
        return value["__target"]
    except (KeyError, TypeError, IndexError):
        return value


def remediate(args):
    if not no_kubelet.needs_skip(args.resource_type):
        return None
    props = _target(args.props)
    metadata = _target(props.get("metadata")) if isinstance(props, dict) else None
    if not isinstance(metadata, dict):
        return None
    return no_kubelet.with_skip_await({**props, "metadata": {**metadata, "annotations": dict(
        _target(metadata.get("annotations")) or {})}})


PolicyPack(
    name="flink-platform-no-kubelet",
    enforcement_level=EnforcementLevel.REMEDIATE,
    policies=[ResourceValidationPolicy(
        name="local-skip-await",
        description="The local control plane has no kubelet: do not wait for readiness nothing there can reach.",
        remediate=remediate)],
)
