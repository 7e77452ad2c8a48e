"""The real operator webhook (``FlinkOperatorWebhook`` 1.15.0, built from ``../shared``) serves the plan's own
Validating and MutatingWebhookConfigurations on a local control plane, for every stack that runs a webhook.

The control plane dials into the cluster through an HTTP CONNECT proxy (:mod:`testbed.kube.service_proxy`,
kube-proxy's part): the webhook configurations stay as the plan renders them (a ``service`` reference to
``flink-operator-webhook-service``), the API server resolves that Service to its ClusterIP and the proxy takes
``<ClusterIP>:443`` to the webhook JVM, so TLS runs end to end with the Service's DNS name as server name.

The keystore: the real cert-manager controller (``testbed/certmanager``, built from its module) issues it from the
plan's own selfSigned Issuer and Certificate (cert-manager's CRDs from the module applied first), into the
Certificate's Secret the webhook mounts; its CA injector sets each plan webhook configuration's ``caBundle`` from the
``cert-manager.io/inject-ca-from`` annotation, as on a real cluster (``test_cert_manager.py`` checks the keystore
itself field by field).

Shown: a FlinkDeployment the operator's validator refuses (``spec.job.parallelism: -1``) is refused by the API
server with the operator's own message; the plan's own FlinkDeployment (under another name) is admitted.
"""

from __future__ import annotations

import base64
import copy
from pathlib import Path

import pytest

from components.operator import upstream
from tests.conftest import platform_config
from tests.e2e import plan_objects as po
from tests.e2e.kubeapi import FIELD_MANAGER, KubeApi, KubeApiError
from tests.e2e.test_cert_manager import wait_injected, wait_ready
from tests.e2e.test_stacks_on_apiserver import EXTERNAL_GROUPS, WEBHOOK_KINDS, apply_all
from tests.local_clusters import running
from testbed.certmanager import controller as cm
from testbed.kube.control_plane import KubeLocalCluster
from testbed.kube.service_proxy import ServiceProxy
from testbed.operator import run

pytestmark = pytest.mark.kube

STACKS = ("staging", "prod")  # the stacks with operator.webhook.enabled
TEST_PASSWORD = "e2e-keystore-password"


def test_these_are_the_stacks_with_a_webhook() -> None:
    from tests.conftest import STACKS as ALL

    def webhooks(stack: str) -> bool:
        config = platform_config(stack)
        operators = [config["operator"], *(t["operator"] for t in config["tenants"] if t.get("operator"))]
        return any((o.get("webhook") or {}).get("enabled") for o in operators)

    assert tuple(s for s in ALL if webhooks(s)) == STACKS


@pytest.fixture(scope="module", params=STACKS)
def webhook_bed(request, tmp_path_factory, committed_plans: dict[str, Path]):
    stack = request.param
    work = tmp_path_factory.mktemp(f"webhook-{stack}")
    proxy = ServiceProxy(work / "egress.sock").start()
    objects = po.load_objects(committed_plans[stack])
    cluster = KubeLocalCluster(tmp_path_factory.mktemp(f"kube-webhook-{stack}"), egress_proxy=proxy.socket_path)
    replicas: list[run.WebhookReplica] = []
    controller: cm.CertManagerController | None = None
    try:
        for cluster in running(cluster, request, "kube"):
            kube = KubeApi(cluster.server, str(cluster.ca_file), cert=cluster.admin_cert)
            plane = run.ControlPlane(cluster.server, cluster.ca_file, cluster.admin_cert)
            plain = [o for o in objects if o["apiVersion"].split("/")[0] not in EXTERNAL_GROUPS
                     and o["kind"] not in WEBHOOK_KINDS]
            for secret in plain:
                if secret["kind"] == "Secret" and secret["metadata"]["name"] == upstream.WEBHOOK_PASSWORD_SECRET:
                    secret["stringData"] = {upstream.WEBHOOK_PASSWORD_SECRET_KEY: TEST_PASSWORD}
            apply_all(kube, plain, f"{FIELD_MANAGER}-{stack}")
            # the real cert-manager controller issues each webhook's keystore from the plan's Issuer and Certificate
            for crd in cm.crd_objects():
                kube.apply(crd)
                kube.wait_established(crd["metadata"]["name"])
            issuers = [o for o in objects if o["kind"] == "Issuer"]
            certificates = [o for o in objects if o["kind"] == "Certificate"]
            for o in (*issuers, *certificates):
                kube.apply(o)
            controller = cm.CertManagerController(work / "cert-manager", cluster.write_kubeconfig(
                work / "kubeconfig")).start()
            wait_ready(kube, issuers + certificates, controller)
            hooks = []
            for install in run.operator_installs(objects):
                certificate = next(o for o in certificates if o["metadata"]["namespace"] == install.namespace)
                secret = kube.get(f"/api/v1/namespaces/{install.namespace}/secrets/"
                                  f"{certificate['spec']['secretName']}")
                ca = base64.b64decode(secret["data"]["ca.crt"])
                replica = run.WebhookReplica(install, plane, work / install.namespace, "webhook-0")
                replicas.append(replica)
                replica.start()
                service = kube.get(f"/api/v1/namespaces/{install.namespace}/services/"
                                   f"{upstream.WEBHOOK_SERVICE_NAME}")
                proxy.route(service["spec"]["clusterIP"], service["spec"]["ports"][0]["port"], replica.webhook_port)
                for hook in (o for o in objects if o["kind"] in WEBHOOK_KINDS and o["metadata"]["annotations"]
                             [upstream.CERT_MANAGER_INJECT_CA_ANNOTATION] == f"{install.namespace}/"
                                                                          f"{certificate['metadata']['name']}"):
                    kube.apply(hook)  # as rendered: cert-manager's CA injector sets each webhook's caBundle
                    wait_injected(kube, hook, ca, controller)
                    hooks.append(kube.read(hook))
            yield {"stack": stack, "kube": kube, "objects": objects, "hooks": hooks, "proxy": proxy,
                   "replicas": replicas}
            kube.close()
    finally:
        for replica in replicas:
            replica.stop()
        if controller is not None:
            controller.stop()
        proxy.stop()


def _flink_deployments(bed: dict) -> list[dict]:
    return [o for o in bed["objects"] if o["kind"] == "FlinkDeployment"]


def test_the_plans_webhook_configurations_are_served(webhook_bed: dict) -> None:
    installs = run.operator_installs(webhook_bed["objects"])
    assert len(webhook_bed["hooks"]) == 2 * len(installs)  # a validating and a mutating one per operator
    assert all(r.alive() for r in webhook_bed["replicas"])


def test_a_bad_flink_deployment_is_refused_with_the_operators_message(webhook_bed: dict) -> None:
    kube: KubeApi = webhook_bed["kube"]
    for original in _flink_deployments(webhook_bed):
        bad = copy.deepcopy(original)
        bad["metadata"] = {"name": f"{original['metadata']['name']}-bad", "namespace": original["metadata"]["namespace"]}
        bad["spec"].setdefault("job", {"jarURI": "local:///opt/flink/examples/streaming/StateMachineExample.jar"})
        bad["spec"]["job"]["parallelism"] = -1
        with pytest.raises(KubeApiError) as refused:
            kube.create(bad)
        message = str(refused.value)
        assert refused.value.status == 403 and "validationwebhook.flink.apache.org" in message, message
        assert "Job parallelism must be larger than 0" in message, message


def test_the_plans_own_flink_deployment_is_admitted(webhook_bed: dict) -> None:
    kube: KubeApi = webhook_bed["kube"]
    proxy: ServiceProxy = webhook_bed["proxy"]
    for original in _flink_deployments(webhook_bed):
        before = sum(proxy.bytes_sent.values())
        good = copy.deepcopy(original)
        good["metadata"] = {**original["metadata"], "name": f"{original['metadata']['name']}-copy"}
        created = kube.create(good).body
        assert created["spec"]["job" if "job" in good["spec"] else "flinkVersion"] is not None
        assert sum(proxy.bytes_sent.values()) > before, "the API server never called the webhook"
        kube.delete(good)
