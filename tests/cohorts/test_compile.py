"""The homes pilot's spec on the hand-made region: every value of every person, per engine.

The expected tables in ``pilot_fixture`` were worked out by hand from the spec's rules
(windows ``[start, end)``, the exit day at risk, months clamping to the month's end).
"""

from __future__ import annotations

import pytest

from nightingale.cohorts.catalogue import default_catalogue
from nightingale.cohorts.compile import compile_spec
from nightingale.cohorts.engines import CohortEngine
from nightingale.cohorts.loading import load_spec
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
