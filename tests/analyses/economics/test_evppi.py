"""EVPPI by a regression metamodel (Strong, Oakley and Brennan, Med Decis Making 2014).

Checked two ways against published figures:

- BCEA's Vaccine example (Baio and Dawid 2011; BCEA ``summary.bcea``, see
  ``shared/data/cea/README.md``): the EVPPI of every quantity the net benefit depends on
  (both strategies' costs and effects) is the EVPI, published as 2.4145 at k = 25,000;
- the closed form for a net benefit linear in normal parameters (the unit normal loss
  integral, Raiffa and Schlaifer 1961, the textbook case EVPPI methods are checked on):
  EVPPI(X) = E[max(0, m + aX)] - max(0, m) = m Phi(m/s) + s phi(m/s) - max(0, m) with
  s = |a| sd(X).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nightingale.analyses.economics.evppi import evppi, evppi_table, regression_basis
from nightingale.platform.errors import NightingaleError


def _normal_loss(mean: float, sd: float) -> float:
    z = mean / sd
    return float(mean * stats.norm.cdf(z) + sd * stats.norm.pdf(z) - max(mean, 0.0))


def test_evppi_of_all_inputs_is_bceas_published_evpi_for_the_vaccine(
    vaccine: pd.DataFrame,
) -> None:
    costs = vaccine[["cost_StatusQuo", "cost_Vaccination"]].to_numpy()
    effects = vaccine[["eff_StatusQuo", "eff_Vaccination"]].to_numpy()
    parameters = vaccine[list(vaccine.columns)]
    table = evppi_table(costs, effects, parameters, {"all": list(vaccine.columns)}, [25_000.0])
    assert round(float(table["evpi"].iloc[0]), 4) == 2.4145
    assert float(table["evppi"].iloc[0]) == pytest.approx(2.4145, abs=5e-4)


def test_evppi_matches_the_normal_loss_integral() -> None:
    rng = np.random.default_rng(2014)
    x1, x2 = rng.normal(0, 1, 20_000), rng.normal(0, 1, 20_000)
    incremental = 100 + 300 * x1 + 200 * x2
    nb = np.column_stack([np.zeros_like(incremental), incremental])
    assert evppi(nb, x1[:, None]) == pytest.approx(_normal_loss(100, 300), rel=0.04)
    assert evppi(nb, x2[:, None]) == pytest.approx(_normal_loss(100, 200), rel=0.06)
    both = _normal_loss(100, float(np.hypot(300, 200)))
    assert evppi(nb, np.column_stack([x1, x2])) == pytest.approx(both, rel=0.03)


def test_a_nonlinear_effect_is_captured_by_the_splines() -> None:
    # Net benefit of the new option depends on a hazard ratio through exp(): a straight
    # line in the ratio would miss the curvature; the exact EVPPI is known by quadrature.
    rng = np.random.default_rng(7)
    log_hr = rng.normal(-0.2, 0.3, 20_000)
    noise = rng.normal(0, 400, 20_000)
    incremental = 2_000 * (1 - np.exp(log_hr)) - 300 + noise
    nb = np.column_stack([np.zeros_like(incremental), incremental])
    grid = np.linspace(-0.2 - 8 * 0.3, -0.2 + 8 * 0.3, 20_001)
    weights = stats.norm.pdf(grid, -0.2, 0.3)
    conditional = 2_000 * (1 - np.exp(grid)) - 300
    exact = float(
        np.trapezoid(np.maximum(conditional, 0) * weights, grid)
        - max(np.trapezoid(conditional * weights, grid), 0)
    )
    assert evppi(nb, log_hr[:, None]) == pytest.approx(exact, rel=0.05)


def test_a_fixed_parameter_is_worth_nothing_to_learn() -> None:
    rng = np.random.default_rng(1)
    nb = np.column_stack([np.zeros(2_000), rng.normal(10, 100, 2_000)])
    assert evppi(nb, np.full((2_000, 1), 3.0)) == pytest.approx(0.0, abs=1e-9)
    assert regression_basis(np.full((2_000, 1), 3.0)).shape == (2_000, 1)


def test_groups_must_name_drawn_parameters_and_fit_the_sample() -> None:
    parameters = pd.DataFrame({"a": np.arange(40.0)})
    costs, effects = np.zeros((40, 2)), np.zeros((40, 2))
    with pytest.raises(NightingaleError, match="not drawn"):
        evppi_table(costs, effects, parameters, {"g": ["b"]}, [20_000.0])
    wide = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 5)), columns=list("abcde"))
    with pytest.raises(NightingaleError, match="regression terms"):
        evppi_table(costs, effects, wide, {"g": list("abcde")}, [20_000.0])
