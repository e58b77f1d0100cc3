"""Mixed models for trajectories: the treated shift comes back; statsmodels agrees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from nightingale.analyses.mixed import mixed_trajectory


def _trajectories(n: int, seed: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    treated = rng.binomial(1, 0.5, n)
    baseline = rng.normal(0.7, 0.1, n)
    person = rng.normal(0, 0.08, n)
    rows = []
    for period in range(5):
        u = baseline + person + 0.5 * (baseline - 0.7) - 0.01 * period + shift * treated
        rows.append(
            pd.DataFrame(
                {
                    "pid": np.arange(n),
                    "period": period,
                    "treated": treated,
                    "baseline": baseline,
                    "u": u + rng.normal(0, 0.05, n),
                }
            )
        )
    panel = pd.concat(rows, ignore_index=True)
    # About 10% of questionnaires are not returned.
    panel.loc[rng.random(len(panel)) < 0.1, "u"] = np.nan
    return panel


def test_mixed_model_covers_the_true_shift_with_missing_answers() -> None:
    panel = _trajectories(600, seed=33, shift=0.04)
    result = mixed_trajectory(
        panel, "u", group="pid", treatment="treated", time="period", covariates=["baseline"]
    )
    row = result.estimate("u difference")
    assert row["ci_low"] < 0.04 < row["ci_high"]
    assert row["n"] == panel["u"].notna().sum()
    assert "trajectory" in result.figures


def test_mixed_model_is_statsmodels_mixedlm() -> None:
    panel = _trajectories(200, seed=32, shift=0.0).dropna()
    result = mixed_trajectory(panel, "u", group="pid", treatment="treated", time="period")
    reference = smf.mixedlm("u ~ treated + C(period)", panel, groups=panel["pid"]).fit(
        reml=True, method=["bfgs", "lbfgs"]
    )
    row = result.estimate("u difference")
    assert row["estimate"] == pytest.approx(reference.fe_params["treated"], abs=1e-5)
    assert row["std_error"] == pytest.approx(reference.bse_fe["treated"], rel=1e-3)
