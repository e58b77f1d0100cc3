"""Copies of withdrawn releases in a persistent home: what is caught, what is left alone.

A release is recognised by its files' content and by its pseudonyms, from marks written
when it was mounted, so a release whose folder is already deleted (as ``governance
enforce`` does on expiry) is still recognised; the marks hold digests, never values.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from nightingale.governance.models import AuditEntry
from nightingale.operations.release_copies import (
    RELEASE_PIDS,
    SAME_CONTENT,
    QuarantineReport,
    marks_folder,
    quarantine_withdrawn_copies,
    remember_releases,
)
from nightingale.operations.workspace import VisibleRelease, readable_releases
from nightingale.platform.settings import Settings
from tests.workspace_world import World, build_world


def _mounted(world: World) -> VisibleRelease:
    world.released("dfh-pilot", by="rita")
    with world.unit("rita") as unit:
        (release,) = readable_releases(unit)
    remember_releases(world.settings.data_root, "rita", [release])
    return release


def _home(world: World) -> Path:
    home = world.settings.data_root / "workspaces" / "homes" / "rita"
    home.mkdir(parents=True)
    return home


def _sweep(
    world: World, home: Path, still_readable: frozenset[str] = frozenset()
) -> QuarantineReport:
    with world.unit("hub") as unit:
        return quarantine_withdrawn_copies(unit, "rita", home, still_readable)


def test_the_marks_recognise_a_release_without_holding_its_values(settings: Settings) -> None:
    world = build_world(settings)
    release = _mounted(world)
    (marks,) = marks_folder(settings.data_root, "rita").glob("*.json")
    assert marks.stat().st_mode & 0o777 == 0o600
    text = marks.read_text()
    pids = pq.read_table(release.path / "persons.parquet").column("pid").to_pylist()
    assert not any(f'"{pid}"' in text for pid in pids)
    assert len(json.loads(text)["pid_digests"]) == len(pids)


def test_copies_are_moved_aside_even_after_the_release_was_deleted(settings: Settings) -> None:
    world = build_world(settings)
    release = _mounted(world)
    home = _home(world)
    persons = release.path / "persons.parquet"
    shutil.copy(persons, home / "renamed.dat")  # same content, any name
    (home / "deep" / "er").mkdir(parents=True)
    subset = pq.read_table(persons).slice(0, 5).rename_columns(["pid", "a", "b", "c"])
    pq.write_table(subset, home / "deep" / "er" / "five.bin")  # Parquet by its magic
    pq.write_table(pa.table({"pid": ["not-a-release-pid"]}), home / "mine.parquet")
    (home / "notes.txt").write_text("mine")
    (home / "link.parquet").symlink_to(persons)  # links are never followed nor moved
    shutil.rmtree(release.path)  # enforce deletes an expired release's folder

    report = _sweep(world, home)

    found = {c.path: (c.release_id, c.rule) for c in report.copies}
    assert found == {
        "renamed.dat": (release.release_id, SAME_CONTENT),
        "deep/er/five.bin": (release.release_id, RELEASE_PIDS),
    }
    assert sorted(p.name for p in home.rglob("*")) == [
        "deep", "er", "link.parquet", "mine.parquet", "notes.txt"
    ]  # fmt: skip
    folder = report.folder
    assert folder.parent == settings.data_root / "workspaces" / "quarantine" / "rita"
    assert (folder / "renamed.dat").is_file() and (folder / "deep/er/five.bin").is_file()
    assert folder.stat().st_mode & 0o777 == 0o700
    assert not any(marks_folder(settings.data_root, "rita").iterdir()), "marks are dropped"
    with world.unit("ada") as unit:
        entry = unit.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "workspace.copies_quarantined")
        ).one()
    assert entry.actor == "hub" and json.loads(entry.details)["files"] == 2


def test_a_release_still_readable_is_not_swept(settings: Settings) -> None:
    world = build_world(settings)
    release = _mounted(world)
    home = _home(world)
    shutil.copy(release.path / "persons.parquet", home / "copy.parquet")

    report = _sweep(world, home, frozenset({release.release_id}))

    assert report.copies == () and (home / "copy.parquet").exists()
    assert any(marks_folder(settings.data_root, "rita").iterdir()), "kept for later"
    with world.unit("ada") as unit:
        assert not unit.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "workspace.copies_quarantined")
        ).all()


def test_a_file_that_may_come_from_a_release_still_readable_is_left_alone(
    settings: Settings,
) -> None:
    world = build_world(settings)
    first = _mounted(world)
    world.released("dfh-pilot", by="rita")  # the same people, so the same pseudonyms
    with world.unit("rita") as unit:
        both = readable_releases(unit)
    remember_releases(settings.data_root, "rita", both)
    home = _home(world)
    pq.write_table(pq.read_table(first.path / "persons.parquet").slice(0, 5), home / "a.parquet")
    second = next(r for r in both if r.release_id != first.release_id)

    report = _sweep(world, home, frozenset({second.release_id}))

    assert report.releases == (first.release_id,) and report.copies == ()
    assert (home / "a.parquet").exists()
