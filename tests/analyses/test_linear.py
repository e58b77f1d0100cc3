"""Mean differences: day-weighted shares are ratios of totals; statsmodels WLS agrees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from nightingale.analyses.linear import mean_difference
from tests.analyses.simulate import confounded_people


def test_unadjusted_day_weighted_difference_is_the_difference_of_ratios_of_totals() -> None:
    rng = np.random.default_rng(61)
    frame = pd.DataFrame(
        {"treated": rng.binomial(1, 0.5, 400), "days": rng.integers(10, 366, 400).astype(float)}
    )
    frame["employed_days"] = rng.binomial(frame["days"].astype(int), 0.4 + 0.1 * frame.treated)
    frame["share"] = frame["employed_days"] / frame["days"]
    result = mean_difference(frame, "share", "treated", weights="days")
    totals = frame.groupby("treated")[["employed_days", "days"]].sum()
    ratios = totals["employed_days"] / totals["days"]
    assert result.estimate("share difference")["estimate"] == pytest.approx(ratios[1] - ratios[0])


def test_adjusted_difference_covers_the_true_shift_and_is_wls() -> None:
    people = confounded_people(4000, seed=62, shift=0.05)
    result = mean_difference(people, "utility", "treated", ["age", "frail", "area"])
    row = result.estimate("utility difference")
    assert row["ci_low"] < 0.05 < row["ci_high"]
    reference = smf.ols("utility ~ treated + age + frail + C(area)", people).fit()
    assert row["estimate"] == pytest.approx(reference.params["treated"])
