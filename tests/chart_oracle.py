"""The test oracle: the operator's real upstream Helm chart, rendered offline with helm-python-sdk (the Helm Go SDK).

``chart_values(platform, operator)`` maps one operator of a stack to the chart values a Helm user would set for
the same install (watched namespaces, image, replicas and strategy, resources, metrics port, nodes rule, webhook,
log level, operator defaults). The chart's own defaults (its ``values.yaml``, ``conf/`` files) are read from the
chart itself, never from this project, so the comparison is against upstream and not a table compared with itself.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from components.config.models import OperatorSettings, PlatformConfig
from tests.conftest import shared_path

CHART_DIR = ("upstream", "helm", "flink-kubernetes-operator-1.15.0")
RELEASE_NAME = "flink-kubernetes-operator"


def chart_dir() -> Path:
    return shared_path(*CHART_DIR)


@functools.lru_cache(maxsize=1)
def _chart() -> Any:
    try:
        import helm_python
    except ImportError as err:  # an ERROR that says how to install it, never a skip
        raise RuntimeError(
            "helm-python-sdk is missing: it renders the upstream chart the operator tests compare with. "
            "Install the dev requirements: .venv/bin/pip install -r requirements-dev.txt (make test does it)"
        ) from err
    return helm_python.Chart.load(str(chart_dir()))


@functools.lru_cache(maxsize=1)
def chart_default_values() -> dict[str, Any]:
    return yaml.safe_load((chart_dir() / "values.yaml").read_text())


def render_chart(values: dict[str, Any], namespace: str) -> list[dict[str, Any]]:
    """Every object the chart renders for ``values`` in release namespace ``namespace``."""
    rendered = _chart().render(values, name=RELEASE_NAME, namespace=namespace, is_install=True)
    docs = []
    for path in sorted(rendered):
        docs += [d for d in yaml.safe_load_all(rendered[path]) if d]
    return docs


def _yaml_line(key: str, value: Any) -> str:
    return yaml.safe_dump({key: value}, width=10**6).strip()


def _override_lines(text: str, config: dict[str, Any]) -> tuple[str, set[str]]:
    """``text`` (YAML lines ``key: value``) with the lines of keys in ``config`` rewritten to its values."""
    lines, overridden = [], set()
    for line in text.splitlines():
        key = line.partition(":")[0].strip()
        if not line.startswith("#") and key in config:
            line = _yaml_line(key, config[key])
            overridden.add(key)
        lines.append(line)
    return "\n".join(lines) + "\n", overridden


def chart_values(
    operator: OperatorSettings,
    *,
    version: str,
    watched: list[str],
) -> dict[str, Any]:
    """The chart values that correspond to one operator of a stack."""
    leader = operator.replicas > 1
    extra = [
        "kubernetes.operator.metrics.reporter.prom.factory.class: "
        "org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
        f"kubernetes.operator.metrics.reporter.prom.port: {operator.metrics_port}",
        f"kubernetes.operator.dynamic.namespaces.enabled: {str(operator.dynamic_namespaces).lower()}",
    ]
    # A Helm user overriding a key of the chart's default overrides edits that line of defaultConfiguration (Helm
    # replaces the whole string); any other key is a line of its own.
    defaults_text, overridden = _override_lines(chart_default_values()["defaultConfiguration"]["flink-conf.yaml"],
                                                operator.config)
    extra += [_yaml_line(k, v) for k, v in sorted(operator.config.items()) if k not in overridden]
    if operator.dynamic_namespaces:
        extra.append("kubernetes.operator.dynamic.config.enabled: true")
    if leader:
        extra += [
            "kubernetes.operator.leader-election.enabled: true",
            "kubernetes.operator.leader-election.lease-name: flink-operator-lease",
        ]
    values: dict[str, Any] = {
        "watchNamespaces": [] if operator.watch == "cluster" else list(watched),
        "image": {
            "repository": operator.image.repository,
            "tag": operator.image.tag or version,
            "digest": operator.image.digest or "",
            "pullPolicy": operator.image.pull_policy,
        },
        "replicas": operator.replicas,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
        if leader else {"type": "Recreate"},
        "rbac": {"nodesRule": {"create": operator.nodes_rule}},
        "operatorPod": {
            "resources": operator.resources.to_k8s(),
            "webhook": {"resources": operator.webhook.resources.to_k8s()},
        },
        "metrics": {"port": operator.metrics_port},
        "webhook": {"create": operator.webhook.enabled},
        # config.yaml (Flink 2 style) instead of the legacy flink-conf.yaml: the chart mounts config.yaml when the
        # flink-conf.yaml key is removed; the chart's own default overrides move along unchanged.
        "defaultConfiguration": {
            "flink-conf.yaml": None,
            "config.yaml": defaults_text + "\n".join(extra) + "\n",
        },
    }
    # What the stack sets of the chart's own values, as the user wrote them (pydantic's round trip of the input,
    # not the platform's rendering), under the chart's value names.
    pod = operator.pod.model_dump(by_alias=True, exclude_unset=True, exclude_none=True)
    if "postStart" in pod:
        values["postStart"] = pod.pop("postStart")
    if "volumes" in pod:
        values["operatorVolumes"] = {"create": True, "data": pod.pop("volumes")}
    if "volumeMounts" in pod:
        values["operatorVolumeMounts"] = {"create": True, "data": pod.pop("volumeMounts")}
    values["operatorPod"].update(pod)
    values["jvmArgs"] = {"operator": operator.jvm_args, "webhook": operator.webhook.jvm_args}
    values["operatorServiceAccount"] = operator.service_account.model_dump(by_alias=True)
    if operator.job_service_account.annotations:  # Helm merges them with the chart's default (keep) annotation
        values["jobServiceAccount"] = {"annotations": dict(operator.job_service_account.annotations)}
    rbac = operator.rbac
    values["rbac"].update({
        "create": rbac.create,
        "operatorRole": {"create": True, "name": rbac.operator_role},
        "operatorRoleBinding": {"create": True, "name": rbac.operator_role_binding},
        "jobRole": {"create": True, "name": rbac.job_role},
        "jobRoleBinding": {"create": True, "name": rbac.job_role_binding},
    })
    if operator.webhook.service_labels:
        values["webhook"]["serviceLabels"] = dict(operator.webhook.service_labels)
    if operator.webhook.env:
        values["operatorPod"]["webhook"]["container"] = {
            "env": [e.model_dump(by_alias=True, exclude_unset=True, exclude_none=True) for e in operator.webhook.env]}
    if operator.image_pull_secrets:
        values["imagePullSecrets"] = [{"name": n} for n in operator.image_pull_secrets]
    log = operator.logging
    operator_log4j = ({"rootLogger.level": operator.log_level} if operator.log_level != "INFO" else {}) | log.log4j_operator
    if operator_log4j:
        values["defaultConfiguration"]["log4j-operator.properties"] = "".join(
            f"{k} = {v}\n" for k, v in operator_log4j.items())
    if log.log4j_console:
        values["defaultConfiguration"]["log4j-console.properties"] = "".join(
            f"{k} = {v}\n" for k, v in log.log4j_console.items())
    values["logging"] = {"framework": log.framework}
    if log.logback_operator:
        values["defaultConfiguration"]["logback-operator.xml"] = log.logback_operator
    if log.logback_console:
        values["defaultConfiguration"]["logback-console.xml"] = log.logback_console
    health = operator.health
    values["operatorHealth"] = {  # Helm merges these maps with the chart's defaults
        "port": health.port,
        "livenessProbe": health.liveness_probe.model_dump(by_alias=True, exclude_none=True),
        "startupProbe": health.startup_probe.model_dump(by_alias=True, exclude_none=True),
    }
    values["tls"] = {"create": operator.tls.enabled, "secretName": operator.tls.secret_name,
                     "secretKeyRef": operator.tls.secret_key_ref.model_dump(by_alias=True)}
    return values


def platform_chart_values(platform: PlatformConfig) -> tuple[dict[str, Any], str]:
    """Values and release namespace for the platform's shared operator."""
    watched = [ns for t in platform.tenants if t.operator is None for ns in t.namespaces]
    op = platform.operator
    return chart_values(op, version=op.version, watched=watched), op.namespace


def tenant_chart_values(platform: PlatformConfig, tenant: str) -> tuple[dict[str, Any], str]:
    t = next(t for t in platform.tenants if t.name == tenant)
    assert t.operator is not None
    return chart_values(t.operator, version=platform.operator.version, watched=list(t.namespaces)), t.operator.namespace
