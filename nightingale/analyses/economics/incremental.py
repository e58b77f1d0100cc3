"""Incremental analysis: ICERs, net monetary benefit and dominance across strategies.

**Sign convention (pinned in the tests).** Every increment is *reference minus
comparator*: the strategy being judged minus the strategy it is compared with. For a
trial, the reference is the intervention and the comparator is usual care, so a positive
incremental cost means the intervention costs more. Some tools (and some papers)
subtract the other way round; their ICER is the same, their INMB is not.

**Several strategies** follow dampack's ``calculate_icers`` exactly (Alarid-Escudero et
al.; the C. difficile vignette is a test here):

1. Sort by cost (ascending), ties by effect (descending).
2. *Strong dominance*: a strategy is dominated (``D``) when some cheaper-or-equal
   strategy earlier in that order is at least as effective.
3. *Extended dominance*: among the rest, compute ICERs against the previous strategy;
   every strategy whose ICER exceeds the next one's is extendedly dominated (``ED``)
   — some mix of its neighbours would do better. Repeat until no more are found.
4. The remaining strategies (``ND``) form the efficiency frontier; each one's ICER is
   against the previous frontier strategy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from nightingale.platform.errors import NightingaleError

NICE_THRESHOLDS = (20_000.0, 30_000.0)
"""NICE's usual range of cost per QALY (GBP)."""

SENSITIVITY_THRESHOLDS = (25_000.0, 35_000.0)
"""Thresholds reported as sensitivity analyses (NICE's 2025 update discussed these)."""


class Quadrant(StrEnum):
    """Where a comparison falls on the cost-effectiveness plane."""

    DOMINANT = "dominant"  # cheaper and at least as effective (south-east)
    DOMINATED = "dominated"  # dearer and no more effective (north-west)
    MORE_COSTLY_MORE_EFFECTIVE = "NE"
    LESS_COSTLY_LESS_EFFECTIVE = "SW"
    NO_DIFFERENCE = "no difference"


@dataclass(frozen=True)
class PairwiseResult:
    """One reference-versus-comparator comparison."""

    delta_cost: float
    delta_effect: float
    quadrant: Quadrant
    icer: float | None
    """``delta_cost / delta_effect`` in the NE and SW quadrants; None when one dominates."""

    def inmb(self, threshold: float) -> float:
        """Incremental net monetary benefit ``threshold * dE - dC`` (GBP)."""
        return threshold * self.delta_effect - self.delta_cost


def compare(delta_cost: float, delta_effect: float) -> PairwiseResult:
    """Classify a reference-minus-comparator difference and give its ICER where it has one.

    An ICER is only meaningful in the NE (pay more for more health) and SW (save money,
    lose health) quadrants; in the other two one strategy dominates and a negative
    ratio would be ambiguous, so none is given.
    """
    dc, de = float(delta_cost), float(delta_effect)
    if dc == 0.0 and de == 0.0:
        quadrant, icer = Quadrant.NO_DIFFERENCE, None
    elif dc <= 0.0 and de >= 0.0:
        quadrant, icer = Quadrant.DOMINANT, None
    elif dc >= 0.0 and de <= 0.0:
        quadrant, icer = Quadrant.DOMINATED, None
    elif dc > 0.0:
        quadrant, icer = Quadrant.MORE_COSTLY_MORE_EFFECTIVE, dc / de
    else:
        quadrant, icer = Quadrant.LESS_COSTLY_LESS_EFFECTIVE, dc / de
    return PairwiseResult(delta_cost=dc, delta_effect=de, quadrant=quadrant, icer=icer)


def net_monetary_benefit(
    costs: ArrayLike, effects: ArrayLike, thresholds: ArrayLike
) -> NDArray[np.float64]:
    """``k * effect - cost`` for each threshold ``k`` (a new leading axis per threshold)."""
    k = np.atleast_1d(np.asarray(thresholds, dtype=float))
    e = np.asarray(effects, dtype=float)
    c = np.asarray(costs, dtype=float)
    return np.asarray(k.reshape((-1,) + (1,) * e.ndim) * e - c, dtype=float)


def _frontier_icers(frame: pd.DataFrame) -> pd.DataFrame:
    ordered = frame.sort_values(["Cost", "Effect"], ascending=[True, False], kind="mergesort")
    inc_cost = ordered["Cost"].diff()
    inc_effect = ordered["Effect"].diff()
    return ordered.assign(Inc_Cost=inc_cost, Inc_Effect=inc_effect, ICER=inc_cost / inc_effect)


def calculate_icers(
    costs: Sequence[float] | NDArray[np.float64],
    effects: Sequence[float] | NDArray[np.float64],
    strategies: Sequence[str],
) -> pd.DataFrame:
    """dampack's incremental analysis of several strategies (see the module docstring).

    Returns one row per strategy with ``Strategy, Cost, Effect, Inc_Cost, Inc_Effect,
    ICER, Status``: the frontier (``ND``) first, in order of cost, then the extendedly
    (``ED``) and strongly (``D``) dominated ones. Increments and ICERs are given for the
    frontier only, each against the previous frontier strategy.
    """
    names = [str(s) for s in strategies]
    if len(set(names)) != len(names):
        raise NightingaleError(f"strategy names must be unique, got {names}")
    if not (len(names) == len(costs) == len(effects)) or not names:
        raise NightingaleError("costs, effects and strategies must be non-empty and equally long")
    frame = pd.DataFrame(
        {"Strategy": names, "Cost": np.asarray(costs, float), "Effect": np.asarray(effects, float)}
    )
    if not np.all(np.isfinite(frame[["Cost", "Effect"]].to_numpy())):
        raise NightingaleError("costs and effects must be finite numbers")
    ordered = frame.sort_values(["Cost", "Effect"], ascending=[True, False], kind="mergesort")

    dominated: set[str] = set()
    best_effect = -np.inf
    for name, effect in zip(ordered["Strategy"], ordered["Effect"], strict=True):
        if effect <= best_effect:
            dominated.add(name)
        best_effect = max(best_effect, effect)

    extended: set[str] = set()
    while True:
        frontier = _frontier_icers(frame[~frame["Strategy"].isin(dominated | extended)])
        icers = frontier["ICER"].to_numpy()
        found = {
            frontier["Strategy"].iloc[i]
            for i in range(1, len(frontier) - 1)
            if icers[i] > icers[i + 1]
        }
        if not found:
            break
        extended |= found

    status = {name: "ND" for name in frontier["Strategy"]}
    status.update({name: "ED" for name in extended})
    status.update({name: "D" for name in dominated})
    rest = (
        frame[frame["Strategy"].isin(extended | dominated)]
        .assign(Inc_Cost=np.nan, Inc_Effect=np.nan, ICER=np.nan)
        .assign(_rank=lambda f: (~f["Strategy"].isin(extended)).astype(int))
        .sort_values(["_rank", "Cost"], kind="mergesort")
        .drop(columns="_rank")
    )
    result = pd.concat([frontier, rest], ignore_index=True)
    result["Status"] = result["Strategy"].map(status)
    return result[["Strategy", "Cost", "Effect", "Inc_Cost", "Inc_Effect", "ICER", "Status"]]
