"""On the synthetic region: release-shaped frames, and matching improves balance."""

from __future__ import annotations

import pandas as pd
import pytest

from nightingale.analyses.balance import balance_table
from nightingale.analyses.evaluations.dfh_pilot import PLAN_PATH
from nightingale.analyses.evaluations.prepare import complete_covariates, prepare_persons
from nightingale.analyses.evaluations.synthetic_release import one_region
from nightingale.analyses.matching import nearest_neighbour_match
from nightingale.analyses.plan import load_plan
from nightingale.analyses.propensity import estimate_propensity

PERSONS = {"pid", "treated", "age_band", "sex", "imd_quintile", "ltc_count", "employed_pre",
           "earnings_pre", "emergency_admissions_pre", "ae_attendances_pre",
           "gp_consultations_pre", "eq5d_pre", "died", "followup_days"}  # fmt: skip
PANEL = {"pid", "period", "time_at_risk_days", "emergency_admissions", "ae_attendances",
         "gp_consultations", "bed_days", "eq5d", "employed_days", "earnings",
         "sickness_benefit_days"}  # fmt: skip


@pytest.fixture(scope="module")
def region() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, dict[str, object]]]:
    return one_region(seed=3, people=12_000)


def test_frames_have_the_release_contracts_names_and_the_truth(region) -> None:  # type: ignore[no-untyped-def]
    persons, panel, effects = region
    assert set(persons.columns) >= PERSONS
    assert set(panel.columns) >= PANEL
    assert sorted(panel["period"].unique()) == [0, 1, 2, 3, 4]
    assert effects["emergency_admissions"]["scale"] == "rate_ratio"
    assert persons["treated"].nunique() == 2


def test_matching_improves_balance_on_the_synthetic_region(region) -> None:  # type: ignore[no-untyped-def]
    persons, _panel, _effects = region
    plan = load_plan(PLAN_PATH).plan
    people = prepare_persons(persons, plan)
    covariates = complete_covariates(people, list(plan.comparison.covariates))
    scores = estimate_propensity(people, "treated", covariates)
    settings = plan.comparison.matching
    matched = nearest_neighbour_match(
        scores.logit, people["treated"], caliper=settings.caliper_sd,
        replace=settings.replace, seed=plan.seed,
    )  # fmt: skip
    table = balance_table(people, "treated", covariates, matched.weights)
    before, after = table["smd_before"].abs(), table["smd_after"].abs()
    assert before.max() > 0.3  # allocation favoured sicker, older tenants
    assert after.max() < before.max()
    assert after.mean() < before.mean() / 2
