"""The chart's values as stack keys (issue 20): each bad value refused with its exact path, the value found and what
is allowed; the same keys on a tenant's own operator."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.models import ConfigError
from components.config.rules import load_platform_config
from tests.components.config.test_models_operator import _own, _with

INVALID = [
    # pod metadata and scheduling
    ("pull-secret-bad-name", ("operator.imagePullSecrets", ["Registry"]), "platform.operator.imagePullSecrets[0]",
     "RFC 1123 subdomain"),
    ("pod-annotation-owned", ("operator.pod", {"annotations": {"prometheus.io/port": "1"}}),
     "platform.operator.pod.annotations", "written by the platform"),
    ("pod-label-selector", ("operator.pod", {"labels": {"app.kubernetes.io/name": "x"}}),
     "platform.operator.pod.labels", "written by the platform"),
    ("pod-label-reserved", ("operator.pod", {"labels": {"flink-platform.io/tenant": "x"}}),
     "platform.operator.pod.labels", "written by the platform"),
    ("pod-label-value-bad", ("operator.pod", {"labels": {"team": "a b"}}), "platform.operator.pod.labels.team",
     "label value"),
    ("node-selector-key-bad", ("operator.pod", {"nodeSelector": {"-bad": "x"}}),
     "platform.operator.pod.nodeSelector['-bad'] (the key)", "name part"),
    ("affinity-operator-bad", ("operator.pod", {"affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "k", "operator": "Like"}]}]}}}}),
     "platform.operator.pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
     ".matchExpressions[0].operator", "'In'"),
    ("affinity-weight-bad", ("operator.pod", {"affinity": {"podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 0, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname"}}]}}}),
     "platform.operator.pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
     "greater than or equal to 1"),
    ("affinity-unknown-key", ("operator.pod", {"affinity": {"nodeAfinity": {}}}),
     "platform.operator.pod.affinity.nodeAfinity", "allowed keys here: nodeAffinity"),
    ("toleration-exists-with-value", ("operator.pod", {"tolerations": [{"key": "k", "operator": "Exists",
                                                                        "value": "v"}]}),
     "platform.operator.pod.tolerations[0]", "has no value"),
    ("toleration-seconds-not-noexecute", ("operator.pod", {"tolerations": [
        {"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5}]}),
     "platform.operator.pod.tolerations[0]", "only applies to effect 'NoExecute'"),
    ("spread-when-bad", ("operator.pod", {"topologySpreadConstraints": [
        {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "Never"}]}),
     "platform.operator.pod.topologySpreadConstraints[0].whenUnsatisfiable", "'DoNotSchedule'"),
    ("spread-skew-zero", ("operator.pod", {"topologySpreadConstraints": [
        {"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]}),
     "platform.operator.pod.topologySpreadConstraints[0].maxSkew", "greater than or equal to 1"),
    ("priority-class-bad", ("operator.pod", {"priorityClassName": "High_Priority"}),
     "platform.operator.pod.priorityClassName", "RFC 1123 subdomain"),
    ("dns-policy-bad", ("operator.pod", {"dnsPolicy": "Cluster"}), "platform.operator.pod.dnsPolicy",
     "'ClusterFirst'"),
    ("dns-none-without-nameservers", ("operator.pod", {"dnsPolicy": "None"}), "platform.operator.pod",
     "needs dnsConfig.nameservers"),
    ("dns-too-many-nameservers", ("operator.pod", {"dnsConfig": {"nameservers": ["1.1.1.1"] * 4}}),
     "platform.operator.pod.dnsConfig.nameservers", "at most 3 items"),
    # env, extra containers, volumes, JVM options
    ("env-owned", ("operator.pod", {"env": [{"name": "JVM_ARGS", "value": "-Xmx1g"}]}), "platform.operator.pod.env",
     "set by the platform"),
    ("env-name-bad", ("operator.pod", {"env": [{"name": "A=B", "value": "x"}]}),
     "platform.operator.pod.env[0].name", "environment variable name"),
    ("env-value-and-source", ("operator.pod", {"env": [{"name": "A", "value": "x", "valueFrom": {
        "fieldRef": {"fieldPath": "spec.nodeName"}}}]}), "platform.operator.pod.env[0]", "not both"),
    ("env-two-sources", ("operator.pod", {"env": [{"name": "A", "valueFrom": {
        "fieldRef": {"fieldPath": "spec.nodeName"}, "secretKeyRef": {"name": "s", "key": "k"}}}]}),
     "platform.operator.pod.env[0].valueFrom", "exactly one of fieldRef"),
    ("env-from-none", ("operator.pod", {"envFrom": [{"prefix": "X_"}]}), "platform.operator.pod.envFrom[0]",
     "exactly one of configMapRef, secretRef"),
    ("webhook-env-owned", ("operator.webhook", {"enabled": True, "env": [{"name": "WEBHOOK_SERVER_PORT",
                                                                          "value": "1"}]}),
     "platform.operator.webhook.env", "set by the platform"),
    ("jvm-args-not-options", ("operator.jvmArgs", "Xmx1g"), "platform.operator.jvmArgs", "starting with '-'"),
    ("jvm-args-yaml-key", ("operator.jvmArgs", "-Da: -Db"), "platform.operator.jvmArgs", "starting with '-'"),
    ("webhook-jvm-args-spaces", ("operator.webhook", {"jvmArgs": " -Xmx1g"}), "platform.operator.webhook.jvmArgs",
     "single spaces"),
    ("post-start-two-actions", ("operator.pod", {"postStart": {"exec": {"command": ["a"]},
                                                              "sleep": {"seconds": 1}}}),
     "platform.operator.pod.postStart", "exactly one of exec, httpGet, tcpSocket, sleep"),
    ("post-start-port-bad", ("operator.pod", {"postStart": {"httpGet": {"port": 0}}}),
     "platform.operator.pod.postStart.httpGet.port", "port number 1..65535"),
    ("volume-two-sources", ("operator.pod", {"volumes": [{"name": "flink-artifacts-volume", "emptyDir": {},
                                                          "secret": {"secretName": "s"}}]}),
     "platform.operator.pod.volumes[0]", "exactly one source"),
    ("volume-unknown-source", ("operator.pod", {"volumes": [{"name": "v", "emptydir": {}}]}),
     "platform.operator.pod.volumes[0]", "unknown volume key(s) ['emptydir']"),
    ("volume-platform-name", ("operator.pod", {"volumes": [{"name": "tmp", "emptyDir": {}}]}),
     "platform.operator.pod", "used twice or by the platform"),
    ("volumes-without-artifacts", ("operator.pod", {"volumes": [{"name": "v", "emptyDir": {}}]}),
     "platform.operator.pod", "or set volumeMounts"),
    ("mounts-without-artifacts-dir", ("operator.pod", {"volumeMounts": [{"name": "flink-artifacts-volume",
                                                                         "mountPath": "/data"}]}),
     "platform.operator.pod", "one must mount /opt/flink/artifacts"),
    ("mount-of-unknown-volume", ("operator.pod", {"volumes": [{"name": "a", "emptyDir": {}}], "volumeMounts": [
        {"name": "a", "mountPath": "/opt/flink/artifacts"}, {"name": "b", "mountPath": "/b"}]}),
     "platform.operator.pod", "mount of 'b', which is not a volume of the pod"),
    ("mount-path-relative", ("operator.pod", {"volumeMounts": [{"name": "tmp", "mountPath": "data"}]}),
     "platform.operator.pod.volumeMounts[0].mountPath", "absolute path"),
    ("sidecar-without-image", ("operator.pod", {"sidecarContainers": [{"name": "s"}]}),
     "platform.operator.pod.sidecarContainers[0].image", "required"),
    ("sidecar-security-context", ("operator.pod", {"sidecarContainers": [
        {"name": "s", "image": "busybox:1.36", "securityContext": {"privileged": True}}]}),
     "platform.operator.pod.sidecarContainers[0].securityContext", "allowed keys here"),
    ("sidecar-named-like-operator", ("operator.pod", {"sidecarContainers": [
        {"name": "flink-webhook", "image": "busybox:1.36"}]}), "platform.operator.pod", "used twice or by the"),
    ("init-mount-of-unknown-volume", ("operator.pod", {"initContainers": [
        {"name": "i", "image": "busybox:1.36", "volumeMounts": [{"name": "nope", "mountPath": "/x"}]}]}),
     "platform.operator.pod", "container 'i': mount of 'nope'"),
    # identity, RBAC, webhook Service
    ("sa-name-bad", ("operator.serviceAccount", {"name": "Flink_Operator"}), "platform.operator.serviceAccount.name",
     "RFC 1123 subdomain"),
    ("sa-annotations-without-create", ("operator.serviceAccount", {"create": False, "annotations": {"a": "b"}}),
     "platform.operator.serviceAccount", "only written on a ServiceAccount the platform creates"),
    ("sa-annotation-key-bad", ("operator.serviceAccount", {"annotations": {"bad key": "x"}}),
     "platform.operator.serviceAccount.annotations['bad key'] (the key)", "name part"),
    ("job-sa-unknown-key", ("operator.jobServiceAccount", {"name": "other"}), "platform.operator.jobServiceAccount.name",
     "allowed keys here: annotations"),
    ("rbac-role-cluster-role-ref", ("operator.rbac", {"operatorRole": "system:flink"}),
     "platform.operator.rbac.operatorRole", "RFC 1123 subdomain"),
    ("rbac-same-names", ("operator.rbac", {"jobRole": "flink-operator"}), "platform.operator.rbac",
     "their names differ"),
    ("rbac-create-not-bool", ("operator.rbac", {"create": "maybe"}), "platform.operator.rbac.create", "boolean"),
    ("service-labels-owned", ("operator.webhook", {"serviceLabels": {"app.kubernetes.io/name": "x"}}),
     "platform.operator.webhook.serviceLabels", "written by the platform"),
    ("service-labels-value-bad", ("operator.webhook", {"serviceLabels": {"team": "-x"}}),
     "platform.operator.webhook.serviceLabels.team", "label value"),
    # operator.config typed as the operator parses it
    ("config-duration-bare-number", ("operator.config", {"kubernetes.operator.reconcile.interval": 30}),
     "platform.operator.config", "'kubernetes.operator.reconcile.interval' = 30 must be a Flink duration with its unit"),
    ("config-duration-unit-bad", ("operator.config", {"kubernetes.operator.reconcile.interval": "5 mins"}),
     "platform.operator.config", "has the unit 'mins', which Flink does not know"),
    ("config-boolean-bad", ("operator.config", {"kubernetes.operator.savepoint.dispose-on-delete": "yes"}),
     "platform.operator.config", "must be a boolean"),
    ("config-int-bad", ("operator.config", {"kubernetes.operator.reconcile.parallelism": "ten"}),
     "platform.operator.config", "must be a whole number"),
    ("config-int-overflow", ("operator.config", {"parallelism.default": 2**31}), "platform.operator.config",
     "a Java int"),
    ("config-double-bad", ("operator.config", {"kubernetes.operator.retry.interval.multiplier": "fast"}),
     "platform.operator.config", "must be a number"),
    ("config-enum-bad", ("operator.config", {"kubernetes.operator.checkpoint.type": "partial"}),
     "platform.operator.config", "must be one of FULL, INCREMENTAL, UNKNOWN"),
    ("config-memory-bad", ("operator.config", {"taskmanager.memory.process.size": "2 GiB"}),
     "platform.operator.config", "does not match any of"),
    ("config-not-scalar", ("operator.config", {"kubernetes.operator.label.selector": ["a"]}),
     "platform.operator.config['kubernetes.operator.label.selector']", "must be a scalar"),
    # logging, health, TLS
    ("logging-framework-bad", ("operator.logging", {"framework": "jul"}), "platform.operator.logging.framework",
     "'log4j2' or 'logback'"),
    ("logback-without-files", ("operator.logging", {"framework": "logback"}), "platform.operator.logging",
     "needs logbackOperator and logbackConsole"),
    ("logback-xml-bad", ("operator.logging", {"framework": "logback", "logbackOperator": "<configuration>",
                                              "logbackConsole": "<configuration/>"}),
     "platform.operator.logging.logbackOperator", "not well-formed XML"),
    ("logback-xml-root-bad", ("operator.logging", {"framework": "logback", "logbackOperator": "<config/>",
                                                   "logbackConsole": "<configuration/>"}),
     "platform.operator.logging.logbackOperator", "root element is <configuration>"),
    ("logback-files-with-log4j2", ("operator.logging", {"logbackOperator": "<configuration/>"}),
     "platform.operator.logging", "only mounted with framework 'logback'"),
    ("log4j-key-bad", ("operator.logging", {"log4jOperator": {"logger level": "DEBUG"}}),
     "platform.operator.logging.log4jOperator", "log4j2 property key"),
    ("log4j-value-multiline", ("operator.logging", {"log4jConsole": {"rootLogger.level": "INFO\nx = y"}}),
     "platform.operator.logging.log4jConsole", "spans lines"),
    ("log-level-twice", ("operator", {"version": "1.15.0", "logLevel": "DEBUG",
                                      "logging": {"log4jOperator": {"rootLogger.level": "WARN"}}}),
     "platform.operator", "both set the root level"),
    ("health-port-is-metrics-port", ("operator.health", {"port": 9999}), "platform.operator",
     "also the metrics port"),
    ("health-port-bad", ("operator.health", {"port": 0}), "platform.operator.health.port",
     "greater than or equal to 1"),
    ("probe-success-threshold", ("operator.health", {"livenessProbe": {"successThreshold": 2}}),
     "platform.operator.health.livenessProbe.successThreshold", "1"),
    ("probe-period-zero", ("operator.health", {"startupProbe": {"periodSeconds": 0}}),
     "platform.operator.health.startupProbe.periodSeconds", "greater than or equal to 1"),
    ("probe-unknown-key", ("operator.health", {"livenessProbe": {"httpGet": {"path": "/x"}}}),
     "platform.operator.health.livenessProbe.httpGet", "allowed keys here"),
    ("tls-secret-bad", ("operator.tls", {"enabled": True, "secretName": "TLS"}), "platform.operator.tls.secretName",
     "RFC 1123 subdomain"),
    ("tls-key-ref-incomplete", ("operator.tls", {"enabled": True, "secretKeyRef": {"name": "p"}}),
     "platform.operator.tls.secretKeyRef.key", "required"),
]


@pytest.mark.parametrize(("case", "change", "path", "allowed"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_chart_value_names_path_found_and_allowed(case: str, change: tuple[str, Any], path: str,
                                                          allowed: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_platform_config(_with(*change))
    matching = [p for p in info.value.problems if p.path == path]
    assert matching, f"no problem at {path}; got {[str(p) for p in info.value.problems]}"
    assert any(allowed in str(p) for p in matching), [str(p) for p in matching]
    assert all(p.found for p in matching)


@pytest.mark.parametrize(("case", "change", "path", "allowed"), INVALID, ids=[c[0] for c in INVALID])
def test_a_tenant_operator_refuses_the_same_values(case: str, change: tuple[str, Any], path: str,
                                                   allowed: str) -> None:
    where, value = change
    if where == "operator":  # a whole operator: the tenant operator gets the same fields
        own_path, own = _own(0, **{k: v for k, v in value.items() if k != "version"})
    else:
        own_path, own = _own(0, **{where.removeprefix("operator."): value})
    with pytest.raises(ConfigError) as info:
        load_platform_config(_with(own_path, own))
    tenant_path = path.replace("platform.operator", "platform.tenants[0].operator", 1)
    assert any(p.path == tenant_path and allowed in str(p) for p in info.value.problems), \
        [str(p) for p in info.value.problems]


def _definitions(version: str) -> dict[str, Any]:
    import json
    from importlib import resources

    path = resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{version}.0-local" / "_definitions.json"
    data = json.loads(path.read_text())
    return data.get("definitions", data.get("$defs"))


def test_every_kubernetes_shape_has_only_fields_the_api_defines() -> None:
    """Each typed Kubernetes shape of the stack config declares only fields of its core/v1 definition (newest
    supported version), and the volume sources are exactly core/v1 Volume's."""
    from components.config import models as m

    definitions = _definitions(m.SUPPORTED_KUBERNETES_VERSIONS[-1])
    shapes = {
        "Affinity": m.Affinity, "NodeAffinity": m.NodeAffinity, "PodAffinity": m.PodAffinity,
        "PodAntiAffinity": m.PodAffinity, "PodAffinityTerm": m.PodAffinityTerm,
        "WeightedPodAffinityTerm": m.WeightedPodAffinityTerm, "NodeSelector": m.NodeSelector,
        "NodeSelectorTerm": m.NodeSelectorTerm, "NodeSelectorRequirement": m.NodeSelectorRequirement,
        "PreferredSchedulingTerm": m.PreferredSchedulingTerm, "Toleration": m.Toleration,
        "TopologySpreadConstraint": m.TopologySpreadConstraint, "PodDNSConfig": m.PodDnsConfig,
        "PodDNSConfigOption": m.PodDnsOption, "EnvVar": m.EnvVar, "EnvVarSource": m.EnvVarSource,
        "ConfigMapKeySelector": m.ObjectKeyRef, "SecretKeySelector": m.ObjectKeyRef,
        "ObjectFieldSelector": m.ObjectFieldRef, "ResourceFieldSelector": m.ResourceFieldRef,
        "EnvFromSource": m.EnvFromSource, "ConfigMapEnvSource": m.ObjectRef, "SecretEnvSource": m.ObjectRef,
        "LifecycleHandler": m.LifecycleHandler, "ExecAction": m.ExecAction, "HTTPGetAction": m.HttpGetAction,
        "HTTPHeader": m.HttpHeader, "TCPSocketAction": m.TcpSocketAction, "SleepAction": m.SleepAction,
        "VolumeMount": m.VolumeMount, "ContainerPort": m.ContainerPort, "Container": m.ExtraContainer,
    }
    for name, model in shapes.items():
        declared = set(definitions[f"io.k8s.api.core.v1.{name}"]["properties"])
        ours = {f.alias or n for n, f in model.model_fields.items()}
        assert ours <= declared, (name, sorted(ours - declared))
    selector = set(definitions["io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"]["properties"])
    assert {f.alias for f in m.LabelSelector.model_fields.values()} == selector
    volume = set(definitions["io.k8s.api.core.v1.Volume"]["properties"]) - {"name"}
    assert set(m.VOLUME_SOURCES) == volume


def test_env_names_the_platform_refuses_are_the_ones_it_renders() -> None:
    from tests.components.operator.test_chart_parity import VALUE_SETS, _plan_objects

    objects, _ = _plan_objects(VALUE_SETS["ha-webhook"])
    pod = next(o.obj for o in objects if o.kind == "Deployment")["spec"]["template"]["spec"]
    from components.operator import upstream

    rendered = {c["name"]: {e["name"] for e in c["env"]} for c in pod["containers"]}
    tls = {"OPERATOR_KEYSTORE_PATH", "OPERATOR_TRUSTSTORE_PATH", "OPERATOR_KEYSTORE_PASSWORD"}  # with tls only
    assert rendered[upstream.OPERATOR_CONTAINER_NAME] == set(upstream.OPERATOR_ENV_NAMES) - tls
    assert rendered[upstream.WEBHOOK_CONTAINER_NAME] == set(upstream.WEBHOOK_ENV_NAMES)


def test_the_option_types_are_the_ones_the_operator_declares() -> None:
    """``upstream.OPERATOR_CONFIG_TYPES`` against ``KubernetesOperatorConfigOptions.java`` of the pinned release."""
    import re

    from components.operator import upstream
    from tests.conftest import shared_path

    source = shared_path("upstream", "flink-kubernetes-operator-1.15.0", "flink-kubernetes-operator", "src", "main",
                         "java", "org", "apache", "flink", "kubernetes", "operator", "config",
                         "KubernetesOperatorConfigOptions.java").read_text()
    declared = {}
    for fn, key, kind, arg, as_list in re.findall(
            r'(operatorConfig|key)\(\s*"([^"]+)"\s*\)\s*\.(\w+?)Type\((\w*)(?:\.class)?\)(\s*\.asList\(\))?', source):
        full = f"kubernetes.operator.{key}" if fn == "operatorConfig" else key
        declared[full] = f"enum:{arg}" if kind == "enum" else kind + ("List" if as_list else "")
    assert declared == upstream.OPERATOR_CONFIG_TYPES
    assert len(declared) >= 75
    for kind in set(declared.values()):
        if kind.startswith("enum:"):
            assert kind.removeprefix("enum:") in upstream.OPERATOR_CONFIG_ENUMS


def test_typed_config_values_load_and_keep_their_type() -> None:
    config = load_platform_config(_with("operator.config", {
        "kubernetes.operator.reconcile.interval": "5 MINUTE", "kubernetes.operator.savepoint.dispose-on-delete": True,
        "kubernetes.operator.reconcile.parallelism": "10", "kubernetes.operator.checkpoint.type": "full",
        "taskmanager.memory.process.size": "2048m", "kubernetes.operator.retry.interval.multiplier": 2,
        "my.own.key": 3}))
    assert config.operator.config["kubernetes.operator.savepoint.dispose-on-delete"] is True
    assert config.operator.config["my.own.key"] == 3
