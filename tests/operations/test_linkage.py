"""Ingest and link from Python: registered and audited in the unit's transaction, or not at all.

No CLI here: a notebook or a script (a linkage officer's) calling
:mod:`nightingale.operations.linkage` in a unit of its own gets the same
``dataset.ingested`` / ``linkage.run`` entries as the commands do. When the unit does not
commit, neither the entry nor the version or run, nor the files written for them, survive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from nightingale.cli.governance_demo import OFFICER, intake_ready
from nightingale.governance import audit, datasets
from nightingale.governance.errors import NotFound
from nightingale.linkage.spine import current_run, spine_folder
from nightingale.linkage.tables import LinkRun, versions_of
from nightingale.operations import linkage
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot
from tests.linkage.conftest import FILES
from tests.linkage.region import write_region


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """An initialised data root holding the hand-made region's extracts (nothing ingested)."""
    chosen = Settings(data_root=tmp_path / "var", database_url=database_url)
    initialise(chosen)
    write_region(chosen.data_root / "demo-region")
    with open_unit(chosen, "setup") as unit:
        intake_ready(unit.session, unit.keystore)  # a linkage officer and the agreements
    return chosen


def _extracts(settings: Settings, provider: str) -> list[Path]:
    folder = settings.data_root / "demo-region" / "extracts" / provider
    return [folder / name for name in FILES[provider]]


def _truth(settings: Settings) -> Path:
    return settings.data_root / "demo-region" / "truth" / "records.csv"


def _audited(settings: Settings, action: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(actor, object id, details) of every committed entry whose action starts so."""
    with open_unit(settings, "reader") as unit:
        return [
            (entry.actor, entry.object_id, audit.details_of(entry))
            for entry in audit.entries(unit.session, action_prefix=action)
        ]


def _versions(settings: Settings, provider: str) -> set[str]:
    with open_unit(settings, "reader") as unit:
        return {row.version_id for row in versions_of(unit.session, provider)}


def _runs(settings: Settings) -> list[str]:
    with open_unit(settings, "reader") as unit:
        return list(unit.session.scalars(select(LinkRun.run_id).order_by(LinkRun.run_id)))


def _files_of(settings: Settings, provider: str) -> list[Path]:
    """Everything ingest writes for ``provider`` (content, identifiers, key maps, quarantine)."""
    root = DataRoot(settings.data_root)
    folders = [
        root.content / provider,
        root.linkage / "identifiers" / provider,
        root.linkage / "keymaps" / provider,
        root.quarantine,
    ]
    return sorted(path for folder in folders if folder.is_dir() for path in folder.iterdir())


def _ingest_all(settings: Settings) -> None:
    for provider in FILES:
        with open_unit(settings, OFFICER) as unit:
            linkage.ingest(unit, provider, _extracts(settings, provider))


def test_ingest_from_python_registers_and_audits_the_version_in_one_transaction(
    settings: Settings,
) -> None:
    with open_unit(settings, OFFICER) as unit:
        report = linkage.ingest(unit, "housing", _extracts(settings, "housing"))
    [(actor, object_id, details)] = _audited(settings, "dataset.ingested")
    assert (actor, object_id) == (OFFICER, f"housing/{report.version_id}")
    assert details["provider"] == "housing" and details["version"] == report.version_id
    tenancies = details["files"]["tenancies.csv"]
    assert (tenancies["rows"], tenancies["accepted"], tenancies["quarantined"]) == (8, 8, 0)
    assert tenancies["sha256"] == report.files[0].sha256
    assert _versions(settings, "housing") == {report.version_id}


def test_ingesting_the_newest_version_again_changes_and_audits_nothing(
    settings: Settings,
) -> None:
    for _ in range(2):
        with open_unit(settings, OFFICER) as unit:
            report = linkage.ingest(unit, "housing", _extracts(settings, "housing"))
    assert report.version_id is None
    assert len(_audited(settings, "dataset.ingested")) == 1


def test_a_unit_that_fails_after_ingest_keeps_no_entry_no_version_and_no_files(
    settings: Settings,
) -> None:
    with pytest.raises(RuntimeError, match="later step"), open_unit(settings, OFFICER) as unit:
        linkage.ingest(unit, "housing", _extracts(settings, "housing"))
        assert _files_of(settings, "housing")  # written before the commit
        raise RuntimeError("a later step of the same unit failed")
    assert _audited(settings, "dataset.ingested") == []
    assert _versions(settings, "housing") == set()
    assert _files_of(settings, "housing") == []


def _refuse_commit(_session: Session) -> None:
    raise RuntimeError("the database refused the commit")


def test_a_commit_that_fails_after_ingest_returned_removes_the_versions_files(
    settings: Settings,
) -> None:
    refused = pytest.raises(RuntimeError, match="refused the commit")
    with refused, open_unit(settings, OFFICER) as unit:
        linkage.ingest(unit, "housing", _extracts(settings, "housing"))
        event.listen(unit.session, "before_commit", _refuse_commit)
    assert _versions(settings, "housing") == set()
    assert _files_of(settings, "housing") == []


def test_a_governance_refusal_later_in_the_unit_takes_the_ingest_back_with_it(
    settings: Settings,
) -> None:
    # A refusal rolls the unit's transaction back and commits only its own audit entry.
    with pytest.raises(NotFound), open_unit(settings, OFFICER) as unit:
        linkage.ingest(unit, "housing", _extracts(settings, "housing"))
        datasets.register_dataset(
            unit.session, unit.keystore, by="nobody", name="x", classification="public",
            description="",
        )  # fmt: skip
    assert _audited(settings, "dataset.ingested") == []
    assert [actor for actor, _, _ in _audited(settings, "dataset.manage.refused")] == ["nobody"]
    assert _versions(settings, "housing") == set()
    assert _files_of(settings, "housing") == []


def test_link_from_python_records_and_audits_the_run_in_one_transaction(
    settings: Settings,
) -> None:
    _ingest_all(settings)
    with open_unit(settings, OFFICER) as unit:
        summary = linkage.link(unit, truth=_truth(settings))
    [(actor, object_id, details)] = _audited(settings, "linkage.run")
    assert (actor, object_id) == (OFFICER, summary.run_id)
    assert details == {
        "key_id": summary.key_id,
        "versions": summary.versions,
        "counts": summary.counts,
    }
    assert _runs(settings) == [summary.run_id]
    assert current_run(DataRoot(settings.data_root)) == summary.run_id
    assert "measured" in summary.metrics


def test_a_unit_that_fails_after_link_leaves_the_previous_spine_in_force_and_no_entry(
    settings: Settings,
) -> None:
    root = DataRoot(settings.data_root)
    _ingest_all(settings)
    with open_unit(settings, OFFICER) as unit:
        first = linkage.link(unit)
    with pytest.raises(RuntimeError, match="later step"), open_unit(settings, OFFICER) as unit:
        failed = linkage.link(unit)
        assert current_run(root) == failed.run_id
        raise RuntimeError("a later step of the same unit failed")
    assert current_run(root) == first.run_id
    assert not spine_folder(root, failed.run_id).exists()
    assert [object_id for _, object_id, _ in _audited(settings, "linkage.run")] == [first.run_id]
    assert _runs(settings) == [first.run_id]


def test_a_first_link_that_is_not_committed_leaves_no_spine_in_force(
    settings: Settings,
) -> None:
    root = DataRoot(settings.data_root)
    _ingest_all(settings)
    with pytest.raises(RuntimeError), open_unit(settings, OFFICER) as unit:
        failed = linkage.link(unit)
        raise RuntimeError("a later step of the same unit failed")
    assert current_run(root) is None
    assert not spine_folder(root, failed.run_id).exists()
