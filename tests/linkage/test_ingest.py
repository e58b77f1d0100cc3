"""Ingest: nothing lost, identifiers separated and sealed, bad files rejected whole."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from nightingale.linkage.extracts import UnusableFile
from nightingale.linkage.identifiers import (
    identifier_context,
    identifiers_path,
    keymap_context,
    keymap_path,
    read_sealed_table,
)
from nightingale.linkage.ingest import IngestReport, ingest
from nightingale.linkage.schemas import provider
from nightingale.linkage.tables import DatasetVersion
from nightingale.platform import database
from nightingale.platform.errors import NightingaleError
from tests.linkage.conftest import Platform

IDENTIFIER_COLUMNS = {"nhs_number", "forename", "surname", "date_of_birth", "sex", "postcode"}


def _ingest(platform: Platform, provider_name: str, paths: list[Path]) -> IngestReport:
    with database.session_scope(platform.engine) as session:
        return ingest(session, platform.root, platform.keystore, provider(provider_name), paths)


def _with_bad_rows(platform: Platform) -> Path:
    """gp_registrations.csv plus four broken rows, one with two problems."""
    path = platform.extract("health", "gp_registrations.csv")
    text = path.read_text(encoding="utf-8")
    text += "P999999991,B12345,,Ann,Lee,1990-01-01,F,LS6 2AB,2019-13-01,,,E01000001,3,1\n"
    text += "X1,B12345,,Ann,Lee,1990-01-01,F,LS6 2AB,,,,E01000001,3,1\n"
    text += "P999999992,B12345,,Ann,Lee,1990-01-01,F,LS6 2AB,2019-01-01,,,E01000001,11,1\n"
    text += "P999999993,B12345,too,few,fields\n"
    bad = platform.region / "bad" / "gp_registrations.csv"
    bad.parent.mkdir()
    bad.write_text(text, encoding="utf-8")
    return bad


def test_every_row_is_accepted_or_quarantined_with_its_field_and_rule(platform: Platform) -> None:
    report = _ingest(platform, "health", [_with_bad_rows(platform)])
    people = report.files[0]
    assert people.rows_input == 13 + 4
    assert people.rows_accepted + people.rows_quarantined == people.rows_input
    assert people.rows_quarantined == 4
    assert report.version_id is not None
    reasons = pd.read_csv(
        platform.root.quarantine / report.version_id / "gp_registrations.csv.reasons.csv"
    )
    assert set(zip(reasons["field"], reasons["rule"], strict=True)) >= {
        ("registration_date", "date %Y-%m-%d"),
        ("registration_date", "required"),
        ("patient_id", r"str_matches('^P\d{9}$')"),
        ("imd_decile", "whole number 1..10"),
        ("row", "expected 14 fields, found 5"),
    }


def test_quarantined_rows_are_sealed_not_left_in_clear(platform: Platform) -> None:
    report = _ingest(platform, "health", [_with_bad_rows(platform)])
    assert report.version_id is not None
    folder = platform.root.quarantine / report.version_id
    sealed = (folder / "gp_registrations.csv.rows.bin").read_bytes()
    assert b"Lee" not in sealed
    rows = read_sealed_table(
        folder / "gp_registrations.csv.rows.bin", platform.keystore, "quarantine/health"
    )
    assert rows.num_rows == 4
    assert "Lee" not in (folder / "gp_registrations.csv.reasons.csv").read_text()


def test_identifiers_are_sealed_and_content_holds_none(platform: Platform) -> None:
    report = _ingest(
        platform,
        "health",
        [platform.extract("health", n) for n in ("gp_registrations.csv", "admissions.csv")],
    )
    assert report.version_id is not None
    content = platform.root.content / "health" / report.version_id
    people = pq.read_table(content / "gp_registrations.parquet")
    assert not IDENTIFIER_COLUMNS & set(people.column_names)
    assert "patient_id" not in people.column_names
    assert people.column_names[0] == "record_id"
    sealed = identifiers_path(platform.root, "health", report.version_id)
    assert b"Ashworth" not in sealed.read_bytes()
    identifiers = read_sealed_table(sealed, platform.keystore, identifier_context("health"))
    assert set(identifiers["record_id"].to_pylist()) == set(people["record_id"].to_pylist())
    assert identifiers.schema.field("date_of_birth").type == "date32[day]"


def _admissions(platform: Platform, version_id: str) -> pd.DataFrame:
    """The health version's admissions content table."""
    path = platform.root.content / "health" / version_id / "admissions.parquet"
    frame: pd.DataFrame = pq.read_table(path).to_pandas()
    return frame


def _record_ids(platform: Platform, version_id: str, local_keys: list[str]) -> list[str]:
    """The record ids the health version's sealed key map gives ``local_keys``."""
    keymap = read_sealed_table(
        keymap_path(platform.root, "health", version_id),
        platform.keystore,
        keymap_context("health"),
    ).to_pandas()
    by_key = dict(zip(keymap["local_key"], keymap["record_id"], strict=True))
    return [by_key[key] for key in local_keys]


def test_event_rows_carry_the_record_id_of_their_people_row(platform: Platform) -> None:
    report = _ingest(
        platform,
        "health",
        [platform.extract("health", n) for n in ("gp_registrations.csv", "admissions.csv")],
    )
    assert report.version_id is not None
    admissions = _admissions(platform, report.version_id)
    assert admissions["record_id"].tolist() == _record_ids(
        platform, report.version_id, ["P100000001", "P200000001"]
    )
    assert str(admissions["admission_date"].dtype) != "object" or isinstance(
        admissions["admission_date"][0], type(pd.Timestamp("2020-01-01").date())
    )


def test_event_rows_without_a_people_row_are_quarantined(platform: Platform) -> None:
    events = platform.region / "orphans" / "admissions.csv"
    events.parent.mkdir()
    original = platform.extract("health", "admissions.csv").read_text()
    orphan = "P777777777,A0000000009,2020-01-01,2020-01-02,elective,A099,,,I\n"
    events.write_text(original + orphan)
    report = _ingest(
        platform, "health", [platform.extract("health", "gp_registrations.csv"), events]
    )
    admissions = report.files[1]
    assert (admissions.rows_input, admissions.rows_accepted, admissions.rows_quarantined) == (
        3,
        2,
        1,
    )
    assert admissions.rejections.by_reason() == {"patient_id: no people-file row with this key": 1}


def test_ingesting_the_same_files_again_is_a_no_op(platform: Platform) -> None:
    files = [platform.extract("housing", "tenancies.csv")]
    first = _ingest(platform, "housing", files)
    again = _ingest(platform, "housing", files)
    assert first.version_id is not None
    assert again.version_id is None
    assert first.version_id in again.message
    with database.session_scope(platform.engine) as session:
        assert session.scalar(select(func.count()).select_from(DatasetVersion)) == 1


def test_a_version_needs_its_people_file(platform: Platform) -> None:
    with pytest.raises(NightingaleError, match="tenancies.csv"):
        _ingest(platform, "housing", [platform.extract("housing", "property_reports.csv")])


def _broken(platform: Platform, how: str) -> Path:
    path = platform.region / "broken" / "claimants.csv"
    path.parent.mkdir(exist_ok=True)
    data = platform.extract("employment", "claimants.csv").read_bytes()
    if how == "encoding":
        data = data.replace(b"ASHWORTH", "ÅSHWORTH".encode("latin-1"))
    elif how == "columns":
        data = data.replace(b"customer_ref,ni_number,", b"customer_ref,", 1)
    elif how == "truncated":
        data = data[: len(data) - 7]
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("encoding", "not UTF-8"),
        ("columns", "missing column"),
        ("truncated", "truncated"),
    ],
)
def test_an_unusable_file_fails_clearly_and_leaves_nothing_behind(
    platform: Platform, how: str, message: str
) -> None:
    with pytest.raises(UnusableFile, match=message) as caught:
        _ingest(platform, "employment", [_broken(platform, how)])
    assert "claimants.csv" in str(caught.value)
    assert not any((platform.root.content).iterdir())
    assert not (platform.root.linkage / "identifiers").exists()
    with database.session_scope(platform.engine) as session:
        assert session.scalar(select(func.count()).select_from(DatasetVersion)) == 0


def test_a_bad_event_file_stops_the_whole_version(platform: Platform) -> None:
    broken = platform.region / "broken" / "earnings.csv"
    broken.parent.mkdir()
    broken.write_bytes(platform.extract("employment", "earnings.csv").read_bytes()[:-3])
    with pytest.raises(UnusableFile, match="truncated"):
        _ingest(platform, "employment", [platform.extract("employment", "claimants.csv"), broken])
    assert not any(platform.root.content.iterdir())


def test_rows_quarantined_mid_file_leave_the_kept_rows_aligned(platform: Platform) -> None:
    """A rejected event row between kept ones: each kept row keeps its own record id."""
    events = platform.region / "mid-file" / "admissions.csv"
    events.parent.mkdir()
    header, first, second = platform.extract("health", "admissions.csv").read_text().splitlines()
    orphan = "P777777777,A0000000009,2020-01-01,2020-01-02,elective,I"
    events.write_text("\n".join([header, first, orphan, second]) + "\n")
    report = _ingest(
        platform, "health", [platform.extract("health", "gp_registrations.csv"), events]
    )
    assert report.version_id is not None
    assert (report.files[1].rows_accepted, report.files[1].rows_quarantined) == (2, 1)
    admissions = _admissions(platform, report.version_id)
    assert admissions["record_id"].tolist() == _record_ids(
        platform, report.version_id, ["P100000001", "P200000001"]
    )
    assert admissions["admission_id"].tolist() == ["A0000000001", "A0000000002"]
