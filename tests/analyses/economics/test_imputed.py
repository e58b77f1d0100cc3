"""Multiple imputation of Ben et al.'s missing costs and utilities, pooled by Rubin's rules."""

from __future__ import annotations

import pandas as pd
import pytest

from nightingale.analyses.economics.imputed import imputed_sur
from nightingale.analyses.economics.qalys import auc_qalys
from nightingale.analyses.economics.within_study import TrialSpec
from nightingale.platform.errors import NightingaleError

SPEC = TrialSpec(
    treatment="Tr", cost_covariates=("C", "age", "sex"), effect_covariates=("E", "age", "sex")
)
COMPONENTS = ["Cm1", "Cm2", "Cm3", "Cm4", "Em1", "Em2", "Em3", "Em4"]


def totals(frame: pd.DataFrame) -> pd.DataFrame:
    frame["cost"] = frame[["Cm1", "Cm2", "Cm3", "Cm4"]].sum(axis=1)
    frame["qaly"] = auc_qalys(frame[["E", "Em1", "Em2", "Em3", "Em4"]], [0, 0.25, 0.5, 0.75, 1])
    return frame


def test_imputed_increments_are_pooled_and_agree_with_the_complete_cases(
    ben2023: pd.DataFrame,
) -> None:
    result = imputed_sur(
        ben2023.drop(columns="id"), totals, SPEC,
        impute=COMPONENTS, n_imputations=2, n_burnin=2, n_skip=0, seed=1,
    )  # fmt: skip
    assert result.missing_values == {
        **{f"Cm{i}": 21 for i in range(1, 5)},
        **{f"Em{i}": 11 for i in range(1, 5)},
    }
    # Complete-case SUR: 1,267.58 and 0.066019 (tests/.../test_within_study.py).
    assert result.delta_cost.estimate == pytest.approx(1267.58, abs=2 * result.delta_cost.std_error)
    assert result.delta_effect.estimate == pytest.approx(
        0.066019, abs=2 * result.delta_effect.std_error
    )
    assert result.delta_cost.total >= result.delta_cost.within
    inmb = result.inmb[20_000.0]
    assert inmb.estimate == pytest.approx(
        20_000 * result.delta_effect.estimate - result.delta_cost.estimate
    )
    assert set(result.table()["quantity"]) >= {"incremental cost", "INMB at 30,000"}


def test_missing_values_outside_the_imputed_columns_are_refused(ben2023: pd.DataFrame) -> None:
    with pytest.raises(NightingaleError, match="not imputed"):
        imputed_sur(ben2023.drop(columns="id"), totals, SPEC, impute=["Cm1"], n_imputations=2)
