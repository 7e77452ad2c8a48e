"""Process-group helpers (Linux ``/proc``): find the live members of a group and end the group within a deadline.

Each JVM of the local Flink cluster runs in its own session (``start_new_session=True``), so its pid is also its
process-group id and everything it forks stays in that group. Zombies count as gone: a killed child whose parent
has exited may linger as a zombie until the init process reaps it, but it holds no resources.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name: [state, ppid, pgrp, ...], or None if gone."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return raw[raw.rfind(")") + 2:].split()


def is_alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] not in ("Z", "X")


def cmdline(pid: int) -> str:
    """The command line of ``pid`` joined with spaces ('' if it is gone)."""
    try:
        return (_PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) pids whose process group is ``pgid``."""
    members = []
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
                members.append(int(entry.name))
    return members


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_gone(pgids: list[int], deadline: float, reap: list | None) -> bool:
    while True:
        if not any(group_members(g) for g in pgids):
            for proc in reap or ():
                try:  # reap our own children so they do not stay zombies
                    proc.wait(timeout=max(0.0, deadline - time.monotonic()) + 1.0)
                except Exception:  # noqa: BLE001 - a child we cannot reap is left to init
                    pass
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def terminate_groups(pgids: list[int], *, grace_s: float = 10.0, reap: list | None = None) -> tuple[list[int], bool]:
    """SIGTERM every group, SIGKILL whatever is left after ``grace_s``.

    Returns the pids that survived even SIGKILL, and whether SIGKILL was needed. ``reap`` may hold the
    ``subprocess.Popen`` objects of group leaders that this process started, so they are reaped.
    """
    pgids = [g for g in pgids if g]
    for pgid in pgids:
        _signal_group(pgid, signal.SIGTERM)
    if _wait_gone(pgids, time.monotonic() + grace_s, reap):
        return [], False
    for pgid in pgids:
        _signal_group(pgid, signal.SIGKILL)
    _wait_gone(pgids, time.monotonic() + 5.0, reap)
    return [pid for g in pgids for pid in group_members(g)], True


def kill_groups(pgids: list[int], *, reap: list | None = None) -> list[int]:
    """SIGKILL every group at once (a crash, not a shutdown); returns the pids that still survive."""
    for pgid in pgids:
        _signal_group(pgid, signal.SIGKILL)
    _wait_gone(pgids, time.monotonic() + 5.0, reap)
    return [pid for g in pgids for pid in group_members(g)]


def pids_mentioning(text: str) -> list[int]:
    """Live (non-zombie) pids whose command line contains ``text`` (e.g. a cluster's work dir)."""
    return [int(e.name) for e in _PROC.iterdir()
            if e.name.isdigit() and is_alive(int(e.name)) and text in cmdline(int(e.name))]
