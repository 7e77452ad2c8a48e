"""The real Pulumi CLI and Kubernetes provider plugin, built from Go modules, for running the program on one machine.

``python -m tools.pulumi_local build|install|env [--home DIR]``

- ``build``: builds ``pulumi`` (``github.com/pulumi/pulumi/pkg/v3/cmd/pulumi``, recipe ``tools/kube_build/pulumi``)
  into ``~/.cache/flink-platform/pulumi/<version>/bin/`` and ``pulumi-resource-kubernetes``
  (``github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes``, recipe
  ``tools/kube_build/pulumi-kubernetes``) into ``~/.cache/flink-platform/pulumi-kubernetes/<version>/``; reused
  when already built from the same recipe (see :mod:`tools.go_build`).
- ``install``: ``pulumi plugin install resource kubernetes v<version> --file <binary>`` into ``PULUMI_HOME``
  (default ``~/.cache/flink-platform/pulumi-home``, so ``~/.pulumi`` is left alone).
- ``env``: prints ``export`` lines (PATH, PULUMI_HOME, PULUMI_SKIP_UPDATE_CHECK) for a shell.

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

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools import go_build

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
                                    f"{PROVIDER_MODULE_SUM} (tools/pulumi_local.py PROVIDER_MODULE_SUM)")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pulumi_local", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build", "install", "env"])
    parser.add_argument("--home", default=str(DEFAULT_HOME), help=f"PULUMI_HOME (default {DEFAULT_HOME})")
    args = parser.parse_args(argv)
    try:
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


if __name__ == "__main__":
    sys.exit(main())
