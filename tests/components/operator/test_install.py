"""The operator component: config rolls pods except under dynamic namespaces, HA, flavours, RBAC modes, labels."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.config import labels as L
from components.operator import upstream
from tests.conftest import stack_config
from planning import manifests
from components.guardrails import GUARD_RAILS_COMPONENT
from planning.mock_runtime import run_program

PASSWORD_KEY = "flink-platform:webhookKeystorePassword"


def _config(**operator: Any) -> dict[str, Any]:
    config = copy.deepcopy(stack_config("dev"))
    config["flink-platform:platform"]["operator"].update(operator)
    config[PASSWORD_KEY] = "operator-test-password"
    return config


def _objects(config: dict[str, Any]) -> list[manifests.KubeObject]:
    return manifests.collect_objects(list(run_program("dev", config, secret_keys=[PASSWORD_KEY]).registrations))


def _one(objects: list[manifests.KubeObject], kind: str, namespace: str = "flink-operator") -> dict[str, Any]:
    found = [o.obj for o in objects if o.kind == kind and o.namespace == namespace]
    assert len(found) == 1, f"{kind} in {namespace}: {len(found)}"
    return found[0]


def _config_yaml(objects: list[manifests.KubeObject], namespace: str = "flink-operator") -> dict[str, str]:
    import yaml

    return yaml.safe_load(_one(objects, "ConfigMap", namespace)["data"]["config.yaml"])


def _add_namespace(config: dict[str, Any], ns: str) -> dict[str, Any]:
    config = copy.deepcopy(config)
    config["flink-platform:platform"]["tenants"][0]["namespaces"].append(ns)
    return config


# --- dynamic namespaces ---------------------------------------------------------------------------------------------


def test_adding_a_namespace_under_dynamic_namespaces_does_not_restart_the_operator() -> None:
    before_cfg = _config(webhook={"enabled": True})
    after_cfg = _add_namespace(before_cfg, "streaming-batch-dev")
    before, after = _objects(before_cfg), _objects(after_cfg)
    # The pod template (and so the running pods) is unchanged ...
    assert _one(before, "Deployment")["spec"]["template"] == _one(after, "Deployment")["spec"]["template"]
    assert _one(before, "Deployment") == _one(after, "Deployment")
    # ... while the watched list the operator re-reads, the RBAC, the policies and the webhook scope follow.
    assert _config_yaml(before)[upstream.KEY_WATCHED_NAMESPACES] == "streaming-dev"
    assert _config_yaml(after)[upstream.KEY_WATCHED_NAMESPACES] == "streaming-dev,streaming-batch-dev"
    assert _config_yaml(after)[upstream.KEY_DYNAMIC_NAMESPACES] is True
    new = sorted((o.kind, o.name) for o in after if o.namespace == "streaming-batch-dev")
    assert new == sorted([
        ("Role", "flink-operator"), ("RoleBinding", "flink-operator-role-binding"), ("ServiceAccount", "flink"),
        ("Role", "flink"), ("RoleBinding", "flink-role-binding"), ("NetworkPolicy", "default-deny"),
        ("NetworkPolicy", "flink-apiserver-dns"),
        ("LimitRange", "flink-platform-limits"), ("ResourceQuota", "flink-platform-quota"),
        ("NetworkPolicy", "jobmanager-rest-from-operator"),
    ])
    webhook = next(o.obj for o in after if o.kind == "ValidatingWebhookConfiguration")
    assert webhook["webhooks"][0]["namespaceSelector"]["matchExpressions"][0]["values"] == [
        "streaming-dev", "streaming-batch-dev"]
    operator_policy = next(o.obj for o in after if o.kind == "NetworkPolicy" and o.namespace == "flink-operator"
                           and o.name == "flink-operator")
    rest = operator_policy["spec"]["egress"][1]["to"][0]["namespaceSelector"]["matchExpressions"][0]["values"]
    assert rest == ["streaming-dev", "streaming-batch-dev"]


def test_without_dynamic_namespaces_a_new_namespace_rolls_the_operator() -> None:
    before_cfg = _config(dynamicNamespaces=False)
    before, after = _objects(before_cfg), _objects(_add_namespace(before_cfg, "streaming-batch-dev"))
    key = L.CONFIG_CHECKSUM
    assert (_one(before, "Deployment")["spec"]["template"]["metadata"]["annotations"][key]
            != _one(after, "Deployment")["spec"]["template"]["metadata"]["annotations"][key])
    assert _config_yaml(after)[upstream.KEY_DYNAMIC_NAMESPACES] is False


def test_any_other_config_change_rolls_the_operator() -> None:
    checksums = set()
    for change in ({}, {"logLevel": "WARN"}, {"config": {"kubernetes.operator.reconcile.interval": "1 min"}},
                   {"metricsPort": 9250}):
        deployment = _one(_objects(_config(**change)), "Deployment")
        checksums.add(deployment["spec"]["template"]["metadata"]["annotations"][L.CONFIG_CHECKSUM])
    assert len(checksums) == 4


# --- HA, image, flavours, namespaces ---------------------------------------------------------------------------------


def test_single_replica_recreates_without_leader_election() -> None:
    objects = _objects(_config())
    deployment = _one(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert upstream.KEY_LEADER_ELECTION not in _config_yaml(objects)
    assert not [o for o in objects if o.kind == "PodDisruptionBudget"]


def test_replicas_turn_on_leader_election_rolling_updates_and_a_pdb() -> None:
    objects = _objects(_config(replicas=2))
    deployment = _one(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    config = _config_yaml(objects)
    assert config[upstream.KEY_LEADER_ELECTION] is True and config[upstream.KEY_LEASE_NAME] == "flink-operator-lease"
    pdb = _one(objects, "PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
    # The lease lives in the operator namespace, where its Role grants leases.
    role = next(o.obj for o in objects if o.kind == "Role" and o.namespace == "flink-operator")
    assert any("leases" in r["resources"] for r in role["rules"])


def test_image_is_pinned() -> None:
    image = lambda cfg: _one(_objects(cfg), "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]  # noqa: E731
    assert image(_config()) == f"{upstream.OPERATOR_IMAGE_REPOSITORY}:1.15.0"
    assert image(_config(image={"tag": "1.15.0-patched"})).endswith(":1.15.0-patched")
    digest = "sha256:" + "0f" * 32
    assert image(_config(image={"tag": "1.15.0", "digest": digest})) == f"{upstream.OPERATOR_IMAGE_REPOSITORY}@{digest}"


def test_openshift_flavour_leaves_uids_to_the_cluster_and_keeps_everything_else() -> None:
    plain = _one(_objects(_config(webhook={"enabled": True})), "Deployment")["spec"]["template"]["spec"]
    openshift = _one(_objects(_config(webhook={"enabled": True}, flavour="openshift")), "Deployment")["spec"]["template"]["spec"]
    assert openshift["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert plain["securityContext"] == {**openshift["securityContext"], "runAsUser": 9999, "runAsGroup": 9999, "fsGroup": 9999}
    assert openshift["containers"] == plain["containers"] and openshift["volumes"] == plain["volumes"]
    for container in openshift["containers"]:
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"] and sc["capabilities"] == {"drop": ["ALL"]}
        assert "runAsUser" not in sc


def test_operator_namespace_is_created_restricted_and_retained_unless_existing() -> None:
    monitor = run_program("dev", _config(), secret_keys=[PASSWORD_KEY])
    ns = next(r for r in monitor.registrations
              if r.type == "kubernetes:core/v1:Namespace" and r.inputs["metadata"]["name"] == "flink-operator")
    assert ns.options["retainOnDelete"] is True
    assert ns.inputs["metadata"]["labels"][L.PSA_ENFORCE] == "restricted"
    objects = _objects(_config(existingNamespace=True))
    assert not [o for o in objects if o.kind == "Namespace" and o.name == "flink-operator"]
    assert _one(objects, "Deployment")


def test_cluster_mode_only_when_asked() -> None:
    namespaced = _objects(_config())
    assert not [o for o in namespaced if o.kind in ("ClusterRole", "ClusterRoleBinding")]
    cluster = _objects(_config(watch="cluster"))
    assert sorted(o.kind for o in cluster if o.kind.startswith("Cluster")) == ["ClusterRole", "ClusterRoleBinding"]
    assert upstream.KEY_WATCHED_NAMESPACES not in _config_yaml(cluster)
    # As upstream: the job ServiceAccount only in the operator namespace; other namespaces are the user's job.
    assert sorted(o.namespace for o in cluster if o.kind == "ServiceAccount" and o.name == "flink") == ["flink-operator"]
    assert not [o for o in cluster if o.kind == "Role" and o.namespace == "streaming-dev"]


def test_nodes_rule_is_optional() -> None:
    def rules(cfg: dict[str, Any]) -> list[dict[str, Any]]:
        return next(o.obj for o in _objects(cfg) if o.kind == "Role" and o.namespace == "streaming-dev"
                    and o.name == "flink-operator")["rules"]

    assert not any("nodes" in r["resources"] for r in rules(_config()))
    assert {"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]} in rules(_config(nodesRule=True))


def test_every_operator_object_carries_the_recommended_labels() -> None:
    for o in _objects(_config(webhook={"enabled": True}, replicas=2)):
        if o.kind in ("CustomResourceDefinition",) or (o.kind == "Namespace" and o.name != "flink-operator"):
            continue
        if L.WORKLOAD in o.obj["metadata"]["labels"]:
            continue  # a workload of the dev stack (tests/components/workloads/test_component.py checks its labels)
        if o.obj["metadata"]["labels"].get(L.APP_COMPONENT) == GUARD_RAILS_COMPONENT:
            assert o.kind in ("ResourceQuota", "LimitRange") and o.obj["metadata"]["labels"][L.APP_NAME] == L.PART_OF
            continue  # a tenant namespace's guard rails, not an operator object
        labels = o.obj["metadata"]["labels"]
        assert labels[L.APP_NAME] == upstream.OPERATOR_APP_NAME, o.label
        assert labels[L.APP_VERSION] == "1.15.0" and labels[L.APP_MANAGED_BY] == "pulumi", o.label
        assert labels[L.APP_PART_OF] == L.PART_OF and labels[L.APP_INSTANCE] == "flink-operator", o.label
        assert labels[L.APP_COMPONENT] in ("operator", "webhook", "rbac", "network"), o.label


def test_webhook_needs_the_secret_config_value() -> None:
    config = _config(webhook={"enabled": True})
    del config[PASSWORD_KEY]
    with pytest.raises(Exception, match="webhookKeystorePassword"):
        run_program("dev", config)


def test_probes_ports_and_writable_dirs() -> None:
    spec = _one(_objects(_config()), "Deployment")["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {
        "metrics": upstream.OPERATOR_METRICS_PORT_DEFAULT, "health-port": upstream.OPERATOR_HEALTH_PORT}
    assert container["livenessProbe"]["httpGet"] == {"path": "/", "port": "health-port"}
    assert container["startupProbe"]["failureThreshold"] == 30
    writable = {m["mountPath"] for m in container["volumeMounts"]
                if next(v for v in spec["volumes"] if v["name"] == m["name"]).get("emptyDir") is not None}
    assert writable == {"/tmp", upstream.FLINK_ARTIFACTS_DIR}
    annotations = _one(_objects(_config()), "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations[L.PROMETHEUS_SCRAPE] == "true" and annotations[L.PROMETHEUS_PORT] == "9999"
