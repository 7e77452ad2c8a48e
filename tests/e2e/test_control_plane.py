"""The control plane behaves as a cluster's would: admission plugins act, the controller-manager's controllers run."""

from __future__ import annotations

import time

import pytest

from tests.e2e.kubeapi import KubeApi, KubeApiError

pytestmark = pytest.mark.kube

POD = {"apiVersion": "v1", "kind": "Pod",
       "spec": {"containers": [{"name": "main", "image": "flink:2.3"}]}}


def namespace(kube: KubeApi, name: str, labels: dict | None = None) -> str:
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}})
    return name


def pod(ns: str, name: str = "probe") -> dict:
    return {**POD, "metadata": {"name": name, "namespace": ns}}


def wait_for(what: str, check, deadline_s: float = 60.0):
    end = time.monotonic() + deadline_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= end:
            raise TimeoutError(f"{what} did not happen within {deadline_s} s")
        time.sleep(0.2)


def test_resource_quota_is_computed_by_the_controller_and_enforced(kube: KubeApi):
    ns = namespace(kube, "e2e-quota")
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "no-pods", "namespace": ns},
             "spec": {"hard": {"pods": "0"}}}
    kube.apply(quota)
    wait_for("the quota controller filling in status.hard",
             lambda: (kube.read(quota).get("status") or {}).get("hard"))
    with pytest.raises(KubeApiError) as refused:
        kube.create(pod(ns), dry_run=True)
    assert refused.value.status == 403 and "exceeded quota: no-pods" in str(refused.value)


def test_limit_ranger_fills_in_default_limits(kube: KubeApi):
    ns = namespace(kube, "e2e-limits")
    kube.apply({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults", "namespace": ns},
                "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "256Mi"}}]}})
    created = kube.create(pod(ns), dry_run=True).body
    assert created["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi"}


def test_service_account_admission_and_token_controllers(kube: KubeApi):
    ns = namespace(kube, "e2e-accounts")
    wait_for("the default ServiceAccount of a new namespace", lambda: _exists(
        kube, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns}}))
    wait_for("the root CA ConfigMap of a new namespace", lambda: _exists(
        kube, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": ns}}))
    created = kube.create(pod(ns), dry_run=True).body
    assert created["spec"]["serviceAccountName"] == "default"
    assert any(v.get("projected") for v in created["spec"].get("volumes", [])), "no projected token volume"
    missing = pod(ns)
    missing["spec"] = {**missing["spec"], "serviceAccountName": "nobody"}
    with pytest.raises(KubeApiError) as refused:
        kube.create(missing, dry_run=True)
    assert "nobody" in str(refused.value)


def _exists(kube: KubeApi, obj: dict) -> bool:
    try:
        kube.read(obj)
        return True
    except KubeApiError as exc:
        if exc.status == 404:
            return False
        raise


@pytest.mark.parametrize("kind", ["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"])
def test_webhook_admission_calls_the_registered_webhooks(kube: KubeApi, kind: str):
    """A webhook that cannot be reached, with failurePolicy Fail, refuses exactly the namespaces it selects."""
    selected = namespace(kube, f"e2e-webhook-{kind.lower()[:8]}", {"e2e-webhook": kind})
    other = namespace(kube, "e2e-webhook-unselected")
    config = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind,
              "metadata": {"name": f"e2e-unreachable-{kind.lower()}"},
              "webhooks": [{"name": "unreachable.e2e.flink-platform.invalid", "admissionReviewVersions": ["v1"],
                            "sideEffects": "None", "failurePolicy": "Fail", "timeoutSeconds": 2,
                            "clientConfig": {"url": "https://127.0.0.1:1/validate"},
                            "namespaceSelector": {"matchLabels": {"e2e-webhook": kind}},
                            "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                                       "resources": ["configmaps"]}]}]}
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}}
    kube.apply(config)
    try:
        def refused():
            try:
                kube.create({**configmap, "metadata": {"name": "probe", "namespace": selected}}, dry_run=True)
                return None
            except KubeApiError as exc:
                return exc
        error = wait_for("the webhook configuration taking effect", refused, 30)
        assert "failed calling webhook" in str(error) and "unreachable.e2e.flink-platform.invalid" in str(error)
        kube.create({**configmap, "metadata": {"name": "probe", "namespace": other}}, dry_run=True)
    finally:
        kube.delete(config)


def test_apply_refuses_unknown_fields_and_a_changed_apply_bumps_the_resource_version(kube: KubeApi):
    """What the stack tests rely on: strict field validation, and resourceVersion as the 'changed' signal."""
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe", "namespace": "default"},
              "data": {"a": "1"}}
    with pytest.raises(KubeApiError) as refused:
        kube.apply({**config, "dataa": {"a": "1"}})
    assert ".dataa: field not declared in schema" in str(refused.value)  # SSA answers this with HTTP 500
    try:
        first = kube.apply(config).body["metadata"]["resourceVersion"]
        assert kube.apply(config).body["metadata"]["resourceVersion"] == first
        assert kube.apply({**config, "data": {"a": "2"}}).body["metadata"]["resourceVersion"] != first
    finally:
        kube.delete(config)
