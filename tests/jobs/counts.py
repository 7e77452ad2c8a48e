"""Read what the test job wrote: lines ``<version> <subtask> <key> <count>`` in files
``<build version>-<job id>-<subtask>-<attempt>.txt`` under an output directory.

Each key's counter lives in Flink ``ValueState``, so after a restore from a savepoint the new job's first count of
a key is the saved count + 1; a job that lost its state starts again at 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CountLine:
    """One output record."""

    version: str
    subtask: int
    key: str
    count: int
    job_id: str
    file: str


def read_lines(out_dir: str | Path) -> list[CountLine]:
    """All complete lines of every output file, in file order (a line still being written is skipped)."""
    lines: list[CountLine] = []
    for path in sorted(Path(out_dir).glob("*.txt")):
        parts = path.stem.rsplit("-", 3)  # <build version>-<job id>-<subtask>-<attempt>
        job_id = parts[1] if len(parts) == 4 else ""
        text = path.read_text()
        for raw in text.splitlines(keepends=True):
            if not raw.endswith("\n"):
                continue
            fields = raw.split()
            if len(fields) != 4:
                raise ValueError(f"{path}: malformed line {raw!r}; expected '<version> <subtask> <key> <count>'")
            version, subtask, key, count = fields
            lines.append(CountLine(version, int(subtask), key, int(count), job_id, path.name))
    return lines


def _select(out_dir, job_id: str | None, version: str | None) -> list[CountLine]:
    return [ln for ln in read_lines(out_dir)
            if (job_id is None or ln.job_id == job_id) and (version is None or ln.version == version)]


def read_counts(out_dir: str | Path, *, job_id: str | None = None, version: str | None = None) -> dict[str, int]:
    """``{key: highest count}`` over the selected lines (all jobs and versions by default)."""
    result: dict[str, int] = {}
    for ln in _select(out_dir, job_id, version):
        result[ln.key] = max(result.get(ln.key, 0), ln.count)
    return result


def first_counts(out_dir: str | Path, *, job_id: str | None = None, version: str | None = None) -> dict[str, int]:
    """``{key: lowest count}`` over the selected lines: a job's first count per key (counts only grow)."""
    result: dict[str, int] = {}
    for ln in _select(out_dir, job_id, version):
        result[ln.key] = min(result.get(ln.key, ln.count), ln.count)
    return result


def counts_by_version(out_dir: str | Path) -> dict[str, dict[str, int]]:
    """``{version: {key: highest count}}``."""
    versions = sorted({ln.version for ln in read_lines(out_dir)})
    return {v: read_counts(out_dir, version=v) for v in versions}


def job_ids(out_dir: str | Path) -> set[str]:
    """Ids of the jobs that wrote into ``out_dir``."""
    return {ln.job_id for ln in read_lines(out_dir)}
