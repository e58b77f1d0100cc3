"""Discounting: the present value of costs and effects that fall in the future.

NICE discounts costs and health effects at 3.5% a year (1.5% in its sensitivity cases);
other agencies differ, so the two rates are set separately everywhere in this package.

The discount factor for something that happens ``t`` years from now at annual rate ``r``
is ``1 / (1 + r) ** t``. People who arrive from other tools sometimes write
``(1 - r) ** t``: that is a different (larger) discount, e.g. 0.9656 instead of 0.9662
after one year at 3.5%, and the error compounds. The test suite pins the right one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

NICE_RATE = 0.035
"""NICE reference-case annual discount rate for costs and effects."""


@dataclass(frozen=True)
class DiscountRates:
    """Annual discount rates for costs and for effects (QALYs), set separately."""

    costs: float = NICE_RATE
    effects: float = NICE_RATE

    def __post_init__(self) -> None:
        for name in ("costs", "effects"):
            rate = getattr(self, name)
            if not 0.0 <= rate < 1.0:
                raise ValueError(f"discount rate for {name} must be in [0, 1), got {rate}")


def discount_factor(years: ArrayLike, rate: float) -> NDArray[np.float64]:
    """``1 / (1 + rate) ** years``: the present value of one unit received ``years`` ahead.

    ``years`` may be fractional (a cost incurred at month 18 is 1.5 years ahead).
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"discount rate must be in [0, 1), got {rate}")
    t = np.asarray(years, dtype=float)
    if np.any(t < 0):
        raise ValueError("discounting is for future times; got a negative time")
    return np.asarray((1.0 + rate) ** -t, dtype=float)


def present_value(amounts: ArrayLike, years: ArrayLike, rate: float) -> NDArray[np.float64]:
    """Discount ``amounts`` (last axis matched to ``years``) and sum over that axis."""
    values = np.asarray(amounts, dtype=float)
    return np.asarray(np.sum(values * discount_factor(years, rate), axis=-1), dtype=float)


def period_discount_factor(
    start_years: ArrayLike, end_years: ArrayLike, rate: float
) -> NDArray[np.float64]:
    """Mean discount factor over ``[start, end)`` for a flow spread evenly through the period.

    Costs recorded per follow-up period (e.g. admissions in months 12-24) accrue through
    the period, not at its end; the average of the continuous-time factor over the period
    is ``(d(start) - d(end)) / ((end - start) * ln(1 + r))``, which tends to ``d(start)``
    as the period shrinks. With ``rate == 0`` every factor is 1.
    """
    start = np.asarray(start_years, dtype=float)
    end = np.asarray(end_years, dtype=float)
    if np.any(end <= start):
        raise ValueError("each period must end after it starts")
    if rate == 0.0:
        return np.ones(np.broadcast(start, end).shape)
    log_growth = np.log1p(rate)
    return np.asarray(
        (discount_factor(start, rate) - discount_factor(end, rate)) / ((end - start) * log_growth),
        dtype=float,
    )
