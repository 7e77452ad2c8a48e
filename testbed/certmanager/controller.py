"""A real cert-manager controller, built from cert-manager's Go module, run against a local control plane.

The release is the one the stacks declare (``operator.webhook.certManagerVersion``, pinned in
:data:`components.operator.upstream.CERT_MANAGER_RELEASES`). cert-manager's own controller command is a module of
its own (``cmd/controller``) that the Go module proxy does not serve, and its wiring imports the main module's
``internal/`` packages, so it cannot be rebuilt outside that module. The recipe (``testbed/recipes/cert-manager``)
therefore copies the module ``github.com/cert-manager/cert-manager@<version>`` out of the Go module cache into the
recipe's git-ignored ``src/`` (its ``h1:`` digest checked against the pin), puts the project's own wiring
(``testbed/recipes/cert-manager/controller/main.go``: the certificate, issuer and CertificateRequest controllers of
``pkg/controller``, the selfSigned and CA issuers, no ACME, no shims, no leader election) into it as
``cmd/flink-platform-cert-manager`` and builds that with the module's own ``go.mod``/``go.sum`` (``-mod=readonly``)
into ``~/.cache/flink-platform/cert-manager/<version>/`` (:mod:`testbed.go_build`).

:func:`crd_objects` gives the release's six CRDs (``deploy/crds``, digest-checked, see :mod:`planning.cert_manager`)
ready to apply: their labels in ``deploy/crds`` are Helm template text, rendered here as the chart renders them for
a release named ``cert-manager``. :class:`CertManagerController` runs the controller as one process in its own
process group with a kubeconfig, its log in ``<work_dir>/cert-manager.log``; a start that fails raises
:class:`CertManagerError` naming the step and the log's tail, and :meth:`CertManagerController.stop` ends the group.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from components.operator import upstream
from planning import cert_manager as cert_manager_crds
from testbed import go_build
from testbed.process_groups import is_alive, terminate_groups

RECIPE_DIR = go_build.RECIPES_DIR / "cert-manager"
WIRING = RECIPE_DIR / "controller" / "main.go"
SRC_SUBDIR = "src"
COMMAND = "flink-platform-cert-manager"
COMMAND_DIR = Path("cmd") / COMMAND
#: The release the committed stacks declare (staging, prod).
DEFAULT_VERSION = "v1.18.2"
#: Labels the chart gives its CRDs for a release named ``cert-manager`` (``deploy/crds`` has them as templates).
CRD_LABELS = {"app": "cert-manager", "app.kubernetes.io/name": "cert-manager",
              "app.kubernetes.io/instance": "cert-manager"}
LOG_TAIL_LINES = 40
START_CHECK_S = 3.0


class CertManagerError(RuntimeError):
    """The controller could not be built or started; the message names the step and has the log's tail."""


def _prepare(version: str):
    def prepare(recipe_dir: Path, go: str) -> None:
        module = go_build.module_dir(go, upstream.CERT_MANAGER_MODULE, version,
                                     expected_sum=upstream.CERT_MANAGER_RELEASES[version].module_sum)
        src = recipe_dir / SRC_SUBDIR
        shutil.rmtree(src, ignore_errors=True)
        shutil.copytree(module, src)
        for path in [src, *src.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
        (src / COMMAND_DIR).mkdir(parents=True)
        shutil.copyfile(WIRING, src / COMMAND_DIR / "main.go")
    return prepare


def recipe(version: str = DEFAULT_VERSION) -> go_build.Recipe:
    if version not in upstream.CERT_MANAGER_RELEASES:
        raise CertManagerError(f"cert-manager {version} is not pinned (pinned: "
                               f"{', '.join(upstream.CERT_MANAGER_RELEASES)})")
    return go_build.Recipe(
        directory=RECIPE_DIR, kind="cert-manager", version=version, build_subdir=SRC_SUBDIR,
        commands=(go_build.GoCommand(COMMAND, f"./{COMMAND_DIR}"),), prepare=_prepare(version),
        extra_key_files=(WIRING,))


def ensure_built(version: str = DEFAULT_VERSION) -> Path:
    """Build (or reuse) the controller of ``version``; returns the binary."""
    return Path(go_build.ensure_built(recipe(version))["binaries"][COMMAND])


def crd_objects(version: str = DEFAULT_VERSION) -> list[dict[str, Any]]:
    """The release's six CRDs (digest-checked), with the chart's labels for a release named ``cert-manager``."""
    bodies, _ = cert_manager_crds.load_crds(version)
    rendered = []
    for body in bodies:
        body = copy.deepcopy(body)
        body["metadata"]["labels"] = dict(CRD_LABELS)
        rendered.append(body)
    return rendered


class CertManagerController:
    """One controller process against the cluster of ``kubeconfig`` (its current context)."""

    def __init__(self, work_dir: Path, kubeconfig: Path, *, version: str = DEFAULT_VERSION,
                 cluster_resource_namespace: str = "cert-manager"):
        self.work_dir = Path(work_dir)
        self.kubeconfig = Path(kubeconfig)
        self.version = version
        self.cluster_resource_namespace = cluster_resource_namespace
        self.log_file = self.work_dir / "cert-manager.log"
        self._proc: subprocess.Popen | None = None

    def start(self) -> CertManagerController:
        try:
            binary = ensure_built(self.version)
        except (go_build.GoBuildError, go_build.GoPrerequisiteError) as err:
            raise CertManagerError(f"building the cert-manager {self.version} controller failed: {err}") from None
        self.work_dir.mkdir(parents=True, exist_ok=True)
        argv = [str(binary), f"--kubeconfig={self.kubeconfig}",
                f"--cluster-resource-namespace={self.cluster_resource_namespace}", "--v=2"]
        with open(self.log_file, "ab") as log:
            self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True, cwd=self.work_dir)
        end = time.monotonic() + START_CHECK_S
        while time.monotonic() < end:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                raise CertManagerError(f"starting the cert-manager controller: it exited with code {code}\n"
                                       f"{self.log_tail()}")
            if "controllers started" in self.log_file.read_text(errors="replace"):
                return self
            time.sleep(0.1)
        if self._proc.poll() is not None:
            raise CertManagerError(f"starting the cert-manager controller: it exited\n{self.log_tail()}")
        return self

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        text = self.log_file.read_text(errors="replace").splitlines()[-lines:] if self.log_file.exists() else []
        return f"----- {self.log_file} (last {len(text)} lines) -----\n" + "\n".join(text)

    def stop(self, grace_s: float = 10.0) -> None:
        if self._proc is None:
            return
        proc, self._proc = self._proc, None
        survivors, _ = terminate_groups([proc.pid], grace_s=grace_s, reap=[proc])
        if survivors or is_alive(proc.pid):
            raise CertManagerError(f"the cert-manager controller (pid {proc.pid}) survived SIGKILL: {survivors}")

    def __enter__(self) -> CertManagerController:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.cert_manager_local build|crds|run [--kubeconfig PATH] [--dir DIR]``: build the controller;
    print the release's CRDs as YAML (to apply with any client); run the controller against a cluster until
    interrupted (default: the control plane of ``python -m tools.kube_local start``)."""
    import argparse
    import sys

    import yaml

    parser = argparse.ArgumentParser(prog="python -m tools.cert_manager_local", description=main.__doc__)
    parser.add_argument("command", choices=["build", "crds", "run"])
    parser.add_argument("--version", default=DEFAULT_VERSION, help=f"cert-manager release (default {DEFAULT_VERSION})")
    parser.add_argument("--kubeconfig", default=None, help="kubeconfig (default: .kube-local/kubeconfig)")
    parser.add_argument("--dir", default=str(go_build.PROJECT_ROOT / ".cert-manager-local"),
                        help="work dir of `run` (its log)")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(ensure_built(args.version))
        elif args.command == "crds":
            print(yaml.safe_dump_all(crd_objects(args.version), sort_keys=False), end="")
        else:
            kubeconfig = Path(args.kubeconfig or go_build.PROJECT_ROOT / ".kube-local" / "kubeconfig")
            if not kubeconfig.is_file():
                print(f"no kubeconfig {kubeconfig}: start `python -m tools.kube_local start` or pass --kubeconfig",
                      file=sys.stderr)
                return 2
            controller = CertManagerController(Path(args.dir), kubeconfig, version=args.version).start()
            print(f"cert-manager {args.version} controller running (pid {controller.pid}), log {controller.log_file}; "
                  "Ctrl-C stops it", flush=True)
            try:
                while controller.running:
                    time.sleep(1.0)
            except KeyboardInterrupt:
                pass
            finally:
                controller.stop()
    except (CertManagerError, go_build.GoBuildError, go_build.GoPrerequisiteError,
            cert_manager_crds.CertManagerCrdsUnavailable, cert_manager_crds.CertManagerCrdError) as exc:
        print(f"cert_manager_local {args.command} failed: {exc}", file=sys.stderr)
        return 1
    return 0
