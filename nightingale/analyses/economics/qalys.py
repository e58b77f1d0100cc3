"""QALYs by the area under the utility curve, with discounting and deaths stated.

Utilities are measured at a few visits (baseline, then follow-up). The QALYs over
follow-up are the area under the straight lines joining them (trapezoidal rule): for
visits at ``t_0 < t_1 < ... < t_m`` years, ``sum_k (t_k - t_{k-1}) (u_{k-1} + u_k) / 2``.

Baseline utility is part of that area, so arms that differ at baseline differ in QALYs
for reasons that have nothing to do with the intervention. The remedy (Manca, Hawkins
and Sculpher 2005) is to *adjust for baseline utility in the regression* of QALYs on
treatment — :mod:`.sur` does that with baseline utility as a covariate in the QALY
equation; this module only computes the area.

A person who dies has utility 0 from death onwards; pass 0 for visits after death
(the pipeline does), not a missing value.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nightingale.analyses.economics.discounting import period_discount_factor

Array = NDArray[np.float64]


def auc_qalys(utilities: ArrayLike, times_years: ArrayLike, discount_rate: float = 0.0) -> Array:
    """QALYs per person from utilities ``(people, visits)`` at ``times_years`` ``(visits,)``.

    Each interval's area is discounted by the mean discount factor over the interval
    (:func:`period_discount_factor`); with ``discount_rate=0`` this is the plain area.
    A missing utility makes that person's total missing (impute first).
    """
    u = np.atleast_2d(np.asarray(utilities, dtype=float))
    t = np.asarray(times_years, dtype=float)
    if u.shape[1] != t.size or t.size < 2:
        raise ValueError(
            f"need at least two visits and one time per visit, got {u.shape}, {t.size}"
        )
    if np.any(np.diff(t) <= 0):
        raise ValueError("visit times must increase")
    widths = np.diff(t)
    factors = period_discount_factor(t[:-1], t[1:], discount_rate)
    areas = widths * (u[:, :-1] + u[:, 1:]) / 2.0
    return np.asarray(areas @ factors, dtype=float)
