"""A real Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver and kube-controller-manager, no kubelet.

``python -m tools.kube_local build|start|stop|status|kubeconfig [--dir DIR]``

The binaries are built once per machine with the Go toolchain from the recipe in ``testbed/recipes/`` (its
``go.mod`` pins ``k8s.io/kubernetes`` and, through ``replace`` lines, every staging module at the matching
``v0.x`` release; etcd is ``go.etcd.io/etcd/server/v3`` at the version Kubernetes itself requires) and cached in
``~/.cache/flink-platform/kube/<version>/`` (see :mod:`testbed.go_build`); ``start`` builds them first if needed.

``start`` makes fresh certificates under ``<dir>/pki`` (a CA, the API server's serving certificate for 127.0.0.1,
a ``system:masters`` admin client certificate, the controller-manager's client certificate and the service-account
signing key), starts the three processes, each in its own process group with its output in ``<dir>/log``, waits
until ``/readyz`` answers ok and the controller-manager has created the ``default`` ServiceAccount, then writes
``<dir>/kubeconfig`` (context ``flink-platform-local``, cluster-admin) and ``<dir>/cluster.json``. If any step
fails it ends what it started and shows the log tails. ``stop`` ends the process groups (SIGTERM, SIGKILL after a
grace period) and removes the state file; etcd's data lives in ``<dir>/etcd`` and is removed by the next ``start``.
The API server writes an audit log (:attr:`KubeLocalCluster.audit_log`, every request at ``Metadata``
level with the authorizer's decision), so a test can count what was refused to whom. With ``egress_proxy`` the API
server sends its traffic into the cluster (webhooks behind a Service) through an HTTP CONNECT proxy on that Unix
socket (:mod:`testbed.kube.service_proxy`).
``status`` exits 0 only when all three processes run; ``kubeconfig`` prints the kubeconfig path.

The API server runs with ``--authorization-mode=Node,RBAC``, the admission plugins in :data:`ADMISSION_PLUGINS`
(added to the default-enabled ones) and ``--allow-privileged=true``, so a privileged pod is refused by Pod Security
admission, not by the API server's own switch.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from testbed import go_build
from testbed.process_groups import cmdline, is_alive, terminate_groups

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = PROJECT_ROOT / ".kube-local"
RECIPE_DIR = go_build.RECIPES_DIR / "kube"
LOOPBACK = "127.0.0.1"
CONTEXT = "flink-platform-local"
ADMIN_USER = "flink-platform-admin"
#: Admission plugins enabled on top of the API server's default set.
ADMISSION_PLUGINS = ("NamespaceLifecycle", "ServiceAccount", "PodSecurity", "LimitRanger", "ResourceQuota",
                     "MutatingAdmissionWebhook", "ValidatingAdmissionWebhook")
AUTHORIZATION_MODES = ("Node", "RBAC")
SERVICE_CIDR = "10.0.0.0/24"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
ROLES = ("etcd", "kube-apiserver", "kube-controller-manager")
DEFAULT_START_DEADLINE_S = 90.0
#: Every request at ``Metadata`` level: who asked for what, and what the authorizer decided; once answered
#: (``ResponseComplete``), and a watch also when it starts (``ResponseStarted``), as it completes only when it ends.
AUDIT_POLICY = {"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "omitStages": ["RequestReceived"],
                "rules": [{"level": "Metadata"}]}
DEFAULT_STOP_GRACE_S = 10.0
LOG_TAIL_LINES = 30

__all__ = ["KubeLocalCluster", "KubeLocalError", "kube_recipe", "kubernetes_version", "main"]


class KubeLocalError(RuntimeError):
    """The control plane could not be built, started or controlled; the message has log tails when useful."""


def kubernetes_version() -> str:
    """``k8s.io/kubernetes`` version the recipe pins, e.g. ``v1.34.4``."""
    return go_build.required_version(RECIPE_DIR / "go.mod", "k8s.io/kubernetes")


def version_ldflags(version: str) -> tuple[str, ...]:
    """``-X`` settings that make the binaries report ``version`` (as the upstream build does through
    hack/lib/version.sh); without them ``/version`` says v0.0.0 and clients take the server for an ancient one."""
    major, minor = version.lstrip("v").split(".")[:2]
    settings = []
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        settings += [f"{package}.gitVersion={version}", f"{package}.gitMajor={major}",
                     f"{package}.gitMinor={minor}", f"{package}.gitTreeState=clean"]
    return tuple(settings)


def kube_recipe() -> go_build.Recipe:
    version = kubernetes_version()
    return go_build.Recipe(
        directory=RECIPE_DIR,
        kind="kube",
        version=version,
        commands=(
            go_build.GoCommand("etcd", "go.etcd.io/etcd/server/v3"),
            go_build.GoCommand("kube-apiserver", "k8s.io/kubernetes/cmd/kube-apiserver", version_ldflags(version)),
            go_build.GoCommand("kube-controller-manager", "k8s.io/kubernetes/cmd/kube-controller-manager",
                               version_ldflags(version)),
        ),
    )


def ensure_binaries() -> dict:
    """Build (or reuse) etcd, kube-apiserver and kube-controller-manager; returns the build stamp."""
    return go_build.ensure_built(kube_recipe())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


# --- certificates ------------------------------------------------------------------------------------------------
def _pki(pki: Path) -> None:
    """CA, serving cert, admin and controller-manager client certs, service-account key pair (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    pki.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    later = now + datetime.timedelta(days=2)

    def key_pem(key) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    def name(cn: str, org: str | None = None) -> x509.Name:
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        if org:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
        return x509.Name(attrs)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("flink-platform-local-ca")
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(later)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    (pki / "ca.key").write_bytes(key_pem(ca_key))
    (pki / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))

    def leaf(file: str, subject: x509.Name, usage, sans=None) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(later)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                  critical=False))
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        (pki / f"{file}.key").write_bytes(key_pem(key))
        (pki / f"{file}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    service_ip = next(ipaddress.ip_network(SERVICE_CIDR).hosts())
    leaf("apiserver", name("kube-apiserver"), ExtendedKeyUsageOID.SERVER_AUTH,
         [x509.IPAddress(ipaddress.ip_address(LOOPBACK)), x509.IPAddress(service_ip), x509.DNSName("localhost"),
          x509.DNSName("kubernetes"), x509.DNSName("kubernetes.default"), x509.DNSName("kubernetes.default.svc"),
          x509.DNSName("kubernetes.default.svc.cluster.local")])
    leaf("admin", name(ADMIN_USER, "system:masters"), ExtendedKeyUsageOID.CLIENT_AUTH)
    leaf("controller-manager", name("system:kube-controller-manager"), ExtendedKeyUsageOID.CLIENT_AUTH)
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (pki / "sa.key").write_bytes(key_pem(sa_key))
    (pki / "sa.pub").write_bytes(sa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def kubeconfig_dict(server: str, pki: Path, user_file: str, *, user: str = ADMIN_USER,
                    contexts: tuple[str, ...] = (CONTEXT,)) -> dict:
    """A kubeconfig with the CA and the client certificate ``<pki>/<user_file>.crt/.key`` embedded.

    Every name in ``contexts`` is a context for the same cluster and user; the first is the current one.
    """
    def b64(file: str) -> str:
        return base64.b64encode((pki / file).read_bytes()).decode()

    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": server, "certificate-authority-data": b64("ca.crt")}}],
        "users": [{"name": user, "user": {"client-certificate-data": b64(f"{user_file}.crt"),
                                          "client-key-data": b64(f"{user_file}.key")}}],
        "contexts": [{"name": c, "context": {"cluster": CONTEXT, "user": user}} for c in contexts],
        "current-context": contexts[0],
    }


class KubeLocalCluster:
    """A control plane rooted at ``work_dir``. ``start()``/``stop()`` or use it as a context manager."""

    def __init__(self, work_dir: str | Path = DEFAULT_DIR, *,
                 start_deadline_s: float = DEFAULT_START_DEADLINE_S, egress_proxy: Path | None = None):
        self.work_dir = Path(work_dir).resolve()
        #: With a socket path, the API server dials into the cluster (webhooks behind a Service) through an HTTP
        #: CONNECT proxy there (:class:`testbed.kube.service_proxy.ServiceProxy`, kube-proxy's part).
        self.egress_proxy = Path(egress_proxy) if egress_proxy else None
        self.start_deadline_s = start_deadline_s
        self._procs: dict[str, subprocess.Popen] = {}
        self.port: int | None = None

    # --- paths ---------------------------------------------------------------------------------------------------
    @property
    def pki(self) -> Path:
        return self.work_dir / "pki"

    @property
    def log_dir(self) -> Path:
        return self.work_dir / "log"

    @property
    def audit_log(self) -> Path:
        """The API server's audit log: one JSON event per request (``Metadata`` level), with the authorizer's
        decision in ``annotations["authorization.k8s.io/decision"]``."""
        return self.work_dir / "audit" / "audit.log"

    def audit_events(self) -> list[dict]:
        """Every audit event logged so far."""
        if not self.audit_log.exists():
            return []
        text = self.audit_log.read_text(errors="replace")
        complete = text[:text.rfind("\n") + 1]  # a line still being written is read next time
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

    @property
    def state_file(self) -> Path:
        return self.work_dir / "cluster.json"

    @property
    def kubeconfig_path(self) -> Path:
        return self.work_dir / "kubeconfig"

    @property
    def server(self) -> str:
        port = self.port or self._read_state().get("port")
        if not port:
            raise KubeLocalError(f"no control plane state in {self.state_file}; start it first")
        return f"https://{LOOPBACK}:{port}"

    @property
    def ca_file(self) -> Path:
        return self.pki / "ca.crt"

    @property
    def admin_cert(self) -> tuple[str, str]:
        """(certificate, key) files of the cluster-admin client (``O=system:masters``)."""
        return str(self.pki / "admin.crt"), str(self.pki / "admin.key")

    def write_kubeconfig(self, path: str | Path, contexts: tuple[str, ...] = (CONTEXT,)) -> Path:
        """Write a cluster-admin kubeconfig whose contexts (all of ``contexts``) point at this control plane."""
        path = Path(path)
        path.write_text(yaml.safe_dump(kubeconfig_dict(self.server, self.pki, "admin", contexts=contexts)))
        path.chmod(0o600)
        return path

    # --- state ---------------------------------------------------------------------------------------------------
    def _read_state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def _owned_pids(self, state: dict) -> dict[str, int]:
        """Pids from the state file that are alive and whose command line names this work dir (pid reuse guard)."""
        return {role: pid for role, pid in state.get("pids", {}).items()
                if pid and is_alive(pid) and str(self.work_dir) in cmdline(pid)}

    # --- lifecycle -----------------------------------------------------------------------------------------------
    def start(self) -> KubeLocalCluster:
        stamp = ensure_binaries()
        bins = {name: Path(path) for name, path in stamp["binaries"].items()}
        if self._owned_pids(self._read_state()):
            raise KubeLocalError(f"a control plane is already running in {self.work_dir}; stop it first "
                                 f"(python -m tools.kube_local stop --dir {self.work_dir})")
        for stale in ("etcd", "pki", "log", "kcm-certs", "audit"):
            shutil.rmtree(self.work_dir / stale, ignore_errors=True)
        self.log_dir.mkdir(parents=True)
        started = time.monotonic()
        try:
            _pki(self.pki)
            self.audit_log.parent.mkdir(parents=True)
            (self.audit_log.parent / "policy.yaml").write_text(yaml.safe_dump(AUDIT_POLICY))
            etcd_client, etcd_peer = free_port(), free_port()
            self.port = free_port()
            kcm_port = free_port()
            self._spawn("etcd", [
                str(bins["etcd"]), "--name=local", f"--data-dir={self.work_dir / 'etcd'}",
                f"--listen-client-urls=http://{LOOPBACK}:{etcd_client}",
                f"--advertise-client-urls=http://{LOOPBACK}:{etcd_client}",
                f"--listen-peer-urls=http://{LOOPBACK}:{etcd_peer}",
                f"--initial-advertise-peer-urls=http://{LOOPBACK}:{etcd_peer}",
                f"--initial-cluster=local=http://{LOOPBACK}:{etcd_peer}",
                "--unsafe-no-fsync=true", "--quota-backend-bytes=2147483648", "--log-level=warn",
            ])
            self._write_state(etcd_client, kcm_port)
            self._spawn("kube-apiserver", [
                str(bins["kube-apiserver"]),
                f"--etcd-servers=http://{LOOPBACK}:{etcd_client}",
                f"--bind-address={LOOPBACK}", f"--advertise-address={LOOPBACK}", f"--secure-port={self.port}",
                f"--tls-cert-file={self.pki / 'apiserver.crt'}", f"--tls-private-key-file={self.pki / 'apiserver.key'}",
                f"--client-ca-file={self.ca_file}",
                f"--service-account-key-file={self.pki / 'sa.pub'}",
                f"--service-account-signing-key-file={self.pki / 'sa.key'}",
                f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                f"--authorization-mode={','.join(AUTHORIZATION_MODES)}",
                f"--enable-admission-plugins={','.join(ADMISSION_PLUGINS)}",
                "--allow-privileged=true", "--anonymous-auth=false", "--profiling=false",
                "--endpoint-reconciler-type=none", "--v=1",
                f"--audit-policy-file={self.audit_log.parent / 'policy.yaml'}", f"--audit-log-path={self.audit_log}",
                "--audit-log-maxsize=500", "--audit-log-mode=blocking", *self._egress_flags(),
            ])
            self._wait_ready("/readyz", "the API server")
            kcm_kubeconfig = self.work_dir / "controller-manager.kubeconfig"
            kcm_kubeconfig.write_text(yaml.safe_dump(kubeconfig_dict(
                self.server, self.pki, "controller-manager", user="system:kube-controller-manager")))
            self._spawn("kube-controller-manager", [
                str(bins["kube-controller-manager"]),
                f"--kubeconfig={kcm_kubeconfig}", f"--authentication-kubeconfig={kcm_kubeconfig}",
                f"--authorization-kubeconfig={kcm_kubeconfig}",
                f"--bind-address={LOOPBACK}", f"--secure-port={kcm_port}",
                f"--cert-dir={self.work_dir / 'kcm-certs'}",
                f"--root-ca-file={self.ca_file}", f"--service-account-private-key-file={self.pki / 'sa.key'}",
                f"--cluster-signing-cert-file={self.ca_file}", f"--cluster-signing-key-file={self.pki / 'ca.key'}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--use-service-account-credentials=true", "--leader-elect=false", "--profiling=false", "--v=1",
                # A quota that counts a kind the quota controller has just discovered (a new CRD's objects) gets
                # its usage at the next full resync: every 10 s here instead of every 5 min.
                "--resource-quota-sync-period=10s",
            ])
            self._wait_ready("/api/v1/namespaces/default/serviceaccounts/default",
                             "the controller-manager's default ServiceAccount")
            self.write_kubeconfig(self.kubeconfig_path)
            state = self._read_state()
            state["start_seconds"] = round(time.monotonic() - started, 2)
            self.state_file.write_text(json.dumps(state, indent=2) + "\n")
        except BaseException as exc:
            tails = self.log_tails()
            self._terminate(grace_s=2.0)
            if isinstance(exc, KubeLocalError):
                raise KubeLocalError(f"{exc}\n{tails}") from None
            if isinstance(exc, Exception):
                raise KubeLocalError(f"starting the control plane in {self.work_dir} failed: "
                                     f"{type(exc).__name__}: {exc}\n{tails}") from exc
            raise
        return self

    def _egress_flags(self) -> list[str]:
        if not self.egress_proxy:
            return []
        config = self.work_dir / "egress-selector.yaml"
        config.write_text(yaml.safe_dump({
            "apiVersion": "apiserver.k8s.io/v1beta1", "kind": "EgressSelectorConfiguration",
            "egressSelections": [{"name": "cluster", "connection": {
                "proxyProtocol": "HTTPConnect", "transport": {"uds": {"udsName": str(self.egress_proxy)}}}}]}))
        return [f"--egress-selector-config-file={config}"]

    def _spawn(self, role: str, argv: list[str]) -> None:
        with open(self.log_dir / f"{role}.log", "ab") as out:
            self._procs[role] = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                                 start_new_session=True, cwd=self.work_dir)
        state = self._read_state()
        state.setdefault("pids", {})[role] = self._procs[role].pid
        self.state_file.write_text(json.dumps(state, indent=2) + "\n")

    def _write_state(self, etcd_port: int, kcm_port: int) -> None:
        state = self._read_state()
        state.update({"server": self.server, "port": self.port, "etcd_port": etcd_port, "kcm_port": kcm_port,
                      "kubeconfig": str(self.kubeconfig_path), "version": kubernetes_version(),
                      "started_at": time.time()})
        self.state_file.write_text(json.dumps(state, indent=2) + "\n")

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.load_cert_chain(*self.admin_cert)
        return context

    def _wait_ready(self, path: str, what: str) -> None:
        end = time.monotonic() + self.start_deadline_s
        context = self.ssl_context()
        last = "no answer yet"
        while True:
            for role, proc in self._procs.items():
                if proc.poll() is not None:
                    raise KubeLocalError(f"{role} exited with code {proc.returncode} during start")
            try:
                with urllib.request.urlopen(self.server + path, context=context, timeout=2) as answer:
                    if answer.status == 200:
                        return
                    last = f"HTTP {answer.status}"
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
            except (OSError, ssl.SSLError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= end:
                raise KubeLocalError(f"GET {path} ({what}) did not answer 200 within {self.start_deadline_s} s "
                                     f"(last: {last})")
            time.sleep(0.1)

    def _terminate(self, *, grace_s: float) -> list[int]:
        pids = self._owned_pids(self._read_state())
        pids.update({role: p.pid for role, p in self._procs.items() if p.poll() is None})
        # the controller-manager and the API server first, etcd last
        order = [pids[r] for r in reversed(ROLES) if r in pids]
        survivors, _ = terminate_groups(order, grace_s=grace_s, reap=list(self._procs.values()))
        self._procs.clear()
        self.state_file.unlink(missing_ok=True)
        return survivors

    def stop(self, grace_s: float = DEFAULT_STOP_GRACE_S) -> None:
        survivors = self._terminate(grace_s=grace_s)
        if survivors:
            raise KubeLocalError(f"processes {survivors} of the control plane in {self.work_dir} survived SIGKILL")

    def status(self) -> dict:
        state = self._read_state()
        alive = self._owned_pids(state)
        kind = "stopped" if not alive else "running" if len(alive) == len(ROLES) else "degraded"
        return {"state": kind, "server": state.get("server"), "pids": state.get("pids", {}),
                "alive": {role: role in alive for role in ROLES}, "kubeconfig": state.get("kubeconfig")}

    def log_tails(self, lines: int = LOG_TAIL_LINES) -> str:
        parts = []
        for path in sorted(self.log_dir.glob("*.log")) if self.log_dir.is_dir() else []:
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"----- {path} (last {len(text)} lines) -----\n" + "\n".join(text))
        return "\n".join(parts) or f"(no logs in {self.log_dir})"

    def __enter__(self) -> KubeLocalCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m tools.kube_local", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build", "start", "stop", "status", "kubeconfig"])
    parser.add_argument("--dir", default=str(DEFAULT_DIR), help="work dir (default: .kube-local in the project)")
    parser.add_argument("--deadline", type=float, default=DEFAULT_START_DEADLINE_S, help="start deadline (s)")
    args = parser.parse_args(argv)
    cluster = KubeLocalCluster(args.dir, start_deadline_s=args.deadline)
    try:
        if args.command == "build":
            stamp = ensure_binaries()
            print(f"{stamp['version']} built in {stamp['seconds']:.0f} s on {stamp['built_at']} with {stamp['go']}: "
                  + " ".join(stamp["binaries"].values()))
        elif args.command == "start":
            cluster.start()
            print(f"{cluster.server} kubeconfig {cluster.kubeconfig_path} "
                  f"(started in {cluster._read_state().get('start_seconds')} s)")
        elif args.command == "stop":
            cluster.stop()
            print(f"stopped ({cluster.work_dir})")
        elif args.command == "kubeconfig":
            if cluster.status()["state"] != "running":
                print(f"no running control plane in {cluster.work_dir}", file=sys.stderr)
                return 1
            print(cluster.kubeconfig_path)
        else:
            status = cluster.status()
            down = [role for role, ok in status["alive"].items() if not ok]
            detail = f" ({', '.join(down)} not running)" if status["state"] == "degraded" else ""
            print(f"{status['state']}{detail} {status['server'] or ''}".rstrip())
            return 0 if status["state"] == "running" else 1
    except (KubeLocalError, go_build.GoBuildError, go_build.GoPrerequisiteError) as exc:
        print(f"kube_local {args.command} failed: {exc}", file=sys.stderr)
        return 1
    return 0
