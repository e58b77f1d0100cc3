"""Decision uncertainty from probabilistic draws: CEAC, EIB, EVPI and expected net benefit.

Input is a matrix of draws (rows) by strategies (columns) of costs and of effects, as
produced by a bootstrap of trial data or by a probabilistic sensitivity analysis of a
model. For a willingness-to-pay threshold ``k`` the net monetary benefit of a strategy
in a draw is ``k * effect - cost``.

- *Expected net benefit* (ENB): the mean over draws, per strategy.
- *CEAC*: for each strategy, the share of draws in which it has the highest net benefit
  (for two strategies: the probability that the reference is cost-effective).
- *EIB* (expected incremental benefit, two strategies): ``k * mean(dE) - mean(dC)`` with
  differences reference minus comparator, as BCEA reports it.
- *EVPI*: mean over draws of the best net benefit minus the best mean net benefit — what
  a decision maker should pay, per person, to remove all parameter uncertainty.

All functions are vectorised over the threshold grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nightingale.platform.errors import NightingaleError


def _draws(costs: ArrayLike, effects: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    c = np.asarray(costs, dtype=float)
    e = np.asarray(effects, dtype=float)
    if c.ndim != 2 or c.shape != e.shape:
        raise NightingaleError(
            "costs and effects must be draws x strategies of one shape, "
            f"got {c.shape} and {e.shape}"
        )
    return c, e


def net_benefit_draws(
    costs: ArrayLike, effects: ArrayLike, thresholds: ArrayLike
) -> NDArray[np.float64]:
    """Net monetary benefit, shape (thresholds, draws, strategies)."""
    c, e = _draws(costs, effects)
    k = np.atleast_1d(np.asarray(thresholds, dtype=float))[:, None, None]
    return np.asarray(k * e[None] - c[None], dtype=float)


@dataclass(frozen=True)
class DecisionUncertainty:
    """ENB, CEAC and EVPI of several strategies over a threshold grid."""

    thresholds: NDArray[np.float64]
    expected_net_benefit: NDArray[np.float64]
    """(thresholds, strategies)"""
    ceac: NDArray[np.float64]
    """(thresholds, strategies): probability each strategy has the highest net benefit."""
    evpi: NDArray[np.float64]
    """(thresholds,)"""

    @property
    def optimal(self) -> NDArray[np.int64]:
        """Index of the strategy with the highest expected net benefit at each threshold."""
        return np.asarray(np.argmax(self.expected_net_benefit, axis=1), dtype=np.int64)

    @property
    def frontier(self) -> NDArray[np.float64]:
        """CEAF: the probability that the optimal (highest-ENB) strategy is cost-effective."""
        rows = np.arange(len(self.thresholds))
        return np.asarray(self.ceac[rows, self.optimal], dtype=float)


def decision_uncertainty(
    costs: ArrayLike, effects: ArrayLike, thresholds: ArrayLike, chunk: int = 64
) -> DecisionUncertainty:
    """ENB, CEAC and EVPI over ``thresholds``, computed a block of thresholds at a time.

    Ties in net benefit (rare with continuous draws) go to the first strategy, as in
    BCEA and dampack.
    """
    c, e = _draws(costs, effects)
    k = np.atleast_1d(np.asarray(thresholds, dtype=float))
    n_str = c.shape[1]
    enb = np.empty((k.size, n_str))
    ceac = np.empty((k.size, n_str))
    evpi = np.empty(k.size)
    for start in range(0, k.size, chunk):
        block = k[start : start + chunk]
        nb = net_benefit_draws(c, e, block)
        mean_nb = nb.mean(axis=1)
        best = np.argmax(nb, axis=2)
        enb[start : start + chunk] = mean_nb
        ceac[start : start + chunk] = (best[:, :, None] == np.arange(n_str)).mean(axis=1)
        evpi[start : start + chunk] = nb.max(axis=2).mean(axis=1) - mean_nb.max(axis=1)
    # EVPI is never negative; differences of large equal sums can round to -1e-11.
    evpi = np.maximum(evpi, 0.0)
    return DecisionUncertainty(thresholds=k, expected_net_benefit=enb, ceac=ceac, evpi=evpi)


def expected_incremental_benefit(
    delta_cost: ArrayLike, delta_effect: ArrayLike, thresholds: ArrayLike
) -> NDArray[np.float64]:
    """EIB ``k * mean(dE) - mean(dC)`` (differences reference minus comparator)."""
    k = np.atleast_1d(np.asarray(thresholds, dtype=float))
    return np.asarray(
        k * np.mean(np.asarray(delta_effect, float)) - np.mean(np.asarray(delta_cost, float)),
        dtype=float,
    )


def probability_cost_effective(
    delta_cost: ArrayLike, delta_effect: ArrayLike, thresholds: ArrayLike
) -> NDArray[np.float64]:
    """Two-strategy CEAC: the share of draws with ``k * dE - dC > 0`` at each threshold."""
    k = np.atleast_1d(np.asarray(thresholds, dtype=float))[:, None]
    dc = np.asarray(delta_cost, dtype=float)[None, :]
    de = np.asarray(delta_effect, dtype=float)[None, :]
    return np.asarray(np.mean(k * de - dc > 0.0, axis=1), dtype=float)


def break_even_threshold(
    delta_cost: ArrayLike, delta_effect: ArrayLike, thresholds: ArrayLike
) -> float | None:
    """The first threshold on the grid with a positive EIB (BCEA's ``k*``); None if none."""
    k = np.atleast_1d(np.asarray(thresholds, dtype=float))
    eib = expected_incremental_benefit(delta_cost, delta_effect, k)
    positive = np.flatnonzero(eib > 0.0)
    return float(k[positive[0]]) if positive.size else None
