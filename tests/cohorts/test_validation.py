"""The one spec validator: the spec's fields, then the catalogue, named by source and field."""

from __future__ import annotations

import pytest

from nightingale.cohorts.catalogue import columns_read, datasets_read
from nightingale.cohorts.loading import SpecError, parse_spec
from nightingale.cohorts.validation import validate_spec
from tests.cohorts.conftest import PILOT_SPEC

PILOT = PILOT_SPEC.read_text()


def test_a_valid_spec_comes_back_parsed() -> None:
    assert validate_spec(PILOT, "pilot.yaml") == parse_spec(PILOT)


def test_an_unknown_column_that_parsing_accepts_is_refused_naming_source_and_field() -> None:
    unknown = PILOT.replace("column: imd_decile", "column: imd_rank")
    parse_spec(unknown)  # its fields are well formed: only the catalogue knows better
    with pytest.raises(SpecError) as error:
        validate_spec(unknown, "pilot.yaml")
    assert str(error.value).startswith(
        "pilot.yaml: baseline.imd_quintile: table 'health.gp_registrations' has no column "
        "'imd_rank'"
    )


def test_a_field_error_is_refused_before_the_catalogue_is_asked() -> None:
    with pytest.raises(SpecError, match=r"^cohort spec:\d+: baseline\.4"):
        validate_spec(PILOT.replace("at: -1 days", "at: yesterday"))


def test_what_a_spec_reads_by_dataset_and_by_where_it_is_used() -> None:
    spec = parse_spec(PILOT)
    assert datasets_read(spec) == ["employment", "health", "housing", "linkage"]
    assert ("population", "housing.tenancies", "tenancy_start") in columns_read(spec)
