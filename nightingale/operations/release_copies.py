"""Copies of withdrawn releases in persistent homes: recognised, moved aside, audited.

A researcher's persistent home (``<data_root>/workspaces/homes/<name>``) outlives the
releases mounted next to it, and nothing stops them copying a release (or part of one)
into it. When a release is withdrawn from a person (revoked, expired, their project
closed to them), the copies in their home are moved to
``<data_root>/workspaces/quarantine/<name>/<UTC time>/`` for a steward to review, at the
same relative paths, with ``reasons.json`` saying which release and which rule caught
each file. Nothing is deleted; the move is audited (``workspace.copies_quarantined``:
counts and release ids, never values).

What counts as a copy, kept cheap and explainable:

- **same content**: a regular file with the SHA-256 of one of the release's files (only
  files of the same size as one are hashed);
- **release pids**: a Parquet file (by its ``PAR1`` magic, whatever its name) with a
  ``pid`` column holding at least one of the release's pseudonyms.

A file that also matches a release the person may still read (pseudonyms are per
project, so two releases of a project share them) is left alone: it may come from that
one. A copy renamed, re-encoded as CSV, or with its ``pid`` column renamed or dropped is not
caught (docs/security.md lists the limits).

The release folder may be deleted by the time it is withdrawn (``governance enforce``
deletes expired releases in the same step), so when the hub mounts a release for a
person it first writes the release's *marks* for them:
``<data_root>/workspaces/marks/<name>/<release_id>.json`` (0600): each file's size and
SHA-256 and a digest (SHA-256, first 16 hex digits) of each ``pid`` value — digests, not
the pseudonyms. A withdrawn release's marks are dropped once its copies are swept.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from nightingale.operations.unit import Unit
from nightingale.operations.workspace import VisibleRelease
from nightingale.platform.storage import atomic_write_json, sha256_file

PID_COLUMN = "pid"
SAME_CONTENT = "same content"
RELEASE_PIDS = "release pids"
PARQUET_MAGIC = b"PAR1"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def marks_folder(data_root: Path, username: str) -> Path:
    """Where the marks of the releases mounted for ``username`` are kept."""
    return data_root / "workspaces" / "marks" / _safe(username)


def quarantine_folder(data_root: Path, username: str) -> Path:
    """Where copies found in ``username``'s home wait for a steward."""
    return data_root / "workspaces" / "quarantine" / _safe(username)


def _safe(name: str) -> str:
    if not _SAFE_NAME.match(name):
        raise ValueError(f"refusing {name!r} as a folder name")
    return name


def pid_digest(value: object) -> str:
    """The digest by which a release's pseudonym is recognised (not the pseudonym)."""
    return hashlib.sha256(str(value).encode()).hexdigest()[:16]


def _regular_files(folder: Path) -> Iterator[Path]:
    """Regular files under ``folder``; symbolic links are never followed or returned."""
    for parent, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(parent) / name
            if stat.S_ISREG(path.lstat().st_mode):
                yield path


def _is_parquet(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == PARQUET_MAGIC
    except OSError:
        return False


def _pid_digests(path: Path) -> set[str]:
    """Digests of the ``pid`` values of a Parquet file; empty when it has no such column."""
    try:
        if PID_COLUMN not in pq.read_schema(path).names:
            return set()
        values = pq.read_table(path, columns=[PID_COLUMN]).column(0).to_pylist()
    except (pa.ArrowException, OSError, ValueError):  # unreadable: not a Parquet copy
        return set()
    return {pid_digest(v) for v in values if v is not None}


@dataclass(frozen=True)
class ReleaseMarks:
    """How a release's copies are recognised, without holding any of its values."""

    release_id: str
    project: str
    files: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Each file's path in the release: its size and SHA-256."""
    pids: frozenset[str] = frozenset()
    """Digests (:func:`pid_digest`) of every ``pid`` value in the release's Parquet files."""

    @classmethod
    def of(cls, release: VisibleRelease) -> ReleaseMarks:
        files: dict[str, tuple[int, str]] = {}
        pids: set[str] = set()
        for path in _regular_files(release.path):
            files[path.relative_to(release.path).as_posix()] = (
                path.stat().st_size,
                sha256_file(path),
            )
            if _is_parquet(path):
                pids |= _pid_digests(path)
        return cls(release.release_id, release.project, files, frozenset(pids))

    def to_json(self) -> dict[str, object]:
        return {
            "release_id": self.release_id,
            "project": self.project,
            "files": {name: list(value) for name, value in sorted(self.files.items())},
            "pid_digests": sorted(self.pids),
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ReleaseMarks:
        return cls(
            release_id=str(value["release_id"]),
            project=str(value["project"]),
            files={str(k): (int(v[0]), str(v[1])) for k, v in value["files"].items()},
            pids=frozenset(str(d) for d in value["pid_digests"]),
        )


def remember_releases(
    data_root: Path, username: str, releases: Sequence[VisibleRelease]
) -> list[str]:
    """Write the marks of each release about to be mounted for ``username`` (once each).

    Returns the release ids whose marks were written now. Called by the hub before it
    starts a server, while every release folder is still there.
    """
    folder = marks_folder(data_root, username)
    written = []
    for release in releases:
        target = folder / f"{_safe(release.release_id)}.json"
        if target.exists():
            continue
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write_json(target, ReleaseMarks.of(release).to_json(), mode=0o600)
        written.append(release.release_id)
    return written


@dataclass(frozen=True)
class Copy:
    """A file of the home recognised as (part of) a withdrawn release."""

    path: str
    """Relative to the home, with ``/``."""
    release_id: str
    rule: str


def find_copies(home: Path, marks: Sequence[ReleaseMarks]) -> list[Copy]:
    """The files in ``home`` that are copies of the releases of ``marks`` (see the rules)."""
    by_size: dict[int, list[tuple[str, ReleaseMarks]]] = {}
    for mark in marks:
        for size, digest in mark.files.values():
            by_size.setdefault(size, []).append((digest, mark))
    found: list[Copy] = []
    if not home.is_dir():
        return found
    for path in _regular_files(home):
        relative = path.relative_to(home).as_posix()
        candidates = by_size.get(path.lstat().st_size)
        if candidates:
            digest = sha256_file(path)
            match = next((m for d, m in candidates if d == digest), None)
            if match is not None:
                found.append(Copy(relative, match.release_id, SAME_CONTENT))
                continue
        if _is_parquet(path):
            pids = _pid_digests(path)
            overlap = next((m for m in marks if pids & m.pids), None)
            if overlap is not None:
                found.append(Copy(relative, overlap.release_id, RELEASE_PIDS))
    return found


@dataclass(frozen=True)
class QuarantineReport:
    """What a sweep of one home did."""

    releases: tuple[str, ...] = ()
    """The withdrawn releases whose copies were looked for."""
    copies: tuple[Copy, ...] = ()
    folder: Path | None = None
    """Where the copies now are (``None`` when none were found)."""


def _all_marks(data_root: Path, username: str) -> list[tuple[Path, ReleaseMarks]]:
    folder = marks_folder(data_root, username)
    if not folder.is_dir():
        return []
    return [
        (path, ReleaseMarks.from_json(json.loads(path.read_text())))
        for path in sorted(folder.glob("*.json"))
    ]


def _without(marks: ReleaseMarks, kept: Sequence[ReleaseMarks]) -> ReleaseMarks:
    """``marks`` less what it shares with releases still readable (pids, file contents)."""
    kept_files = {value for k in kept for value in k.files.values()}
    kept_pids = frozenset().union(*(k.pids for k in kept))
    files = {n: v for n, v in marks.files.items() if v not in kept_files}
    return ReleaseMarks(marks.release_id, marks.project, files, marks.pids - kept_pids)


def quarantine_withdrawn_copies(
    unit: Unit, username: str, home: Path, still_readable: Collection[str]
) -> QuarantineReport:
    """Move the copies of every release once mounted for ``username`` and no longer readable.

    ``still_readable`` are the release ids the person may read now. Run it only while no
    process of the person runs (the hub calls it after ending their server, and before
    starting one). The marks of the swept releases are dropped afterwards.
    """
    every = _all_marks(unit.root.path, username)
    withdrawn = [(p, m) for p, m in every if m.release_id not in still_readable]
    if not withdrawn:
        return QuarantineReport()
    kept = [m for _p, m in every if m.release_id in still_readable]
    release_ids = tuple(marks.release_id for _path, marks in withdrawn)
    copies = find_copies(home, [_without(marks, kept) for _path, marks in withdrawn])
    folder: Path | None = None
    if copies:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        folder = quarantine_folder(unit.root.path, username) / stamp
        folder.mkdir(mode=0o700, parents=True)
        for copy in copies:
            target = folder / copy.path
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.move(home / copy.path, target)
        atomic_write_json(
            folder / "reasons.json",
            {
                "username": username,
                "quarantined_at": stamp,
                "files": [
                    {"path": c.path, "release_id": c.release_id, "rule": c.rule} for c in copies
                ],
            },
            mode=0o600,
        )
        unit.audit(
            "workspace.copies_quarantined",
            "workspace",
            username,
            {
                "releases": sorted(release_ids),
                "files": len(copies),
                "same_content": sum(c.rule == SAME_CONTENT for c in copies),
                "release_pids": sum(c.rule == RELEASE_PIDS for c in copies),
                "folder": folder.relative_to(unit.root.path).as_posix(),
            },
        )
    for path, _marks in withdrawn:
        path.unlink(missing_ok=True)
    return QuarantineReport(release_ids, tuple(copies), folder)
