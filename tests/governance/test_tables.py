"""Workspace helpers: tables and model summaries carry the evidence the checks need."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nightingale.governance.errors import InvalidInput
from nightingale.governance.settings import SdcSettings
from nightingale.governance.tables import SdcTable, build_table, check_model, model_summary


def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame(
        {
            "arm": rng.choice(["t", "c"], 200),
            "sex": rng.choice(["F", "M"], 200),
            "cost": rng.gamma(2.0, 50.0, 200),
        }
    )


def test_counts_match_a_crosstab_and_survive_json() -> None:
    data = frame()
    table = build_table(data, "arm", "sex")
    expected = pd.crosstab(data.arm, data.sex)
    for cell in table.cells:
        assert cell.value == expected.loc[cell.row, cell.column]
        assert cell.evidence.count == cell.value
    assert SdcTable.from_json(table.to_json()) == table


def test_magnitude_cells_carry_their_largest_contributions() -> None:
    data = frame()
    table = build_table(data, "arm", "sex", "cost", "sum")
    for cell in table.cells:
        group = data[(data.arm == cell.row) & (data.sex == cell.column)].cost
        assert cell.value == pytest.approx(group.sum())
        assert cell.evidence.top[0] == pytest.approx(group.max())
        assert list(cell.evidence.top) == sorted(cell.evidence.top, reverse=True)


def test_bad_requests_name_the_problem() -> None:
    with pytest.raises(InvalidInput, match="--agg mean needs --values"):
        build_table(frame(), "arm", "sex", agg="mean")
    with pytest.raises(InvalidInput, match="not one of count"):
        build_table(frame(), "arm", "sex", "cost", "mode")


def test_a_statsmodels_result_is_summarised_with_its_residual_dof() -> None:
    import statsmodels.formula.api as smf

    data = frame()
    fitted = smf.ols("cost ~ arm + sex", data=data).fit()
    summary = model_summary(fitted, "ols")
    assert (summary.nobs, summary.residual_dof) == (200, 197.0)
    assert check_model(summary).outcome == "pass"
    assert check_model(summary, SdcSettings(min_residual_dof=500)).outcome == "fail"


def test_something_that_is_not_a_model_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a fitted model result"):
        model_summary(object())
