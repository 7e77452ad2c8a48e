"""AppCDS class-data archives for the local cluster's JVMs (start 4.5 s -> about 2.4 s on 2 cores).

The first start for a given Java + classpath + flags "trains": the JVM runs with ``-XX:ArchiveClassesAtExit`` and
writes a dynamic archive of the classes it loaded when it exits on SIGTERM (stop takes ~3 s longer once). The
archive is written to a unique temporary name and promoted to ``<role>-<key>.jsa`` by :func:`promote` after the
JVM ended, so concurrent sessions never read a half-written file. Later starts pass ``-XX:SharedArchiveFile``. The
key hashes everything the archive depends on; a stale or unusable archive is ignored by the JVM (``-Xshare:auto``
is the default), so this only ever costs speed, never correctness.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

#: JVM options for the two modes. Logging is limited to errors: training prints thousands of "Skipping" warnings.
ARCHIVE_AT_EXIT_FLAG = "-XX:ArchiveClassesAtExit={path}"
SHARED_ARCHIVE_FLAG = "-XX:SharedArchiveFile={path}"
QUIET_CDS_LOG_FLAG = "-Xlog:cds*=error"


def archive_key(java: str, classpath: str, flags: list[str]) -> str:
    """A short hash of the Java binary, the classpath jars (path, size, mtime) and the JVM flags."""
    real_java = os.path.realpath(java)
    parts = [real_java, os.stat(real_java).st_mtime_ns, *flags]
    for entry in classpath.split(os.pathsep):
        st = os.stat(entry)
        parts += [entry, st.st_size, st.st_mtime_ns]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def jvm_flags(cds_dir: Path, role: str, key: str) -> tuple[list[str], tuple[str, str] | None]:
    """Flags for one JVM, and ``(temporary, final)`` archive paths when this start trains a new archive."""
    final = cds_dir / f"{role}-{key}.jsa"
    if final.is_file():
        return [SHARED_ARCHIVE_FLAG.format(path=final), QUIET_CDS_LOG_FLAG], None
    try:
        cds_dir.mkdir(parents=True, exist_ok=True)
    except OSError:  # no writable cache dir: run without AppCDS
        return [], None
    temporary = cds_dir / f"{role}-{key}.{uuid.uuid4().hex[:8]}.training"
    return [ARCHIVE_AT_EXIT_FLAG.format(path=temporary), QUIET_CDS_LOG_FLAG], (str(temporary), str(final))


def promote(training: dict[str, list[str]]) -> None:
    """After the JVMs ended: move each finished training archive to its final name (or drop it)."""
    for temporary, final in training.values():
        tmp = Path(temporary)
        try:
            if tmp.is_file() and tmp.stat().st_size > 0 and not Path(final).exists():
                os.replace(tmp, final)
            tmp.unlink(missing_ok=True)
        except OSError:  # the cache dir was removed meanwhile: it is only a cache
            pass


def discard(training: dict[str, list[str]], role: str) -> None:
    """Forget the training of ``role`` (its JVM was SIGKILLed and wrote no complete archive)."""
    entry = training.pop(role, None)
    if entry:
        Path(entry[0]).unlink(missing_ok=True)
