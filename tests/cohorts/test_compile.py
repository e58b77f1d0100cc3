"""The homes pilot's spec on the hand-made region: every value of every person, per engine.

The expected tables in ``pilot_fixture`` were worked out by hand from the spec's rules
(windows ``[start, end)``, the exit day at risk, months clamping to the month's end).
"""

from __future__ import annotations

import duckdb
import pytest

from nightingale.cohorts.catalogue import default_catalogue
from nightingale.cohorts.compile import compile_spec
from nightingale.cohorts.engines import CohortEngine, DuckDBEngine
from nightingale.cohorts.loading import load_spec, parse_spec
from nightingale.cohorts.run import CohortTables, run_cohort
from tests.cohorts import pilot_fixture
from tests.cohorts.conftest import PILOT_SPEC
from tests.cohorts.tables import rows


@pytest.fixture(scope="module")
def pilot(engine: CohortEngine) -> CohortTables:
    """The pilot's spec run once per engine on the hand-made region."""
    compiled = compile_spec(load_spec(PILOT_SPEC), default_catalogue())
    return run_cohort(engine, compiled, pilot_fixture.SPINE, pilot_fixture.TABLES)


def test_every_baseline_variable_of_every_person(pilot: CohortTables) -> None:
    assert rows(pilot.persons) == rows(pilot_fixture.PERSONS)


def test_every_outcome_of_every_period(pilot: CohortTables) -> None:
    assert rows(pilot.panel) == rows(pilot_fixture.PANEL)


def test_values_are_rendered_literals_not_pasted_text() -> None:
    hostile = "emergency' OR '1'='1"
    text = PILOT_SPEC.read_text().replace("equals: emergency", f'equals: "{hostile}"', 1)
    compiled = compile_spec(parse_spec(text), default_catalogue())
    engine = DuckDBEngine(duckdb.connect(), owns=True)
    try:
        result = run_cohort(engine, compiled, pilot_fixture.SPINE, pilot_fixture.TABLES)
    finally:
        engine.close()
    assert "'emergency'' OR ''1''=''1'" in compiled.sql()["persons"]
    assert result.persons["emergency_admissions_pre"].to_pylist() == [0, 0, 0, 0]
