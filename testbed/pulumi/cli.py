"""The real Pulumi CLI and Kubernetes provider plugin, built from Go modules, and the stack config of local runs.

- :func:`ensure_built`: builds ``pulumi`` (``github.com/pulumi/pulumi/pkg/v3/cmd/pulumi``, recipe
  ``testbed/recipes/pulumi``) into ``~/.cache/flink-platform/pulumi/<version>/bin/`` and ``pulumi-resource-kubernetes``
  (``github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes``, recipe
  ``testbed/recipes/pulumi-kubernetes``) into ``~/.cache/flink-platform/pulumi-kubernetes/<version>/``; reused
  when already built from the same recipe (see :mod:`testbed.go_build`). The Python language host is
  :mod:`testbed.pulumi.language_host`; the commands that run stacks are :mod:`testbed.pulumi.project`
  (``python -m tools.pulumi_local``).
- :func:`install_plugin`: ``pulumi plugin install resource kubernetes v<version> --file <binary>`` into
  ``PULUMI_HOME`` (default ``~/.cache/flink-platform/pulumi-home``, so ``~/.pulumi`` is left alone).
- :func:`local_config` / :func:`write_stack_config`: a committed stack's config made runnable on a local cluster.

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
"""

from __future__ import annotations

from typing import Any

import json
import os
import shutil
import subprocess
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
    module = go_build.module_dir(go, PROVIDER_MODULE, provider_module_version(), expected_sum=PROVIDER_MODULE_SUM)
    src = recipe_dir / "provider-src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(module, src)
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
