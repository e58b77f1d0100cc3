"""Discounting: 1/(1+r)^t, separate rates for costs and effects."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nightingale.analyses.economics.discounting import (
    NICE_RATE,
    DiscountRates,
    discount_factor,
    period_discount_factor,
    present_value,
)


def test_nice_default_is_three_and_a_half_percent_for_both() -> None:
    rates = DiscountRates()
    assert rates.costs == rates.effects == NICE_RATE == 0.035


def test_factor_is_one_over_one_plus_r_to_the_t_not_one_minus_r() -> None:
    # After 10 years at 3.5%: 1/1.035**10 = 0.70892; (1 - 0.035)**10 = 0.70037 would be wrong.
    assert discount_factor(10, 0.035) == pytest.approx(0.708919, abs=1e-6)
    assert discount_factor(10, 0.035) != pytest.approx((1 - 0.035) ** 10, abs=1e-4)


@given(st.floats(0.0, 50.0), st.floats(0.0, 0.2))
def test_factor_inverts_compound_growth(years: float, rate: float) -> None:
    assert float(discount_factor(years, rate)) * (1 + rate) ** years == pytest.approx(1.0)


def test_present_value_sums_the_discounted_stream() -> None:
    assert present_value([100.0, 100.0, 100.0], [0, 1, 2], 0.035) == pytest.approx(
        100 + 100 / 1.035 + 100 / 1.035**2
    )


def test_period_factor_is_the_mean_factor_over_the_period() -> None:
    grid = np.linspace(1.0, 2.0, 200_001)
    assert period_discount_factor(1.0, 2.0, 0.035) == pytest.approx(
        np.mean(discount_factor(grid, 0.035)), rel=1e-6
    )
    assert period_discount_factor(0.0, 1.0, 0.0) == 1.0


@pytest.mark.parametrize("rate", [-0.01, 1.0])
def test_rates_outside_zero_to_one_are_refused(rate: float) -> None:
    with pytest.raises(ValueError):
        DiscountRates(costs=rate)
    with pytest.raises(ValueError):
        discount_factor(1, rate)
