"""Linking a handful of records: a person per record, and nothing to link said plainly."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from nightingale.linkage.ingest import ingest
from nightingale.linkage.link import LinkSummary, link
from nightingale.linkage.schemas import provider
from nightingale.platform import database
from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import read_parquet
from tests.linkage.conftest import Platform

PEOPLE_FILES = {
    "health": "gp_registrations.csv",
    "housing": "tenancies.csv",
    "employment": "claimants.csv",
}


def _ingest_first_rows(platform: Platform, rows: dict[str, int], folder: Path) -> None:
    """Ingest the first ``rows[name]`` rows of each named provider's people file."""
    for name, count in rows.items():
        file = PEOPLE_FILES[name]
        lines = platform.extract(name, file).read_text(encoding="utf-8").splitlines()
        (folder / name).mkdir(parents=True)
        small = folder / name / file
        small.write_text("\n".join(lines[: 1 + count]) + "\n", encoding="utf-8")
        with database.session_scope(platform.engine) as session:
            ingest(session, platform.root, platform.keystore, provider(name), [small])


def _link(platform: Platform, truth: bool = False) -> LinkSummary:
    connection = duckdb.connect()
    try:
        with database.session_scope(platform.engine) as session:
            return link(
                session,
                platform.root,
                platform.keystore,
                connection,
                truth_path=platform.region / "truth" / "records.csv" if truth else None,
            )
    finally:
        connection.close()


def test_a_single_record_is_a_person_of_its_own(platform: Platform, tmp_path: Path) -> None:
    _ingest_first_rows(platform, {"health": 1}, tmp_path / "extracts")
    summary = _link(platform)
    assert summary.counts["records"] == summary.counts["persons"] == 1
    assert summary.counts["pairs_scored"] == summary.counts["links"] == 0
    spine = read_parquet(summary.folder / "spine.parquet")
    assert len(spine) == 1 and spine["person_id"].notna().all()
    assert (summary.folder / "report.html").is_file()


def test_one_record_per_provider_links_with_truth_and_reports(
    platform: Platform, tmp_path: Path
) -> None:
    """With a truth file and no record that has a true partner, partner recall is
    unknown (None, "-" on the page), not an error."""
    _ingest_first_rows(platform, dict.fromkeys(PEOPLE_FILES, 1), tmp_path / "extracts")
    summary = _link(platform, truth=True)
    spine = read_parquet(summary.folder / "spine.parquet")
    assert len(spine) == 3
    assert spine["person_id"].notna().all()
    assert summary.counts["persons"] == spine["person_id"].nunique()
    report = json.loads((summary.folder / "report.json").read_text(encoding="utf-8"))
    assert report["overall"]["records"] == 3
    assert "partner_recall" in report["overall"]
    assert (summary.folder / "report.html").is_file()


def test_a_single_record_with_truth_has_unknown_partner_recall(
    platform: Platform, tmp_path: Path
) -> None:
    _ingest_first_rows(platform, {"health": 1}, tmp_path / "extracts")
    summary = _link(platform, truth=True)
    report = json.loads((summary.folder / "report.json").read_text(encoding="utf-8"))
    assert report["overall"]["partner_recall"] is None
    assert summary.counts["persons"] == 1


def test_empty_versions_are_nothing_to_link_naming_them(platform: Platform, tmp_path: Path) -> None:
    _ingest_first_rows(platform, {"health": 0, "housing": 0}, tmp_path / "extracts")
    with pytest.raises(NightingaleError, match="nothing to link") as raised:
        _link(platform)
    message = str(raised.value)
    assert "health version " in message and "housing version " in message


def test_an_empty_provider_beside_a_small_one_is_skipped(
    platform: Platform, tmp_path: Path
) -> None:
    _ingest_first_rows(platform, {"health": 2, "housing": 0}, tmp_path / "extracts")
    summary = _link(platform)
    assert summary.counts["records"] == 2
    assert summary.counts["persons"] in (1, 2)
