"""Providers declared as data: ingest's checks come from the file, and a fourth provider
is onboarded from a YAML file alone (ingested, linked, and in the catalogue)."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pandas as pd
import pyarrow.parquet as pq
import pytest

from nightingale.cli import main
from nightingale.cli.governance_demo import intake_ready
from nightingale.cohorts.catalogue import catalogue_for, default_catalogue
from nightingale.linkage.fields import IDENTIFIER_FIELDS
from nightingale.linkage.schemas import provider
from nightingale.linkage.schemas.base import column
from nightingale.operations.unit import open_unit
from nightingale.platform.contracts import current_spine_run, spine_file
from nightingale.platform.contracts.provider_files import operator_folder
from nightingale.platform.contracts.provider_schema import ColumnSchema, IdentifierField
from tests.linkage.conftest import Platform, ingest_all
from tests.linkage.region import PEOPLE

# A second council's housing register: other column names, its own date format.
NORTH = """\
provider: housing_north
description: North District Council's housing register.
date_format: "%d-%m-%Y"
people:
  file: north_tenants.csv
  description: North District tenancies, one row per tenancy.
  record: The tenancy record.
  identifiers:
    given_name: [first_names]
    family_name: [family_name]
    date_of_birth: [birth_date]
    postcode: [post_code]
    address: [house, street]
  columns:
    tenancy_no: {zone: key, pattern: '^N\\d{6}$', required: true, unique: true}
    first_names: {zone: linkage}
    family_name: {zone: linkage}
    birth_date: {zone: linkage}
    house: {zone: linkage}
    street: {zone: linkage}
    post_code: {zone: linkage}
    let_date:
      type: date
      required: true
      sensitivity: personal
      quasi_identifier: true
      description: First day of the tenancy.
    bedroom_count:
      type: integer
      min: 1
      max: 6
      sensitivity: personal
      description: Bedrooms.
    damp_reported:
      values: ["Y", "N"]
      sensitivity: personal
      description: Damp or mould reported at the start.
"""


def _run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _north_extract(folder: Path) -> Path:
    """Six of the region's people as North's tenants, plus a row that breaks two rules."""
    lines = [
        "tenancy_no,first_names,family_name,birth_date,house,street,post_code,"
        "let_date,bedroom_count,damp_reported"
    ]
    for n, (_pid, fore, sur, dob, _sex, postcode, _nhs, _ni, address) in enumerate(PEOPLE[:6]):
        year, month, day = dob.split("-")
        house, street = address.split(" ", 1)
        lines.append(
            f"N{100001 + n},{fore},{sur},{day}-{month}-{year},{house},{street},{postcode},"
            f"01-0{n + 1}-2020,{n % 3 + 1},{'Y' if n % 2 else 'N'}"
        )
    lines.append("N999999,Ann,Lee,01-01-1990,1,High Street,LS6 2AB,2020-01-01,9,Y")
    path = folder / "north_tenants.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_fourth_provider_is_onboarded_from_a_yaml_file_alone(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    data_root = str(platform.settings.data_root)
    folder = operator_folder(platform.root)
    folder.mkdir()
    (folder / "housing_north.yaml").write_text(NORTH, encoding="utf-8")
    assert (
        _run(["--data-root", data_root, "provider", "validate", str(folder / "housing_north.yaml")])
        == 0
    )
    assert _run(["--data-root", data_root, "provider", "list"]) == 0
    assert "housing_north" in capsys.readouterr().out

    ingest_all(platform)
    extract = _north_extract(platform.region)
    with open_unit(platform.settings, "setup") as unit:  # an officer; an agreement each
        officer = intake_ready(unit.session, unit.keystore, ("housing_north",))
    ingest = ["--data-root", data_root, "ingest", "housing_north", str(extract)]
    assert _run([*ingest, "--as", officer]) == 0
    out = capsys.readouterr().out
    assert "north_tenants.csv: 7 rows, 6 accepted, 1 quarantined" in out
    assert "let_date: date %d-%m-%Y" in out and "bedroom_count: whole number 1..6" in out

    versions = list((platform.root.content / "housing_north").iterdir())
    content = pq.read_table(versions[0] / "north_tenants.parquet")
    assert content.column_names == ["record_id", "let_date", "bedroom_count", "damp_reported"]
    assert str(content.schema.field("let_date").type) == "date32[day]"

    assert _run(["--data-root", data_root, "link", "--as", officer]) == 0
    run = current_spine_run(platform.root)
    assert run is not None
    spine = pd.read_parquet(spine_file(platform.root, run))
    north = spine[spine["source"] == "housing_north"]
    assert len(north) == 6
    # Each North tenant is linked with the same person's GP registration.
    health = spine[spine["source"] == "health"]
    assert north["person_id"].isin(health["person_id"]).sum() >= 5

    tables = catalogue_for(platform.root).tables
    assert list(tables["housing_north.north_tenants"].columns) == [
        "record_id",
        "let_date",
        "bedroom_count",
        "damp_reported",
    ]
    assert tables["housing_north.north_tenants"].columns["let_date"].quasi_identifier
    assert "housing_north.north_tenants" not in default_catalogue().tables
    assert _run(["--data-root", data_root, "catalogue"]) == 0
    assert "housing_north.north_tenants" in capsys.readouterr().out


def test_the_contract_knows_the_identifier_fields_linkage_normalises() -> None:
    assert get_args(IdentifierField) == IDENTIFIER_FIELDS


def test_a_declared_column_gets_the_checks_its_type_and_rules_ask_for() -> None:
    def names(declared: ColumnSchema) -> list[str]:
        return [check.name for check in column(declared, "%Y-%m-%d").checks]

    assert names(ColumnSchema(type="integer", min=1, max=5)) == ["whole number 1..5"]
    assert names(ColumnSchema(type="integer", min=0)) == ["whole number >= 0"]
    assert names(ColumnSchema(type="decimal", min=0)) == ["number >= 0"]
    assert names(ColumnSchema(type="decimal", max=2.5)) == ["number <= 2.5"]
    assert names(ColumnSchema(type="date")) == ["date %Y-%m-%d"]
    assert names(ColumnSchema(type="date", format="%Y%m")) == ["date %Y%m"]
    assert names(ColumnSchema(zone="linkage")) == []


def test_the_people_file_splits_into_key_identifiers_and_content() -> None:
    housing = provider("housing")
    assert housing.people.key == "tenancy_ref"
    assert housing.people.identifiers["sex"] == ("tenant_title",)
    assert housing.people.extra_identifiers == ("address_line_2", "uprn")
    assert [e.name for e in housing.events] == ["property_reports.csv", "repairs.csv"]
