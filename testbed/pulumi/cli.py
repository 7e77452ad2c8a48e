"""The real Pulumi CLI and Kubernetes provider plugin, built from Go modules, for running the program on one machine.

``python -m tools.pulumi_local build|install|env [--home DIR]``
``python -m tools.pulumi_local up|preview|refresh|destroy --stack dev [--kubeconfig PATH] [--diff]``

- ``build``: builds ``pulumi`` (``github.com/pulumi/pulumi/pkg/v3/cmd/pulumi``, recipe ``testbed/recipes/pulumi``)
  into ``~/.cache/flink-platform/pulumi/<version>/bin/`` and ``pulumi-resource-kubernetes``
  (``github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes``, recipe
  ``testbed/recipes/pulumi-kubernetes``) into ``~/.cache/flink-platform/pulumi-kubernetes/<version>/``; reused
  when already built from the same recipe (see :mod:`testbed.go_build`).
- ``install``: ``pulumi plugin install resource kubernetes v<version> --file <binary>`` into ``PULUMI_HOME``
  (default ``~/.cache/flink-platform/pulumi-home``, so ``~/.pulumi`` is left alone).
- ``env``: prints ``export`` lines (PATH, PULUMI_HOME, PULUMI_SKIP_UPDATE_CHECK) for a shell.
- ``up|preview|refresh|destroy --stack NAME``: runs the program for a committed stack with the real CLI and
  provider against the control plane of ``python -m tools.kube_local start`` (or ``--kubeconfig``): a
  ``file://`` backend under ``.pulumi-local/`` (git-ignored), the passphrase secrets provider
  (``PULUMI_CONFIG_PASSPHRASE`` must be set), and a kubeconfig whose context is renamed to the stack's
  ``kubeconfigContext``. The stack file is copied there, so the committed one is never written to.

Versions (the Go module proxy decides what can be built here):

- CLI: v3.274.0. ``requirements.txt`` pins the Python SDK at 3.272.0, but the proxy does not serve
  ``github.com/pulumi/pulumi/pkg/v3`` at v3.270.0-v3.273.x; v3.274.0 is the nearest served release.
- Provider: the proxy lists no tagged version of ``provider/v4``, only the pseudo-version
  ``v4.0.0-20260115033456-f47bc2d6f199``. Its command embeds ``schema-embed.json``, a file the upstream build
  generates, so the module is copied from the module cache to the recipe's git-ignored ``provider-src/`` (its
  digest checked against :data:`PROVIDER_MODULE_SUM`), the file is written there exactly as the module's own
  ``generate.go`` writes it (the schema with ``version`` set) and the recipe builds from the copy. The plugin is
  labelled and reports :data:`PROVIDER_VERSION` (4.34.2), the version the Python SDK in ``requirements.txt``
  (pulumi-kubernetes==4.34.2) asks the engine for.
- The Python language host (``pulumi-language-python``) is a separate module
  (``github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3``) that the proxy does not serve (403).
  The e2e tests therefore run the program through the Automation API's inline mode: the Python process serves the
  language-runtime protocol itself and the real CLI connects to it (``pulumi up --client``), the engine and the
  provider plugin being the real ones.
"""

from __future__ import annotations

from typing import Any

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from testbed import go_build

RECIPE_CLI = go_build.RECIPES_DIR / "pulumi"
RECIPE_PROVIDER = go_build.RECIPES_DIR / "pulumi-kubernetes"
PULUMI_MODULE = "github.com/pulumi/pulumi/pkg/v3"
PROVIDER_MODULE = "github.com/pulumi/pulumi-kubernetes/provider/v4"
#: ``h1:`` digest of the provider module zip at the version the recipe pins (as ``go mod download -json`` prints it).
PROVIDER_MODULE_SUM = "h1:j2bphCf7c2YhnBrhwht2f3TNRRgcMImltUlAgzxr9H4="
#: Version label of the provider plugin: what the Python SDK (pulumi-kubernetes==4.34.2) requests.
PROVIDER_VERSION = "4.34.2"
PROVIDER_CMD_DIR = Path("cmd") / "pulumi-resource-kubernetes"
DEFAULT_HOME = go_build.cache_root() / "pulumi-home"


def cli_version() -> str:
    return go_build.required_version(RECIPE_CLI / "go.mod", PULUMI_MODULE)


def provider_module_version() -> str:
    return go_build.required_version(RECIPE_PROVIDER / "go.mod", PROVIDER_MODULE)


def _prepare_provider(recipe_dir: Path, go: str) -> None:
    """Copy the provider module out of the module cache into ``provider-src`` and write its embedded files."""
    version = provider_module_version()
    out = subprocess.run([go, "mod", "download", "-json", f"{PROVIDER_MODULE}@{version}"], cwd="/",
                         env={**os.environ, "GOFLAGS": "-mod=mod"}, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise go_build.GoBuildError(f"`go mod download {PROVIDER_MODULE}@{version}` failed: {out.stderr or out.stdout}")
    info = json.loads(out.stdout)
    if info.get("Sum") != PROVIDER_MODULE_SUM:
        raise go_build.GoBuildError(f"{PROVIDER_MODULE}@{version} has digest {info.get('Sum')}, the recipe expects "
                                    f"{PROVIDER_MODULE_SUM} (testbed/pulumi/cli.py PROVIDER_MODULE_SUM)")
    src = recipe_dir / "provider-src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(info["Dir"], src)
    for path in [src, *src.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    cmd = src / PROVIDER_CMD_DIR
    schema = json.loads((cmd / "schema.json").read_text())
    schema["version"] = PROVIDER_VERSION
    (cmd / "schema-embed.json").write_text(json.dumps(schema, separators=(",", ":")))
    mapping = json.loads((cmd / "terraform-mapping.json").read_text())
    (cmd / "terraform-mapping-embed.json").write_text(json.dumps(mapping, separators=(",", ":")))


def cli_recipe() -> go_build.Recipe:
    version = cli_version()
    return go_build.Recipe(
        directory=RECIPE_CLI, kind="pulumi", version=version,
        commands=(go_build.GoCommand("bin/pulumi", f"{PULUMI_MODULE}/cmd/pulumi",
                                     (f"github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={version}",)),))


def provider_recipe() -> go_build.Recipe:
    return go_build.Recipe(
        directory=RECIPE_PROVIDER, kind="pulumi-kubernetes", version=f"v{PROVIDER_VERSION}",
        commands=(go_build.GoCommand("pulumi-resource-kubernetes", f"{PROVIDER_MODULE}/cmd/pulumi-resource-kubernetes",
                                     (f"{PROVIDER_MODULE}/pkg/version.Version={PROVIDER_VERSION}",)),),
        prepare=_prepare_provider)


def ensure_built() -> dict[str, Path]:
    """Build (or reuse) the CLI and the provider; returns ``{"pulumi": path, "pulumi-resource-kubernetes": path}``."""
    cli = go_build.ensure_built(cli_recipe())
    provider = go_build.ensure_built(provider_recipe())
    return {"pulumi": Path(cli["binaries"]["bin/pulumi"]),
            "pulumi-resource-kubernetes": Path(provider["binaries"]["pulumi-resource-kubernetes"])}


def cli_env(home: Path, pulumi: Path) -> dict[str, str]:
    return {**os.environ, "PULUMI_HOME": str(home), "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PATH": f"{pulumi.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def install_plugin(home: Path = DEFAULT_HOME) -> dict[str, Path]:
    """Build if needed, then install the provider binary as plugin ``resource kubernetes v<PROVIDER_VERSION>``."""
    binaries = ensure_built()
    home.mkdir(parents=True, exist_ok=True)
    plugin_dir = home / "plugins" / f"resource-kubernetes-v{PROVIDER_VERSION}"
    installed = plugin_dir / "pulumi-resource-kubernetes"
    source = binaries["pulumi-resource-kubernetes"]
    if not (installed.exists() and installed.stat().st_size == source.stat().st_size
            and installed.read_bytes() == source.read_bytes()):
        shutil.rmtree(plugin_dir, ignore_errors=True)
        argv = [str(binaries["pulumi"]), "plugin", "install", "resource", "kubernetes", f"v{PROVIDER_VERSION}",
                "--file", str(source)]
        out = subprocess.run(argv, env=cli_env(home, binaries["pulumi"]), capture_output=True, text=True,
                             check=False, timeout=300)
        if out.returncode != 0 or not installed.exists():
            raise go_build.GoBuildError(f"`{' '.join(argv)}` failed (exit {out.returncode}): "
                                        f"{out.stdout}{out.stderr}")
    return {**binaries, "plugin": installed, "home": home}


LOCAL_DIR = go_build.PROJECT_ROOT / ".pulumi-local"
PROJECT = "flink-platform"
CONFIG_KEY = f"{PROJECT}:platform"


#: pulumi-kubernetes skips its readiness wait for an object carrying this annotation.
SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait"
#: Kinds whose wait the local control plane can satisfy (the API server alone makes them ready).
AWAITED_LOCALLY = ("CustomResourceDefinition", "Namespace", "ResourceQuota")


def skip_readiness(args: Any) -> Any:
    """Resource transform of the local runs: no kubelet runs here, so no pod ever becomes ready and a Deployment's
    rollout (or a FlinkDeployment's job) would be awaited until its timeout. Every Kubernetes object but CRDs,
    Namespaces and ResourceQuotas (the quota controller does run) gets ``pulumi.com/skipAwait: "true"``; everything
    else about it is unchanged."""
    import pulumi

    if not args.custom or not args.type_.startswith("kubernetes:") or args.type_.rsplit(":", 1)[-1] in AWAITED_LOCALLY:
        return None
    props = dict(args.props)
    metadata = dict(props.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), SKIP_AWAIT_ANNOTATION: "true"}
    props["metadata"] = metadata
    return pulumi.ResourceTransformResult(props, args.opts)


def program() -> None:
    """The project's ``__main__.py``, run in this process as an Automation API inline program (with
    :func:`skip_readiness`: the local control plane has no kubelet)."""
    import runpy

    import pulumi

    pulumi.runtime.register_resource_transform(skip_readiness)
    runpy.run_path(str(go_build.PROJECT_ROOT / "__main__.py"), run_name="__main__")


def write_stack_config(project: Path, stack: str, config: dict) -> Path:
    """``<project>/stacks/Pulumi.<stack>.yaml`` with ``config``, keeping the ``encryptionsalt`` already there."""
    import yaml

    path = project / "stacks" / f"Pulumi.{stack}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = (yaml.safe_load(path.read_text()) if path.exists() else None) or {}
    config, _ = local_config(config)
    existing["config"] = _with_local_secrets(existing.get("config") or {}, config)
    path.write_text(yaml.safe_dump(existing, sort_keys=False))
    return path


def local_stack(stack: str, config: dict, *, work_dir: Path, kubeconfig: Path, passphrase: str,
                tools: dict | None = None, context_from=None, extra_env: dict[str, str] | None = None):
    """An Automation API stack of the program for ``stack`` (config ``config``) under ``work_dir``: project
    ``work_dir/project``, state ``work_dir/state`` (``file://``), the real CLI and provider plugin (``tools`` from
    :func:`install_plugin`). ``context_from`` (a :class:`testbed.kube.control_plane.KubeLocalCluster`) writes
    ``work_dir/kubeconfig`` for it with the stack's ``kubeconfigContext``; otherwise ``kubeconfig`` is used as is.
    Returns ``(stack, project_dir)``."""
    import yaml
    from pulumi import automation as auto

    tools = tools or install_plugin()
    project = work_dir / "project"
    state = work_dir / "state"
    project.mkdir(parents=True, exist_ok=True)
    state.mkdir(parents=True, exist_ok=True)
    (project / "Pulumi.yaml").write_text(yaml.safe_dump({
        "name": PROJECT, "runtime": "python", "stackConfigDir": "stacks", "backend": {"url": f"file://{state}"}}))
    config, secrets = local_config(config)
    write_stack_config(project, stack, config)
    if context_from is not None:
        context = config[CONFIG_KEY]["cluster"].get("kubeconfigContext") or "flink-platform-local"
        kubeconfig = context_from.write_kubeconfig(work_dir / "kubeconfig", contexts=(context,))
    # The engine runs the program's dynamic providers (SavepointGate, FlinkJob) through this plugin.
    bin_dir = work_dir / "bin"
    dynamic_provider_launcher(bin_dir)
    path = os.pathsep.join(p for p in ((extra_env or {}).get("PATH"), str(bin_dir), str(tools["pulumi"].parent),
                                       os.environ.get("PATH")) if p)
    pythonpath = os.pathsep.join(p for p in (str(go_build.PROJECT_ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {"PULUMI_CONFIG_PASSPHRASE": passphrase, "KUBECONFIG": str(kubeconfig),
           "PULUMI_HOME": str(tools["home"]), "PULUMI_SKIP_UPDATE_CHECK": "true",
           "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true", **(extra_env or {}), "PATH": path,
           "PYTHONPATH": pythonpath}
    opts = auto.LocalWorkspaceOptions(
        work_dir=str(project), pulumi_home=str(tools["home"]), env_vars=env, secrets_provider="passphrase",
        pulumi_command=auto.PulumiCommand(root=str(tools["pulumi"].parent.parent)))
    created = auto.create_or_select_stack(stack, project_name=PROJECT, program=program, opts=opts)
    for path, value in secrets:
        created.set_config(path, auto.ConfigValue(value=value, secret=True), path=True)
    return created, project


#: Prefix of the test values given to the stack's secret config entries on the local stack.
LOCAL_SECRET_PREFIX = "local-test-secret-"


def _with_local_secrets(old: Any, new: Any) -> Any:
    """``new``, plus every ``secure:`` entry of ``old`` it lacks (secrets set with the local stack's own provider)."""
    if isinstance(old, dict) and set(old) == {"secure"}:
        return new if new is not None else old
    if isinstance(old, dict) and (new is None or isinstance(new, dict)):
        merged = dict(new or {})
        for key, value in old.items():
            kept = _with_local_secrets(value, merged.get(key))
            if kept is not None:
                merged[key] = kept
        return merged if merged or new is not None else None
    return new


def local_config(config: dict) -> tuple[dict, list[tuple[str, str]]]:
    """The committed stack config made runnable on the local control plane, and the secrets to set on it.

    - Every ``secure:`` value (ciphertext of the committed stack's own secrets provider, or a placeholder) is left
      out of the file and set again with the local passphrase provider as a test value, so the real CLI can
      decrypt it (``(path, value)`` pairs for ``Stack.set_config(..., path=True)``).
    - No operator reconciles on the local control plane, so nothing would ever make a job RUNNING: the workloads'
      readiness wait is turned off (``workloads.defaults.awaitReady: false`` → ``pulumi.com/skipAwait``).
    """
    import copy

    config = copy.deepcopy(config)
    secrets: list[tuple[str, str]] = []

    def strip(node: Any, path: list[str]) -> Any:
        if isinstance(node, dict) and set(node) == {"secure"}:
            dotted = path[0] + "".join(f'["{p}"]' for p in path[1:])
            secrets.append((dotted, LOCAL_SECRET_PREFIX + path[-1].rsplit(":", 1)[-1]))
            return None
        if isinstance(node, dict):
            kept = {k: strip(v, [*path, str(k)]) for k, v in node.items()}
            return {k: v for k, v in kept.items() if v is not None}
        return node

    config = {k: v for k, v in ((k, strip(v, [k])) for k, v in config.items()) if v is not None}
    platform = config.get(CONFIG_KEY)
    if isinstance(platform, dict):
        defaults = platform.setdefault("workloads", {}).setdefault("defaults", {})
        defaults["awaitReady"] = False
    return config, secrets


DYNAMIC_PROVIDER_PLUGIN = "pulumi-resource-pulumi-python"


def dynamic_provider_launcher(bin_dir: Path, python: str = sys.executable) -> Path:
    """Write ``<bin_dir>/pulumi-resource-pulumi-python``: the plugin through which the engine runs Python dynamic
    providers (the CLI distribution ships one that runs ``python -m pulumi.dynamic``; it is no Go module, so this
    one starts the same module with ``python``). Put ``bin_dir`` on the CLI's PATH."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    launcher = bin_dir / DYNAMIC_PROVIDER_PLUGIN
    launcher.write_text(f'#!/bin/sh\nexec "{python}" -u -m pulumi.dynamic "$@"\n')
    launcher.chmod(0o755)
    return launcher


def run_operation(operation: str, stack_name: str, *, kubeconfig: str | None, diff: bool) -> int:
    import yaml

    from testbed.kube.control_plane import KubeLocalCluster

    passphrase = os.environ.get("PULUMI_CONFIG_PASSPHRASE")
    if not passphrase:
        print("set PULUMI_CONFIG_PASSPHRASE (the passphrase of the local stack's secrets provider)", file=sys.stderr)
        return 2
    stack_file = go_build.PROJECT_ROOT / "stacks" / f"Pulumi.{stack_name}.yaml"
    if not stack_file.is_file():
        print(f"no committed stack {stack_name!r} ({stack_file} is missing)", file=sys.stderr)
        return 2
    config = yaml.safe_load(stack_file.read_text())["config"]
    cluster = None
    if kubeconfig is None:
        cluster = KubeLocalCluster()
        if cluster.status()["state"] != "running":
            print(f"no running control plane in {cluster.work_dir}: run `python -m tools.kube_local start` "
                  "or pass --kubeconfig", file=sys.stderr)
            return 2
    shared_crds = go_build.PROJECT_ROOT.parent / "shared" / "upstream" / "crds"
    if shared_crds.is_dir():  # as `make plan` does: the digest-checked CRDs from ../shared when it is there
        os.environ.setdefault("FLINK_PLATFORM_CRD_CACHE", str(shared_crds))
    stack, _ = local_stack(stack_name, config, work_dir=LOCAL_DIR / stack_name, passphrase=passphrase,
                           kubeconfig=Path(kubeconfig) if kubeconfig else Path(), context_from=cluster)
    from pulumi.automation import CommandError

    try:
        if operation == "preview":
            stack.preview(diff=diff, on_output=print, color="never")
        elif operation == "up":
            stack.up(diff=diff, on_output=print, color="never")
        elif operation == "refresh":
            stack.refresh(on_output=print, color="never")
        else:
            stack.destroy(on_output=print, color="never")
    except CommandError as exc:
        print(f"pulumi {operation} failed: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pulumi_local", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build", "install", "env", "up", "preview", "refresh", "destroy"])
    parser.add_argument("--home", default=str(DEFAULT_HOME), help=f"PULUMI_HOME (default {DEFAULT_HOME})")
    parser.add_argument("--stack", default="dev", help="committed stack for up/preview/refresh/destroy")
    parser.add_argument("--kubeconfig", default=None,
                        help="kubeconfig to use (default: the running control plane of testbed.kube.control_plane)")
    parser.add_argument("--diff", action="store_true", help="show a detailed diff (preview/up)")
    args = parser.parse_args(argv)
    try:
        if args.command in ("up", "preview", "refresh", "destroy"):
            return run_operation(args.command, args.stack, kubeconfig=args.kubeconfig, diff=args.diff)
        if args.command == "build":
            for name, path in ensure_built().items():
                print(f"{name}: {path}")
        else:
            done = install_plugin(Path(args.home))
            if args.command == "install":
                print(f"plugin resource kubernetes v{PROVIDER_VERSION} installed in {done['home']}")
            else:
                print(f"export PATH={done['pulumi'].parent}:$PATH PULUMI_HOME={done['home']} "
                      "PULUMI_SKIP_UPDATE_CHECK=true")
    except (go_build.GoBuildError, go_build.GoPrerequisiteError) as exc:
        print(f"pulumi_local {args.command} failed: {exc}", file=sys.stderr)
        return 1
    return 0
