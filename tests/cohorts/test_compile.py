"""The homes pilot's spec on the hand-made region: every value of every person, per engine.

The expected tables in ``pilot_fixture`` were worked out by hand from the spec's rules
(windows ``[start, end)``, the exit day at risk, months clamping to the month's end).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.cohorts.catalogue import default_catalogue
from nightingale.cohorts.compile import compile_spec
from nightingale.cohorts.engines import CohortEngine
from nightingale.cohorts.loading import load_spec
from nightingale.cohorts.run import run_cohort
from tests.cohorts import pilot_fixture
from tests.cohorts.tables import rows

PILOT = Path(__file__).parents[2] / "nightingale" / "cohorts" / "examples" / "dfh_pilot.yaml"


@pytest.fixture(scope="module")
def pilot():
    return compile_spec(load_spec(PILOT), default_catalogue())


def test_every_baseline_variable_of_every_person(engine: CohortEngine, pilot) -> None:
    result = run_cohort(engine, pilot, pilot_fixture.SPINE, pilot_fixture.TABLES)
    assert rows(result.persons) == rows(pilot_fixture.PERSONS)


def test_every_outcome_of_every_period(engine: CohortEngine, pilot) -> None:
    result = run_cohort(engine, pilot, pilot_fixture.SPINE, pilot_fixture.TABLES)
    assert rows(result.panel) == rows(pilot_fixture.PANEL)
