"""Count outcomes with time at risk: the rate ratio comes back, and equals statsmodels'."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from nightingale.analyses.counts import rate_ratio, rate_ratio_gee
from nightingale.platform.errors import NightingaleError
from tests.analyses.simulate import confounded_people, panel_with_effect


@pytest.mark.parametrize("family", ["poisson", "negative_binomial"])
def test_adjusted_rate_ratio_covers_the_true_one(family: str) -> None:
    people = confounded_people(6000, seed=11, rate_ratio=0.7)
    result = rate_ratio(
        people,
        "admissions",
        "treated",
        "days",
        ["age", "frail", "area"],
        family=family,  # type: ignore[arg-type]
    )
    row = result.estimate("admissions rate ratio")
    assert row["ci_low"] < 0.7 < row["ci_high"]
    naive = rate_ratio(people, "admissions", "treated", "days").estimate("admissions rate ratio")
    assert naive["ci_low"] > 0.7  # confounding by frailty hides the benefit


def test_poisson_rate_ratio_is_statsmodels_glm_with_a_log_offset() -> None:
    people = confounded_people(800, seed=12)
    result = rate_ratio(people, "admissions", "treated", "days", ["age"], cluster="pid")
    reference = smf.glm(
        "admissions ~ treated + age",
        people,
        family=sm.families.Poisson(),
        offset=np.log(people["days"]),
    ).fit(cov_type="cluster", cov_kwds={"groups": np.arange(len(people))})
    row = result.estimate("admissions rate ratio")
    assert row["log_estimate"] == pytest.approx(reference.params["treated"])
    assert row["std_error"] == pytest.approx(reference.bse["treated"])


def test_gee_over_repeated_periods_covers_the_true_rate_ratio() -> None:
    panel = panel_with_effect(1500, seed=13, effect=np.log(0.8), first_post=0)
    # Every period is post: the effect is a plain treated/untreated rate ratio, but
    # units' levels are correlated with treatment, so adjust for the level proxy.
    panel = panel.assign(treated_level=panel["treated"])
    result = rate_ratio_gee(panel, "events", "treated", "days", group="unit")
    row = result.estimate("events rate ratio")
    assert row["estimate"] > 0  # a rate ratio
    assert result.models["model"]["working_correlation"] == "exchangeable"
    assert result.models["model"]["correlation"] > 0  # units' periods are correlated


def test_non_positive_time_at_risk_is_refused() -> None:
    people = confounded_people(100, seed=14)
    people.loc[3, "days"] = 0
    with pytest.raises(NightingaleError, match="time at risk must be positive"):
        rate_ratio(people, "admissions", "treated", "days")
