"""Censoring and period boundaries, day by day (DuckDB; the pilot spec test covers Spark).

Rules under test (nightingale/cohorts/spec.py): periods are ``[start, end)`` in calendar
months that clamp to the month's end; the exit day (death, moving out, end of data) is
at risk and its events count; nothing after the exit or the last period counts.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nightingale.cohorts.catalogue import default_catalogue
from nightingale.cohorts.compile import compile_spec
from nightingale.cohorts.engines import DuckDBEngine
from nightingale.cohorts.loading import parse_spec
from nightingale.cohorts.run import CohortTables, run_cohort
from tests.cohorts.tables import rows, table

SPEC = parse_spec("""
name: boundaries
population:
  source: housing.tenancies
  index_date: tenancy_start
  end_date: tenancy_end
  exposure: {name: treated, column: scheme, groups: {designed_for_health: 1, standard: 0}}
baseline:
  - {name: died, kind: died}
  - {name: followup_days, kind: followup_days}
  - {name: ae_before, kind: count, table: health.ae_attendances, date: arrival_date,
     window: {start: -1 months, end: 0 days}}
follow_up:
  periods: [0-6, 6-12, 12-24, 24-36, 36-48]
  censoring:
    death: {table: health.deaths, date: date_of_death}
    end_of_data: 2026-06-30
  outcomes:
    - {name: ae, kind: count, table: health.ae_attendances, date: arrival_date}
""")
COMPILED = compile_spec(SPEC, default_catalogue())


def _run(tenancy: str, deaths: str, attendances: str) -> CohortTables:
    spine = table("""
        source  | record_id | person_id
        housing | h1        | p1
        health  | g1        | p1
    """)
    tables = {
        "housing.tenancies": table(tenancy),
        "health.deaths": table(deaths),
        "health.ae_attendances": table(attendances),
    }
    engine = DuckDBEngine(duckdb.connect(), owns=True)
    try:
        return run_cohort(engine, COMPILED, spine, tables)
    finally:
        engine.close()


def _no_deaths() -> str:
    return "record_id:str | date_of_death\n"


def _periods(result: CohortTables) -> list[tuple[int, int, int]]:
    return [(r["period"], r["time_at_risk_days"], r["ae"]) for r in rows(result.panel)]


def test_an_event_on_a_period_boundary_belongs_to_the_later_period() -> None:
    # 31 August + 6 months = 28 February (clamped), which starts period 1.
    result = _run(
        "record_id | tenancy_start | tenancy_end | scheme\nh1 | 2021-08-31 | | standard",
        _no_deaths(),
        "record_id | arrival_date\ng1 | 2022-02-27\ng1 | 2022-02-28\ng1 | 2022-02-28",
    )
    assert _periods(result)[:2] == [(0, 181, 1), (1, 184, 2)]


def test_leap_day_index_dates_clamp_and_the_horizon_ends_on_the_leap_day() -> None:
    result = _run(
        "record_id | tenancy_start | tenancy_end | scheme\nh1 | 2020-02-29 | | standard",
        _no_deaths(),
        "record_id | arrival_date\n"
        "g1 | 2024-02-28\ng1 | 2024-02-29\ng1 | 2020-01-29\ng1 | 2020-01-28",
    )
    # Periods start 2020-02-29, 08-29, 2021-02-28, 2022-02-28, 2023-02-28; end 2024-02-29.
    assert _periods(result) == [(0, 182, 0), (1, 183, 0), (2, 365, 0), (3, 365, 0), (4, 366, 1)]
    (person,) = result.persons.to_pylist()
    assert person["followup_days"] == 182 + 183 + 365 + 365 + 366
    assert person["ae_before"] == 1  # 2020-01-29 is one month before; 01-28 is not


def test_a_death_on_the_index_date_is_one_day_at_risk() -> None:
    result = _run(
        "record_id | tenancy_start | tenancy_end | scheme\nh1 | 2021-03-01 | | standard",
        "record_id | date_of_death\ng1 | 2021-03-01",
        "record_id | arrival_date\ng1 | 2021-03-01\ng1 | 2021-03-02",
    )
    (person,) = result.persons.to_pylist()
    assert (person["died"], person["followup_days"]) == (1, 1)
    assert _periods(result) == [(0, 1, 1)]


def test_a_death_after_moving_out_is_not_a_death_in_follow_up() -> None:
    result = _run(
        "record_id | tenancy_start | tenancy_end | scheme\nh1 | 2021-03-01 | 2021-03-10 | standard",
        "record_id | date_of_death\ng1 | 2021-03-11",
        "record_id | arrival_date\ng1 | 2021-03-10\ng1 | 2021-03-11",
    )
    (person,) = result.persons.to_pylist()
    assert (person["died"], person["followup_days"]) == (0, 10)
    assert _periods(result) == [(0, 10, 1)]


def test_a_death_before_the_index_date_excludes_the_person() -> None:
    result = _run(
        "record_id | tenancy_start | tenancy_end | scheme\nh1 | 2021-03-01 | | standard",
        "record_id | date_of_death\ng1 | 2021-02-28",
        "record_id | arrival_date\ng1 | 2021-03-01",
    )
    assert result.persons.num_rows == 0 and result.panel.num_rows == 0


def test_follow_up_stops_at_the_end_of_data() -> None:
    result = _run(
        "record_id | tenancy_start | tenancy_end | scheme\nh1 | 2026-06-01 | | standard",
        _no_deaths(),
        "record_id | arrival_date\ng1 | 2026-06-30\ng1 | 2026-07-01",
    )
    assert _periods(result) == [(0, 30, 1)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.dates(min_value=date(2020, 1, 1), max_value=date(2022, 12, 31)),
    days_to_death=st.one_of(st.none(), st.integers(min_value=0, max_value=2000)),
)
def test_time_at_risk_adds_up_to_follow_up(index: date, days_to_death: int | None) -> None:
    deaths = _no_deaths()
    if days_to_death is not None:
        deaths = f"record_id | date_of_death\ng1 | {index + timedelta(days=days_to_death)}"
    result = _run(
        f"record_id | tenancy_start | tenancy_end | scheme\nh1 | {index} | | standard",
        deaths,
        "record_id:str | arrival_date\n",
    )
    (person,) = result.persons.to_pylist()
    at_risk = [r["time_at_risk_days"] for r in rows(result.panel)]
    assert sum(at_risk) == person["followup_days"]
    assert all(days > 0 for days in at_risk)
    assert person["died"] == int(
        days_to_death is not None and days_to_death < person["followup_days"]
    )
