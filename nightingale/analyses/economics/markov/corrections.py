"""Within-cycle corrections: how rewards are counted between trace points, stated explicitly.

A cohort trace gives state occupancy at cycle boundaries ``t = 0, 1, ..., T``. Costs and
QALYs accrue *during* cycles, so a total is a weighted sum of the boundary values; the
weights are the within-cycle correction. Every model names its choice:

``start``
    Rewards counted at the start of each cycle: weights ``1, 1, ..., 1, 0``.
``end``
    Rewards counted at the end of each cycle: ``0, 1, ..., 1, 1``.
``half_cycle``
    The classic half-cycle correction (Sonnenberg and Beck): count at the start, remove
    half of the first cycle and add half a cycle after the last: ``1/2, 1, ..., 1, 1/2``.
``life_table``
    The life-table (trapezoidal) method: each cycle's reward is the mean of its start and
    end values, which gives the same weights as ``half_cycle`` for state rewards
    (Barendregt 2009). Both names are kept because modellers ask for each.
``simpson``
    Simpson's 1/3 rule: ``1/3, 4/3, 2/3, 4/3, ..., 4/3, 1/3``; it needs an even number of
    cycles (an odd number raises).
``darth_simpson``
    The weights of ``darthtools::gen_wcc(method = "Simpson1/3")`` used by the DARTH
    tutorials (and so by their published tables): 1-indexed positions that are even get
    2/3 and odd ones 4/3, with 1/3 at both ends — ``1/3, 2/3, 4/3, 2/3, ...``. That is
    Simpson's rule shifted by one cycle; it is reproduced so published DARTH results can
    be matched, and is not recommended for new models.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from nightingale.platform.errors import NightingaleError


class Correction(StrEnum):
    """A within-cycle correction (see the module docstring)."""

    START = "start"
    END = "end"
    HALF_CYCLE = "half_cycle"
    LIFE_TABLE = "life_table"
    SIMPSON = "simpson"
    DARTH_SIMPSON = "darth_simpson"


def cycle_weights(correction: Correction | str, n_cycles: int) -> NDArray[np.float64]:
    """Weights for trace rows ``0..n_cycles`` (length ``n_cycles + 1``)."""
    method = Correction(correction)
    if n_cycles < 1:
        raise NightingaleError(f"a model needs at least one cycle, got {n_cycles}")
    weights = np.ones(n_cycles + 1)
    if method is Correction.START:
        weights[-1] = 0.0
    elif method is Correction.END:
        weights[0] = 0.0
    elif method in (Correction.HALF_CYCLE, Correction.LIFE_TABLE):
        weights[0] = weights[-1] = 0.5
    elif method is Correction.SIMPSON:
        if n_cycles % 2:
            raise NightingaleError(
                f"Simpson's 1/3 rule needs an even number of cycles, got {n_cycles}"
            )
        t = np.arange(n_cycles + 1)
        weights = np.where(t % 2 == 1, 4.0 / 3.0, 2.0 / 3.0)
        weights[0] = weights[-1] = 1.0 / 3.0
    else:  # DARTH_SIMPSON
        position = np.arange(1, n_cycles + 2)  # R's 1-based index
        weights = np.where(position % 2 == 0, 2.0 / 3.0, 4.0 / 3.0)
        weights[0] = weights[-1] = 1.0 / 3.0
    return np.asarray(weights, dtype=float)
