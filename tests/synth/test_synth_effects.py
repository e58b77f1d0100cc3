"""With noise off and many people, effects measured in the extracts equal the declared truth.

The measurements use only what the extracts say (events, questionnaires, earnings) plus
the truth's mapping of records to people and of people to the pilot's groups: within-person
comparisons of the follow-up with the time before the allocation year (the generator's
rates are constant per person, so this is unbiased), set against the comparison group.
A naive comparison of the groups' follow-up rates is biased, as the allocation intends.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

import nightingale.synth
from nightingale.synth import utility

WINDOW_START = pd.Timestamp("2018-01-01")
EXTRACT_END = pd.Timestamp("2026-07-01")  # exclusive


def conditional_rate_ratio(
    pre: np.ndarray, pre_time: np.ndarray, post: np.ndarray, post_time: np.ndarray
) -> float:
    """Rate ratio post/pre from each person's split of events (conditional Poisson MLE)."""
    keep = (pre_time > 0) & (post_time > 0)
    pre, pre_time, post, post_time = pre[keep], pre_time[keep], post[keep], post_time[keep]
    total = pre + post

    def score(theta: float) -> float:
        share = theta * post_time / (theta * post_time + pre_time)
        return float(post.sum() - (total * share).sum())

    return float(brentq(score, 0.05, 20.0))


@pytest.fixture(scope="module")
def data(clean_region: Path) -> dict[str, object]:
    truth = clean_region / "truth"
    records = pd.read_csv(truth / "records.csv", dtype=str, keep_default_na=False)
    pilot = pd.read_csv(truth / "pilot.csv", dtype=str, keep_default_na=False)
    pilot["index"] = pd.to_datetime(pilot["index_date"])
    pilot["end"] = pd.to_datetime(pilot["followup_end"]) + pd.Timedelta(days=1)
    return {
        "effects": json.loads((truth / "effects.json").read_text())["effects"],
        "pilot": pilot.set_index("person_id"),
        "health": records[records.provider == "health"].set_index("local_key")["person_id"],
        "employment": records[records.provider == "employment"].set_index("local_key")["person_id"],
        "people": pd.read_csv(truth / "people.csv", dtype=str, keep_default_na=False).set_index(
            "person_id"
        ),
        "root": clean_region,
    }


MENTAL_HEALTH_CONCEPTS = set(
    pd.read_csv(Path(nightingale.synth.__file__).parent / "data" / "snomedct.csv", dtype=str)
    .query("condition == 'mental_health'")
    .code
)


def _health_events(data: dict, outcome: str) -> pd.DataFrame:
    """The outcome's events as the extracts define it (docs/synthetic-region.md)."""
    folder = data["root"] / "extracts" / "health"  # type: ignore[operator]
    if outcome.endswith("admissions"):
        frame = pd.read_csv(folder / "admissions.csv", dtype=str, keep_default_na=False)
        frame = frame[frame.admission_method == "emergency"].rename(
            columns={"admission_date": "date"}
        )
        primary, cause = frame.diag_primary.str[:3], frame.diag_secondary.str[:3]
        if outcome == "respiratory_admissions":
            frame = frame[primary.str.startswith("J")]
        elif outcome == "falls_admissions":
            frame = frame[(cause >= "W00") & (cause <= "W19")]
    elif outcome == "ae_attendances":
        frame = pd.read_csv(folder / "ae_attendances.csv", dtype=str).rename(
            columns={"arrival_date": "date"}
        )
    else:
        frame = pd.read_csv(folder / "gp_consultations.csv", dtype=str).rename(
            columns={"consultation_date": "date"}
        )
        if outcome == "mental_health_contacts":
            frame = frame[frame.snomed_code.isin(MENTAL_HEALTH_CONCEPTS)]
    frame["person_id"] = frame.patient_id.map(data["health"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame[["person_id", "date"]]


def _ratio_by_group(data: dict, outcome: str) -> tuple[dict[str, float], dict[str, float], float]:
    """Within-person rate ratio per group, its standard error on the log scale, naive ratio."""
    pilot: pd.DataFrame = data["pilot"]
    events = _health_events(data, outcome).join(
        pilot[["index", "end", "group"]], on="person_id", how="inner"
    )
    pre_end = events["index"] - pd.Timedelta(days=365)
    events["pre"] = (events.date >= WINDOW_START) & (events.date < pre_end)
    events["post"] = (events.date >= events["index"]) & (events.date < events["end"])
    counts = events.groupby("person_id")[["pre", "post"]].sum().reindex(pilot.index, fill_value=0)
    pre_time = ((pilot["index"] - pd.Timedelta(days=365)) - WINDOW_START).dt.days.clip(lower=0)
    post_time = (pilot["end"] - pilot["index"]).dt.days
    ratios, errors = {}, {}
    for group in ("designed_for_health", "standard"):
        g = pilot.group == group
        ratios[group] = conditional_rate_ratio(
            counts.pre[g].to_numpy(float),
            pre_time[g].to_numpy(float),
            counts.post[g].to_numpy(float),
            post_time[g].to_numpy(float),
        )
        errors[group] = float(np.sqrt(1 / counts.pre[g].sum() + 1 / counts.post[g].sum()))
    treated = pilot.group == "designed_for_health"
    naive = (counts.post[treated].sum() / post_time[treated].sum()) / (
        counts.post[~treated].sum() / post_time[~treated].sum()
    )
    return ratios, errors, float(naive)


@pytest.mark.parametrize("outcome", ["emergency_admissions", "ae_attendances", "gp_consultations"])
def test_count_outcomes_change_by_the_declared_rate_ratio(data: dict, outcome: str) -> None:
    declared = data["effects"][outcome]
    ratios, errors, naive = _ratio_by_group(data, outcome)
    treated, comparison = ratios["designed_for_health"], ratios["standard"]
    combined = np.hypot(errors["designed_for_health"], errors["standard"])
    # Within four standard errors (log scale): the comparison group does not change ...
    assert abs(np.log(comparison)) < 4 * errors["standard"]
    # ... and the pilot group changes by the declared rate ratio relative to it.
    assert abs(np.log(treated / comparison) - np.log(declared["parameter"])) < 4 * combined
    assert combined < 0.1  # the test has the power to tell a 20% effect from none
    assert declared["realised_att"] == pytest.approx(declared["parameter"], abs=0.05)
    if outcome != "gp_consultations":
        # Allocation favours people with more need, so the naive comparison misleads.
        assert naive > declared["parameter"] + 0.1


@pytest.mark.parametrize(
    "outcome", ["respiratory_admissions", "falls_admissions", "mental_health_contacts"]
)
def test_condition_specific_outcomes_change_by_their_own_rate_ratio(
    data: dict, outcome: str
) -> None:
    """Counted from the codes in the raw extract, each targeted condition falls by its
    declared ratio, further than the all-cause outcome it belongs to."""
    declared = data["effects"][outcome]
    all_cause = "gp_consultations" if outcome.endswith("contacts") else "emergency_admissions"
    assert declared["parameter"] < data["effects"][all_cause]["parameter"]
    ratios, errors, _ = _ratio_by_group(data, outcome)
    measured = ratios["designed_for_health"] / ratios["standard"]
    combined = np.hypot(errors["designed_for_health"], errors["standard"])
    assert measured < 1  # the crude within-person rate ratio points the right way
    assert abs(np.log(measured) - np.log(declared["parameter"])) < 4 * combined
    assert declared["realised_att"] == pytest.approx(declared["parameter"], abs=0.15)


def test_all_cause_counts_are_the_sum_of_the_causes(data: dict, clean_region: Path) -> None:
    document = json.loads((clean_region / "truth" / "effects.json").read_text())
    for outcome, causes in document["causes"].items():
        observed = sum(c["observed"] for c in causes.values())
        counterfactual = sum(c["counterfactual"] for c in causes.values())
        assert document["effects"][outcome]["realised_att"] == pytest.approx(
            observed / counterfactual, abs=1e-6
        )
    for name in ("respiratory", "falls", "mental_health", "cardiovascular"):
        counts = document["causes"]["emergency_admissions"][name]
        assert counts["counterfactual"] > 0


def test_eq5d_utility_changes_by_the_declared_difference(data: dict) -> None:
    eq5d = pd.read_csv(data["root"] / "extracts" / "health" / "eq5d.csv", dtype=str)
    eq5d["person_id"] = eq5d.patient_id.map(data["health"])
    profile = (
        eq5d.mobility
        + eq5d.self_care
        + eq5d.usual_activities
        + eq5d.pain_discomfort
        + eq5d.anxiety_depression
    )
    eq5d["utility"] = profile.map(utility)
    baseline = eq5d[eq5d.visit == "baseline"].set_index("person_id")["utility"]
    follow = eq5d[eq5d.visit != "baseline"].join(
        baseline.rename("base"), on="person_id", how="inner"
    )
    follow["change"] = follow.utility - follow.base
    follow["group"] = follow.person_id.map(data["pilot"]["group"])
    change = follow.groupby("group")["change"].mean()
    measured = change["designed_for_health"] - change["standard"]
    declared = data["effects"]["eq5d"]["realised_att"]
    assert declared > 0.02
    assert measured == pytest.approx(declared, abs=0.015)


def test_employment_rises_by_the_declared_difference(data: dict) -> None:
    """Difference in differences of the share of months employed (earnings rows), people
    of working age throughout (20-57 at the index), against the truth for the same people."""
    pilot: pd.DataFrame = data["pilot"]
    people: pd.DataFrame = data["people"].loc[pilot.index]
    age = (pilot["index"] - pd.to_datetime(people.date_of_birth)).dt.days / 365.25
    pilot = pilot[(age >= 20) & (age < 58)]
    earnings = pd.read_csv(data["root"] / "extracts" / "employment" / "earnings.csv", dtype=str)
    earnings["person_id"] = earnings.customer_ref.map(data["employment"])
    earnings = earnings[earnings.person_id.isin(pilot.index)]
    months = pd.period_range("2018-01", "2026-06", freq="M")
    column = {str(p).replace("-", ""): i for i, p in enumerate(months)}
    row = {p: i for i, p in enumerate(pilot.index)}
    employed = np.zeros((len(pilot), len(months)), dtype=bool)
    employed[earnings.person_id.map(row).to_numpy(), earnings.pay_month.map(column).to_numpy()] = (
        True
    )

    def month_of(day: pd.Series) -> np.ndarray:
        return ((day.dt.year - 2018) * 12 + day.dt.month - 1).to_numpy()[:, None]

    month = np.arange(len(months))[None, :]
    index_month, end_month = month_of(pilot["index"]), month_of(pilot["end"])
    before = (month >= index_month - 24) & (month < index_month)
    after = (month > index_month) & (month < end_month)
    change = {}
    for group in ("designed_for_health", "standard"):
        g = (pilot.group == group).to_numpy()
        change[group] = employed[g][after[g]].mean() - employed[g][before[g]].mean()
    measured = change["designed_for_health"] - change["standard"]

    treated = pilot[pilot.group == "designed_for_health"]
    months_after = treated.followup_months.astype(int)
    assert (
        months_after == after[(pilot.group == "designed_for_health").to_numpy()].sum(axis=1)
    ).all()
    truth = (
        treated.employed_months.astype(int) - treated.employed_months_counterfactual.astype(int)
    ).sum() / months_after.sum()
    assert truth > 0.01
    assert measured == pytest.approx(truth, abs=0.02)
    assert data["effects"]["employed_days"]["realised_att"] > 0
