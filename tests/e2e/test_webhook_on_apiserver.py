"""The real operator webhook (``FlinkOperatorWebhook`` 1.15.0, built from ``../shared``) serves the plan's own
Validating and MutatingWebhookConfigurations on a local control plane, for every stack that runs a webhook.

The control plane dials into the cluster through an HTTP CONNECT proxy (:mod:`testbed.kube.service_proxy`,
kube-proxy's part): the webhook configurations stay as the plan renders them (a ``service`` reference to
``flink-operator-webhook-service``), the API server resolves that Service to its ClusterIP and the proxy takes
``<ClusterIP>:443`` to the webhook JVM, so TLS runs end to end with the Service's DNS name as server name.

The keystore: the cert-manager controller (``testbed/certmanager``) was not built on this machine when this was
written, so the test makes what the plan's Certificate asks cert-manager for, from its exact fields (the selfSigned
Issuer's self-signed certificate for ``spec.commonName`` and ``spec.dnsNames``, a PKCS12 keystore under the password
of ``spec.keystores.pkcs12.passwordSecretRef``, the Secret ``spec.secretName`` with ``tls.crt``, ``tls.key``,
``ca.crt`` and ``keystore.p12``), and sets each webhook's ``caBundle`` as cert-manager's CA injector would
(``test_cert_manager.py`` shows the real controller doing both for the same objects).

Shown: a FlinkDeployment the operator's validator refuses (``spec.job.parallelism: -1``) is refused by the API
server with the operator's own message; the plan's own FlinkDeployment (under another name) is admitted.
"""

from __future__ import annotations

import base64
import copy
import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from components.operator import upstream
from tests.conftest import platform_config
from tests.e2e import plan_objects as po
from tests.e2e.kubeapi import FIELD_MANAGER, KubeApi, KubeApiError
from tests.e2e.test_stacks_on_apiserver import EXTERNAL_GROUPS, WEBHOOK_KINDS, apply_all
from tests.local_clusters import running
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


def issue_keystore(certificate: dict, password: str) -> dict[str, str]:
    """The Secret data cert-manager writes for ``certificate`` from a selfSigned Issuer, base64-encoded."""
    spec = certificate["spec"]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, spec["commonName"])])
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in spec["dnsNames"]]), critical=False)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    keystore = pkcs12.serialize_key_and_certificates(b"certificate", key, cert, [cert],
                                                     serialization.BestAvailableEncryption(password.encode()))
    raw = {"tls.crt": cert_pem, "tls.key": key_pem, "ca.crt": cert_pem, "keystore.p12": keystore}
    return {k: base64.b64encode(v).decode() for k, v in raw.items()}


@pytest.fixture(scope="module", params=STACKS)
def webhook_bed(request, tmp_path_factory, committed_plans: dict[str, Path]):
    stack = request.param
    work = tmp_path_factory.mktemp(f"webhook-{stack}")
    proxy = ServiceProxy(work / "egress.sock").start()
    objects = po.load_objects(committed_plans[stack])
    cluster = KubeLocalCluster(tmp_path_factory.mktemp(f"kube-webhook-{stack}"), egress_proxy=proxy.socket_path)
    replicas: list[run.WebhookReplica] = []
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
            hooks = []
            for install in run.operator_installs(objects):
                certificate = next(o for o in objects if o["kind"] == "Certificate"
                                   and o["metadata"]["namespace"] == install.namespace)
                data = issue_keystore(certificate, TEST_PASSWORD)
                kube.apply({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "data": data,
                            "metadata": {"name": certificate["spec"]["secretName"], "namespace": install.namespace}})
                replica = run.WebhookReplica(install, plane, work / install.namespace, "webhook-0")
                replicas.append(replica)
                replica.start()
                service = kube.get(f"/api/v1/namespaces/{install.namespace}/services/"
                                   f"{upstream.WEBHOOK_SERVICE_NAME}")
                proxy.route(service["spec"]["clusterIP"], service["spec"]["ports"][0]["port"], replica.webhook_port)
                for hook in (o for o in objects if o["kind"] in WEBHOOK_KINDS and o["metadata"]["annotations"]
                             ["cert-manager.io/inject-ca-from"] == f"{install.namespace}/"
                                                                   f"{certificate['metadata']['name']}"):
                    hook = copy.deepcopy(hook)
                    for entry in hook["webhooks"]:  # cert-manager's CA injector
                        entry["clientConfig"]["caBundle"] = data["ca.crt"]
                    kube.apply(hook)
                    hooks.append(hook)
            yield {"stack": stack, "kube": kube, "objects": objects, "hooks": hooks, "proxy": proxy,
                   "replicas": replicas}
            kube.close()
    finally:
        for replica in replicas:
            replica.stop()
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
