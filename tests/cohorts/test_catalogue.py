"""The catalogue: what a spec may use, and the page that documents it."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.cohorts.catalogue import default_catalogue, table_columns
from nightingale.cohorts.compile import compile_spec
from nightingale.cohorts.loading import SpecError, parse_spec
from nightingale.cohorts.spec import AgeBand, Condition
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


def test_a_required_record_is_checked_against_the_catalogue_and_read() -> None:
    """``population.requires`` names a table and date the catalogue must know."""
    spec = parse_spec(PILOT)
    assert "registration_date" in table_columns(spec)["health.gp_registrations"]
    wrong = "{table: health.gp_registrations, date: registered_on}"
    broken = PILOT.replace("{table: health.gp_registrations, date: registration_date}", wrong)
    assert broken != PILOT
    with pytest.raises(
        SpecError,
        match=r"population.requires\[0\]: table 'health.gp_registrations' has no column "
        "'registered_on'",
    ):
        default_catalogue().check(parse_spec(broken), "pilot.yaml")


def test_an_identifier_may_only_leave_generalised() -> None:
    raw_birth = PILOT.replace(
        "{name: sex, kind: value, table: linkage.demographics, column: sex}",
        "{name: born, kind: value, table: linkage.demographics, column: date_of_birth}",
    )
    with pytest.raises(SpecError, match="date_of_birth is an identifier"):
        default_catalogue().check(parse_spec(raw_birth))


BIRTH_DATE_IN_AN_AGE_BAND = PILOT.replace(
    "    column: date_of_birth\n    bands:",
    "    column: date_of_birth\n"
    "    where: [{column: date_of_birth, equals: 1980-03-14}]\n"
    "    bands:",
)


def test_a_birth_date_condition_inside_an_age_band_is_refused_naming_the_field() -> None:
    """The band is generalised; a ``where`` on the birth date is not: a non-null band would
    say who was born on 14 March 1980."""
    assert "where: [{column: date_of_birth" in BIRTH_DATE_IN_AN_AGE_BAND
    with pytest.raises(SpecError, match=r"baseline\.\d+\.age_band: where\[0\]: a condition on "):
        default_catalogue().check(parse_spec(BIRTH_DATE_IN_AN_AGE_BAND, "pilot.yaml"))


def test_the_catalogue_refuses_an_identifier_condition_even_inside_an_age_band() -> None:
    """The catalogue (which the compiler and builder ask) holds the rule on its own, even for
    a spec object that never went through YAML validation."""
    spec = parse_spec(PILOT)
    number, band = next((i, v) for i, v in enumerate(spec.baseline) if isinstance(v, AgeBand))
    leaky = band.model_copy(
        update={"where": [Condition(column="date_of_birth", between=("1980-03-14", "1980-03-14"))]}
    )
    baseline = [*spec.baseline[:number], leaky, *spec.baseline[number + 1 :]]
    spec = spec.model_copy(update={"baseline": baseline})
    message = (
        r"pilot\.yaml: baseline\.age_band\.where\[0\]: a condition on "
        r"linkage\.demographics\.date_of_birth, which is an identifier, is not generalised"
    )
    with pytest.raises(SpecError, match=message):
        default_catalogue().check(spec, "pilot.yaml")
    with pytest.raises(SpecError, match=message):
        compile_spec(spec, default_catalogue(), "pilot.yaml")


def test_a_population_condition_on_an_identifier_is_refused() -> None:
    spec = parse_spec(PILOT)
    condition = Condition(column="date_of_birth", equals="1980-03-14")
    population = spec.population.model_copy(
        update={"source": "linkage.demographics", "conditions": [condition]}
    )
    with pytest.raises(SpecError, match=r"population\.conditions\[0\]: a condition on"):
        default_catalogue().check(spec.model_copy(update={"population": population}))


def test_quasi_identifiers_of_the_pilot() -> None:
    spec = parse_spec(PILOT)
    quasi = default_catalogue().quasi_identifiers(spec)
    assert quasi == ["age_band", "sex", "imd_quintile"]


def test_a_spec_reads_only_the_columns_it_names() -> None:
    needed = table_columns(parse_spec(PILOT))
    assert needed["housing.tenancies"] == ["tenancy_start", "scheme", "tenancy_end"]
    assert "linkage.demographics" in needed
    assert "housing.property_reports" not in needed
