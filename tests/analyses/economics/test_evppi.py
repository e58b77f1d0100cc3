"""EVPPI by a regression metamodel (Strong, Oakley and Brennan, Med Decis Making 2014).

Checked three ways against published figures:

- the ``voi`` R package's worked example (Jackson, "voi for Value of Information
  calculation: package overview", the package vignette, version 1.0 of 2023-08-26,
  GPL-3): ``set.seed(1)``, 10,000 draws ``p1 ~ N(1, 1)`` then ``p2 ~ N(0, 2)``, net
  benefit ``k p1 - p2`` against zero. The sample is drawn again here exactly (R's
  generator, ``r_random``), which its published mean net benefit and EVPIs confirm to
  seven figures; its published GAM EVPPI of ``p1`` is 0.08210074 (standard error
  0.007093807), 0.17052564 and 0.25895085 at k = 1, 2, 3, of ``p2`` 0.39029827 at
  k = 1, and of both the EVPI;

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
from tests.analyses.economics.r_random import RRandom

# The voi vignette's published figures (see the module docstring).
VOI_EVPI = {1.0: 0.4759885, 2.0: 0.4028003, 3.0: 0.4174207}
VOI_EVPPI_P1 = {1.0: 0.08210074, 2.0: 0.17052564, 3.0: 0.25895085}
VOI_EVPPI_P2_AT_1 = 0.39029827
VOI_GAM_STANDARD_ERROR = 0.007093807


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


def _voi_example() -> pd.DataFrame:
    r = RRandom(1)
    p1 = r.rnorm(10_000, 1.0, 1.0)
    p2 = r.rnorm(10_000, 0.0, 2.0)
    return pd.DataFrame({"p1": p1, "p2": p2})


def test_r_random_draws_what_r_draws() -> None:
    # set.seed(1); runif(3) and set.seed(1); rnorm(5), as R prints them.
    assert RRandom(1).runif(3) == pytest.approx([0.2655087, 0.3721239, 0.5728534], abs=5e-8)
    assert RRandom(1).rnorm(5) == pytest.approx(
        [-0.6264538, 0.1836433, -0.8356286, 1.5952808, 0.3295078], abs=5e-8
    )


def test_evppi_matches_the_published_voi_example() -> None:
    inputs = _voi_example()
    net_benefit = inputs["p1"] - inputs["p2"]
    # The same sample as the vignette's: its printed mean net benefit and EVPI.
    assert round(float(net_benefit.mean()), 7) == 1.0018431
    effects = np.column_stack([np.zeros(len(inputs)), inputs["p1"]])
    costs = np.column_stack([np.zeros(len(inputs)), inputs["p2"]])
    groups = {"p1": ["p1"], "p2": ["p2"], "both": ["p1", "p2"]}
    table = evppi_table(costs, effects, inputs, groups, [1.0, 2.0, 3.0])
    by = {(row.group, row.threshold): row for row in table.itertuples()}
    for k, published in VOI_EVPI.items():
        assert round(float(by[("both", k)].evpi), 7) == published
        # Net benefit is linear in the two parameters: learning both is the EVPI.
        assert float(by[("both", k)].evppi) == pytest.approx(published, abs=1e-7)
    # A different smoother on the same draws: within the GAM's own published standard
    # error (ours is 0.0018 below it at every threshold).
    for k, published in VOI_EVPPI_P1.items():
        assert float(by[("p1", k)].evppi) == pytest.approx(
            published, abs=VOI_GAM_STANDARD_ERROR / 2
        )
    assert float(by[("p2", 1.0)].evppi) == pytest.approx(VOI_EVPPI_P2_AT_1, rel=0.005)
    # And the exact values (the normal loss integral) lie within the same error.
    assert float(by[("p1", 1.0)].evppi) == pytest.approx(
        _normal_loss(1.0, 1.0), abs=VOI_GAM_STANDARD_ERROR
    )
    assert float(by[("p2", 1.0)].evppi) == pytest.approx(
        _normal_loss(1.0, 2.0), abs=VOI_GAM_STANDARD_ERROR
    )


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
