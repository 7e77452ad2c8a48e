"""The Pulumi Python language host (``pulumi-language-python``), built from its source, and the CLI folder it runs in.

The host's Go module (``sdk/python/cmd/pulumi-language-python`` of pulumi/pulumi) is not served by the Go module
proxy; its source (``main.go``, ``go.mod``, ``go.sum``) is in ``../shared/upstream/pulumi-language-python/``. The
recipe ``testbed/recipes/pulumi-language-python/`` is that ``go.mod`` with the two ``replace`` lines into the
repository dropped, the clipboard ``replace`` kept, ``github.com/pulumi/pulumi/pkg/v3`` and ``sdk/v3`` required at
the CLI's version (v3.274.0) and ``go mod tidy`` run (its ``go.sum`` pins every module; nothing is resolved at build
time). At build time ``main.go`` (sha256 :data:`MAIN_SHA256`) is copied from ``../shared`` into the recipe's
git-ignored ``host-src/`` and built with ``-trimpath -ldflags='-s -w -X
github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.274.0'``; the source is never committed. The module
versions are exactly the CLI recipe's, so with the CLI built the host reuses its Go build cache.

Beside the host the build puts the two scripts the ``sdk/v3`` module ships at the same version:
``pulumi-language-python-exec`` (``python/cmd/``: the host runs the program through it) and
``pulumi-resource-pulumi-python`` (``python/dist/``: the engine runs Python dynamic providers through it).

:func:`cli_folder` copies ``pulumi`` (from :mod:`testbed.pulumi.cli`) and these three into one folder, as the CLI
distribution lays them out: the CLI looks for ``pulumi-language-<runtime>`` beside its own executable, resolving
symlinks, so copies, not links.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from pathlib import Path

from testbed import go_build
from testbed.pulumi import cli

RECIPE_DIR = go_build.RECIPES_DIR / "pulumi-language-python"
#: Where the host's source is (``../shared`` beside the checkout).
UPSTREAM_DIR = go_build.PROJECT_ROOT.parent / "shared" / "upstream" / "pulumi-language-python"
#: sha256 of ``main.go`` at pulumi/pulumi commit 1b5949891b3c (see ``../shared/upstream/SOURCES.md``).
MAIN_SHA256 = "00820dfe1145c598649d287d0c565cc2f005a28b3d54840cb4377f381a62c799"
SRC_SUBDIR = "host-src"
HOST = "pulumi-language-python"
EXEC = "pulumi-language-python-exec"
DYNAMIC_PROVIDER = "pulumi-resource-pulumi-python"
SDK_MODULE = "github.com/pulumi/pulumi/sdk/v3"
#: The scripts of the ``sdk/v3`` module put beside the host: (path in the module, file name).
SDK_SCRIPTS = ((Path("python") / "cmd" / EXEC, EXEC), (Path("python") / "dist" / DYNAMIC_PROVIDER, DYNAMIC_PROVIDER))
FOLDER_KIND = "pulumi-cli-folder"
FOLDER_STAMP = "folder.json"


class LanguageHostSourceError(go_build.GoPrerequisiteError):
    """The host's source is not where the recipe reads it, or is not the pinned file."""


def host_version() -> str:
    """The ``sdk/v3`` version the recipe builds against; it must be the CLI's."""
    version = go_build.required_version(RECIPE_DIR / "go.mod", SDK_MODULE)
    if version != cli.cli_version():
        raise LanguageHostSourceError(
            f"{RECIPE_DIR / 'go.mod'} requires {SDK_MODULE} {version} but the CLI recipe builds {cli.cli_version()}: "
            "the host and the CLI must be the same release")
    return version


def upstream_main() -> Path:
    main = UPSTREAM_DIR / "main.go"
    if not main.is_file():
        raise LanguageHostSourceError(
            f"the Python language host's source is missing: no {main} (the recipe builds it from "
            "../shared/upstream/pulumi-language-python/, see ../shared/upstream/SOURCES.md)")
    digest = hashlib.sha256(main.read_bytes()).hexdigest()
    if digest != MAIN_SHA256:
        raise LanguageHostSourceError(f"{main} has sha256 {digest}, the recipe expects {MAIN_SHA256} "
                                      "(testbed/pulumi/language_host.py MAIN_SHA256)")
    return main


def _prepare(recipe_dir: Path, go: str) -> None:
    """Copy the host's ``main.go`` into the recipe's git-ignored ``host-src/`` (digest-checked)."""
    src = recipe_dir / SRC_SUBDIR
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir()
    shutil.copyfile(upstream_main(), src / "main.go")


def _install(out_dir: Path, go: str) -> None:
    """Copy the ``sdk/v3`` module's exec shim and dynamic-provider launcher beside the host."""
    sdk = go_build.module_dir(go, SDK_MODULE, host_version())
    for relative, name in SDK_SCRIPTS:
        source = sdk / relative
        if not source.is_file():
            raise go_build.GoBuildError(f"{SDK_MODULE}@{host_version()} has no {relative}")
        shutil.copyfile(source, out_dir / name)
        (out_dir / name).chmod(0o755)


def recipe() -> go_build.Recipe:
    version = host_version()
    return go_build.Recipe(
        directory=RECIPE_DIR, kind=HOST, version=version,
        commands=(go_build.GoCommand(HOST, f"./{SRC_SUBDIR}",
                                     (f"github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={version}",)),),
        prepare=_prepare, install=_install, extra_outputs=(EXEC, DYNAMIC_PROVIDER),
        extra_key_files=(upstream_main(),))


def ensure_built() -> dict[str, Path]:
    """Build (or reuse) the host; returns the paths of the host, the exec shim and the dynamic-provider launcher."""
    stamp = go_build.ensure_built(recipe())
    return {HOST: Path(stamp["binaries"][HOST]), **{name: Path(path) for name, path in stamp["files"].items()}}


def cli_folder() -> Path:
    """``<cache>/pulumi-cli-folder/<version>/``: copies of ``pulumi``, ``pulumi-language-python``,
    ``pulumi-language-python-exec`` and ``pulumi-resource-pulumi-python`` in one folder (built first if needed).
    Recopied when either build changed; under a file lock, filled in a temporary folder renamed into place."""
    cli_stamp = go_build.ensure_built(cli.cli_recipe())
    host_stamp = go_build.ensure_built(recipe())
    sources = {"pulumi": Path(cli_stamp["binaries"]["bin/pulumi"]), HOST: Path(host_stamp["binaries"][HOST]),
               **{name: Path(path) for name, path in host_stamp["files"].items()}}
    key = {"cli": cli_stamp["key"], "host": host_stamp["key"]}
    dest = go_build.cache_root() / FOLDER_KIND / cli_stamp["version"]
    if _folder_current(dest, key, sources):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / f".{dest.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _folder_current(dest, key, sources):
            return dest
        tmp = dest.parent / f".{dest.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            for name, source in sources.items():
                shutil.copy2(source, tmp / name)
            (tmp / FOLDER_STAMP).write_text(json.dumps(key, indent=2) + "\n")
            shutil.rmtree(dest, ignore_errors=True)
            tmp.rename(dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _folder_current(dest: Path, key: dict, sources: dict[str, Path]) -> bool:
    try:
        if json.loads((dest / FOLDER_STAMP).read_text()) != key:
            return False
    except (FileNotFoundError, ValueError):
        return False
    return all((dest / name).is_file() and not (dest / name).is_symlink()
               and (dest / name).stat().st_size == source.stat().st_size for name, source in sources.items())
