"""Decision uncertainty: BCEA's Vaccine example to its published decimals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nightingale.analyses.economics.ceac import (
    break_even_threshold,
    decision_uncertainty,
    expected_incremental_benefit,
    probability_cost_effective,
)

GRID = np.arange(0, 50_001, 100, dtype=float)


@pytest.fixture
def draws(vaccine: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    costs = vaccine[["cost_StatusQuo", "cost_Vaccination"]].to_numpy()
    effects = vaccine[["eff_StatusQuo", "eff_Vaccination"]].to_numpy()
    return costs, effects


def test_bcea_vaccine_icer_and_break_even(draws: tuple[np.ndarray, np.ndarray]) -> None:
    costs, effects = draws
    dc = costs[:, 1] - costs[:, 0]  # Vaccination (reference) minus Status Quo
    de = effects[:, 1] - effects[:, 0]
    assert round(dc.mean() / de.mean()) == 20_098
    assert break_even_threshold(dc, de, GRID) == 20_100


def test_bcea_vaccine_at_25000(draws: tuple[np.ndarray, np.ndarray]) -> None:
    costs, effects = draws
    dc, de = costs[:, 1] - costs[:, 0], effects[:, 1] - effects[:, 0]
    result = decision_uncertainty(costs, effects, [25_000.0])
    assert np.round(result.expected_net_benefit[0], 3).tolist() == [-36.054, -34.826]
    assert round(float(expected_incremental_benefit(dc, de, 25_000.0)[0]), 4) == 1.2284
    assert round(float(probability_cost_effective(dc, de, 25_000.0)[0]), 3) == 0.529
    assert round(float(result.ceac[0, 1]), 3) == 0.529
    assert round(float(result.evpi[0]), 4) == 2.4145


def test_ceac_columns_sum_to_one_and_evpi_is_never_negative(
    draws: tuple[np.ndarray, np.ndarray],
) -> None:
    result = decision_uncertainty(*draws, GRID)
    np.testing.assert_allclose(result.ceac.sum(axis=1), 1.0)
    assert np.all(result.evpi >= -1e-12)
    # Below the break-even threshold the status quo is optimal, above it vaccination.
    assert result.optimal[GRID == 20_000][0] == 0
    assert result.optimal[GRID == 20_100][0] == 1


def test_evpi_is_zero_without_uncertainty() -> None:
    costs = np.tile([10.0, 20.0], (50, 1))
    effects = np.tile([1.0, 1.001], (50, 1))
    result = decision_uncertainty(costs, effects, [0.0, 5_000.0, 50_000.0])
    np.testing.assert_allclose(result.evpi, 0.0, atol=1e-12)
    assert set(np.unique(result.ceac)) <= {0.0, 1.0}
