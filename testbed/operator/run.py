"""The real operator as plain JVMs against a local control plane, as the plan installs it.

:func:`operator_installs` reads every operator a rendered plan installs (its Deployment, its ``flink-operator-config``
ConfigMap and its ServiceAccount). :class:`OperatorReplica` runs one replica of one of them as a pod would run it:

- **identity**: a token from the TokenRequest API for exactly the Deployment's ``serviceAccountName``, in a kubeconfig
  of its own (``KUBECONFIG``), so the API server's authorizer judges every call with the plan's RBAC and nothing else;
- **configuration**: the ConfigMap's items written into ``FLINK_CONF_DIR`` as the Deployment's config volume lays them
  out (``config.yaml`` and the log files as rendered, read from the live ConfigMap as the kubelet reads it);
  ``LOG_CONFIG`` and ``JVM_ARGS`` from the container's env with the mount path replaced by the local directory;
  ``OPERATOR_NAMESPACE``/``OPERATOR_NAME`` from the env, ``HOSTNAME`` a pod name (the leader-election identity);
- **what a pod has and a shared host does not** goes into ``CONF_OVERRIDE_DIR`` (the operator's own override
  mechanism, on top of ``FLINK_CONF_DIR``), listed in :data:`HOST_OVERRIDES`: free ports for the health probe and the
  Prometheus reporter (each pod has its own network namespace), the artifacts ``emptyDir`` as a local directory, and
  the dynamic-config check interval (see :meth:`OperatorReplica.sync_config`);
- **name resolution**: the machine has no DNS, so the JVM gets a hosts file (``-Djdk.net.hosts.file``) mapping the
  given names (e.g. a FlinkSessionJob's jar host) and nothing else; every other name is unknown, as in a cluster
  without that record.

Each JVM runs in its own process group with its output in ``<work_dir>/operator.log``. A start that fails raises
:class:`OperatorStartError` naming the step and the log, and ends what it started; :meth:`OperatorReplica.stop`
ends the group (SIGTERM, then SIGKILL), :meth:`OperatorReplica.kill` SIGKILLs it (a crashed pod).
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from components.operator import upstream
from testbed.kube.control_plane import free_port
from testbed.operator.build import OPERATOR_MAIN, WEBHOOK_MAIN, classpath, ensure_operator_built
from testbed.process_groups import is_alive, kill_groups, terminate_groups

LOG_FILE = "operator.log"
LOG_TAIL_LINES = 60
TOKEN_SECONDS = 3600
DEFAULT_START_DEADLINE_S = 240.0
#: Operator settings a plain JVM on a shared host needs instead of the pod's own (see the module docstring).
KEY_ARTIFACTS_DIR = "kubernetes.operator.user.artifacts.base.dir"
#: The kubelet refreshes a mounted ConfigMap within about a minute and the operator re-reads its config every
#: ``dynamic.config.check.interval`` (5 min by default); here :meth:`OperatorReplica.sync_config` writes the live
#: ConfigMap at once and the operator checks every few seconds, so a test waits seconds, not minutes.
DYNAMIC_CONFIG_CHECK_INTERVAL = "3 s"
HOST_OVERRIDES = (upstream.KEY_HEALTH_PROBE_PORT, upstream.KEY_PROM_PORT, KEY_ARTIFACTS_DIR,
                  upstream.KEY_DYNAMIC_CONFIG_INTERVAL)
#: Leader-election settings the operator takes from its config (KubernetesOperatorConfigOptions), with JOSDK's
#: defaults (LeaderElectionConfiguration) when the config leaves them out.
KEY_LEASE_DURATION = "kubernetes.operator.leader-election.lease-duration"
KEY_RENEW_DEADLINE = "kubernetes.operator.leader-election.renew-deadline"
KEY_RETRY_PERIOD = "kubernetes.operator.leader-election.retry-period"
LEASE_DEFAULTS_S = {KEY_LEASE_DURATION: 15.0, KEY_RENEW_DEADLINE: 10.0, KEY_RETRY_PERIOD: 2.0}

__all__ = ["ControlPlane", "OperatorInstall", "OperatorReplica", "OperatorStartError", "operator_installs",
           "WebhookReplica", "credential_id", "lease", "request_token"]


class OperatorStartError(RuntimeError):
    """An operator replica did not start; the message names the step and the log (with its tail)."""


@dataclass(frozen=True)
class ControlPlane:
    """Where the API server is and how the test bed talks to it as cluster-admin (the kubelet's and the
    TokenRequest caller's part); the operator itself never gets these credentials."""

    server: str
    ca_file: Path
    admin_cert: tuple[str, str]

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.load_cert_chain(*self.admin_cert)
        return context

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.server + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", "Accept": "application/json"})
        with urllib.request.urlopen(request, context=self.ssl_context(), timeout=30) as answer:
            return json.loads(answer.read())

    def get_or_none(self, path: str) -> dict[str, Any] | None:
        try:
            return self.call("GET", path)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise


def request_token(plane: ControlPlane, namespace: str, service_account: str,
                  seconds: int = TOKEN_SECONDS) -> str:
    """A token for exactly ServiceAccount ``namespace/service_account`` from the TokenRequest API."""
    review = plane.call("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{service_account}/token",
                        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                         "spec": {"expirationSeconds": seconds}})
    return review["status"]["token"]


def credential_id(token: str) -> str:
    """The credential id the API server records for a ServiceAccount token (``JTI=<jti claim>``)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return f"JTI={claims['jti']}"


@dataclass(frozen=True)
class OperatorInstall:
    """One operator of a plan: its namespace, Deployment and ConfigMap, and what follows from them."""

    namespace: str
    deployment: dict[str, Any]
    config_map: dict[str, Any]

    @property
    def pod_spec(self) -> dict[str, Any]:
        return self.deployment["spec"]["template"]["spec"]

    @property
    def container(self) -> dict[str, Any]:
        return next(c for c in self.pod_spec["containers"] if c["name"] == upstream.OPERATOR_CONTAINER_NAME)

    @property
    def service_account(self) -> str:
        return self.pod_spec.get("serviceAccountName") or "default"

    @property
    def replicas(self) -> int:
        return int(self.deployment["spec"].get("replicas", 1))

    @property
    def config(self) -> dict[str, Any]:
        return yaml.safe_load(self.config_map["data"][upstream.CONFIG_FILE]) or {}

    @property
    def watched_namespaces(self) -> tuple[str, ...]:
        raw = str(self.config.get(upstream.KEY_WATCHED_NAMESPACES) or "")
        return tuple(n.strip() for n in raw.split(",") if n.strip())

    @property
    def lease_name(self) -> str | None:
        conf = self.config
        if str(conf.get(upstream.KEY_LEADER_ELECTION, "false")).lower() != "true":
            return None
        return str(conf[upstream.KEY_LEASE_NAME])

    def lease_setting_s(self, key: str) -> float:
        value = self.config.get(key)
        return LEASE_DEFAULTS_S[key] if value is None else _seconds(str(value))

    @property
    def label(self) -> str:
        return f"operator {self.namespace}/{self.deployment['metadata']['name']}"


def _seconds(text: str) -> float:
    """A Flink duration (``15 s``, ``2 min``, ``500 ms``, ``PT15S`` is not used by the plans) in seconds."""
    number = "".join(ch for ch in text if ch.isdigit() or ch == ".")
    unit = text[len(number):].strip().lower() if text.startswith(number) else "ms"
    factor = {"": 0.001, "ms": 0.001, "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
              "min": 60.0, "m": 60.0, "minute": 60.0, "minutes": 60.0, "h": 3600.0, "hour": 3600.0}[unit]
    return float(number) * factor


def _bytes(quantity: str) -> int:
    """A Kubernetes memory quantity (``512Mi``, ``2Gi``, ``1G``, ``1048576``) in bytes."""
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
    for suffix, factor in sorted(units.items(), key=lambda u: -len(u[0])):
        if quantity.endswith(suffix):
            return int(float(quantity[:-len(suffix)]) * factor)
    return int(float(quantity))


def operator_installs(objects: Iterable[dict[str, Any]]) -> list[OperatorInstall]:
    """Every operator the plan installs (the operator Deployment and the ConfigMap in each operator namespace)."""
    objects = list(objects)
    found = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        if obj["kind"] == "Deployment" and meta.get("name") == upstream.OPERATOR_DEPLOYMENT_NAME:
            config_map = next(o for o in objects if o["kind"] == "ConfigMap"
                              and o["metadata"]["name"] == upstream.OPERATOR_CONFIGMAP_NAME
                              and o["metadata"].get("namespace") == meta["namespace"])
            found.append(OperatorInstall(meta["namespace"], obj, config_map))
    return sorted(found, key=lambda i: i.namespace)


@dataclass
class OperatorReplica:
    """One replica of ``install`` as a JVM in ``work_dir`` (see the module docstring)."""

    install: OperatorInstall
    plane: ControlPlane
    work_dir: Path
    hostname: str
    hosts: dict[str, str] = field(default_factory=dict)
    #: Test-only settings on top of the plan's (e.g. a deliberately widened ``watched.namespaces``).
    config_overrides: dict[str, str] = field(default_factory=dict)
    start_deadline_s: float = DEFAULT_START_DEADLINE_S
    proc: subprocess.Popen | None = None
    health_port: int = 0
    started_at: float = 0.0
    #: The token's ``authentication.kubernetes.io/credential-id`` (``JTI=...``), as the audit log names it.
    credential_id: str = ""

    #: The container of the Deployment's pod this replica runs, and its main class.
    CONTAINER = upstream.OPERATOR_CONTAINER_NAME
    MAIN = OPERATOR_MAIN

    @property
    def container(self) -> dict[str, Any]:
        return next(c for c in self.install.pod_spec["containers"] if c["name"] == self.CONTAINER)

    # --- paths ---------------------------------------------------------------------------------------------------
    @property
    def conf_dir(self) -> Path:
        return self.work_dir / "conf"

    @property
    def override_dir(self) -> Path:
        return self.work_dir / "conf-override"

    @property
    def log_path(self) -> Path:
        return self.work_dir / LOG_FILE

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return f"----- {self.log_path} (last {len(tail)} lines) -----\n" + "\n".join(tail)

    # --- lifecycle -----------------------------------------------------------------------------------------------
    def start(self) -> OperatorReplica:
        """Write the files, spawn the JVM, wait until its health probe answers (the operator has started its
        informers, or waits for the lease as a standby). Raises :class:`OperatorStartError` naming the step."""
        step = "building the operator"
        try:
            home = ensure_operator_built()
            step = "writing the configuration from the live ConfigMap"
            self.work_dir.mkdir(parents=True, exist_ok=True)
            self.sync_config()
            self.sync_secret_volumes()
            self._write_overrides()
            step = f"requesting a token for ServiceAccount {self.install.namespace}/{self.install.service_account}"
            token = request_token(self.plane, self.install.namespace, self.install.service_account)
            self.credential_id = credential_id(token)
            self._write_kubeconfig(token)
            step = "spawning the JVM"
            self._spawn(home)
            step = self.READY_STEP
            self._wait_ready()
        except BaseException as exc:
            self.stop(grace_s=2.0)
            if isinstance(exc, Exception):
                raise OperatorStartError(f"{self.install.label} replica {self.hostname}: {step} failed: "
                                         f"{type(exc).__name__}: {exc}\n{self.log_tail()}") from exc
            raise
        return self

    def sync_config(self) -> None:
        """Write the live ConfigMap's items into ``FLINK_CONF_DIR`` as the Deployment's config volume lays them out
        (the kubelet's part); the operator picks changes up itself (``dynamic.config.enabled``)."""
        live = self.plane.call("GET", f"/api/v1/namespaces/{self.install.namespace}/configmaps/"
                                      f"{upstream.OPERATOR_CONFIGMAP_NAME}")
        volume = next(v for v in self.install.pod_spec["volumes"]
                      if (v.get("configMap") or {}).get("name") == upstream.OPERATOR_CONFIGMAP_NAME)
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        items = volume["configMap"].get("items") or [{"key": k, "path": k} for k in live["data"]]
        for item in items:
            target = self.conf_dir / item["path"]
            text = live["data"][item["key"]]
            if not target.exists() or target.read_text() != text:
                tmp = target.with_suffix(target.suffix + ".tmp")
                tmp.write_text(text)
                tmp.replace(target)  # atomically, as the kubelet swaps its ..data link

    def sync_secret_volumes(self) -> None:
        """Write the items of every Secret volume the container mounts from the live Secret (the kubelet's part)."""
        mounted = {m["name"] for m in self.container.get("volumeMounts") or []}
        for volume in self.install.pod_spec.get("volumes") or []:
            if "secret" not in volume or volume["name"] not in mounted:
                continue
            name = volume["secret"]["secretName"]
            live = self.plane.call("GET", f"/api/v1/namespaces/{self.install.namespace}/secrets/{name}")
            directory = self.work_dir / "mounts" / volume["name"]
            directory.mkdir(parents=True, exist_ok=True)
            for item in volume["secret"].get("items") or [{"key": k, "path": k} for k in live.get("data") or {}]:
                (directory / item["path"]).write_bytes(base64.b64decode(live["data"][item["key"]]))

    def _local(self, value: str) -> str:
        """Container paths under the container's mounts (at a path boundary) as the matching local directories,
        in one pass (a local directory is never rewritten again)."""
        mounts = {}
        for mount in self.container.get("volumeMounts") or []:
            path = mount["mountPath"]
            mounts[path] = str(self.conf_dir if path == upstream.FLINK_CONF_DIR
                               else self.work_dir / "mounts" / mount["name"])
        if not mounts:
            return value
        pattern = re.compile(r"(?<![\w./-])(" + "|".join(re.escape(p) for p in sorted(mounts, key=len, reverse=True))
                             + r")(?=/|:|\s|$)")
        return pattern.sub(lambda match: mounts[match.group(1)], value)

    def _local_dir(self, path: str) -> Path:
        """The local directory for container path ``path`` (a mount's, else one of the replica's own), created."""
        local = self._local(path)
        directory = Path(local) if local != path else self.work_dir / "mounts" / Path(path).name
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def _write_overrides(self) -> None:
        self.health_port = free_port()
        artifacts = self._local_dir(upstream.FLINK_ARTIFACTS_DIR)
        overrides = {upstream.KEY_HEALTH_PROBE_PORT: self.health_port, upstream.KEY_PROM_PORT: free_port(),
                     KEY_ARTIFACTS_DIR: str(artifacts), upstream.KEY_DYNAMIC_CONFIG_INTERVAL:
                     DYNAMIC_CONFIG_CHECK_INTERVAL}
        assert set(overrides) == set(HOST_OVERRIDES)
        overrides.update(self.config_overrides)
        self.override_dir.mkdir(parents=True, exist_ok=True)
        (self.override_dir / upstream.CONFIG_FILE).write_text(yaml.safe_dump(overrides))

    def _write_kubeconfig(self, token: str) -> None:
        user = f"system:serviceaccount:{self.install.namespace}:{self.install.service_account}"
        kubeconfig = {
            "apiVersion": "v1", "kind": "Config", "current-context": "operator",
            "clusters": [{"name": "local", "cluster": {
                "server": self.plane.server,
                "certificate-authority-data": base64.b64encode(self.plane.ca_file.read_bytes()).decode()}}],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": "operator", "context": {"cluster": "local", "user": user,
                                                           "namespace": self.install.namespace}}],
        }
        path = self.work_dir / "kubeconfig"
        path.write_text(yaml.safe_dump(kubeconfig))
        path.chmod(0o600)

    def _write_hosts(self) -> Path:
        lines = [f"127.0.0.1 localhost {socket.gethostname()}"]
        lines += [f"{address} {name}" for name, address in sorted(self.hosts.items())]
        path = self.work_dir / "hosts"
        path.write_text("\n".join(lines) + "\n")
        return path

    def environment(self, home: Path) -> dict[str, str]:
        """The container's env as the pod would have it, with paths made local."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        if os.environ.get("JAVA_HOME"):
            env["JAVA_HOME"] = os.environ["JAVA_HOME"]
        field_values = {"metadata.namespace": self.install.namespace, "metadata.name": self.hostname,
                        "status.podIP": "127.0.0.1", "status.hostIP": "127.0.0.1"}
        for var in self.container.get("env") or []:
            if "value" in var:
                env[var["name"]] = self._local(str(var["value"]))
            elif "fieldRef" in (var.get("valueFrom") or {}):
                env[var["name"]] = field_values[var["valueFrom"]["fieldRef"]["fieldPath"]]
            elif "secretKeyRef" in (var.get("valueFrom") or {}):
                ref = var["valueFrom"]["secretKeyRef"]
                live = self.plane.call("GET", f"/api/v1/namespaces/{self.install.namespace}/secrets/{ref['name']}")
                env[var["name"]] = base64.b64decode(live["data"][ref["key"]]).decode()
            else:
                raise OperatorStartError(f"{self.install.label}: env {var['name']} comes from {var['valueFrom']}, "
                                         "which the test bed does not provide")
        env.update(self.host_env())
        env.update({"HOSTNAME": self.hostname, "KUBECONFIG": str(self.work_dir / "kubeconfig"),
                    "FLINK_CONF_DIR": str(self.conf_dir), "CONF_OVERRIDE_DIR": str(self.override_dir),
                    "FLINK_PLUGINS_DIR": str(home / "plugins"), "FLINK_HOME": str(home)})
        return env

    def host_env(self) -> dict[str, str]:
        """Env a pod has to itself and a shared host does not (none for the operator: its ports are config)."""
        return {}

    def _spawn(self, home: Path) -> None:
        env = self.environment(home)
        tmp = self._local_dir("/tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        argv = ["java", "-cp", ":".join(classpath(home, webhook=self.MAIN != OPERATOR_MAIN,
                                                  logging=env.get("LOGGING_FRAMEWORK", "log4j2"))),
                *env.get("LOG_CONFIG", "").split(), *env.get("JVM_ARGS", "").split(),
                f"-Djdk.net.hosts.file={self._write_hosts()}", f"-Djava.io.tmpdir={tmp}", *self._host_jvm_options(),
                self.MAIN]
        (self.work_dir / "command.json").write_text(json.dumps({"argv": argv, "env": env}, indent=2) + "\n")
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(argv, env=env, cwd=self.work_dir, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.monotonic()

    def _host_jvm_options(self) -> list[str]:
        """What the container gives the JVM implicitly: its memory limit (``-XX:MaxRAM``, as the JVM reads the
        cgroup limit in a pod); and, for a host shared by many JVMs on few cores, the serial collector and the
        client compiler (startup CPU, not behaviour)."""
        options = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
        limit = ((self.container.get("resources") or {}).get("limits") or {}).get("memory")
        if limit:
            options.append(f"-XX:MaxRAM={_bytes(str(limit))}")
        return options

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/", timeout=2) as answer:
                return answer.status == 200
        except (OSError, urllib.error.URLError):
            return False

    READY_STEP = "waiting for the health probe"

    def ready(self) -> bool:
        return self.healthy()

    def _wait_ready(self) -> None:
        end = time.monotonic() + self.start_deadline_s
        while not self.ready():
            if self.proc is None or self.proc.poll() is not None:
                raise OperatorStartError(f"the JVM exited with code {self.proc.returncode if self.proc else '?'}")
            if time.monotonic() > end:
                raise TimeoutError(f"not ready (port {self.health_port}) within {self.start_deadline_s:.0f} s")
            time.sleep(0.5)

    def alive(self) -> bool:
        return self.proc is not None and is_alive(self.proc.pid)

    def stop(self, grace_s: float = 10.0) -> list[int]:
        if self.proc is None:
            return []
        survivors, _ = terminate_groups([self.proc.pid], grace_s=grace_s, reap=[self.proc])
        return survivors

    def kill(self) -> list[int]:
        """SIGKILL the JVM's group: a crashed pod, no lease released."""
        if self.proc is None:
            return []
        return kill_groups([self.proc.pid], reap=[self.proc])


@dataclass
class WebhookReplica(OperatorReplica):
    """The operator Deployment's webhook container (``FlinkOperatorWebhook``) as a JVM: the same identity and
    config as the operator's replica, the keystore from the mounted Secret, ``WEBHOOK_SERVER_PORT`` a free port
    (:attr:`webhook_port`, what the Service's ``targetPort`` reaches in a pod); ready when it accepts TLS."""

    CONTAINER = upstream.WEBHOOK_CONTAINER_NAME
    MAIN = WEBHOOK_MAIN
    READY_STEP = "waiting for the webhook's TLS port"
    webhook_port: int = 0

    def host_env(self) -> dict[str, str]:
        self.webhook_port = self.webhook_port or free_port()
        return {"WEBHOOK_SERVER_PORT": str(self.webhook_port)}

    def ready(self) -> bool:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        try:
            with socket.create_connection(("127.0.0.1", self.webhook_port), timeout=2) as raw:
                with context.wrap_socket(raw):
                    return True
        except (OSError, ssl.SSLError):
            return False


def lease(plane: ControlPlane, install: OperatorInstall) -> dict[str, Any] | None:
    """The live leader-election Lease of ``install`` (None if it has none yet)."""
    if not install.lease_name:
        return None
    return plane.get_or_none(f"/apis/coordination.k8s.io/v1/namespaces/{install.namespace}/leases/"
                             f"{install.lease_name}")
