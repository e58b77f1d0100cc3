"""What the pilot derives from a release: utilities, log counts, pre-periods, event times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nightingale.analyses.evaluations.dfh_pilot import PLAN_PATH
from nightingale.analyses.evaluations.prepare import (
    complete_covariates,
    first_event_times,
    prepare_persons,
    utility_function,
    with_pre_period,
)
from nightingale.analyses.plan import load_plan
from nightingale.synth.eq5d import utility


def test_profiles_are_valued_with_the_plans_value_set_and_missing_stays_missing() -> None:
    values = utility_function("synthetic_region")(pd.Series(["11111", None, "21132"]))
    assert values[0] == 1.0
    assert np.isnan(values[1])
    assert values[2] == pytest.approx(utility("21132"))


def test_the_economics_valuer_is_used_for_the_uk_value_set() -> None:
    from nightingale.analyses.economics.eq5d import EQ5DValuer

    profiles = pd.Series(["12345", "55555"])
    values = utility_function("uk_3l_level_collapse")(profiles)
    assert values.tolist() == EQ5DValuer().value_series(profiles).tolist()


def test_log_covariates_and_the_baseline_utility_are_derived() -> None:
    base = load_plan(PLAN_PATH).plan
    plan = base.model_copy(
        update={
            "comparison": base.comparison.model_copy(
                update={"covariates": ["log1p_emergency_admissions_pre", "eq5d_pre_utility"]}
            )
        }
    )
    persons = pd.DataFrame(
        {"pid": ["a", "b"], "emergency_admissions_pre": [0, 3], "eq5d_pre": ["11111", None]}
    )
    out = prepare_persons(persons, plan)
    assert out["log1p_emergency_admissions_pre"].tolist() == [0.0, pytest.approx(np.log(4))]
    assert out["eq5d_pre_missing"].tolist() == [0, 1]
    assert out["eq5d_pre_utility"].tolist() == [1.0, 1.0]  # filled with the mean


def test_first_event_is_placed_at_the_end_of_its_period_or_censored() -> None:
    panel = pd.DataFrame(
        {
            "pid": ["a", "a", "a", "b", "b"],
            "period": [0, 1, 2, 0, 1],
            "time_at_risk_days": [182, 183, 100, 182, 50],
            "emergency_admissions": [0, 2, 1, 0, 0],
        }
    )
    times = first_event_times(panel, "emergency_admissions").set_index("pid")
    assert times.loc["a"].tolist() == [365.0, 1]
    assert times.loc["b"].tolist() == [232.0, 0]


def test_the_pre_period_is_the_twelve_months_before() -> None:
    plan = load_plan(PLAN_PATH).plan
    outcome = next(o for o in plan.outcomes if o.name == "emergency_admissions")
    persons = pd.DataFrame({"pid": ["a"], "emergency_admissions_pre": [4]})
    panel = pd.DataFrame(
        {"pid": ["a"], "period": [0], "time_at_risk_days": [182], "emergency_admissions": [1]}
    )
    stacked = with_pre_period(panel, persons, outcome)
    assert stacked["period"].tolist() == [-1, 0]
    assert stacked["post"].tolist() == [0, 1]
    assert stacked["emergency_admissions"].tolist() == [4, 1]


def test_missing_covariates_get_the_mean_and_an_indicator() -> None:
    persons = pd.DataFrame(
        {"ltc_count": [1.0, None, 3.0], "sex": ["F", None, "M"], "age": [30, 40, 50]}
    )
    covariates = complete_covariates(persons, ["ltc_count", "sex", "age"])
    assert covariates == ["ltc_count", "sex", "age", "ltc_count_missing"]
    assert persons["ltc_count"].tolist() == [1.0, 2.0, 3.0]
    assert persons["ltc_count_missing"].tolist() == [0, 1, 0]
    assert persons["sex"].tolist() == ["F", "missing", "M"]
