"""Where a FlinkJob's state can be restored from when its job is gone, and which point is the newest.

A *restore point* is a savepoint or a retained checkpoint. The provider knows them from three sources, and says
which one each point came from:

1. **REST**: `GET /jobs/<id>/checkpoints` of a job the JobManager still knows (`latest.savepoint`, and
   `latest.completed` when `GET /jobs/<id>/checkpoints/config` says checkpoints are externalized, i.e.
   `execution.checkpointing.externalized-checkpoint-retention` is RETAIN_ON_CANCELLATION or DELETE_ON_CANCELLATION).
2. **Recorded outputs**: `lastSavepoint` (its time from `savepointHistory`) and `lastCheckpoint` (path and time of
   the last retained checkpoint seen by create, update and refresh).
3. **Directories the provider can list**: only `file://` (or plain absolute) paths visible to the provider
   process. Under the checkpoint directory, `<dir>/<jobId>/chk-<n>/_metadata`; under the savepoint directory,
   `<dir>/<jobId>/savepoint-*/_metadata`, where this provider's stops put their savepoints (`stop_target`). Job
   ids carry their lineage (job_lifecycle), so the directories of the recorded job's successors are found by
   prefix too. Object stores (`s3://`, `gs://`, ...) are not listed; the error then says where to look.

A savepoint found in a stop directory, or the savepoint of a job the JobManager reports FINISHED, was taken by a
stop-with-savepoint: it holds the job's final state (`final`). Only when the newest point is final may a job be
resumed without the operator's consent (`onMissingJob`); a newer point always wins over an older one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

METADATA_FILE = "_metadata"
CHECKPOINT_DIR_PREFIX = "chk-"
SAVEPOINT_DIR_PREFIX = "savepoint-"
#: How deep successor directories are followed (each upgrade adds one generation).
MAX_GENERATIONS = 64


def iso_ms(at_ms: int | None) -> str:
    """UTC ISO-8601 (seconds) of an epoch-milliseconds time, or "time unknown"."""
    if not at_ms:
        return "time unknown"
    return datetime.fromtimestamp(at_ms / 1000, timezone.utc).isoformat(timespec="seconds")


def ms_of_iso(text: Any) -> int | None:
    """Epoch milliseconds of an ISO-8601 time as written in savepointHistory, or None."""
    try:
        return int(datetime.fromisoformat(str(text)).timestamp() * 1000)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class RestorePoint:
    """A savepoint or retained checkpoint the job's state can be restored from."""

    kind: str  # "savepoint" | "checkpoint"
    path: str
    at_ms: int | None
    source: str
    final: bool = False  # taken by a stop-with-savepoint: the job's final state
    job_id: str | None = None  # the job it belongs to, when known

    def describe(self) -> str:
        verb = "taken" if self.kind == "savepoint" else "completed"
        return f"{self.kind} {self.path} ({verb} {iso_ms(self.at_ms)}; {self.source})"

    def as_output(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "at": iso_ms(self.at_ms) if self.at_ms else None,
                "atMs": self.at_ms, "source": self.source}


def local_dir(uri: str | None) -> Path | None:
    """The local path of a `file://` URI or an absolute path; None for anything the provider cannot list."""
    if not uri:
        return None
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if not parts.scheme and uri.startswith("/"):
        return Path(uri)
    return None


def exists(path: str) -> bool | None:
    """True/False for a restore point the provider can see, None when it cannot tell (remote storage)."""
    local = local_dir(path)
    return None if local is None else (local / METADATA_FILE).is_file()


def newest(points: Iterable[RestorePoint]) -> list[RestorePoint]:
    """Points newest first (unknown times last); one entry per path; local points whose files are gone dropped."""
    merged: dict[str, RestorePoint] = {}
    for point in points:
        if exists(point.path) is False:
            continue
        key = point.path.rstrip("/")
        old = merged.get(key)
        if old is None:
            merged[key] = point
            continue
        first = old if old.final or not point.final else point
        merged[key] = RestorePoint(first.kind, first.path, max(old.at_ms or 0, point.at_ms or 0) or None,
                                   first.source, old.final or point.final, first.job_id or old.job_id)
    return sorted(merged.values(), key=lambda p: (p.at_ms or 0, p.final), reverse=True)


def job_dirs(base_uri: str | None) -> list[str]:
    """Names of the job directories (32 hex) under a listable base directory."""
    base = local_dir(base_uri)
    try:
        return [n for n in os.listdir(base) if len(n) == 32] if base is not None else []
    except OSError:
        return []


def lineage_job_ids(base: Path, job_id: str, successor_prefix) -> list[str]:
    """`job_id` and every descendant (by successor prefix) that has a directory under `base`."""
    try:
        names = [n for n in os.listdir(base) if len(n) == 32]
    except OSError:
        return []
    found, frontier = [job_id], [job_id]
    for _ in range(MAX_GENERATIONS):
        nxt = [n for parent in frontier for n in names if n.startswith(successor_prefix(parent)) and n not in found]
        if not nxt:
            break
        found.extend(nxt)
        frontier = nxt
    return found


def _metadata_ms(directory: Path) -> int | None:
    try:
        return int((directory / METADATA_FILE).stat().st_mtime * 1000)
    except OSError:
        return None


def as_uri(path: Path) -> str:
    """How Flink writes a local restore path (`file:/abs/path`)."""
    return "file:" + str(path)


def _complete_dirs_of_lineage(base_uri: str | None, job_id: str, successor_prefix,
                              prefix: str) -> Iterable[tuple[str, Path, list[Path]]]:
    """For each lineage job of ``job_id`` under ``base_uri``: (job id, its directory, its subdirectories named
    ``prefix…`` that hold a ``_metadata`` file, i.e. complete checkpoints or savepoints). Unreadable directories are
    skipped; a base that is not a local directory yields nothing."""
    base = local_dir(base_uri)
    if base is None:
        return
    for jid in lineage_job_ids(base, job_id, successor_prefix):
        job_dir = base / jid
        try:
            found = [d for d in job_dir.iterdir() if d.name.startswith(prefix) and (d / METADATA_FILE).is_file()]
        except OSError:
            continue
        yield jid, job_dir, found


def checkpoints_under(base_uri: str | None, job_id: str, successor_prefix) -> list[RestorePoint]:
    """The newest complete checkpoint (`chk-<n>/_metadata`) of each lineage job under a checkpoint base dir."""
    points = []
    for _, job_dir, found in _complete_dirs_of_lineage(base_uri, job_id, successor_prefix, CHECKPOINT_DIR_PREFIX):
        chks = [d for d in found if d.name[len(CHECKPOINT_DIR_PREFIX):].isdigit()]
        if chks:
            best = max(chks, key=lambda d: int(d.name[len(CHECKPOINT_DIR_PREFIX):]))
            points.append(RestorePoint("checkpoint", as_uri(best), _metadata_ms(best),
                                       f"found in {as_uri(job_dir)}"))
    return points


def stop_savepoints_under(base_uri: str | None, job_id: str, successor_prefix) -> list[RestorePoint]:
    """Savepoints this provider's stops wrote to `<savepoint base>/<jobId>/` for the lineage of `job_id`."""
    return [
        RestorePoint("savepoint", as_uri(d), _metadata_ms(d),
                     f"stop-with-savepoint of job {jid}, found in {as_uri(job_dir)}", final=True, job_id=jid)
        for jid, job_dir, found in _complete_dirs_of_lineage(base_uri, job_id, successor_prefix, SAVEPOINT_DIR_PREFIX)
        for d in found
    ]


def recorded(olds: Mapping[str, Any]) -> list[RestorePoint]:
    """`lastSavepoint` and `lastCheckpoint` from stored outputs (read leniently: old state lacks them)."""
    points = []
    last = olds.get("lastSavepoint")
    if isinstance(last, str) and last:
        at = None
        for entry in olds.get("savepointHistory") or []:
            if isinstance(entry, Mapping) and entry.get("path") == last:
                at = ms_of_iso(entry.get("timestamp"))
        points.append(RestorePoint("savepoint", last, at, "recorded lastSavepoint"))
    checkpoint = olds.get("lastCheckpoint")
    if isinstance(checkpoint, Mapping) and isinstance(checkpoint.get("path"), str):
        at = checkpoint.get("atMs") if isinstance(checkpoint.get("atMs"), int) else ms_of_iso(checkpoint.get("at"))
        points.append(RestorePoint("checkpoint", checkpoint["path"], at, "recorded lastCheckpoint"))
    return points


def newest_of_each_kind(points: list[RestorePoint]) -> list[RestorePoint]:
    """The newest savepoint and the newest checkpoint (newest first)."""
    out = []
    for kind in ("savepoint", "checkpoint"):
        of_kind = [p for p in points if p.kind == kind]
        if of_kind:
            out.append(of_kind[0])
    return sorted(out, key=lambda p: p.at_ms or 0, reverse=True)
