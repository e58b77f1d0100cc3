"""The cohort state-transition (Markov) engine: arrays in, discounted costs and QALYs out.

A strategy is given as arrays with a leading *sample* axis, so a deterministic run is
one sample and a probabilistic sensitivity analysis is many, through the same code:

- ``transitions``: ``(samples, cycles, S, S)``; row ``i`` of slice ``t`` holds the
  probabilities of moving from state ``i`` during cycle ``t`` (from boundary ``t`` to
  ``t + 1``). Rows sum to one. A time-varying model simply has different slices.
- ``state_costs`` and ``state_utilities``: ``(samples, cycles + 1, S)``, annual values
  at each boundary ``t``; they are multiplied by the cycle length (years), so a cost of
  2,000 a year in a monthly model adds 166.67 per cycle.
- ``transition_costs`` / ``transition_utilities`` (optional): ``(samples, S, S)``
  one-off amounts per person moving from ``i`` to ``j`` (e.g. the cost of dying),
  counted at the boundary the move ends at, as the DARTH tutorials do.

Totals are ``sum_t w_t * d_t * reward_t`` where ``w`` are the within-cycle correction
weights (:mod:`.corrections`) and ``d_t = 1 / (1 + r) ** (t * cycle_length)`` the discount
factors, set separately for costs and effects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from nightingale.analyses.economics.discounting import DiscountRates, discount_factor
from nightingale.analyses.economics.markov.corrections import Correction, cycle_weights
from nightingale.platform.errors import NightingaleError

Array = NDArray[np.float64]
PROBABILITY_TOLERANCE = 1e-9


class ModelError(NightingaleError):
    """A model whose arrays are not a valid cohort state-transition model."""


@dataclass(frozen=True)
class CycleSettings:
    """Horizon, cycle length, within-cycle correction and discount rates of a model."""

    n_cycles: int
    cycle_length: float = 1.0
    correction: Correction = Correction.HALF_CYCLE
    discount: DiscountRates = field(default_factory=DiscountRates)

    def weights(self) -> Array:
        return cycle_weights(self.correction, self.n_cycles)

    def times(self) -> Array:
        """Years from the start at each boundary ``t = 0..n_cycles``."""
        return np.arange(self.n_cycles + 1, dtype=float) * self.cycle_length

    def describe(self) -> str:
        """One sentence for a report: how cycles and discounting were handled."""
        return (
            f"{self.n_cycles} cycles of {self.cycle_length:g} year(s); within-cycle correction "
            f"'{self.correction.value}'; discounting 1/(1+r)^t at {self.discount.costs:.1%} "
            f"(costs) and {self.discount.effects:.1%} (effects) from cycle 0."
        )


@dataclass(frozen=True)
class StrategyArrays:
    """One strategy's transition probabilities and rewards (see the module docstring)."""

    name: str
    transitions: Array
    state_costs: Array
    state_utilities: Array
    transition_costs: Array | None = None
    transition_utilities: Array | None = None


@dataclass(frozen=True)
class StrategyOutcome:
    """Discounted totals per sample, and (for small runs) the trace."""

    name: str
    costs: Array
    effects: Array
    trace: Array | None = None


def check_transitions(name: str, transitions: Array, states: Sequence[str]) -> None:
    """Refuse probabilities outside [0, 1] or rows that do not sum to one, saying where."""
    bad = (transitions < -PROBABILITY_TOLERANCE) | (transitions > 1 + PROBABILITY_TOLERANCE)
    if bad.any():
        sample, cycle, i, j = (int(x) for x in np.argwhere(bad)[0])
        raise ModelError(
            f"strategy {name!r}: probability {states[i]} -> {states[j]} at cycle {cycle} "
            f"(sample {sample}) is {transitions[sample, cycle, i, j]:.6g}, outside [0, 1]"
        )
    sums = transitions.sum(axis=-1)
    off = np.abs(sums - 1.0) > 1e-6
    if off.any():
        sample, cycle, i = (int(x) for x in np.argwhere(off)[0])
        raise ModelError(
            f"strategy {name!r}: probabilities out of {states[i]} at cycle {cycle} "
            f"(sample {sample}) sum to {sums[sample, cycle, i]:.9g}, not 1"
        )


def cohort_trace(initial: Array, transitions: Array) -> Array:
    """State occupancy ``(samples, cycles + 1, S)`` from an initial distribution ``(S,)``."""
    n_samples, n_cycles, n_states, _ = transitions.shape
    trace = np.empty((n_samples, n_cycles + 1, n_states))
    trace[:, 0] = initial
    for t in range(n_cycles):
        trace[:, t + 1] = np.einsum("ns,nsk->nk", trace[:, t], transitions[:, t])
    return trace


def run_strategy(
    strategy: StrategyArrays,
    initial: Array,
    settings: CycleSettings,
    keep_trace: bool = False,
) -> StrategyOutcome:
    """Discounted, within-cycle-corrected expected costs and QALYs per sample."""
    p = strategy.transitions
    if p.ndim != 4 or p.shape[1] != settings.n_cycles or p.shape[2] != p.shape[3]:
        raise ModelError(
            f"strategy {strategy.name!r}: transitions must be "
            f"(samples, {settings.n_cycles}, S, S), got {p.shape}"
        )
    trace = cohort_trace(np.asarray(initial, dtype=float), p)
    years = settings.cycle_length
    costs_t = np.einsum("nts,nts->nt", trace, strategy.state_costs) * years
    effects_t = np.einsum("nts,nts->nt", trace, strategy.state_utilities) * years
    if strategy.transition_costs is not None or strategy.transition_utilities is not None:
        flows = trace[:, :-1, :, None] * p  # (samples, cycles, S, S): people moving i -> j
        if strategy.transition_costs is not None:
            costs_t[:, 1:] += np.einsum("ntij,nij->nt", flows, strategy.transition_costs)
        if strategy.transition_utilities is not None:
            effects_t[:, 1:] += np.einsum("ntij,nij->nt", flows, strategy.transition_utilities)
    weights = settings.weights()
    times = settings.times()
    cost_weights = weights * discount_factor(times, settings.discount.costs)
    effect_weights = weights * discount_factor(times, settings.discount.effects)
    return StrategyOutcome(
        name=strategy.name,
        costs=costs_t @ cost_weights,
        effects=effects_t @ effect_weights,
        trace=trace if keep_trace else None,
    )
