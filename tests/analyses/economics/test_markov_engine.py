"""The cohort engine: cycle counting, corrections, discounting, time-varying transitions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from nightingale.analyses.economics.discounting import DiscountRates
from nightingale.analyses.economics.markov.corrections import Correction, cycle_weights
from nightingale.analyses.economics.markov.model import (
    CycleSettings,
    ModelError,
    StrategyArrays,
    check_transitions,
    run_strategy,
)


def two_state(p_die: float | np.ndarray, n_cycles: int, cost: float = 1.0) -> StrategyArrays:
    """Alive/Dead with probability of death ``p_die`` per cycle (scalar or per cycle)."""
    p = np.broadcast_to(np.asarray(p_die, float), (n_cycles,))
    transitions = np.zeros((1, n_cycles, 2, 2))
    transitions[0, :, 0, 0] = 1 - p
    transitions[0, :, 0, 1] = p
    transitions[0, :, 1, 1] = 1.0
    rewards = np.zeros((1, n_cycles + 1, 2))
    rewards[..., 0] = cost
    return StrategyArrays("alive-dead", transitions, rewards, rewards.copy())


def settings(n: int, correction: Correction, rate: float = 0.0) -> CycleSettings:
    return CycleSettings(n_cycles=n, correction=correction, discount=DiscountRates(rate, rate))


def test_a_model_of_n_cycles_has_n_plus_one_trace_rows() -> None:
    out = run_strategy(two_state(0.1, 3), np.array([1.0, 0.0]), settings(3, "start"), True)
    assert out.trace is not None and out.trace.shape == (1, 4, 2)
    np.testing.assert_allclose(out.trace[0, :, 0], [1, 0.9, 0.81, 0.729])


@pytest.mark.parametrize(
    ("correction", "expected_life_years"),
    [
        ("start", 1 + 0.9 + 0.81),  # counted at cycle starts 0, 1, 2
        ("end", 0.9 + 0.81 + 0.729),  # counted at cycle ends 1, 2, 3
        ("half_cycle", 0.5 + 0.9 + 0.81 + 0.729 / 2),
        ("life_table", (1 + 0.9) / 2 + (0.9 + 0.81) / 2 + (0.81 + 0.729) / 2),
    ],
)
def test_cycle_corrections_count_life_years_as_stated(
    correction: str, expected_life_years: float
) -> None:
    out = run_strategy(two_state(0.1, 3), np.array([1.0, 0.0]), settings(3, Correction(correction)))
    assert out.effects[0] == pytest.approx(expected_life_years)


def test_simpson_weights_and_the_darth_variant() -> None:
    np.testing.assert_allclose(cycle_weights("simpson", 4), np.array([1, 4, 2, 4, 1]) / 3)
    np.testing.assert_allclose(cycle_weights("darth_simpson", 4), np.array([1, 2, 4, 2, 1]) / 3)
    with pytest.raises(Exception, match="even number"):
        cycle_weights("simpson", 3)


def test_simpson_integrates_a_smooth_survival_curve_better_than_end_of_cycle_counting() -> None:
    n, hazard = 20, 0.2
    exact = (1 - np.exp(-hazard * n)) / hazard  # integral of exp(-h t) over [0, n]
    model = two_state(1 - np.exp(-hazard), n)
    errors = {
        c: abs(run_strategy(model, np.array([1.0, 0.0]), settings(n, c)).effects[0] - exact)
        for c in (Correction.END, Correction.LIFE_TABLE, Correction.SIMPSON)
    }
    assert errors[Correction.SIMPSON] < errors[Correction.LIFE_TABLE] < errors[Correction.END]


@hypothesis_settings(deadline=None)
@given(st.floats(0.0, 0.15), st.integers(1, 30))
def test_model_discounting_is_one_over_one_plus_r_to_the_t(rate: float, n: int) -> None:
    # Nobody dies: the discounted start-of-cycle total is the sum of 1/(1+r)^t, t = 0..n-1.
    out = run_strategy(two_state(0.0, n), np.array([1.0, 0.0]), settings(n, "start", rate))
    assert out.costs[0] == pytest.approx(sum((1 + rate) ** -t for t in range(n)))


def test_time_varying_probabilities_are_used_cycle_by_cycle() -> None:
    out = run_strategy(
        two_state(np.array([0.0, 0.5, 1.0]), 3), np.array([1.0, 0.0]), settings(3, "end"), True
    )
    assert out.trace is not None
    np.testing.assert_allclose(out.trace[0, :, 0], [1.0, 1.0, 0.5, 0.0])


def test_cycle_length_scales_annual_rewards() -> None:
    monthly = CycleSettings(
        n_cycles=12, cycle_length=1 / 12, correction=Correction.START, discount=DiscountRates(0, 0)
    )
    out = run_strategy(two_state(0.0, 12, cost=1200.0), np.array([1.0, 0.0]), monthly)
    assert out.costs[0] == pytest.approx(1200.0)


def test_transition_costs_are_charged_on_the_flow_into_the_new_state() -> None:
    model = two_state(0.1, 2, cost=0.0)
    death_cost = np.zeros((1, 2, 2))
    death_cost[0, 0, 1] = 1000.0
    model = StrategyArrays(
        model.name, model.transitions, model.state_costs, model.state_utilities, death_cost
    )
    out = run_strategy(model, np.array([1.0, 0.0]), settings(2, "end"))
    assert out.costs[0] == pytest.approx(1000 * (0.1 + 0.09))


def test_invalid_probabilities_are_refused_with_their_place() -> None:
    bad = two_state(0.1, 2).transitions.copy()
    bad[0, 1, 0, 0] = 0.95
    with pytest.raises(ModelError, match="A -> A|out of A at cycle 1"):
        check_transitions("demo", bad, ["A", "D"])
