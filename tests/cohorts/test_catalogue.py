"""The catalogue: what a spec may use, and the page that documents it."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.cohorts.catalogue import default_catalogue, table_columns
from nightingale.cohorts.loading import SpecError, parse_spec
from tests.cohorts.conftest import PILOT_SPEC

PILOT = PILOT_SPEC.read_text()
DOCS = Path(__file__).parents[2] / "docs"


def test_docs_catalogue_page_is_current() -> None:
    assert (DOCS / "catalogue.md").read_text() == default_catalogue().to_markdown(), (
        "regenerate: nightingale catalogue --markdown > docs/catalogue.md"
    )


def test_every_column_has_a_description_type_and_sensitivity() -> None:
    for name, table in default_catalogue().tables.items():
        assert "record_id" in table.columns, name
        for column_name, column in table.columns.items():
            assert column.description.strip(), f"{name}.{column_name}"


def test_unknown_tables_and_columns_are_refused_with_the_variable() -> None:
    spec = parse_spec(PILOT.replace("column: imd_decile", "column: imd_rank"))
    with pytest.raises(
        SpecError,
        match="baseline.imd_quintile: table 'health.gp_registrations' has no column 'imd_rank'",
    ):
        default_catalogue().check(spec, "pilot.yaml")
    spec = parse_spec(PILOT.replace("table: health.deaths", "table: health.funerals"))
    with pytest.raises(SpecError, match="unknown table 'health.funerals'"):
        default_catalogue().check(spec)


def test_an_identifier_may_only_leave_generalised() -> None:
    raw_birth = PILOT.replace(
        "{name: sex, kind: value, table: linkage.demographics, column: sex}",
        "{name: born, kind: value, table: linkage.demographics, column: date_of_birth}",
    )
    with pytest.raises(SpecError, match="date_of_birth is an identifier"):
        default_catalogue().check(parse_spec(raw_birth))


def test_quasi_identifiers_of_the_pilot() -> None:
    spec = parse_spec(PILOT)
    quasi = default_catalogue().quasi_identifiers(spec)
    assert quasi == ["index_month", "age_band", "sex", "imd_quintile"]


def test_a_spec_reads_only_the_columns_it_names() -> None:
    needed = table_columns(parse_spec(PILOT))
    assert needed["housing.tenancies"] == ["tenancy_start", "scheme", "tenancy_end"]
    assert "linkage.demographics" in needed
    assert "housing.property_reports" not in needed
