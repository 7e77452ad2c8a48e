"""Platform and security policies: a violating and a passing case each, through the real Analyzer process."""

from __future__ import annotations

import copy

import pytest

from tests.policies.resources import DELETE, FD, FSJ, conf, mutate

RUNTIME_DEFAULT = {"type": "RuntimeDefault"}
SECURE_CONTEXT = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True}
RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}}

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "team-a"},
    "spec": {"template": {"spec": {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": RUNTIME_DEFAULT},
        "containers": [{"name": "app", "image": "ghcr.io/example/app:1.2.3", "securityContext": SECURE_CONTEXT,
                        "resources": RESOURCES}],
    }}},
}

SECURE_FD = mutate(
    FD,
    (("spec", "podTemplate"), {"spec": {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 9999, "seccompProfile": RUNTIME_DEFAULT},
        "containers": [{"name": "flink-main-container", "securityContext": SECURE_CONTEXT}],
    }}),
)

POD = ("spec", "template", "spec")
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments-prod", "labels": {
    "flink-platform.io/tenant": "payments", "pod-security.kubernetes.io/enforce": "restricted"}}}
PSA = ("metadata", "labels", "pod-security.kubernetes.io/enforce")
C0 = (*POD, "containers", 0)

# (id, object, policy, path fragment, config for that policy)
VIOLATIONS = [
    ("image-latest", mutate(DEPLOYMENT, ((*C0, "image"), "ghcr.io/example/app:latest")), "platform-image-pinned",
     "containers[0].image", {}),
    ("image-untagged", mutate(DEPLOYMENT, ((*C0, "image"), "ghcr.io/example/app")), "platform-image-pinned",
     "containers[0].image", {}),
    ("image-registry", mutate(DEPLOYMENT, ((*C0, "image"), "quay.io/example/app:1.0")), "platform-image-pinned",
     "containers[0].image", {"allowedRegistries": ["ghcr.io"]}),
    ("flink-image-untagged", mutate(SECURE_FD, (("spec", "image"), "flink")), "platform-image-pinned", "spec.image",
     {}),
    ("privileged", mutate(DEPLOYMENT, ((*C0, "securityContext"), {**SECURE_CONTEXT, "privileged": True})),
     "security-pod", "securityContext.privileged", {}),
    ("escalation", mutate(DEPLOYMENT, ((*C0, "securityContext", "allowPrivilegeEscalation"), DELETE)),
     "security-pod", "allowPrivilegeEscalation", {}),
    ("caps", mutate(DEPLOYMENT, ((*C0, "securityContext", "capabilities"), {"drop": ["NET_RAW"]})),
     "security-pod", "capabilities.drop", {}),
    ("root", mutate(DEPLOYMENT, ((*POD, "securityContext"), {}), ((*C0, "securityContext", "runAsNonRoot"), DELETE)),
     "security-pod", "runAsNonRoot", {}),
    ("host-network", mutate(DEPLOYMENT, ((*POD, "hostNetwork"), True)), "security-pod", "hostNetwork", {}),
    ("host-pid", mutate(DEPLOYMENT, ((*POD, "hostPID"), True)), "security-pod", "hostPID", {}),
    ("host-path", mutate(DEPLOYMENT, ((*POD, "volumes"), [{"name": "h", "hostPath": {"path": "/var"}}])),
     "security-pod", "volumes[0].hostPath", {}),
    ("flink-pod-default", FD, "security-pod", "flink-main-container", {}),
    ("flink-tm-host-path", mutate(SECURE_FD, (("spec", "taskManager", "podTemplate"),
                                              {"spec": {"volumes": [{"name": "h", "hostPath": {"path": "/x"}}]}})),
     "security-pod", "spec.taskManager.podTemplate.spec.volumes[0].hostPath", {}),
    # issue 19: pod templates merged as the operator merges them (maps recursively, lists by index, null = unset)
    ("flink-host-path-hidden-by-empty-list", mutate(
        SECURE_FD, (("spec", "podTemplate", "spec", "volumes"), [{"name": "root", "hostPath": {"path": "/"}}]),
        (("spec", "jobManager", "podTemplate"), {"spec": {"volumes": []}}),
        (("spec", "taskManager", "podTemplate"), {"spec": {"volumes": []}})),
     "security-pod", "spec.podTemplate.spec.volumes[0].hostPath (merged into the jobManager pod)", {}),
    ("flink-host-network-hidden-by-null", mutate(
        SECURE_FD, (("spec", "podTemplate", "spec", "hostNetwork"), True),
        (("spec", "jobManager", "podTemplate"), {"spec": {"hostNetwork": None}})),
     "security-pod", "spec.podTemplate.spec.hostNetwork", {}),
    ("flink-host-network-string", mutate(SECURE_FD, (("spec", "podTemplate", "spec", "hostNetwork"), "true")),
     "security-pod", "hostNetwork", {}),
    ("flink-host-network-config", mutate(SECURE_FD, (conf("kubernetes.hostnetwork.enabled"), "true")),
     "security-pod", "flinkConfiguration['kubernetes.hostnetwork.enabled']", {}),
    ("flink-privileged-sidecar-by-index", mutate(
        SECURE_FD, (("spec", "podTemplate", "spec", "containers"),
                    [{"name": "sidecar", "securityContext": {**SECURE_CONTEXT, "privileged": True}}]),
        (("spec", "taskManager", "podTemplate"),
         {"spec": {"containers": [{"name": "flink-main-container", "securityContext": SECURE_CONTEXT}]}})),
     "security-pod", "securityContext.privileged", {}),
    ("flink-service-account", mutate(SECURE_FD, (("spec", "serviceAccount"), "flink-operator")),
     "security-pod", "spec.serviceAccount", {}),
    ("flink-service-account-config", mutate(SECURE_FD, (conf("kubernetes.jobmanager.service-account"), "default")),
     "security-pod", "kubernetes.jobmanager.service-account", {}),
    ("flink-pod-template-file", mutate(SECURE_FD, (conf("kubernetes.pod-template-file.taskmanager"), "/etc/x.yaml")),
     "security-pod", "kubernetes.pod-template-file.taskmanager", {}),
    ("flink-apparmor-annotation-config", mutate(SECURE_FD, (conf("kubernetes.jobmanager.annotations"),
     "container.apparmor.security.beta.kubernetes.io/flink-main-container:unconfined")),
     "security-pod", "kubernetes.jobmanager.annotations", {}),
    # the rest of the restricted profile
    ("caps-add", mutate(DEPLOYMENT, ((*C0, "securityContext", "capabilities", "add"), ["SYS_ADMIN"])),
     "security-pod", "capabilities.add", {}),
    ("seccomp-unconfined-pod", mutate(DEPLOYMENT, ((*POD, "securityContext", "seccompProfile"), {"type": "Unconfined"})),
     "security-pod", "securityContext.seccompProfile.type", {}),
    ("seccomp-unconfined-container", mutate(DEPLOYMENT, ((*C0, "securityContext", "seccompProfile"),
                                                         {"type": "Unconfined"})),
     "security-pod", "containers[0].securityContext.seccompProfile.type", {}),
    ("seccomp-missing", mutate(DEPLOYMENT, ((*POD, "securityContext", "seccompProfile"), DELETE)),
     "security-pod", "seccompProfile", {}),
    ("apparmor-unconfined", mutate(DEPLOYMENT, ((*C0, "securityContext", "appArmorProfile"), {"type": "Unconfined"})),
     "security-pod", "appArmorProfile.type", {}),
    ("apparmor-annotation", mutate(DEPLOYMENT, (("spec", "template", "metadata", "annotations"),
                                                {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"})),
     "security-pod", "metadata.annotations", {}),
    ("selinux-spc", mutate(DEPLOYMENT, ((*C0, "securityContext", "seLinuxOptions"), {"type": "spc_t"})),
     "security-pod", "seLinuxOptions.type", {}),
    ("selinux-user", mutate(DEPLOYMENT, ((*POD, "securityContext", "seLinuxOptions"), {"user": "system_u"})),
     "security-pod", "seLinuxOptions.user", {}),
    ("proc-mount", mutate(DEPLOYMENT, ((*C0, "securityContext", "procMount"), "Unmasked")),
     "security-pod", "procMount", {}),
    ("pod-run-as-non-root-false", mutate(DEPLOYMENT, ((*POD, "securityContext", "runAsNonRoot"), False)),
     "security-pod", "runAsNonRoot is False for the pod", {}),
    ("host-process", mutate(DEPLOYMENT, ((*C0, "securityContext", "windowsOptions"), {"hostProcess": True})),
     "security-pod", "windowsOptions.hostProcess", {}),
    ("run-as-root-user", mutate(DEPLOYMENT, ((*POD, "securityContext", "runAsUser"), 0)),
     "security-pod", "securityContext.runAsUser", {}),
    ("host-port", mutate(DEPLOYMENT, ((*C0, "ports"), [{"containerPort": 80, "hostPort": 80}])),
     "security-pod", "ports[0].hostPort", {}),
    ("unsafe-sysctl", mutate(DEPLOYMENT, ((*POD, "securityContext", "sysctls"),
                                          [{"name": "kernel.msgmax", "value": "1"}])),
     "security-pod", "sysctls[0].name", {}),
    ("sysctl-newer-than-cluster", mutate(DEPLOYMENT, ((*POD, "securityContext", "sysctls"),
                                                      [{"name": "net.ipv4.tcp_keepalive_time", "value": "60"}])),
     "security-pod", "sysctls[0].name", {"kubernetesVersion": "1.28"}),
    ("nfs-volume", mutate(DEPLOYMENT, ((*POD, "volumes"), [{"name": "n", "nfs": {"server": "x", "path": "/"}}])),
     "security-pod", "volumes[0].nfs", {}),
    ("init-container-privileged", mutate(DEPLOYMENT, ((*POD, "initContainers"), [
        {"name": "init", "image": "ghcr.io/example/init:1", "resources": RESOURCES,
         "securityContext": {**SECURE_CONTEXT, "privileged": True}}])),
     "security-pod", "initContainers[0].securityContext.privileged", {}),
    ("namespace-privileged", mutate(NAMESPACE, (PSA, "privileged")), "security-namespace-pod-security",
     "pod-security.kubernetes.io/enforce", {"minimumLevel": "restricted"}),
    ("namespace-baseline-in-prod", mutate(NAMESPACE, (PSA, "baseline")), "security-namespace-pod-security",
     "below this environment's minimum 'restricted'", {"minimumLevel": "restricted"}),
    ("namespace-unlabelled", mutate(NAMESPACE, (PSA, DELETE)), "security-namespace-pod-security",
     "is not set", {}),
    ("resources-missing", mutate(DEPLOYMENT, ((*C0, "resources"), DELETE)), "platform-resources",
     "resources.requests.cpu", {}),
    ("flink-cpu-missing", mutate(SECURE_FD, (("spec", "taskManager", "resource", "cpu"), DELETE)),
     "platform-resources", "spec.taskManager.resource.cpu", {}),
    ("stateless-forbidden", mutate(SECURE_FD, (("spec", "job", "upgradeMode"), "stateless")), "platform-upgrade-mode",
     "spec.job.upgradeMode", {"forbiddenModes": ["stateless"]}),
    ("stateless-default-forbidden", mutate(FSJ, (("spec", "job", "upgradeMode"), DELETE)), "platform-upgrade-mode",
     "spec.job.upgradeMode", {"forbiddenModes": ["stateless"]}),
    ("last-state-without-ha", mutate(SECURE_FD, (("spec", "job", "upgradeMode"), "last-state"),
                                     (conf("high-availability.type"), DELETE)),
     "platform-last-state-ha", "spec.job.upgradeMode", {}),
    ("egress-allow-all", {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                          "metadata": {"name": "np", "namespace": "team-a"},
                          "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}},
     "platform-egress-destinations", "spec.egress[0]", {}),
    ("cluster-role", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                      "metadata": {"name": "flink-operator"}, "rules": []},
     "security-cluster-scope", "kind", {}),
    ("cluster-role-binding", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                              "metadata": {"name": "b"}, "roleRef": {}, "subjects": []},
     "security-cluster-scope", "kind", {}),
    ("wildcard-verbs", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                        "metadata": {"name": "r", "namespace": "team-a"},
                        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}]},
     "security-rbac-wildcards", "rules[0].verbs", {}),
    ("wildcard-resources", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                            "metadata": {"name": "r"},
                            "rules": [{"apiGroups": ["apps"], "resources": ["*"], "verbs": ["get"]}]},
     "security-rbac-wildcards", "rules[0].resources", {}),
    ("env-password", mutate(DEPLOYMENT, ((*C0, "env"), [{"name": "DB_PASSWORD", "value": "hunter2"}])),
     "security-plaintext-secrets", "env[0].value", {}),
    ("flink-conf-secret", mutate(SECURE_FD, (conf("s3.secret-key"), "AKIAxyz")), "security-plaintext-secrets",
     "s3.secret-key", {}),
    ("session-job-conf-secret", mutate(FSJ, (conf("fs.azure.account.key.x.password"), "pw")),
     "security-plaintext-secrets", "password", {}),
    ("azure-account-key", mutate(SECURE_FD, (conf("fs.azure.account.key.acct.dfs.core.windows.net"), "abc")),
     "security-plaintext-secrets", "fs.azure.account.key", {}),
    ("java-opts-password", mutate(SECURE_FD, (conf("env.java.opts.all"), "-Xss4m -Djavax.net.ssl.trustStorePassword=x")),
     "security-plaintext-secrets", "javax.net.ssl.trustStorePassword", {}),
    ("jaas-password", mutate(SECURE_FD, (conf("properties.sasl.jaas.config"),
                                         'PlainLoginModule required username="u" password="p";')),
     "security-plaintext-secrets", "(password)", {}),
    ("sas-token", mutate(SECURE_FD, (conf("fs.azure.sas.fixed.token.x"), "sv=2022-11-02&sig=" + "A" * 43)),
     "security-plaintext-secrets", "fs.azure.sas.fixed.token.x", {}),
    ("github-pat", mutate(DEPLOYMENT, ((*C0, "env"), [{"name": "GITHUB_PAT", "value": "ghp_x"}])),
     "security-plaintext-secrets", "GITHUB_PAT", {}),
    ("flink-properties-env", mutate(DEPLOYMENT, ((*C0, "env"), [{"name": "FLINK_PROPERTIES",
                                                                "value": "rest.port: 8081\ns3.secret-key: AKIAx"}])),
     "security-plaintext-secrets", "s3.secret-key", {}),
    ("container-args", mutate(DEPLOYMENT, ((*C0, "args"), ["--api-token=abc123"])),
     "security-plaintext-secrets", "containers[0].args[0]", {}),
    ("job-args", mutate(SECURE_FD, (("spec", "job", "args"), ["--db-password", "x", "--db-password=hunter2"])),
     "security-plaintext-secrets", "spec.job.args[2]", {}),
    ("configmap-config-yaml", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "flink-operator-config",
                                                                                    "namespace": "flink-operator"},
                               "data": {"config.yaml": "kubernetes.operator.reconcile.interval: 15 s\n"
                                                       "s3.secret-key: AKIAxyz\n"}},
     "security-plaintext-secrets", "data['config.yaml']", {}),
    ("required-labels", DEPLOYMENT, "platform-required-labels", "metadata.labels",
     {"labels": ["app.kubernetes.io/part-of"]}),
]

PASSES = [
    ("deployment", DEPLOYMENT, {}),
    ("digest", mutate(DEPLOYMENT, ((*C0, "image"), "ghcr.io/example/app@sha256:" + "a" * 64)),
     {"platform-image-pinned": {"allowedRegistries": ["ghcr.io"]}}),
    ("docker-hub-short-name", mutate(DEPLOYMENT, ((*C0, "image"), "nginx:1.27")),
     {"platform-image-pinned": {"allowedRegistries": ["docker.io"]}}),
    ("registry-with-port", mutate(DEPLOYMENT, ((*C0, "image"), "registry.local:5000/app:1")), {}),
    ("secure-flink", SECURE_FD, {}),
    ("secure-flink-role-template", mutate(
        FD,
        (("spec", "podTemplate"), {"spec": {"securityContext": {"runAsNonRoot": True,
                                                                "seccompProfile": RUNTIME_DEFAULT}}}),
        (("spec", "jobManager", "podTemplate"),
         {"spec": {"containers": [{"name": "flink-main-container", "securityContext": SECURE_CONTEXT}]}}),
        (("spec", "taskManager", "podTemplate"),
         {"spec": {"containers": [{"name": "flink-main-container", "securityContext": SECURE_CONTEXT}]}}),
    ), {}),
    ("flink-secure-sidecar-and-volumes", mutate(
        SECURE_FD, (("spec", "podTemplate", "spec", "volumes"), [{"name": "cache", "emptyDir": {}},
                                                                 {"name": "conf", "configMap": {"name": "c"}}]),
        (("spec", "taskManager", "podTemplate"), {"spec": {"containers": [
            {"name": "flink-main-container", "securityContext": SECURE_CONTEXT},
            {"name": "log-shipper", "image": "ghcr.io/example/shipper:1", "securityContext": SECURE_CONTEXT}]}})), {}),
    ("flink-own-service-account-config", mutate(SECURE_FD, (("spec", "serviceAccount"), "flink"),
                                                (conf("kubernetes.service-account"), "flink")), {}),
    ("safe-sysctl-and-bind-service", mutate(
        DEPLOYMENT, ((*POD, "securityContext", "sysctls"), [{"name": "net.ipv4.ip_unprivileged_port_start",
                                                             "value": "80"}]),
        ((*C0, "securityContext", "capabilities", "add"), ["NET_BIND_SERVICE"]),
        ((*C0, "securityContext", "appArmorProfile"), {"type": "RuntimeDefault"}),
        ((*C0, "securityContext", "seLinuxOptions"), {"type": "container_t", "level": "s0:c1,c2"})), {}),
    ("namespace-restricted-in-prod", NAMESPACE, {"security-namespace-pod-security": {"minimumLevel": "restricted"}}),
    ("namespace-baseline-in-dev", mutate(NAMESPACE, (PSA, "baseline")), {}),
    ("savepoint-mode-in-prod", SECURE_FD, {"platform-upgrade-mode": {"forbiddenModes": ["stateless"]}}),
    ("stateless-allowed-in-dev", mutate(SECURE_FD, (("spec", "job", "upgradeMode"), "stateless")),
     {"platform-upgrade-mode": {"forbiddenModes": []}}),
    ("egress-with-destination", {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                 "metadata": {"name": "np", "namespace": "team-a"},
                                 "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                                          "egress": [{"to": [{"namespaceSelector": {"matchLabels": {
                                              "kubernetes.io/metadata.name": "kafka"}}}], "ports": [{"port": 443}]}]}},
     {}),
    ("cluster-role-allowed", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                              "metadata": {"name": "flink-operator"},
                              "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
     {"security-cluster-scope": {"allowClusterScope": True}}),
    ("env-secret-ref", mutate(DEPLOYMENT, ((*C0, "env"), [{"name": "DB_PASSWORD", "valueFrom": {
        "secretKeyRef": {"name": "db", "key": "password"}}}, {"name": "PASSWORD_FILE", "value": ""}])), {}),
    ("flink-conf-env-ref", mutate(SECURE_FD, (conf("s3.secret-key"), "${S3_SECRET_KEY}")), {}),
    ("secret-word-false-positives", mutate(
        SECURE_FD, (conf("security.delegation.tokens.enabled"), "false"),
        (conf("fs.s3a.aws.credentials.provider"), "com.amazonaws.auth.WebIdentityTokenCredentialsProvider"),
        (conf("kubernetes.secrets"), "tls:/opt/tls"), (conf("kubernetes.env.secretKeyRef"), "env:PW,secret:s,key:k")),
     {}),
    ("env-name-false-positives", mutate(DEPLOYMENT, ((*C0, "env"), [
        {"name": "KAFKA_PASSWORD_FILE", "value": "/etc/kafka/pw"}, {"name": "TOKEN_REFRESH_INTERVAL_S", "value": "60"},
        {"name": "JAVA_OPTS", "value": "-Dpassword.file=/etc/pw -Xmx1g"}])), {}),
    ("configmap-plain", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "team-a"},
                         "data": {"config.yaml": "s3.secret-key: ${S3_SECRET_KEY}\nrest.port: 8081\n"}}, {}),
    ("labels-present", mutate(DEPLOYMENT, (("metadata", "labels"), {"app.kubernetes.io/part-of": "x"})),
     {"platform-required-labels": {"labels": ["app.kubernetes.io/part-of"]}}),
]


def _platform(judge, extra=None):
    config = {"all": "disabled"}
    for n in judge.names:
        if not n.startswith("operator-") and not n.startswith("stack-"):
            config[n] = {"enforcementLevel": "mandatory", **(extra or {}).get(n, {})}
    return config


@pytest.mark.parametrize("case_id,obj,policy,path,props", VIOLATIONS, ids=[c[0] for c in VIOLATIONS])
def test_violation(policy_judge, case_id, obj, policy, path, props) -> None:
    diagnostics = policy_judge.resource(obj, _platform(policy_judge, {policy: props}))
    fired = [d for d in diagnostics if d.policy == policy]
    assert fired, f"{policy} did not fire; got {[(d.policy, d.message) for d in diagnostics]}"
    assert any(path in d.message and "Fix:" in d.message for d in fired), [d.message for d in fired]
    assert all(d.level == "mandatory" for d in fired)


@pytest.mark.parametrize("case_id,obj,extra", PASSES, ids=[c[0] for c in PASSES])
def test_accepted(policy_judge, case_id, obj, extra) -> None:
    diagnostics = policy_judge.resource(obj, _platform(policy_judge, extra))
    assert diagnostics == [], [(d.policy, d.message) for d in diagnostics]


def test_every_platform_policy_has_a_violating_case(policy_judge) -> None:
    from policies import platform_rules

    mine = {p.name for p in platform_rules.policies()}
    assert mine <= set(policy_judge.names) and mine == {c[2] for c in VIOLATIONS}


def test_advisory_level_reports_without_failing(policy_judge) -> None:
    latest = mutate(DEPLOYMENT, ((*C0, "image"), "ghcr.io/example/app:latest"))
    diagnostics = policy_judge.resource(latest, {"all": "disabled", "platform-image-pinned": "advisory"})
    assert [(d.policy, d.level) for d in diagnostics] == [("platform-image-pinned", "advisory")]
    assert policy_judge.resource(latest, {"all": "disabled"}) == []


def test_secret_values_are_never_echoed(policy_judge) -> None:
    obj = mutate(DEPLOYMENT, ((*C0, "env"), [{"name": "API_TOKEN", "value": "s3cr3t-value"}]))
    diagnostics = policy_judge.resource(obj, _platform(policy_judge))
    assert diagnostics and all("s3cr3t-value" not in d.message for d in diagnostics)
    fd = mutate(copy.deepcopy(SECURE_FD), (conf("s3.secret-key"), "AKIA-s3cr3t"))
    assert all("AKIA-s3cr3t" not in d.message for d in policy_judge.resource(fd, _platform(policy_judge)))
