"""The pilot's analyses of one outcome: the primary estimate and its companions.

For every outcome the plan lists, four comparisons answer "did the homes help?"; the
plan's ``comparison.primary`` says which one leads:

- ``doubly_robust``: everyone, weighted by the plan's inverse-probability (ATT) weights
  *and* adjusted for the baseline covariates in the outcome model, standard errors by
  the cluster (person) jackknife, CR3. Consistent for the effect on all the treated if
  either the propensity model or the outcome model is right, and it keeps the treated
  people matching cannot find a partner for (on the synthetic region a 0.2 SD caliper
  dropped a quarter of them, the sickest, whose effect on utility is largest);
- ``matched``: the propensity-matched sample, outcome model adjusted for the baseline
  covariates as well: the effect on the treated people who could be matched;
- ``ipw``: everyone, weighted by the ATT weights, no covariates in the outcome model;
- ``naive``: everyone, unweighted and unadjusted — shown to make confounding visible.

Every comparison uses the same outcome model for the outcome's kind. Counts: Poisson
rate ratio with a log time-at-risk offset; shares and monthly amounts: day-weighted mean
difference; EQ-5D utility: mean difference over the follow-up questionnaires (what the
synthetic region's truth measures; the mixed model of trajectories is a secondary
analysis).

Secondary analyses named by the plan (negative binomial, GEE, difference-in-differences
with an event study, MICE) add tables and figures to the bundle; they run on the
matched sample (the mixed model needs whole-number weights) and so describe the matched
treated people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from nightingale.analyses._design import varying
from nightingale.analyses._models import ClusterCorrection
from nightingale.analyses.counts import rate_ratio, rate_ratio_gee
from nightingale.analyses.did import difference_in_differences, event_study
from nightingale.analyses.evaluations.prepare import PRE_PERIOD, with_pre_period
from nightingale.analyses.imputation import mice_ols
from nightingale.analyses.linear import mean_difference
from nightingale.analyses.mixed import mixed_trajectory
from nightingale.analyses.plan import AnalysisPlan, Outcome
from nightingale.analyses.results import AnalysisResult
from nightingale.platform.errors import NightingaleError

SCALES = {
    "count": "rate_ratio",
    "share": "difference",
    "monthly": "difference",
    "utility": "difference",
}


@dataclass(frozen=True)
class Samples:
    """The frames every outcome analysis shares."""

    persons: pd.DataFrame  # prepared, indexed by pid, with match_weight and ipw
    panel: pd.DataFrame  # prepared, with treated, covariates, match_weight, ipw
    covariates: list[str]
    plan: AnalysisPlan

    @property
    def matched_panel(self) -> pd.DataFrame:
        return self.panel[self.panel["match_weight"] > 0]

    @property
    def matched_persons(self) -> pd.DataFrame:
        return self.persons[self.persons["match_weight"] > 0]


def _fit(
    outcome: Outcome,
    frame: pd.DataFrame,
    covariates: list[str],
    weight: str | None,
    correction: ClusterCorrection = "CR1",
) -> AnalysisResult:
    """One comparison of ``outcome`` on ``frame`` with the model its kind calls for."""
    y = f"{outcome.name}_y"
    frame = frame.dropna(subset=[y])  # unreturned questionnaires
    covariates = varying(frame, covariates)
    if outcome.kind == "count":
        return rate_ratio(
            frame, y, "treated", "time_at_risk_days", covariates, cluster="pid", weights=weight,
            correction=correction,
        )  # fmt: skip
    days = f"{outcome.name}_days"
    frame = frame.assign(_w=frame[days] * (frame[weight] if weight else 1.0))
    return mean_difference(
        frame, y, "treated", covariates, weights="_w", cluster="pid", correction=correction
    )


def main_rows(samples: Samples, outcome: Outcome) -> tuple[list[dict[str, Any]], AnalysisResult]:
    """The four estimates of one outcome (rows of the main table) and the primary's result."""
    comparisons = {
        # CR3: the few comparison people with large weights have high leverage, and the
        # CR1 sandwich understated this estimate's spread (see _models).
        "doubly_robust": _fit(outcome, samples.panel, samples.covariates, "ipw", "CR3"),
        "matched": _fit(outcome, samples.matched_panel, samples.covariates, "match_weight"),
        "ipw": _fit(outcome, samples.panel, [], "ipw"),
        "naive": _fit(outcome, samples.panel, [], None),
    }
    chosen = samples.plan.comparison.primary
    rows = []
    for analysis, result in comparisons.items():
        estimate = result.tables["estimates"].iloc[0]
        rows.append(
            {
                "outcome": outcome.name,
                "scale": SCALES[outcome.kind],
                "analysis": analysis,
                "primary": analysis == chosen,
                "estimate": float(estimate["estimate"]),
                "std_error": float(estimate["std_error"]),
                "ci_low": float(estimate["ci_low"]),
                "ci_high": float(estimate["ci_high"]),
                "n": int(estimate["n"]),
            }
        )
    primary = comparisons[chosen]
    primary.name = outcome.name
    return rows, primary


def secondary(samples: Samples, outcome: Outcome, seed: int) -> list[AnalysisResult]:
    """The plan's secondary analyses of one outcome, each a result to add to the bundle."""
    out: list[AnalysisResult] = []
    y = f"{outcome.name}_y"
    matched = samples.matched_panel.dropna(subset=[y])
    covariates = varying(matched, samples.covariates)
    for name in outcome.secondary:
        if name == "negative_binomial":
            result = rate_ratio(
                matched, y, "treated", "time_at_risk_days", covariates,
                family="negative_binomial", cluster="pid", weights="match_weight",
            )  # fmt: skip
        elif name == "gee":
            result = rate_ratio_gee(
                matched, y, "treated", "time_at_risk_days", "pid", covariates,
                weights="match_weight",
            )  # fmt: skip
        elif name == "mixed":
            result = mixed_trajectory(
                _expanded(matched), y, group="pid", treatment="treated", time="period",
                covariates=covariates,
            )  # fmt: skip
        elif name == "did":
            out.extend(_did(samples, outcome))
            continue
        else:
            result = _mice(samples, outcome, seed)
        result.name = f"{outcome.name}_{name}"
        out.append(result)
    return out


def _expanded(matched: pd.DataFrame) -> pd.DataFrame:
    """The matched panel with each control repeated as often as it was used.

    A mixed model cannot take matching weights; with 1:1 matching the weights are whole
    numbers, so repeating a reused control's rows (as a new person, ``pid#k``) rebuilds
    the matched sample exactly. The repeats are treated as independent people, which
    understates the uncertainty a little when controls are reused often.
    """
    copies = matched["match_weight"].round().astype(int)
    if not (copies == matched["match_weight"]).all():
        raise NightingaleError("mixed model: matching weights must be whole numbers (1:1)")
    out = matched.loc[matched.index.repeat(copies)].copy()
    out["pid"] = out["pid"] + "#" + out.groupby(["pid", "period"]).cumcount().astype(str)
    return out.reset_index(drop=True)


def _did(samples: Samples, outcome: Outcome) -> list[AnalysisResult]:
    """Before (12 months) versus after, matched sample; plus the event study."""
    persons = samples.matched_persons
    stacked = with_pre_period(samples.matched_panel, persons, outcome)
    stacked = stacked.merge(
        persons[["treated", "match_weight"]], left_on="pid", right_index=True, how="left"
    )
    settings: dict[str, Any] = {
        "unit": "pid", "treatment": "treated", "family": "poisson",
        "exposure": "time_at_risk_days", "weights": "match_weight",
    }  # fmt: skip
    did = difference_in_differences(stacked, outcome.name, post="post", time="period", **settings)
    did.name = f"{outcome.name}_did"
    study = event_study(stacked, outcome.name, time="period", reference=PRE_PERIOD, **settings)
    study.name = f"{outcome.name}_event_study"
    return [did, study]


def _mice(samples: Samples, outcome: Outcome, seed: int) -> AnalysisResult:
    """Utility in the plan's imputation period, missing answers imputed (matched sample)."""
    period = samples.plan.imputation.period
    at_risk = samples.matched_panel[samples.matched_panel["period"] == period]
    persons = samples.matched_persons.loc[at_risk["pid"]]
    numeric = pd.get_dummies(
        persons[[c for c in samples.covariates if c not in ("eq5d_pre_utility",)]],
        drop_first=True,
        dtype=float,
    )
    numeric["eq5d_pre_utility"] = persons["eq5d_pre_utility_raw"].to_numpy()
    numeric = numeric.drop(columns=["eq5d_pre_missing"], errors="ignore")
    numeric.insert(0, "treated", persons["treated"].astype(float).to_numpy())
    numeric.insert(0, "utility", at_risk[f"{outcome.name}_y"].to_numpy())
    numeric = numeric.reset_index(drop=True)
    # Imputation models are fitted on complete rows: a column constant there is dropped.
    complete = numeric.dropna()
    numeric = numeric[["utility", "treated", *varying(complete, list(numeric.columns[2:]))]]
    terms = [c for c in numeric.columns if c != "utility"]
    return mice_ols(
        numeric,
        "utility",
        terms,
        effect="treated",
        n_imputations=samples.plan.imputation.n_imputations,
        n_burnin=samples.plan.imputation.n_burnin,
        seed=seed,
    )
