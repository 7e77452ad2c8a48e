"""policies/tenant_rules.py: each rule with a refused and an allowed example, through the real Analyzer process."""

from __future__ import annotations

import pytest

from components.operator import upstream
from tests.policies.resources import DELETE, FD, mutate

RBAC = "rbac.authorization.k8s.io/v1"


def role(name, rules, kind="Role"):
    meta = {"name": name, **({"namespace": "team-a"} if kind == "Role" else {})}
    return {"apiVersion": RBAC, "kind": kind, "metadata": meta, "rules": rules}


def binding(subjects, ref=("Role", "flink"), kind="RoleBinding", ns="team-a"):
    return {"apiVersion": RBAC, "kind": kind, "metadata": {"name": "b", "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": ref[0], "name": ref[1]}, "subjects": subjects}


def netpol(spec, ns="team-a", name="np"):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": {"podSelector": {}, **spec}}


def webhook(client):
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "w"}, "webhooks": [{"name": "w.example.com", "clientConfig": client,
                                                     "admissionReviewVersions": ["v1"], "sideEffects": "None"}]}


def service(spec):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "team-a"},
            "spec": {"ports": [{"port": 80}], **spec}}


JOB_ROLE = role("flink", [r.to_k8s() for r in upstream.JOB_RULES])
OPERATOR_ROLE = role("flink-operator", [r.to_k8s() for r in upstream.OPERATOR_RULES])
SA = {"kind": "ServiceAccount", "name": "flink", "namespace": "team-a"}
PEER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kafka"}}}
CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
       "metadata": {"name": "flinkdeployments.flink.apache.org"}, "spec": {"group": "flink.apache.org"}}

INGRESS = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "namespace": "team-a"},
           "spec": {"ingressClassName": "nginx", "rules": [{"host": "orders.team-a.flink.example"}]}}

# (id, object, policy, text in the message)
VIOLATIONS = [
    ("widened-job-role", mutate(JOB_ROLE, (("rules", 0, "resources"), ["pods", "configmaps", "secrets"])),
     "security-rbac-grants", "widens the upstream 'flink' Role"),
    ("widened-operator-role", mutate(OPERATOR_ROLE, (("rules", 0, "verbs"), ["get", "escalate"])),
     "security-rbac-grants", "widens the upstream 'flink-operator' Role"),
    ("role-bind", role("app", [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"],
                                "verbs": ["bind"]}]), "security-rbac-grants", "['bind']"),
    ("role-impersonate", role("app", [{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]}]),
     "security-rbac-grants", "impersonate"),
    ("role-secrets", role("app", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]),
     "security-rbac-grants", "['secrets']"),
    ("role-exec", role("app", [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]),
     "security-rbac-grants", "pods/exec"),
    ("role-token", role("app", [{"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]}]),
     "security-rbac-grants", "serviceaccounts/token"),
    ("every-verb-spelled-out", role("app", [{"apiGroups": [""], "resources": ["configmaps"], "verbs": [
        "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "bind", "escalate",
        "impersonate"]}]), "security-rbac-grants", "escalate"),
    ("non-resource-urls", role("app", [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}], kind="ClusterRole"),
     "security-rbac-grants", "nonResourceURLs"),
    ("bind-authenticated", binding([{"kind": "Group", "name": "system:authenticated",
                                     "apiGroup": "rbac.authorization.k8s.io"}]),
     "security-rbac-subjects", "system:authenticated"),
    ("bind-namespace-group", binding([{"kind": "Group", "name": "system:serviceaccounts:team-b",
                                       "apiGroup": "rbac.authorization.k8s.io"}]),
     "security-rbac-subjects", "every ServiceAccount of namespace 'team-b'"),
    ("bind-anonymous", binding([{"kind": "User", "name": "system:anonymous"}]), "security-rbac-subjects",
     "system:anonymous"),
    ("bind-cluster-admin", binding([SA], ref=("ClusterRole", "cluster-admin")), "security-rbac-subjects",
     "cluster-admin"),
    ("bind-admin", binding([SA], ref=("ClusterRole", "admin")), "security-rbac-subjects", "'admin'"),
    ("ingress-allow-all", netpol({"policyTypes": ["Ingress"], "ingress": [{}]}), "security-network-policy",
     "allows all sources"),
    ("egress-ports-without-peers", netpol({"policyTypes": ["Egress"], "egress": [{"ports": [{"port": 443}]}]}),
     "security-network-policy", "all destinations on its ports"),
    ("egress-everywhere", netpol({"egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}),
     "security-network-policy", "every address"),
    ("ingress-all-namespaces", netpol({"ingress": [{"from": [{"namespaceSelector": {}}],
                                                    "ports": [{"port": 8081}]}]}),
     "security-network-policy", "every namespace"),
    ("webhook-url", webhook({"url": "https://hooks.attacker.example/mutate"}), "security-admission-webhooks",
     "outside the cluster"),
    ("crd-conversion-webhook", mutate(CRD, (("spec", "conversion"), {"strategy": "Webhook", "webhook": {
        "clientConfig": {"url": "https://x.example"}, "conversionReviewVersions": ["v1"]}})),
     "security-admission-webhooks", "conversion"),
    ("service-load-balancer", service({"type": "LoadBalancer"}), "security-service-exposure", "'LoadBalancer'"),
    ("service-node-port", service({"type": "NodePort"}), "security-service-exposure", "'NodePort'"),
    ("service-external-ip", service({"externalIPs": ["203.0.113.9"]}), "security-service-exposure", "externalIPs"),
    ("rest-service-exposed", mutate(FD, (("spec", "flinkConfiguration", "kubernetes.rest-service.exposed.type"),
                                         "LoadBalancer")), "security-service-exposure", "REST API"),
    ("ingress-class", mutate(INGRESS, (("spec", "ingressClassName"), "internet-facing")), "security-ingress",
     "'internet-facing' is not one of ['nginx']"),
    ("ingress-snippet", mutate(INGRESS, (("metadata", "annotations"), {
        "nginx.ingress.kubernetes.io/server-snippet": "location /x { proxy_pass http://10.0.0.1; }"})),
     "security-ingress", "server-snippet"),
    ("flink-ingress-class", mutate(FD, (("spec", "ingress"), {"template": "{{name}}.{{namespace}}.flink.example",
                                                              "className": "internet-facing"})),
     "security-ingress", "spec.ingress.className"),
    ("deployment-patch", {"apiVersion": "apps/v1", "kind": "DeploymentPatch", "metadata": {"name": "x"}},
     "security-readable-kinds", "cannot read"),
    ("helm-release", {"apiVersion": "helm.sh/v3", "kind": "Release", "metadata": {"name": "x"}},
     "security-readable-kinds", "cannot read"),
]

PASSES = [
    ("ingress-nginx", INGRESS),
    ("flink-ingress-nginx", mutate(FD, (("spec", "ingress"), {"template": "{{name}}.{{namespace}}.flink.example",
                                                              "className": "nginx", "annotations": {
                                                                  "nginx.ingress.kubernetes.io/proxy-body-size": "8m"}}))),
    ("job-role", JOB_ROLE), ("operator-role", OPERATOR_ROLE),
    ("app-role", role("app", [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}])),
    ("sa-binding", binding([SA])),
    ("operator-sa-binding", binding([{"kind": "ServiceAccount", "name": "flink-operator",
                                      "namespace": "flink-operator"}], ref=("Role", "flink-operator"))),
    ("named-peers", netpol({"ingress": [{"from": [PEER], "ports": [{"port": 8081}]}],
                            "egress": [{"to": [{"ipBlock": {"cidr": "10.50.0.0/16"}}], "ports": [{"port": 9092}]}]})),
    ("default-deny", netpol({"policyTypes": ["Ingress", "Egress"]})),
    ("webhook-service", webhook({"service": {"name": "flink-operator-webhook-service", "namespace": "flink-operator",
                                             "path": "/mutate"}})),
    ("crd-no-conversion", mutate(CRD, (("spec", "conversion"), {"strategy": "None"}))),
    ("service-cluster-ip", service({"type": "ClusterIP"})),
    ("rest-service-cluster-ip", mutate(FD, (("spec", "flinkConfiguration", "kubernetes.rest-service.exposed.type"),
                                            "ClusterIP"))),
]

MINE = ("security-ingress", "security-rbac-grants", "security-rbac-subjects", "security-network-policy", "security-admission-webhooks",
        "security-service-exposure", "security-readable-kinds")


def _only_mine(judge):
    return judge.only(*MINE, security_ingress={"allowedClasses": ["nginx"]})


@pytest.mark.parametrize("case_id,obj,policy,text", VIOLATIONS, ids=[c[0] for c in VIOLATIONS])
def test_violation(policy_judge, case_id, obj, policy, text) -> None:
    fired = [d for d in policy_judge.resource(obj, _only_mine(policy_judge)) if d.policy == policy]
    assert fired and any(text in d.message and "Fix:" in d.message for d in fired), [d.message for d in fired]


@pytest.mark.parametrize("case_id,obj", PASSES, ids=[c[0] for c in PASSES])
def test_accepted(policy_judge, case_id, obj) -> None:
    assert policy_judge.resource(obj, _only_mine(policy_judge)) == []


def test_every_resource_policy_has_a_violating_case() -> None:
    assert set(MINE) == {c[2] for c in VIOLATIONS}


# --- stack rules -------------------------------------------------------------------------------------------------


def ns(name, tenant=None):
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"flink-platform.io/tenant": tenant} if tenant else {}}}


OPERATOR_CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "flink-operator-config",
                                                                     "namespace": "flink-operator"},
               "data": {"config.yaml": "kubernetes.operator.watched.namespaces: team-a,team-b\n"}}
DENY_A, DENY_B = (netpol({"policyTypes": ["Ingress", "Egress"]}, ns=n, name="default-deny") for n in ("team-a", "team-b"))
STATE = {"execution.checkpointing.dir": "s3://b/state/alpha/team-a/orders/checkpoints",
         "execution.checkpointing.savepoint-dir": "s3://b/state/alpha/team-a/orders/savepoints",
         "high-availability.type": "kubernetes",
         "high-availability.storageDir": "s3://b/state/alpha/team-a/orders/ha"}
APP = mutate(FD, (("spec", "flinkConfiguration"), STATE), (("spec", "podTemplate"), {"spec": {"containers": [
    {"name": "flink-main-container", "env": [{"name": "KAFKA_PASSWORD", "valueFrom": {"secretKeyRef": {
        "name": "orders-env", "key": "alpha-kafka-password"}}}]}]}}))
SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "orders-env", "namespace": "team-a"},
          "stringData": {"alpha-kafka-password": "[secret]"}}
BASE = [ns("flink-operator"), OPERATOR_CM, ns("team-a", "alpha"), ns("team-b", "beta"), DENY_A, DENY_B, APP, SECRET]
TENANT_SECRETS = {"stack_tenant_secrets": {"tenantSecrets": {"alpha": ["alpha-kafka-password"],
                                                             "beta": ["beta-kafka-password"]}}}
STACK = ("stack-tenant-secrets", "stack-tenant-state", "stack-tenant-network", "stack-operator-namespace-bindings",
         "stack-tenant-ingress")
CONF = ("spec", "flinkConfiguration")


def replace(obj, new):
    return [new if o is obj else o for o in BASE]


STACK_VIOLATIONS = [
    ("other-tenants-secret-ref", replace(APP, mutate(APP, (("spec", "podTemplate", "spec", "containers", 0, "env", 0,
                                                            "valueFrom", "secretKeyRef", "key"), "beta-kafka-password"))),
     "stack-tenant-secrets", "of tenant 'beta' in a namespace of tenant 'alpha'"),
    ("other-tenants-secret-data", replace(SECRET, mutate(SECRET, (("stringData",), {"beta-kafka-password": "x"}))),
     "stack-tenant-secrets", "beta-kafka-password"),
    ("checkpoints-of-other-tenant", replace(APP, mutate(APP, ((*CONF, "execution.checkpointing.dir"),
                                                              "s3://b/state/beta/team-b/x/checkpoints"))),
     "stack-tenant-state", "under tenant 'beta'"),
    ("initial-savepoint-of-other-tenant", replace(APP, mutate(APP, (("spec", "job", "initialSavepointPath"),
                                                                    "s3://b/state/beta/team-b/x/savepoints/sp-1"))),
     "stack-tenant-state", "spec.job.initialSavepointPath"),
    ("ha-outside-every-tenant", replace(APP, mutate(APP, ((*CONF, "high-availability.storageDir"), "s3://b/ha"))),
     "stack-tenant-state", "outside every tenant prefix"),
    ("namespace-of-other-tenant-in-own-prefix", replace(APP, mutate(APP, ((*CONF, "execution.checkpointing.dir"),
                                                                          "s3://b/state/alpha/team-b/x"))),
     "stack-tenant-state", "namespace 'team-b' of tenant 'beta'"),
    ("default-deny-removed", [o for o in BASE if o is not DENY_B], "stack-tenant-network", "Namespace team-b"),
    ("default-deny-ingress-only", replace(DENY_A, mutate(DENY_A, (("spec", "policyTypes"), ["Ingress"]))),
     "stack-tenant-network", "Namespace team-a"),
    ("rest-open-to-other-tenant", BASE + [netpol({"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "team-b"}}}], "ports": [{"port": 8081}]}]}, name="rest")],
     "stack-tenant-network", "['team-b'] of another tenant"),
    ("egress-to-other-tenant-label", BASE + [netpol({"egress": [{"to": [{"namespaceSelector": {"matchLabels": {
        "flink-platform.io/tenant": "beta"}}}]}]}, name="out")], "stack-tenant-network", "['beta']"),
    ("ingress-host-of-other-tenant", BASE + [{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                                              "metadata": {"name": "i", "namespace": "team-a"},
                                              "spec": {"rules": [{"host": "pay.team-b.flink.example"}]}}],
     "stack-tenant-ingress", "names ['team-b']"),
    ("flink-ingress-template-of-other-tenant", replace(APP, mutate(APP, (("spec", "ingress"), {
        "template": "orders.team-b.flink.example"}))), "stack-tenant-ingress", "spec.ingress.template"),
    ("tenant-sa-in-operator-namespace", BASE + [binding([SA], ref=("Role", "flink-operator"), ns="flink-operator")],
     "stack-operator-namespace-bindings", "namespace 'team-a' rights in the operator namespace"),
]


@pytest.mark.parametrize("case_id,objs,policy,text", STACK_VIOLATIONS, ids=[c[0] for c in STACK_VIOLATIONS])
def test_stack_violation(policy_judge, case_id, objs, policy, text) -> None:
    fired = [d for d in policy_judge.stack(objs, policy_judge.only(*STACK, **TENANT_SECRETS)) if d.policy == policy]
    assert fired and any(text in d.message for d in fired), [d.message for d in fired]


def test_stack_base_passes_and_changes_within_the_tenant_pass(policy_judge) -> None:
    config = policy_judge.only(*STACK, **TENANT_SECRETS)
    assert policy_judge.stack(BASE, config) == []
    own = [*BASE, netpol({"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "flink-operator"}}}], "ports": [{"port": 8081}]}]}, name="rest"),
           binding([{"kind": "ServiceAccount", "name": "flink-operator", "namespace": "flink-operator"}],
                   ref=("Role", "flink-operator"), ns="flink-operator")]
    moved = mutate(APP, (("spec", "job", "initialSavepointPath"), "s3://b/state/alpha/team-a/old/savepoints/sp-9"),
                   ((*CONF, "execution.checkpointing.dir"), DELETE))
    assert policy_judge.stack([moved if o is APP else o for o in own], config) == []


def test_every_stack_policy_has_a_violating_case() -> None:
    assert set(STACK) == {c[2] for c in STACK_VIOLATIONS}
