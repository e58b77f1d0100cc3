"""From a release's persons and panel to the frames the pilot's models need.

Everything the plan derives from released variables lives here, in one place a reviewer
can read: EQ-5D profiles valued with the plan's value set, the baseline-utility
covariate and its missing indicator, the outcome on the scale the plan names (rate,
share of days, amount per month, utility), the pre-period rows for difference-in-
differences and the time to the first event for the survival analysis.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from nightingale.analyses.plan import AnalysisPlan, Outcome
from nightingale.platform.errors import NightingaleError

DAYS_PER_MONTH = 365.25 / 12
LOG1P = "log1p_"
PRE_PERIOD = -1
PRE_DAYS = 365.25
"""The persons table's ``*_pre`` counts cover the 12 months before the index date."""


def utility_function(value_set: str) -> Callable[[pd.Series], pd.Series]:
    """Value a column of 5-digit profiles; missing stays missing.

    ``uk_3l_level_collapse`` is the economics package's valuer (UK 3L tariff via 5L
    levels collapsed onto 3L); ``synthetic_region`` is the value set the synthetic
    region publishes with its truth. Neither tariff is restated here.
    """
    if value_set == "uk_3l_level_collapse":
        from nightingale.analyses.economics.eq5d import EQ5DValuer

        valuer = EQ5DValuer()
        return lambda profiles: valuer.value_series(profiles)
    if value_set == "synthetic_region":
        from nightingale.synth.eq5d import utility

        def value(profiles: pd.Series) -> pd.Series:
            cache = {p: utility(str(p)) for p in pd.unique(profiles.dropna())}
            return profiles.map(cache).astype(float)

        return value
    raise NightingaleError(f"unknown EQ-5D value set {value_set!r}")


def prepare_persons(persons: pd.DataFrame, plan: AnalysisPlan) -> pd.DataFrame:
    """Persons indexed by ``pid`` with the derived baseline covariates of the plan.

    Derived: ``eq5d_pre_utility`` (missing filled with the mean), ``eq5d_pre_missing``,
    and ``log1p_<column>`` = log(1 + column) for any covariate the plan names that way
    (counts and money act multiplicatively on rates, so their logs enter the models).
    """
    value = utility_function(plan.eq5d_value_set)
    out = persons.set_index("pid", drop=False).copy()
    baseline = value(out["eq5d_pre"])
    out["eq5d_pre_missing"] = baseline.isna().astype(int)
    fill = float(baseline.mean()) if baseline.notna().any() else 0.0
    out["eq5d_pre_utility"] = baseline.fillna(fill)
    out["eq5d_pre_utility_raw"] = baseline
    for name in plan.comparison.covariates:
        if name.startswith(LOG1P) and name not in out.columns:
            source = name.removeprefix(LOG1P)
            if source not in out.columns:
                raise NightingaleError(f"covariate {name}: the release has no column {source}")
            out[name] = np.log1p(out[source].astype(float).clip(lower=0))
    return out


def complete_covariates(persons: pd.DataFrame, covariates: list[str]) -> list[str]:
    """Fill missing baseline covariates in place; return the model's covariate list.

    The missing-indicator method, stated in the evaluator guide: a numeric covariate with
    missing values is filled with its mean and gains a ``<name>_missing`` 0/1 covariate
    (people without a GP registration have no IMD or long-term-condition count); a text
    covariate gets the level ``missing``. Complete covariates are left alone.
    """
    out = list(covariates)
    for name in covariates:
        missing = persons[name].isna()
        if not missing.any():
            continue
        if pd.api.types.is_numeric_dtype(persons[name]):
            persons[name] = persons[name].fillna(float(persons[name].mean()))
            indicator = f"{name}_missing"
            persons[indicator] = missing.astype(int)
            # One indicator per pattern: the same people lack IMD and LTC count when they
            # have no GP registration, and two identical columns make the design singular.
            same = [c for c in out if c.endswith("_missing") and c in persons.columns
                    and persons[c].equals(persons[indicator])]  # fmt: skip
            if not same and indicator not in out:
                out.append(indicator)
        else:
            persons[name] = persons[name].astype(object).where(~missing, "missing")
    return out


def prepare_panel(panel: pd.DataFrame, plan: AnalysisPlan) -> pd.DataFrame:
    """Panel rows with time at risk, plus every outcome on the plan's analysis scale.

    Adds ``<name>_y`` (the analysed value) and ``<name>_days`` (the weight: days at
    risk for rates, shares and monthly amounts; 1 for questionnaires).
    """
    out = panel[panel["time_at_risk_days"] > 0].copy()
    days = out["time_at_risk_days"].astype(float)
    for outcome in plan.outcomes:
        raw = out[outcome.name]
        if outcome.kind == "count":
            out[f"{outcome.name}_y"] = raw
        elif outcome.kind == "share":
            out[f"{outcome.name}_y"] = raw / days
        elif outcome.kind == "monthly":
            out[f"{outcome.name}_y"] = raw / (days / DAYS_PER_MONTH)
        else:
            out[f"{outcome.name}_y"] = utility_function(plan.eq5d_value_set)(raw)
        out[f"{outcome.name}_days"] = days if outcome.kind != "utility" else 1.0
    return out.sort_values(["pid", "period"], kind="stable").reset_index(drop=True)


def with_pre_period(panel: pd.DataFrame, persons: pd.DataFrame, outcome: Outcome) -> pd.DataFrame:
    """The panel with one extra row per person: the 12 months before (period -1)."""
    if outcome.pre is None:
        raise NightingaleError(f"{outcome.name}: the plan names no pre-period column")
    pre = pd.DataFrame(
        {
            "pid": persons["pid"].to_numpy(),
            "period": PRE_PERIOD,
            "time_at_risk_days": PRE_DAYS,
            outcome.name: persons[outcome.pre].to_numpy(),
        }
    )
    columns = ["pid", "period", "time_at_risk_days", outcome.name]
    stacked = pd.concat([pre, panel[columns]], ignore_index=True)
    stacked["post"] = (stacked["period"] >= 0).astype(int)
    return stacked.sort_values(["pid", "period"], kind="stable").reset_index(drop=True)


def first_event_times(panel: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per person: days to the end of the period of the first event, or censoring.

    The release holds counts per period, not dates, so an event is placed at the end of
    its period (grouped times; the Cox model handles the ties by Efron's method).
    Censoring is at the end of the person's time at risk.
    """
    ordered = panel.sort_values(["pid", "period"], kind="stable")
    elapsed = ordered.groupby("pid", sort=False)["time_at_risk_days"].cumsum()
    had = ordered[outcome] > 0
    first = ordered.assign(elapsed=elapsed)[had].groupby("pid", sort=False)["elapsed"].first()
    total = elapsed.groupby(ordered["pid"], sort=False).max()
    times = pd.DataFrame({"pid": total.index, "days": total.to_numpy()})
    times["event"] = times["pid"].isin(first.index).astype(int)
    times.loc[times["event"] == 1, "days"] = first.reindex(
        times.loc[times["event"] == 1, "pid"]
    ).to_numpy()
    times["days"] = np.maximum(times["days"].astype(float), 1.0)
    return times
