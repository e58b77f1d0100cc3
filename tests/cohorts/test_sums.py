"""Sums of amounts are exact, so every engine and every row order gives the same release.

In DOUBLE arithmetic ten payments of 0.10 add up to 0.9999999999999999, and the last
digits of a long sum depend on the order rows arrive in, which differs between DuckDB
and Spark (at 1,000,000 people a quarter of the pilot's earnings sums differed). The
builder sums in DECIMAL and casts the exact total to DOUBLE once.
"""

from __future__ import annotations

import random
from decimal import Decimal

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nightingale.cohorts.catalogue import default_catalogue
from nightingale.cohorts.compile import compile_spec
from nightingale.cohorts.engines import CohortEngine, DuckDBEngine
from nightingale.cohorts.loading import parse_spec
from nightingale.cohorts.run import run_cohort
from tests.cohorts.tables import rows, table

COMPILED = compile_spec(
    parse_spec("""
name: sums
population:
  source: housing.tenancies
  index_date: tenancy_start
  end_date: tenancy_end
  exposure: {name: treated, column: scheme, groups: {designed_for_health: 1, standard: 0}}
baseline:
  - {name: earnings_pre, kind: sum, table: employment.earnings, date: pay_month,
     column: gross_pay, window: {start: -12 months, end: 0 days}}
follow_up:
  periods: [0-12]
  censoring:
    end_of_data: 2026-06-30
  outcomes:
    - {name: earnings, kind: sum, table: employment.earnings, date: pay_month,
       column: gross_pay}
"""),
    default_catalogue(),
)

SPINE = table("""
    source     | record_id | person_id
    housing    | h1        | p1
    employment | e1        | p1
""")
TENANCY = table("""
    record_id | tenancy_start | tenancy_end | scheme
    h1        | 2022-01-01    |             | standard
""")


def _earnings(engine: CohortEngine, payments: list[tuple[str, str]]) -> tuple[float, float]:
    """(earnings_pre, earnings in period 0) for one person paid ``payments``."""
    earnings = table(
        "record_id | pay_month | gross_pay\n"
        + "\n".join(f"e1 | {month} | {amount}" for month, amount in payments)
    )
    tables = {"housing.tenancies": TENANCY, "employment.earnings": earnings}
    result = run_cohort(engine, COMPILED, SPINE, tables)
    (person,) = rows(result.persons)
    return person["earnings_pre"], rows(result.panel)[0]["earnings"]


def test_ten_payments_of_ten_pence_make_exactly_one_pound(engine: CohortEngine) -> None:
    before = [(f"2021-{month:02d}-01", "0.10") for month in range(1, 11)]
    after = [(f"2022-{month:02d}-01", "0.10") for month in range(1, 11)]
    assert _earnings(engine, before + after) == (1.0, 1.0)


def test_a_large_and_many_small_amounts_add_up_exactly(engine: CohortEngine) -> None:
    # In DOUBLE, 0.01s added one by one to 1e9 lose digits.
    payments = [("2022-02-01", "1000000000.00")] + [("2022-03-01", "0.01")] * 30
    assert _earnings(engine, payments)[1] == 1000000000.30


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False),
        min_size=1,
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_a_sum_is_the_exact_total_in_any_row_order(
    amounts: list[Decimal], shuffle: random.Random
) -> None:
    payments = [(f"2022-{1 + n % 12:02d}-01", f"{a:.2f}") for n, a in enumerate(amounts)]
    shuffled = list(payments)
    shuffle.shuffle(shuffled)
    engine = DuckDBEngine(duckdb.connect(), owns=True)
    try:
        in_order, reordered = _earnings(engine, payments)[1], _earnings(engine, shuffled)[1]
    finally:
        engine.close()
    assert in_order == reordered == float(sum(amounts, Decimal(0)))
