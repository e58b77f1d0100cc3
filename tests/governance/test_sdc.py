"""The disclosure-control rules, as properties that must hold for every input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nightingale.governance.sdc import (
    Evidence,
    Outcome,
    check_cell,
    check_regression,
    round_to_base,
    suppress,
)
from nightingale.governance.settings import SdcSettings

DEFAULTS = SdcSettings()
contributions = st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=40)


def evidence(statistic: str, values: list[float]) -> Evidence:
    ordered = sorted(values, reverse=True)
    return Evidence(
        statistic,
        len(values),
        total=sum(values),
        top=tuple(ordered[:10]),
        negatives=sum(v < 0 for v in values),
    )


@given(
    count=st.integers(1, 9),
    statistic=st.sampled_from(["count", "sum", "mean", "median", "min", "max", "std"]),
)
def test_a_cell_with_fewer_than_threshold_contributors_never_passes(
    count: int, statistic: str
) -> None:
    verdict = check_cell(Evidence(statistic, count, total=float(count), top=(1.0,) * count))
    assert verdict.outcome is Outcome.FAIL
    assert any("below the minimum of 10" in r for r in verdict.reasons)


@given(count=st.integers(10, 10_000))
def test_counts_at_or_above_threshold_pass(count: int) -> None:
    assert check_cell(Evidence("count", count)).outcome is Outcome.PASS


@given(threshold=st.integers(1, 50), count=st.integers(1, 100))
def test_the_threshold_is_configurable(threshold: int, count: int) -> None:
    outcome = check_cell(Evidence("count", count), SdcSettings(threshold=threshold)).outcome
    assert (outcome is Outcome.PASS) is (count >= threshold)


def test_zeros_are_flagged_for_review_unless_configured_off() -> None:
    assert check_cell(Evidence("count", 0)).outcome is Outcome.REVIEW
    quiet = SdcSettings(zeros_need_review=False)
    assert check_cell(Evidence("count", 0), quiet).outcome is Outcome.PASS


@given(values=contributions.filter(lambda v: len(v) >= 10 and sum(v) > 0))
def test_dominance_fails_exactly_when_two_largest_make_90_percent(values: list[float]) -> None:
    verdict = check_cell(evidence("sum", values))
    top_two = sum(sorted(values, reverse=True)[:2])
    dominated = top_two >= 0.9 * sum(values)
    assert any(r.startswith("dominance") for r in verdict.reasons) is dominated
    if dominated:
        assert verdict.outcome is Outcome.FAIL


@given(values=contributions.filter(lambda v: len(v) >= 10 and max(v) > 0))
def test_p_percent_rule(values: list[float]) -> None:
    ordered = sorted(values, reverse=True)
    rest = sum(values) - ordered[0] - ordered[1]
    verdict = check_cell(evidence("mean", values))
    assert any(r.startswith("p% rule") for r in verdict.reasons) is (rest / ordered[0] < 0.1)


def test_one_huge_contributor_fails_a_mean() -> None:
    values = [10.0] * 15 + [1_000_000.0]
    verdict = check_cell(evidence("mean", values))
    assert verdict.outcome is Outcome.FAIL
    assert {r.split(":")[0] for r in verdict.reasons} == {"dominance", "p% rule"}


def test_negative_contributions_need_review_not_dominance() -> None:
    verdict = check_cell(evidence("sum", [5.0] * 12 + [-3.0]))
    assert verdict.outcome is Outcome.REVIEW
    assert "negative" in verdict.reasons[0]


@given(values=contributions.filter(lambda v: len(v) >= 10), stat=st.sampled_from(["min", "max"]))
def test_min_and_max_always_need_review(values: list[float], stat: str) -> None:
    verdict = check_cell(evidence(stat, values))
    assert verdict.outcome is Outcome.REVIEW
    assert "single person's value" in verdict.reasons[0]


@given(values=contributions.filter(lambda v: len(v) >= 10))
def test_medians_with_enough_contributors_pass(values: list[float]) -> None:
    assert check_cell(evidence("median", values)).outcome is Outcome.PASS


@given(dof=st.floats(0, 1000, allow_nan=False))
def test_regressions_need_ten_residual_degrees_of_freedom(dof: float) -> None:
    assert (check_regression(dof).outcome is Outcome.PASS) is (dof >= 10)


def test_unknown_statistics_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown statistic 'mode'"):
        check_cell(Evidence("mode", 20))


@given(value=st.floats(-1e9, 1e9, allow_nan=False), base=st.integers(1, 100))
def test_rounding_is_idempotent_and_lands_on_the_base(value: float, base: int) -> None:
    once = round_to_base(value, base)
    assert once % base == 0
    assert round_to_base(once, base) == once
    assert abs(once - value) <= base / 2


@given(value=st.floats(0, 1e6, allow_nan=False))
def test_rounding_is_symmetric_around_zero(value: float) -> None:
    assert round_to_base(-value) == -round_to_base(value)


grids = st.integers(1, 6).flatmap(
    lambda rows: st.integers(1, 6).flatmap(
        lambda cols: st.tuples(
            st.lists(
                st.lists(st.integers(0, 100), min_size=cols, max_size=cols),
                min_size=rows,
                max_size=rows,
            ),
            st.sets(st.tuples(st.integers(0, rows - 1), st.integers(0, cols - 1)), max_size=4),
        )
    )
)


@settings(max_examples=200)
@given(case=grids)
def test_no_suppressed_cell_is_revealed_by_its_row_or_column_total(
    case: tuple[list[list[int]], set[tuple[int, int]]],
) -> None:
    values, primary = case
    result = suppress(values, primary)
    assert result.primary == primary
    assert result.primary.isdisjoint(result.secondary)
    rows, cols = len(values), len(values[0])
    for i in range(rows):
        hidden = sum((i, j) in result.cells for j in range(cols))
        assert hidden != 1 or ("row", i) in result.totals
    for j in range(cols):
        hidden = sum((i, j) in result.cells for i in range(rows))
        assert hidden != 1 or ("column", j) in result.totals


def test_secondary_suppression_hides_the_smallest_neighbour() -> None:
    values = [[3, 50, 20], [40, 60, 70], [30, 35, 80]]
    result = suppress(values, {(0, 0)})
    assert (0, 2) in result.secondary  # smallest other cell in row 0
    assert (2, 0) in result.secondary  # smallest other cell in column 0
