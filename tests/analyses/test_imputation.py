"""MICE with Rubin's rules: the textbook formulas, statsmodels' MICE, a known effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.imputation.mice import MICE, MICEData

from nightingale.analyses.imputation import mice_ols, rubins_rules
from nightingale.platform.errors import NightingaleError


def _missing_at_random(n: int, seed: int, shift: float) -> pd.DataFrame:
    """Follow-up utility depends on baseline; sicker people more often do not answer."""
    rng = np.random.default_rng(seed)
    treated = rng.binomial(1, 0.5, n).astype(float)
    baseline = rng.normal(0.7, 0.15, n)
    followup = 0.2 + 0.7 * baseline + shift * treated + rng.normal(0, 0.08, n)
    drop = rng.random(n) < np.where(baseline < 0.65, 0.5, 0.1)
    followup[drop] = np.nan
    return pd.DataFrame({"followup": followup, "treated": treated, "baseline": baseline})


def test_rubins_rules_by_hand() -> None:
    pooled = rubins_rules([1.0, 2.0, 3.0], [0.5, 0.5, 0.5])
    assert pooled.estimate == 2.0
    assert pooled.within == 0.5
    assert pooled.between == 1.0
    assert pooled.total == pytest.approx(0.5 + (4 / 3) * 1.0)
    assert pooled.df == pytest.approx(2 * (1 + 0.5 / (4 / 3)) ** 2)


@given(st.floats(-10, 10), st.floats(0.01, 5), st.integers(2, 30))
def test_identical_imputations_pool_to_the_single_result(
    value: float, variance: float, m: int
) -> None:
    pooled = rubins_rules([value] * m, [variance] * m)
    assert pooled.estimate == pytest.approx(value)
    assert pooled.total == pytest.approx(variance)
    assert pooled.fraction_missing_information == pytest.approx(0.0, abs=1e-12)


def test_one_imputation_is_not_enough() -> None:
    with pytest.raises(NightingaleError, match="at least two"):
        rubins_rules([1.0], [1.0])


def test_mice_matches_statsmodels_mice_with_the_same_seed() -> None:
    data = _missing_at_random(300, seed=51, shift=0.05)
    mine = mice_ols(
        data,
        "followup",
        ["treated", "baseline"],
        effect="treated",
        n_imputations=5,
        n_burnin=5,
        seed=7,
    )
    reference = MICE(
        "followup ~ treated + baseline",
        sm.OLS,
        MICEData(data.copy(), rng=np.random.default_rng(7)),
    ).fit(n_burnin=5, n_imputations=5)
    row = mine.estimate("followup difference")
    position = list(reference.model.exog_names).index("treated")
    assert row["estimate"] == pytest.approx(reference.params[position])
    assert row["std_error"] == pytest.approx(reference.bse[position])


def test_mice_covers_the_true_effect_and_widens_the_interval() -> None:
    data = _missing_at_random(1500, seed=52, shift=0.05)
    result = mice_ols(
        data, "followup", ["treated", "baseline"], effect="treated", n_imputations=10, seed=1
    )
    row = result.estimate("followup difference")
    assert row["ci_low"] < 0.05 < row["ci_high"]
    assert 0 < row["fraction_missing_information"] < 1
    assert result.models["model"]["missing_values"] == {
        "followup": int(data["followup"].isna().sum())
    }


def test_text_columns_are_refused() -> None:
    data = _missing_at_random(50, seed=53, shift=0.0).assign(area="north")
    with pytest.raises(NightingaleError, match="numeric"):
        mice_ols(data, "followup", ["treated"], effect="treated")
