"""A real cert-manager controller (v1.18.2, built from its Go module by ``testbed.certmanager.controller``) issues the
operator webhook's keystore from the plan's own Issuer and Certificate, on a real local control plane.

For staging and prod (the stacks with a webhook; prod has two operators with one each): cert-manager's six CRDs from
the module are applied, then the plan's objects the certificate needs, exactly as rendered (each operator's
Namespace, the keystore password Secret with a test password in place of the plan's ``[secret]``, the selfSigned
Issuer, the Certificate) with strict server-side apply, so the API server judges the plan's cert-manager objects
with the release's schemas. Then the controller runs against the control plane and must bring every Issuer and
Certificate to Ready and write the Certificate's Secret (``webhook-server-cert``) with a PKCS12 keystore that opens
with the password from the password Secret, holding the key and certificate of ``tls.key``/``tls.crt``, for the
Certificate's exact DNS names and common name. A wrong password does not open it. The plan's Validating and
Mutating webhook configurations (annotated ``cert-manager.io/inject-ca-from: <namespace>/<certificate>``) get that
Certificate's CA as every webhook's ``caBundle`` from the controller's CA injector, as the API server needs to trust
the webhook's serving certificate.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from components.operator import upstream
from tests.e2e import plan_objects as po
from tests.e2e.kubeapi import KubeApi
from testbed.certmanager import controller as cm

pytestmark = pytest.mark.kube

STACKS = ("staging", "prod")
ISSUE_DEADLINE_S = 120.0
TEST_PASSWORD = "e2e-keystore-password"


@pytest.fixture(scope="module")
def cm_cluster(tmp_path_factory, request):
    from tests.kube_fixtures import start_kube_cluster

    yield from start_kube_cluster(tmp_path_factory, request, "kube-cert-manager")


WEBHOOK_KINDS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")


def certificate_objects(objects: list[dict]) -> list[dict]:
    """What the plan's Certificates need: each webhook operator's Namespace, password Secret, Issuer, Certificate,
    and the webhook configurations whose CA they inject."""
    certificates = [o for o in objects if o["kind"] == "Certificate"]
    namespaces = {c["metadata"]["namespace"] for c in certificates}
    wanted = []
    for o in objects:
        meta = o["metadata"]
        if o["kind"] == "Namespace" and meta["name"] in namespaces:
            wanted.append(o)
        elif o["kind"] in WEBHOOK_KINDS:
            wanted.append(o)
        elif meta.get("namespace") in namespaces and (
                o["kind"] in ("Issuer", "Certificate")
                or (o["kind"] == "Secret" and meta["name"] == upstream.WEBHOOK_PASSWORD_SECRET)):
            wanted.append(o)
    return wanted


def with_test_password(secret: dict) -> dict:
    assert set(secret["stringData"]) == {upstream.WEBHOOK_PASSWORD_SECRET_KEY}
    assert secret["stringData"][upstream.WEBHOOK_PASSWORD_SECRET_KEY] == "[secret]", "the plan never shows it"
    return {**secret, "stringData": {upstream.WEBHOOK_PASSWORD_SECRET_KEY: TEST_PASSWORD}}


def condition(obj: dict, kind: str = "Ready") -> dict | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == kind), None)


def wait_ready(kube: KubeApi, objs: list[dict], controller: cm.CertManagerController) -> None:
    end = time.monotonic() + ISSUE_DEADLINE_S
    while True:
        states = {po.label(o): condition(kube.read(o)) for o in objs}
        if all(c and c.get("status") == "True" for c in states.values()):
            return
        assert controller.running, f"the controller exited:\n{controller.log_tail()}"
        if time.monotonic() > end:
            raise AssertionError(f"not Ready after {ISSUE_DEADLINE_S} s: {states}\n{controller.log_tail()}")
        time.sleep(0.5)


def wait_injected(kube: KubeApi, hook: dict, ca: bytes, controller: cm.CertManagerController) -> None:
    end = time.monotonic() + ISSUE_DEADLINE_S
    while True:
        bundles = [base64.b64decode(w["clientConfig"].get("caBundle") or "") for w in kube.read(hook)["webhooks"]]
        if bundles and all(b == ca for b in bundles):
            return
        assert controller.running, f"the controller exited:\n{controller.log_tail()}"
        if time.monotonic() > end:
            raise AssertionError(f"{po.label(hook)}: caBundle not injected after {ISSUE_DEADLINE_S} s "
                                 f"({[len(b) for b in bundles]} bytes)\n{controller.log_tail()}")
        time.sleep(0.5)


@pytest.mark.parametrize("stack", STACKS)
def test_cert_manager_issues_the_webhook_keystore_of_the_plan(stack: str, cm_cluster, committed_plans,
                                                              tmp_path: Path) -> None:
    kube = KubeApi(cm_cluster.server, str(cm_cluster.ca_file), cert=cm_cluster.admin_cert)
    objects = certificate_objects(po.load_objects(committed_plans[stack]))
    certificates = [o for o in objects if o["kind"] == "Certificate"]
    issuers = [o for o in objects if o["kind"] == "Issuer"]
    assert certificates and len(certificates) == len(issuers)
    if stack == "prod":
        assert len(certificates) == 2, "prod: the shared operator's webhook and the search tenant's"
    ca_of: dict[str, bytes] = {}
    try:
        for crd in cm.crd_objects():
            kube.apply(crd)
            kube.wait_established(crd["metadata"]["name"])
        for kind in ("Namespace", "Secret", "Issuer", "Certificate", *WEBHOOK_KINDS):
            for o in (o for o in objects if o["kind"] == kind):
                kube.apply(with_test_password(o) if kind == "Secret" else o)

        controller = cm.CertManagerController(tmp_path / "cert-manager", cm_cluster.write_kubeconfig(
            tmp_path / "kubeconfig"))
        with controller:
            wait_ready(kube, issuers + certificates, controller)
            for certificate in certificates:
                spec = certificate["spec"]
                namespace = certificate["metadata"]["namespace"]
                assert spec["secretName"] == upstream.WEBHOOK_CERT_SECRET
                secret = kube.get(f"/api/v1/namespaces/{namespace}/secrets/{spec['secretName']}")
                data = {k: base64.b64decode(v) for k, v in secret["data"].items()}
                assert {"tls.crt", "tls.key", "ca.crt", upstream.WEBHOOK_KEYSTORE_KEY} <= set(data), sorted(data)
                password_ref = spec["keystores"]["pkcs12"]["passwordSecretRef"]
                assert password_ref == {"name": upstream.WEBHOOK_PASSWORD_SECRET,
                                        "key": upstream.WEBHOOK_PASSWORD_SECRET_KEY}
                key, cert, _ = pkcs12.load_key_and_certificates(data[upstream.WEBHOOK_KEYSTORE_KEY],
                                                                TEST_PASSWORD.encode())
                tls_cert = x509.load_pem_x509_certificate(data["tls.crt"])
                tls_key = serialization.load_pem_private_key(data["tls.key"], None)
                assert cert == tls_cert
                assert key.public_key().public_numbers() == tls_key.public_key().public_numbers()
                sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                assert sorted(sans.get_values_for_type(x509.DNSName)) == sorted(spec["dnsNames"])
                assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == spec["commonName"]
                with pytest.raises(ValueError):
                    pkcs12.load_key_and_certificates(data[upstream.WEBHOOK_KEYSTORE_KEY], b"not-the-password")
                ca_of[f"{namespace}/{certificate['metadata']['name']}"] = data["ca.crt"]
            hooks = [o for o in objects if o["kind"] in WEBHOOK_KINDS]
            assert len(hooks) == 2 * len(certificates)
            for hook in hooks:
                source = hook["metadata"]["annotations"][upstream.CERT_MANAGER_INJECT_CA_ANNOTATION]
                wait_injected(kube, hook, ca_of[source], controller)
        assert not controller.running
    finally:
        for o in reversed(objects):
            if o["kind"] != "Namespace":
                kube.delete(o)
        for certificate in certificates:  # the Secret cert-manager wrote (no owner reference by default)
            kube.delete({"apiVersion": "v1", "kind": "Secret", "metadata": {
                "namespace": certificate["metadata"]["namespace"], "name": certificate["spec"]["secretName"]}})
        kube.close()
