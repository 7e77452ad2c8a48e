"""The ordinary Pulumi CLI path: ``pulumi preview|up|refresh|destroy`` in a project folder, the CLI starting the
Python language host on ``__main__.py`` as it does for a user (also ``python -m tools.pulumi_local``).

:class:`CliProject` lays out ``<work_dir>/project/`` as a user's checkout looks to the CLI: ``Pulumi.yaml`` (a copy
of the checkout's, byte for byte: runtime python, toolchain pip, virtualenv .venv, stackConfigDir stacks) and the
program's files as symlinks into the checkout (``__main__.py``, ``components/``, ``flink_rest/``,
``requirements.txt``, ``policies/`` and the checkout's ``.venv``), plus its own ``stacks/Pulumi.<stack>.yaml`` (the
committed stack file is never written to: the passphrase provider writes its salt into the stack file). The
language host finds ``.venv`` (it has ``bin/python``), so nothing is installed: it runs the program with the
checkout's virtualenv exactly as ``pulumi up`` in the checkout would. The state is a ``file://`` backend in
``<work_dir>/state`` (``PULUMI_BACKEND_URL``), secrets use the passphrase provider.

The CLI, the language host, its exec shim and the dynamic-provider launcher come from one folder
(:func:`testbed.pulumi.language_host.cli_folder`), the Kubernetes provider is installed into ``PULUMI_HOME``
(:func:`testbed.pulumi.cli.install_plugin`); automatic plugin downloads are off.

The policy pack runs from ``policies/`` with its own virtualenv ``policies/.venv`` (``PulumiPolicy.yaml``), which
:func:`planning.policy_gate.pack_python` creates once from ``policies/requirements.txt`` (as the offline gate
does) and reuses while that file is unchanged.

For another cluster (e.g. one with a real node): ``CliProject(work_dir, stack, kubeconfig=..., passphrase=...,
no_kubelet=False).create(config)``, then :meth:`CliProject.preview`/``up``/``refresh``/``destroy`` (each returns a
:class:`CliResult` with the exit code, the output and the engine's events). The stack file is the committed config
made local by :func:`testbed.pulumi.cli.local_config` (test values for ``secure:`` entries and
``workloads.defaults.awaitReady: false``, since no operator reconciles here: a cluster that runs the operator and
should await the jobs needs that step of ``local_config`` made optional).

Against a control plane without a kubelet (:mod:`testbed.pulumi.no_kubelet`), :meth:`CliProject.local_packs`
is the remediation pack ``testbed/pulumi/no_kubelet_pack``: ``up`` always runs with it (so nothing waits for
readiness only a kubelet could bring), and a ``preview`` of a stack deployed that way needs it too (else every
remediated object shows as an update); ``refresh`` and ``destroy`` take no policy packs. Against a cluster with
nodes, pass ``no_kubelet=False``.

By hand (the same code): ``python -m tools.pulumi_local build|install|env`` and ``python -m tools.pulumi_local
preview|up|refresh|destroy --stack dev [--kubeconfig PATH] [--diff]``:

- ``build``: the CLI and the Kubernetes provider (:mod:`testbed.pulumi.cli`), the language host
  (:mod:`testbed.pulumi.language_host`) and the CLI folder; ``install``: the provider into ``PULUMI_HOME``
  (default ``~/.cache/flink-platform/pulumi-home``); ``env``: ``export`` lines for a shell.
- ``preview|up|refresh|destroy --stack NAME``: the committed stack through the CLI in ``.pulumi-local/<stack>/``
  (git-ignored; ``PULUMI_CONFIG_PASSPHRASE`` must be set) against the control plane of ``python -m
  tools.kube_local start`` (a kubeconfig whose context is the stack's ``kubeconfigContext``) or ``--kubeconfig``
  (used as it is); ``preview`` is gated by the pack with the stack's ``policies/config/<environment>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planning import policy_gate
from testbed import go_build
from testbed.pulumi import cli, language_host

ROOT = go_build.PROJECT_ROOT
#: What of the checkout the CLI sees in the project folder (symlinked), besides ``Pulumi.yaml`` (copied).
PROGRAM_ENTRIES = ("__main__.py", "components", "flink_rest", "requirements.txt", "policies", ".venv")
NO_KUBELET_PACK = ROOT / "testbed" / "pulumi" / "no_kubelet_pack"
#: Deadline of one CLI command.
COMMAND_TIMEOUT_S = 1200.0


class CliError(RuntimeError):
    """A CLI command failed where it had to succeed; the message has the command, its exit code and output tail."""


@dataclass
class CliResult:
    """One CLI command: its arguments, exit code, output and the engine events (``--event-log``) it wrote."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def ops(self) -> dict[str, str]:
        """URN -> step operation of every ``resourcePreEvent`` (create, update, same, delete, replace, read, ...)."""
        found: dict[str, str] = {}
        for event in self.events:
            meta = (event.get("resourcePreEvent") or {}).get("metadata")
            if meta:
                found[meta["urn"]] = meta["op"]
        return found

    def outcomes(self) -> dict[str, tuple[str, str]]:
        """URN -> (operation, type) of every ``resOutputsEvent``: what each step did (a refresh's pre events all say
        ``refresh``; its outcomes say ``same`` or ``update``)."""
        found: dict[str, tuple[str, str]] = {}
        for event in self.events:
            meta = (event.get("resOutputsEvent") or {}).get("metadata")
            if meta:
                found[meta["urn"]] = (meta["op"], meta["type"])
        return found

    def summary(self) -> dict[str, Any]:
        """The engine's ``summaryEvent`` (``resourceChanges``, ``result``, ...)."""
        summaries = [e["summaryEvent"] for e in self.events if "summaryEvent" in e]
        if not summaries:
            raise CliError(f"`{' '.join(self.argv[1:3])}` reported no summary:\n{self.tail()}")
        return summaries[-1]

    def by_op(self) -> dict[str, set[str]]:
        grouped: dict[str, set[str]] = {}
        for urn, op in self.ops().items():
            grouped.setdefault(op, set()).add(urn)
        return grouped

    def policy_events(self) -> list[dict[str, Any]]:
        return [e["policyEvent"] for e in self.events if "policyEvent" in e]

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


class CliProject:
    """A project folder the real CLI runs in, with one stack (see the module docstring)."""

    def __init__(self, work_dir: Path, stack: str, *, kubeconfig: Path, passphrase: str,
                 tools: dict | None = None, no_kubelet: bool = True, extra_env: dict[str, str] | None = None):
        self.work_dir = Path(work_dir)
        self.stack = stack
        self.root = self.work_dir / "project"
        self.state = self.work_dir / "state"
        self.kubeconfig = Path(kubeconfig)
        self.passphrase = passphrase
        self.no_kubelet = no_kubelet
        self.tools = tools or cli.install_plugin()
        self.folder = language_host.cli_folder()
        self.pulumi = self.folder / "pulumi"
        self._extra_env = dict(extra_env or {})
        self._events = 0

    # -- layout ---------------------------------------------------------------------------------------------------
    def create(self, config: dict, *, program: str | None = None) -> CliProject:
        """Lay out the folder, write the stack file from ``config`` (a stack file's ``config:`` map, made local by
        :func:`testbed.pulumi.cli.local_config`), ``pulumi stack init`` it (or select it, made by an earlier call)
        and set its secrets with the CLI. ``program``: the text of another ``__main__.py`` (a test's own program
        using the project's packages) instead of the checkout's."""
        policy_gate.pack_python()  # policies/.venv, as the offline gate makes it
        self.root.mkdir(parents=True, exist_ok=True)
        self.state.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "Pulumi.yaml", self.root / "Pulumi.yaml")
        for name in PROGRAM_ENTRIES:
            link = self.root / name
            if name == "__main__.py" and program is not None:
                link.unlink(missing_ok=True)
                link.write_text(program)
            elif not link.is_symlink():
                link.symlink_to(ROOT / name)
        _, secrets = cli.local_config(config)
        cli.write_stack_config(self.root, self.stack, config)
        if self.run("stack", "select", self.stack).returncode != 0:  # a stack made by an earlier call is reused
            self.check("stack", "init", self.stack, "--secrets-provider", "passphrase")
        for path, value in secrets:
            self.check("config", "set", "--secret", "--path", path, value)
        return self

    def write_config(self, config: dict) -> Path:
        """Replace the stack's config (its salt and the secrets set by :meth:`create` are kept)."""
        return cli.write_stack_config(self.root, self.stack, config)

    # -- commands -------------------------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "VIRTUAL_ENV", "PYTHONPATH"))}
        env.update({
            "PATH": f"{self.folder}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_HOME": str(self.tools["home"]), "PULUMI_BACKEND_URL": f"file://{self.state}",
            "PULUMI_CONFIG_PASSPHRASE": self.passphrase, "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true", "KUBECONFIG": str(self.kubeconfig),
            # Only makes the CLI accept --event-log (the engine events as JSON lines), as the Automation API does.
            "PULUMI_DEBUG_COMMANDS": "true",
        })
        shared_crds = ROOT.parent / "shared" / "upstream" / "crds"
        if shared_crds.is_dir() and "FLINK_PLATFORM_CRD_CACHE" not in os.environ:
            env["FLINK_PLATFORM_CRD_CACHE"] = str(shared_crds)  # as `make plan` does
        env.update(self._extra_env)
        return env

    def run(self, *args: str, timeout: float = COMMAND_TIMEOUT_S, events: bool = False) -> CliResult:
        """``pulumi <args>`` in the project folder (``--event-log`` into the work dir when ``events``)."""
        argv = [str(self.pulumi), *args]
        log = None
        if events:
            self._events += 1
            log = self.work_dir / f"events-{self._events}.jsonl"
            argv += ["--event-log", str(log)]
        out = subprocess.run(argv, cwd=self.root, env=self.env(), capture_output=True, text=True, check=False,
                             timeout=timeout, stdin=subprocess.DEVNULL)
        parsed = []
        if log is not None and log.exists():
            parsed = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        return CliResult(argv, out.returncode, out.stdout, out.stderr, parsed)

    def check(self, *args: str, **kwargs: Any) -> CliResult:
        result = self.run(*args, **kwargs)
        if result.returncode != 0:
            raise CliError(f"`pulumi {' '.join(args)}` in {self.root} exited {result.returncode}:\n{result.tail()}")
        return result

    def policy_args(self, environment: str) -> list[str]:
        """``--policy-pack policies --policy-pack-config policies/config/<environment>.json``, as the README says."""
        return ["--policy-pack", "policies", "--policy-pack-config", f"policies/config/{environment}.json"]

    def local_packs(self) -> list[str]:
        """The remediation pack of a control plane without a kubelet (empty with ``no_kubelet=False``)."""
        if not self.no_kubelet:
            return []
        return ["--policy-pack", str(NO_KUBELET_PACK), "--policy-pack-config", str(NO_KUBELET_PACK / "config.json")]

    def preview(self, *args: str) -> CliResult:
        return self.run("preview", "--non-interactive", "--color", "never", *args, events=True)

    def up(self, *args: str) -> CliResult:
        return self.run("up", "--yes", "--non-interactive", "--color", "never", *self.local_packs(), *args,
                        events=True)

    def refresh(self, *args: str) -> CliResult:
        return self.run("refresh", "--yes", "--non-interactive", "--color", "never", *args, events=True)

    def destroy(self, *args: str) -> CliResult:
        return self.run("destroy", "--yes", "--non-interactive", "--color", "never", *args, events=True)

    def export(self) -> dict[str, Any]:
        return json.loads(self.check("stack", "export").stdout)

    def outputs(self) -> dict[str, Any]:
        return json.loads(self.check("stack", "output", "--json", "--show-secrets").stdout)

    def remove(self) -> None:
        """``pulumi stack rm --force --yes`` (state only; the cluster's objects are left as they are)."""
        self.run("stack", "rm", "--force", "--yes", self.stack)


def run_operation(operation: str, stack_name: str, *, kubeconfig: str | None, diff: bool,
                  home: Path = cli.DEFAULT_HOME) -> int:
    from testbed.kube.control_plane import KubeLocalCluster

    passphrase = os.environ.get("PULUMI_CONFIG_PASSPHRASE")
    if not passphrase:
        print("set PULUMI_CONFIG_PASSPHRASE (the passphrase of the local stack's secrets provider)", file=sys.stderr)
        return 2
    stack_file = ROOT / "stacks" / f"Pulumi.{stack_name}.yaml"
    if not stack_file.is_file():
        print(f"no committed stack {stack_name!r} ({stack_file} is missing)", file=sys.stderr)
        return 2
    config = yaml.safe_load(stack_file.read_text())["config"]
    platform = config.get(cli.CONFIG_KEY) or {}
    work_dir = cli.LOCAL_DIR / stack_name
    work_dir.mkdir(parents=True, exist_ok=True)
    if kubeconfig is None:
        cluster = KubeLocalCluster()
        if cluster.status()["state"] != "running":
            print(f"no running control plane in {cluster.work_dir}: run `python -m tools.kube_local start` "
                  "or pass --kubeconfig", file=sys.stderr)
            return 2
        context = (platform.get("cluster") or {}).get("kubeconfigContext") or "flink-platform-local"
        kubeconfig_path = cluster.write_kubeconfig(work_dir / "kubeconfig", contexts=(context,))
    else:
        kubeconfig_path = Path(kubeconfig)
    project = CliProject(work_dir, stack_name, kubeconfig=kubeconfig_path, passphrase=passphrase,
                         tools=cli.install_plugin(home))
    project.create(config)
    extra = ["--diff"] if diff and operation in ("preview", "up") else []
    if operation == "preview":
        environment = platform.get("environment") or stack_name
        gate = project.policy_args(environment) if (ROOT / "policies" / "config" / f"{environment}.json").is_file() \
            else []
        result = project.preview(*gate, *project.local_packs(), *extra)
    else:
        result = getattr(project, operation)(*extra)
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    return 0 if result.returncode == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pulumi_local",
                                     description="The real Pulumi CLI, language host and provider on this machine.")
    parser.add_argument("command", choices=["build", "install", "env", "up", "preview", "refresh", "destroy"])
    parser.add_argument("--home", default=str(cli.DEFAULT_HOME), help=f"PULUMI_HOME (default {cli.DEFAULT_HOME})")
    parser.add_argument("--stack", default="dev", help="committed stack for up/preview/refresh/destroy")
    parser.add_argument("--kubeconfig", default=None,
                        help="kubeconfig to use as is (default: the running control plane of testbed.kube.control_plane)")
    parser.add_argument("--diff", action="store_true", help="show a detailed diff (preview/up)")
    args = parser.parse_args(argv)
    try:
        if args.command in ("up", "preview", "refresh", "destroy"):
            return run_operation(args.command, args.stack, kubeconfig=args.kubeconfig, diff=args.diff,
                                 home=Path(args.home))
        if args.command == "build":
            for name, path in cli.ensure_built().items():
                print(f"{name}: {path}")
            for name, path in language_host.ensure_built().items():
                print(f"{name}: {path}")
            print(f"CLI folder: {language_host.cli_folder()}")
        else:
            done = cli.install_plugin(Path(args.home))
            if args.command == "install":
                print(f"plugin resource kubernetes v{cli.PROVIDER_VERSION} installed in {done['home']}")
            else:
                print(f"export PATH={language_host.cli_folder()}:$PATH PULUMI_HOME={done['home']} "
                      "PULUMI_SKIP_UPDATE_CHECK=true")
    except (go_build.GoBuildError, go_build.GoPrerequisiteError, CliError) as exc:
        print(f"pulumi_local {args.command} failed: {exc}", file=sys.stderr)
        return 1
    return 0
