"""Where a job jar comes from: a local path or an https URL, always checked against its sha256 before use.

`fetched_jar(source, sha256)` yields a local path whose content has the expected digest. An https source is
downloaded into a temporary file that is removed afterwards; a local file is hashed in place. A digest mismatch is
a JarDigestError naming the expected and the found digest, so nothing built from a wrong jar is ever run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests

from components.providers.connection import ProviderError

#: URL schemes a jar may be downloaded from (plain http is refused: the jar is code that will run).
JAR_URL_SCHEMES = ("https",)
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")  # use with fullmatch: the whole string
_CHUNK = 1 << 20


class JarSourceError(ProviderError):
    """The jar could not be read or downloaded."""


class JarDigestError(JarSourceError):
    """The jar's sha256 is not the expected one."""


def is_url(source: str) -> bool:
    """True when `source` is written as a URL (has a scheme), as opposed to a local path."""
    return re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*://", source) is not None  # a prefix test by design


def source_problem(source: str) -> str | None:
    """Why `source` cannot be a jar source (without touching the network or disk), or None if it can."""
    if not source:
        return "must be a local path or an https:// URL"
    if is_url(source):
        parts = urlsplit(source)
        if parts.scheme not in JAR_URL_SCHEMES:
            return f"URL scheme {parts.scheme!r} is not allowed; use {' or '.join(JAR_URL_SCHEMES)} or a local path"
        if not parts.hostname:
            return "URL has no host"
        if parts.username or parts.password:
            return "URL must not carry credentials"
    return None


def sha256_of(path: str) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check(source: str, expected: str, found: str) -> None:
    if found != expected:
        raise JarDigestError(f"jar {source} has sha256 {found}, expected jarSha256 {expected}; nothing was run "
                             "(update jarSha256 if the jar changed on purpose)")


@contextlib.contextmanager
def fetched_jar(source: str, sha256: str, *, ca_bundle: str | None = None,
                timeout_s: float = 60.0) -> Iterator[str]:
    """Yield a local path to the jar at `source` after checking its sha256."""
    problem = source_problem(source)
    if problem:
        raise JarSourceError(f"jar {source!r}: {problem}")
    if not is_url(source):
        try:
            found = sha256_of(source)
        except OSError as exc:
            raise JarSourceError(f"jar {source} cannot be read: {exc.strerror or exc}") from None
        _check(source, sha256, found)
        yield source
        return
    fd, tmp = tempfile.mkstemp(prefix="flinkjob-", suffix=".jar")
    try:
        digest = hashlib.sha256()
        try:
            with os.fdopen(fd, "wb") as out, requests.get(source, stream=True, timeout=timeout_s,
                                                          verify=ca_bundle or True) as resp:
                if resp.status_code != 200:
                    raise JarSourceError(f"downloading jar {source} failed: HTTP {resp.status_code}")
                for chunk in resp.iter_content(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        except requests.RequestException as exc:
            raise JarSourceError(f"downloading jar {source} failed: {type(exc).__name__}: {exc}") from None
        _check(source, sha256, digest.hexdigest())
        yield tmp
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
