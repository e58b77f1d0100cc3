"""Time to first event: the Cox hazard ratio comes back; Kaplan–Meier is statsmodels'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from nightingale.analyses.survival import cox_hazard_ratio, kaplan_meier


def _exponential(n: int, seed: int, hazard_ratio: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    treated = rng.binomial(1, 0.5, n)
    age = rng.normal(0, 1, n)
    rate = 0.001 * np.exp(0.3 * age) * np.where(treated == 1, hazard_ratio, 1.0)
    event_time = rng.exponential(1 / rate)
    censor = rng.uniform(200, 1460, n)
    return pd.DataFrame(
        {
            "days": np.minimum(event_time, censor),
            "admitted": (event_time <= censor).astype(int),
            "treated": treated,
            "age": age,
        }
    )


def test_cox_covers_the_true_hazard_ratio() -> None:
    data = _exponential(3000, seed=41, hazard_ratio=0.7)
    result = cox_hazard_ratio(data, "days", "admitted", "treated", ["age"])
    row = result.estimate("admitted hazard ratio")
    assert row["ci_low"] < 0.7 < row["ci_high"]
    assert row["events"] == data["admitted"].sum()


def test_kaplan_meier_is_statsmodels_survfunc_per_group() -> None:
    data = _exponential(400, seed=42, hazard_ratio=0.5)
    table, figure = kaplan_meier(data, "days", "admitted", "treated")
    treated = data[data.treated == 1]
    reference = sm.SurvfuncRight(treated["days"], treated["admitted"])
    mine = table[table["group"] == "treated"]
    np.testing.assert_allclose(mine["survival"], reference.surv_prob)
    assert len(figure.axes[0].lines) == 2
