"""The extracts follow docs/synthetic-region.md, and the truth joins every record."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from nightingale.synth import SynthConfig, generate_region
from nightingale.synth.identifiers import nhs_is_valid
from tests.synth.conftest import SMALL, header, rows

DOC = Path(__file__).resolve().parents[2] / "docs" / "synthetic-region.md"
FILES = {
    "health": [
        "gp_registrations",
        "admissions",
        "ae_attendances",
        "gp_consultations",
        "eq5d",
        "deaths",
    ],
    "housing": ["tenancies", "property_reports"],
    "employment": ["claimants", "employment_spells", "earnings", "benefit_claims"],
}
PEOPLE_FILES = {
    "health": ("gp_registrations", "patient_id"),
    "housing": ("tenancies", "tenancy_ref"),
    "employment": ("claimants", "customer_ref"),
}
DATE_FORMATS = {
    "health": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "housing": re.compile(r"^\d{2}/\d{2}/\d{4}$"),
    "employment": re.compile(r"^\d{8}$"),
}
DATE_COLUMNS = re.compile(r"(date|dob|_start$|_end$)")


def documented_columns() -> dict[str, list[str]]:
    """Columns per file, in order, from the first column of each file's table in the doc."""
    columns: dict[str, list[str]] = {}
    current = None
    for line in DOC.read_text().splitlines():
        heading = re.match(r"^### `([a-z0-9_]+)\.csv`", line)
        if heading:
            current = heading.group(1)
            columns[current] = []
        elif line.startswith("#"):
            current = None
        elif current and line.startswith("| `"):
            first_cell = line.split("|")[1]
            columns[current].extend(re.findall(r"`([a-z0-9_]+)`", first_cell))
    return columns


def test_every_file_exists_with_exactly_the_documented_columns(small_region: Path) -> None:
    documented = documented_columns()
    for provider, names in FILES.items():
        for name in names:
            path = small_region / "extracts" / provider / f"{name}.csv"
            assert header(path) == documented[name], name


def test_dates_use_each_providers_format(small_region: Path) -> None:
    for provider, names in FILES.items():
        for name in names:
            path = small_region / "extracts" / provider / f"{name}.csv"
            date_columns = [c for c in header(path) if DATE_COLUMNS.search(c)]
            assert date_columns or name in {"earnings"}, name
            for row in rows(path):
                for column in date_columns:
                    value = row[column]
                    assert value == "" or DATE_FORMATS[provider].match(value), (name, column, value)


def test_local_keys_are_unique_and_every_record_joins_the_truth(small_region: Path) -> None:
    truth_people = {r["person_id"] for r in rows(small_region / "truth" / "people.csv")}
    records = list(rows(small_region / "truth" / "records.csv"))
    by_file = {(r["provider"], r["file"], r["local_key"]): r["person_id"] for r in records}
    assert len(by_file) == len(records)
    assert {r["person_id"] for r in records} <= truth_people
    for provider, (name, key) in PEOPLE_FILES.items():
        keys = [r[key] for r in rows(small_region / "extracts" / provider / f"{name}.csv")]
        assert len(keys) == len(set(keys))
        assert {(provider, f"{name}.csv", k) for k in keys} == {
            k for k in by_file if k[0] == provider
        }


def test_events_are_filed_under_keys_of_their_providers_people_file(small_region: Path) -> None:
    for provider, (people_file, key) in PEOPLE_FILES.items():
        keys = {r[key] for r in rows(small_region / "extracts" / provider / f"{people_file}.csv")}
        for name in FILES[provider]:
            if name == people_file:
                continue
            filed = {r[key] for r in rows(small_region / "extracts" / provider / f"{name}.csv")}
            assert filed <= keys, name


def test_event_files_carry_no_identifiers(small_region: Path) -> None:
    identifying = {
        "nhs_number",
        "ni_number",
        "forename",
        "surname",
        "date_of_birth",
        "postcode",
        "first_name",
        "last_name",
        "dob",
        "tenant_dob",
        "uprn",
    }
    for provider, names in FILES.items():
        for name in names:
            if name == PEOPLE_FILES[provider][0]:
                continue
            path = small_region / "extracts" / provider / f"{name}.csv"
            assert not identifying & set(header(path)), name


def test_nhs_numbers_are_valid_unless_deliberately_corrupted(small_region: Path) -> None:
    errors = {
        r["local_key"]: r["errors"].split(";")
        for r in rows(small_region / "truth" / "records.csv")
        if r["provider"] == "health"
    }
    registrations = list(rows(small_region / "extracts" / "health" / "gp_registrations.csv"))
    present = [r for r in registrations if r["nhs_number"]]
    valid = nhs_is_valid([r["nhs_number"] for r in present])
    for row, ok in zip(present, valid, strict=True):
        assert ok == ("nhs_number_digit" not in errors[row["patient_id"]])
    assert (~valid).sum() > 0  # the default rates do corrupt some


def test_some_numbers_and_postcodes_carry_the_documented_quirks(small_region: Path) -> None:
    registrations = list(rows(small_region / "extracts" / "health" / "gp_registrations.csv"))
    assert any(" " in r["nhs_number"] for r in registrations)
    assert any(r["postcode"] and " " not in r["postcode"] for r in registrations)
    claimants = list(rows(small_region / "extracts" / "employment" / "claimants.csv"))
    assert {r["gender"] for r in claimants} == {"1", "2"}
    assert all(r["last_name"] == r["last_name"].upper() for r in claimants)


def test_same_seed_gives_byte_identical_files(small_region: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_region(SMALL, again)
    files = sorted(p.relative_to(small_region) for p in small_region.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for relative in files:
        assert (small_region / relative).read_bytes() == (again / relative).read_bytes(), relative


def test_another_seed_gives_other_people(small_region: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate_region(SynthConfig(people=500, seed=12, chunk_size=500), other)
    first = [r["nhs_number"] for r in rows(small_region / "truth" / "people.csv")][:500]
    second = [r["nhs_number"] for r in rows(other / "truth" / "people.csv")]
    assert not set(first) & set(second)


def test_an_existing_region_is_not_overwritten_by_accident(small_region: Path) -> None:
    from nightingale.platform.errors import NightingaleError

    with pytest.raises(NightingaleError, match="already exists"):
        generate_region(SMALL, small_region)


def test_hard_negatives_are_present(small_region: Path) -> None:
    people = list(rows(small_region / "truth" / "people.csv"))
    by_id = {p["person_id"]: p for p in people}
    twins = [p for p in people if p["twin_of"]]
    assert twins
    for person in twins:
        twin = by_id[person["twin_of"]]
        assert (twin["date_of_birth"], twin["surname"], twin["household_id"]) == (
            person["date_of_birth"],
            person["surname"],
            person["household_id"],
        )
        assert twin["forename"] != person["forename"]
    juniors = [p for p in people if p["same_name_parent"]]
    assert juniors
    for person in juniors:
        parent = by_id[person["same_name_parent"]]
        assert (parent["forename"], parent["surname"], parent["household_id"]) == (
            person["forename"],
            person["surname"],
            person["household_id"],
        )
    assert Counter(p["surname"] != p["birth_surname"] for p in people)[True] > 0
