"""Reading a spec: a bad spec is refused with the file, the line and the field."""

from __future__ import annotations

import pytest

from nightingale.cohorts.loading import SpecError, load_spec, parse_spec
from tests.cohorts.conftest import PILOT_SPEC

PILOT = PILOT_SPEC.read_text()


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_pilot_spec_is_valid() -> None:
    spec = load_spec(PILOT_SPEC)
    assert spec.name == "dfh_pilot"
    assert [p.end_month for p in spec.follow_up.periods] == [6, 12, 24, 36, 48]


def test_a_bad_offset_names_its_line_and_field() -> None:
    broken = PILOT.replace("at: -1 days", "at: yesterday")
    with pytest.raises(SpecError) as error:
        parse_spec(broken, "pilot.yaml")
    line = _line_of(broken, "at: yesterday")
    assert f"pilot.yaml:{line}: baseline.4" in str(error.value)
    assert "'yesterday' is not an offset" in str(error.value)


def test_an_unknown_kind_names_its_line() -> None:
    broken = PILOT.replace("kind: days_in_state", "kind: days_in_bed", 1)
    with pytest.raises(SpecError) as error:
        parse_spec(broken, "pilot.yaml")
    assert f"pilot.yaml:{_line_of(broken, 'days_in_bed')}:" in str(error.value)
    assert "follow_up.outcomes.5" in str(error.value)


def test_a_missing_field_names_the_mapping_that_lacks_it() -> None:
    broken = PILOT.replace("  index_date: tenancy_start\n", "")
    with pytest.raises(SpecError, match=r"pilot.yaml:\d+: population.index_date: Field required"):
        parse_spec(broken, "pilot.yaml")


def test_yaml_syntax_errors_name_their_line() -> None:
    with pytest.raises(SpecError, match=r"x.yaml:2: not valid YAML"):
        parse_spec("name: a\n\tbad: 1\n", "x.yaml")


def test_a_spec_is_a_mapping() -> None:
    with pytest.raises(SpecError, match="a cohort spec is a mapping"):
        parse_spec("- just a list\n", "x.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("periods: [0-6, 6-12,", "periods: [0-6, 7-12,"), "periods must be contiguous"),
        (("periods: [0-6,", "periods: [1-6,"), "the first period must start at month 0"),
        (("bands: [16, 55]", "bands: [55, 16]"), "strictly increasing"),
        (("{start: -12 months, end: 0 days}", "{start: 0 days, end: -12 days}"), "before its end"),
        (("{name: died, kind: died}", "{name: sex, kind: died}"), "'sex' is used twice"),
        (("{name: died, kind: died}", "{name: pid, kind: died}"), "'pid' is reserved"),
        (("equals: emergency", "equals: emergency, in: [a]"), "exactly one of"),
    ],
)
def test_rules_of_a_spec(change: tuple[str, str], message: str) -> None:
    broken = PILOT.replace(*change, 1)
    assert broken != PILOT
    with pytest.raises(SpecError, match=message):
        parse_spec(broken, "pilot.yaml")


def test_an_unreadable_file_is_named(tmp_path) -> None:
    with pytest.raises(SpecError, match="missing.yaml: cannot read"):
        load_spec(tmp_path / "missing.yaml")
