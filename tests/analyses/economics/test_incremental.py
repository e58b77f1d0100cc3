"""Incremental analysis: sign convention, dominance, and dampack's C. difficile example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nightingale.analyses.economics.incremental import (
    Quadrant,
    calculate_icers,
    compare,
    net_monetary_benefit,
)
from nightingale.platform.errors import NightingaleError


def test_dampack_cdiff_every_status_and_icer(cdiff: pd.DataFrame) -> None:
    result = calculate_icers(cdiff["Cost"], cdiff["Effect"], cdiff["Strategy"]).set_index(
        "Strategy"
    )
    published = cdiff.set_index("Strategy")
    assert result["Status"].to_dict() == published["Status"].to_dict()
    frontier = published[published["Status"] == "ND"]
    np.testing.assert_allclose(
        result.loc[frontier.index, "ICER"], frontier["ICER"], rtol=1e-9, equal_nan=True
    )
    np.testing.assert_allclose(
        result.loc[frontier.index, "Inc_Cost"], frontier["Inc_Cost"], rtol=1e-9, equal_nan=True
    )
    # Published to two decimals in the vignette:
    assert [round(x, 2) for x in result.loc[frontier.index[1:], "ICER"]] == [
        2769.85,
        4065.03,
        5056.22,
        8504.22,
        38362.65,
    ]


def test_frontier_rows_come_first_in_cost_order(cdiff: pd.DataFrame) -> None:
    result = calculate_icers(cdiff["Cost"], cdiff["Effect"], cdiff["Strategy"])
    statuses = result["Status"].tolist()
    assert statuses == sorted(statuses, key=["ND", "ED", "D"].index)
    frontier = result[result["Status"] == "ND"]
    assert frontier["Cost"].is_monotonic_increasing
    assert frontier["Effect"].is_monotonic_increasing


def test_increments_are_reference_minus_comparator() -> None:
    result = calculate_icers([100.0, 300.0], [1.0, 1.5], ["usual care", "new home"])
    row = result.set_index("Strategy").loc["new home"]
    assert row["Inc_Cost"] == 200.0  # new home (reference) minus usual care (comparator)
    assert row["Inc_Effect"] == 0.5
    assert row["ICER"] == 400.0


def test_more_costly_and_no_more_effective_is_dominated() -> None:
    result = calculate_icers([100.0, 150.0, 300.0], [1.0, 0.9, 1.5], ["a", "b", "c"])
    assert result.set_index("Strategy")["Status"].to_dict() == {"a": "ND", "b": "D", "c": "ND"}


def test_extended_dominance_removes_a_strategy_above_the_frontier() -> None:
    # b's ICER vs a is 1000/QALY, c's vs b would be 100/QALY: b is extendedly dominated.
    result = calculate_icers([0.0, 100.0, 110.0], [0.0, 0.1, 0.2], ["a", "b", "c"])
    statuses = result.set_index("Strategy")["Status"].to_dict()
    assert statuses == {"a": "ND", "b": "ED", "c": "ND"}
    assert result.set_index("Strategy").loc["c", "ICER"] == pytest.approx(550.0)


def test_names_must_be_unique() -> None:
    with pytest.raises(NightingaleError):
        calculate_icers([1.0, 2.0], [1.0, 2.0], ["a", "a"])


strategy_sets = st.lists(
    st.tuples(
        st.integers(0, 10_000).map(float),
        st.integers(0, 1_000).map(lambda x: x / 100),
    ),
    min_size=2,
    max_size=8,
    unique=True,
)


@settings(deadline=None, max_examples=40)  # pandas work; keep the suite quick
@given(strategy_sets, st.randoms(use_true_random=False))
def test_dominance_and_icers_do_not_depend_on_row_order_or_labels(
    points: list[tuple[float, float]], rng: object
) -> None:
    names = [f"s{i}" for i in range(len(points))]
    base = calculate_icers([p[0] for p in points], [p[1] for p in points], names)
    order = list(range(len(points)))
    rng.shuffle(order)  # type: ignore[attr-defined]
    relabel = {f"s{i}": f"x{j}" for j, i in enumerate(order)}
    shuffled = calculate_icers(
        [points[i][0] for i in order],
        [points[i][1] for i in order],
        [relabel[names[i]] for i in order],
    )
    back = {v: k for k, v in relabel.items()}
    shuffled["Strategy"] = shuffled["Strategy"].map(back)
    left = base.set_index("Strategy").sort_index()
    right = shuffled.set_index("Strategy").sort_index()
    assert left["Status"].to_dict() == right["Status"].to_dict()
    np.testing.assert_allclose(left["ICER"], right["ICER"], equal_nan=True)


@settings(deadline=None, max_examples=40)
@given(strategy_sets)
def test_frontier_icers_increase(points: list[tuple[float, float]]) -> None:
    result = calculate_icers(
        [p[0] for p in points], [p[1] for p in points], [str(i) for i in range(len(points))]
    )
    icers = result.loc[result["Status"] == "ND", "ICER"].dropna().to_numpy()
    assert np.all(np.diff(icers) >= 0)
    assert np.all(icers > 0)


@pytest.mark.parametrize(
    ("dc", "de", "quadrant", "icer"),
    [
        (100.0, 0.01, Quadrant.MORE_COSTLY_MORE_EFFECTIVE, 10_000.0),
        (-100.0, -0.01, Quadrant.LESS_COSTLY_LESS_EFFECTIVE, 10_000.0),
        (-100.0, 0.01, Quadrant.DOMINANT, None),
        (100.0, -0.01, Quadrant.DOMINATED, None),
        (0.0, 0.0, Quadrant.NO_DIFFERENCE, None),
    ],
)
def test_pairwise_comparison_handles_dominance(
    dc: float, de: float, quadrant: Quadrant, icer: float | None
) -> None:
    result = compare(dc, de)
    assert result.quadrant is quadrant
    assert result.icer == (pytest.approx(icer) if icer is not None else None)


@given(st.floats(-1e5, 1e5), st.floats(-2, 2), st.floats(0, 1e5), st.floats(0, 1e5))
def test_inmb_is_linear_in_the_threshold(dc: float, de: float, k1: float, k2: float) -> None:
    result = compare(dc, de)
    assert result.inmb(k1 + k2) == pytest.approx(
        result.inmb(k1) + result.inmb(k2) + dc, rel=1e-9, abs=1e-6
    )
    assert result.inmb(20_000) == pytest.approx(20_000 * de - dc)


def test_net_monetary_benefit_has_a_threshold_axis() -> None:
    nmb = net_monetary_benefit([100.0, 200.0], [1.0, 1.1], [20_000, 30_000])
    np.testing.assert_allclose(nmb, [[19_900, 21_800], [29_900, 32_800]])
