"""Retention: a dry run shows what is past its schedule; ``apply`` deletes it from every
zone with an audit entry each; a provider's newest version is never due; only an
administrator runs it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from nightingale.cli.governance_demo import OFFICER, intake_ready
from nightingale.governance import audit, releases, retention
from nightingale.governance.errors import PermissionDenied
from nightingale.governance.service import utcnow
from nightingale.linkage.identifiers import identifiers_path, keymap_path
from nightingale.linkage.retention import expire_run
from nightingale.linkage.spine import current_run
from nightingale.linkage.tables import versions_of
from nightingale.operations import linkage
from nightingale.operations import retention as retention_run
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot
from tests.linkage.conftest import FILES
from tests.linkage.region import write_region
from tests.operations.intake_world import build, pilot

LATER = utcnow() + timedelta(days=60)
"""When the runs below happen: past a 30-day schedule for everything made today."""


def _set(settings: Settings, scope: str, name: str, days: int = 30, by: str = "ada") -> None:
    with open_unit(settings, by) as unit:
        retention.set_rule(
            unit.session, unit.keystore, by=by, scope=scope, name=name, keep_days=days
        )


def _two_housing_versions(settings: Settings, link: bool = False) -> tuple[str, str]:
    """Two versions of the housing extract (each linked alone when ``link``)."""
    initialise(settings)
    region = settings.data_root / "demo-region"
    write_region(region)
    with open_unit(settings, "setup") as unit:
        intake_ready(unit.session, unit.keystore)
    folder = region / "extracts" / "housing"
    files = [folder / name for name in FILES["housing"]]
    versions = []
    for extra in ("", "\n"):
        (folder / "tenancies.csv").write_text(
            (folder / "tenancies.csv").read_text(encoding="utf-8") + extra, encoding="utf-8"
        )
        with open_unit(settings, OFFICER) as unit:
            version = linkage.ingest(unit, "housing", files).version_id
            if link:
                linkage.link(unit)
        assert version is not None
        versions.append(version)
    return versions[0], versions[1]


def _zones(root: DataRoot, version: str) -> list[Path]:
    return [
        root.content / "housing" / version,
        identifiers_path(root, "housing", version),
        keymap_path(root, "housing", version),
    ]


def test_a_dry_run_shows_the_old_version_and_apply_deletes_it_from_every_zone(
    settings: Settings,
) -> None:
    old, new = _two_housing_versions(settings)
    root = DataRoot(settings.data_root)
    _set(settings, "provider", "housing")
    with open_unit(settings, "ada") as unit:
        assert retention_run.run(unit, now=utcnow()) == []  # nothing is 30 days old yet
    with open_unit(settings, "ada") as unit:
        due = retention_run.run(unit, now=LATER)
    assert [(d.kind, d.owner, d.object_id) for d in due] == [("dataset_version", "housing", old)]
    assert all(path.exists() for path in _zones(root, old))  # a dry run deletes nothing
    with open_unit(settings, "ada") as unit:
        retention_run.run(unit, apply=True, now=LATER)
    assert not any(path.exists() for path in _zones(root, old))
    assert all(path.exists() for path in _zones(root, new))  # the newest is never due
    with open_unit(settings, "ada") as unit:
        assert {v.version_id for v in versions_of(unit.session, "housing")} == {new}
        [entry] = audit.entries(unit.session, action_prefix="dataset_version.deleted")
        assert (entry.actor, entry.object_id) == ("ada", f"housing/{old}")
        assert audit.details_of(entry)["reason"] == "retention: kept 30 days"


def test_a_link_run_made_from_an_expired_version_goes_with_it_but_never_the_spine_in_force(
    settings: Settings,
) -> None:
    old, _new = _two_housing_versions(settings, link=True)
    root = DataRoot(settings.data_root)
    first, in_force = sorted(p.name for p in (root.linkage / "spine").iterdir() if p.is_dir())
    assert current_run(root) == in_force
    _set(settings, "provider", "housing")
    with open_unit(settings, "ada") as unit:
        due = retention_run.run(unit, now=LATER)
    # The first run linked the old version: its tokens and pairs are derived from it.
    assert [(d.kind, d.owner, d.object_id) for d in due] == [
        ("dataset_version", "housing", old),
        ("link_run", "housing", first),
    ]
    with open_unit(settings, "ada") as unit:
        retention_run.run(unit, apply=True, now=LATER)
    assert not (root.linkage / "spine" / first).exists()
    assert (root.linkage / "spine" / in_force / "tokens.parquet").is_file()
    with open_unit(settings, "ada") as unit:
        [entry] = audit.entries(unit.session, action_prefix="link_run.deleted")
        assert (entry.actor, entry.object_id) == ("ada", first)
        assert "retention" in audit.details_of(entry)["reason"]
        assert retention_run.run(unit, now=LATER) == []  # nothing left to delete
    with pytest.raises(ValueError, match="spine in force"):
        expire_run(root, in_force)


def test_a_projects_expired_releases_are_revoked_and_deleted_with_audit_entries(
    settings: Settings,
) -> None:
    request_id = pilot(settings)
    release = build(settings, request_id)
    _set(settings, "project", "dfh-pilot", by="sam")  # stewards set schedules
    with open_unit(settings, "ada") as unit:
        retention_run.run(unit, apply=True, now=LATER)
    assert not release.path.exists()
    with open_unit(settings, "ada") as unit:
        recorded = releases.get_release(unit.session, release.release_id)
        assert recorded.deleted_at is not None and recorded.revoked_at is not None
        deleted = audit.entries(unit.session, action_prefix="release.deleted")
        assert [e.object_id for e in deleted] == [release.release_id]


@pytest.mark.parametrize("who", ["sam", "lina", "rita"])
def test_only_an_administrator_runs_retention(settings: Settings, who: str) -> None:
    request_id = pilot(settings)
    release = build(settings, request_id)
    _set(settings, "project", "dfh-pilot")
    refused = pytest.raises(PermissionDenied, match="retention.run needs the role administrator")
    with refused, open_unit(settings, who) as unit:
        retention_run.run(unit, apply=True, now=LATER)
    assert release.path.exists()
