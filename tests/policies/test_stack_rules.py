"""Stack policies (AnalyzeStack): watched namespaces, tenants, cross-tenant bindings, session-job targets, CRDs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from components.config import labels as L
from components.operator import upstream
from tests.conftest import shared_path
from tests.policies.resources import FSJ, mutate
from tests.policies.resources import SESSION as _SESSION


def namespace(name: str, tenant: str | None) -> dict:
    labels = {L.TENANT: tenant} if tenant else {}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def operator_config(ns: str, watched: list[str] | None) -> dict:
    text = "kubernetes.operator.reconcile.interval: 15 s\n"
    if watched is not None:
        text += f"kubernetes.operator.watched.namespaces: {','.join(watched)}\n"
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "flink-operator-config", "namespace": ns},
            "data": {"config.yaml": text}}


def job_rbac(ns: str) -> list[dict]:
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "flink", "namespace": ns}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "flink", "namespace": ns},
         "rules": []},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": "flink-role-binding", "namespace": ns},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "flink"},
         "subjects": [{"kind": "ServiceAccount", "name": "flink", "namespace": ns}]},
    ]


#: The platform's per-namespace default-deny policy and its state layout (<base>/<tenant>/<namespace>/...).
def default_deny(ns: str) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}


DEFAULT_DENY = default_deny("team-a")
STATE_DIRS = (("execution.checkpointing.dir", "checkpoints"), ("execution.checkpointing.savepoint-dir", "savepoints"),
              ("high-availability.storageDir", "ha"))
SESSION = mutate(_SESSION, *((("spec", "flinkConfiguration", k), f"s3://bucket/alpha/team-a/session/{d}")
                             for k, d in STATE_DIRS))


@pytest.fixture(scope="module")
def crds() -> list[dict]:
    """The four pinned CRDs as the OperatorCrds component renders them (digest annotation, version label)."""
    out = []
    for pin in upstream.CRD_PINS["1.15.0"]:
        path = shared_path("upstream", "crds", "1.15.0", pin.filename)
        body = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        body["metadata"].setdefault("annotations", {})["flink-platform.io/crd-sha256"] = hashlib.sha256(
            path.read_bytes()).hexdigest()
        body["metadata"].setdefault("labels", {})[L.APP_VERSION] = "1.15.0"
        out.append(body)
    return out


@pytest.fixture
def good_stack() -> list[dict]:
    """A valid stack without the (large) CRDs; the stack-crds-match-operator tests add them."""
    return [
        namespace("flink-operator", None),
        namespace("team-a", "alpha"),
        operator_config("flink-operator", ["team-a"]),
        *job_rbac("team-a"),
        DEFAULT_DENY,
        default_deny("flink-operator"),
        SESSION,
        FSJ,
    ]


def stack_policies(judge):
    return judge.only(*[n for n in judge.names if n.startswith("stack-")])


def test_good_stack_passes(policy_judge, good_stack, crds) -> None:
    assert policy_judge.stack(crds + good_stack, stack_policies(policy_judge)) == []


def _fired(judge, objs, policy):
    return [d for d in judge.stack(objs, stack_policies(judge)) if d.policy == policy]


def test_unwatched_namespace(policy_judge, good_stack) -> None:
    objs = [o for o in good_stack if o["kind"] != "ConfigMap"] + [operator_config("flink-operator", ["team-b"])]
    found = _fired(policy_judge, objs, "stack-watched-namespaces")
    assert found and all("watched by no operator" in d.message for d in found)


def test_namespace_watched_twice(policy_judge, good_stack) -> None:
    second = operator_config("other-operator", None)  # cluster-wide: watches every namespace
    found = _fired(policy_judge, good_stack + [second], "stack-watched-namespaces")
    assert found and "operators in ['flink-operator', 'other-operator']" in found[0].message


def test_missing_job_rbac(policy_judge, good_stack) -> None:
    objs = [o for o in good_stack if o["kind"] != "ServiceAccount"]
    found = _fired(policy_judge, objs, "stack-watched-namespaces")
    assert [d for d in found if "ServiceAccount 'flink'" in d.message]


def test_job_rbac_under_other_names(policy_judge, good_stack) -> None:
    """operator.rbac renames the job Role and RoleBinding: a binding of ServiceAccount flink to a Role of the
    namespace is what counts (allowed); a binding to a Role that is not there is refused."""
    renamed = [mutate(o, (("metadata", "name"), "flink-job")) if o["kind"] == "Role" else
               mutate(mutate(o, (("metadata", "name"), "flink-job-binding")), (("roleRef", "name"), "flink-job"))
               if o["kind"] == "RoleBinding" else o for o in good_stack]
    assert _fired(policy_judge, renamed, "stack-watched-namespaces") == []
    dangling = [mutate(o, (("roleRef", "name"), "missing")) if o["kind"] == "RoleBinding" else o for o in good_stack]
    found = _fired(policy_judge, dangling, "stack-watched-namespaces")
    assert found and "no RoleBinding of ServiceAccount 'flink' to a Role of the namespace" in found[0].message


def test_namespace_claimed_by_two_tenants(policy_judge, good_stack) -> None:
    found = _fired(policy_judge, good_stack + [namespace("team-a", "beta")], "stack-tenant-namespaces")
    assert found and "claimed by tenants ['alpha', 'beta']" in found[0].message


def test_workload_outside_tenant_namespace(policy_judge, good_stack) -> None:
    objs = [o for o in good_stack if not (o["kind"] == "Namespace" and o["metadata"]["name"] == "team-a")]
    found = _fired(policy_judge, objs, "stack-tenant-namespaces")
    assert found and "belongs to no tenant" in found[0].message


def test_cross_tenant_binding(policy_judge, good_stack) -> None:
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "peek", "namespace": "team-a"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "flink"},
               "subjects": [{"kind": "ServiceAccount", "name": "flink", "namespace": "team-b"}]}
    objs = good_stack + [namespace("team-b", "beta"), binding]
    found = _fired(policy_judge, objs, "stack-tenant-isolation")
    assert found and "team-b/flink of tenant ['beta']" in found[0].message and "subjects[0]" in found[0].message
    platform_sa = mutate(binding, (("subjects", 0, "namespace"), "flink-operator"))
    assert _fired(policy_judge, good_stack + [platform_sa], "stack-tenant-isolation") == []


def test_session_job_target(policy_judge, good_stack) -> None:
    objs = [o for o in good_stack if o is not SESSION]
    found = _fired(policy_judge, objs, "stack-session-job-target")
    assert found and "no FlinkDeployment team-a/session in this stack" in found[0].message
    app = mutate(SESSION, (("spec", "job"), {"jarURI": "local:///x.jar", "parallelism": 1}))
    found = _fired(policy_judge, [app if o is SESSION else o for o in good_stack], "stack-session-job-target")
    assert found and "application cluster" in found[0].message


def test_crds_must_match_operator(policy_judge, good_stack, crds) -> None:
    good_stack = crds + good_stack
    tampered = mutate(crds[0], (("metadata", "annotations", "flink-platform.io/crd-sha256"), "0" * 64))
    objs = [tampered] + [o for o in good_stack if o is not crds[0]]
    found = _fired(policy_judge, objs, "stack-crds-match-operator")
    assert found and "does not match operator 1.15.0" in found[0].message
    missing = [o for o in good_stack if o is not crds[1]]
    found = _fired(policy_judge, missing, "stack-crds-match-operator")
    assert found and "is missing from the stack" in found[0].message


def test_flink_version_must_be_in_the_crd_enum(policy_judge, good_stack, crds) -> None:
    """The published 1.15.0 CRD stops at v2_2 (operator-1.15 facts §c.5): v2_3 is supported by the Java enum but the
    unpatched CRD in this stack would refuse it."""
    v23 = mutate(SESSION, (("spec", "flinkVersion"), "v2_3"))
    found = _fired(policy_judge, crds + [v23 if o is SESSION else o for o in good_stack], "stack-crds-match-operator")
    assert found and "'v2_3' is not in the flinkVersion enum" in found[0].message


# --- stack-operator-network (issue 17 §8/§9): allowed: every operator namespace denies by default -----------------
# (tenant namespaces: stack-tenant-network)


def test_operator_namespace_without_default_deny_is_refused(policy_judge, good_stack) -> None:
    assert _fired(policy_judge, good_stack, "stack-operator-network") == []
    objs = [o for o in good_stack if o["kind"] != "NetworkPolicy"]  # a stack planned without `network`
    found = _fired(policy_judge, objs, "stack-operator-network")
    assert [d.message.split("'")[1] for d in found] == ["flink-operator"]
    assert "no default-deny NetworkPolicy" in found[0].message


def test_a_policy_that_allows_something_is_not_a_default_deny(policy_judge, good_stack) -> None:
    objs = [o for o in good_stack if not (o["kind"] == "NetworkPolicy"
                                          and o["metadata"]["namespace"] == "flink-operator")]
    open_ = default_deny("flink-operator")
    open_["spec"]["ingress"] = [{}]
    found = _fired(policy_judge, objs + [open_], "stack-operator-network")
    assert [d.message.split("'")[1] for d in found] == ["flink-operator"]
