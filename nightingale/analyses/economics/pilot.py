"""From the homes pilot's release to one row per person: costs, QALYs, baseline covariates.

The release (docs/developers.md) has ``persons`` (baseline, one row per person) and
``panel`` (one row per person and follow-up period: 0-6, 6-12, 12-24, 24-36, 36-48
months). This module turns them into the per-person frame :mod:`.within_study` needs,
for a horizon of whole periods (default 24 months), under a stated perspective:

- **NHS and PSS** (reference case): emergency admissions, A&E attendances and GP
  consultations times unit costs (:mod:`.unit_costs`; admissions costed per spell, so
  bed days are not costed again unless ``cost_bed_days`` is set), plus the
  intervention's annuitised cost for people in designed-for-health homes
  (:mod:`.intervention_costs`), per year at risk.
- **Public sector plus productivity** (scenario): the above, plus sickness-related
  benefit paid (days times a daily rate), minus earnings, i.e. productivity valued by
  the human-capital approach at gross earnings.

Costs are discounted by the mean discount factor over each period, QALYs by
:func:`.qalys.auc_qalys` from the baseline utility (``eq5d_pre``, time 0) and each
period's utility (time = the period's end). A person who died has utility 0 at the end
of the period of death and after; a person censored alive before the horizon has
missing costs and utilities from then on (to be imputed, or dropped in a complete-case
analysis), never zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from nightingale.analyses.economics.discounting import DiscountRates, period_discount_factor
from nightingale.analyses.economics.eq5d import EQ5DValuer
from nightingale.analyses.economics.intervention_costs import InterventionCosts
from nightingale.analyses.economics.unit_costs import UnitCostTable, load_unit_costs
from nightingale.platform.errors import NightingaleError

DAYS_PER_MONTH = 365.25 / 12
PERIOD_MONTHS = {0: (0, 6), 1: (6, 12), 2: (12, 24), 3: (24, 36), 4: (36, 48)}
"""The pilot spec's follow-up periods, months since the index date."""

RESOURCE_ITEMS = {
    "emergency_admissions": "emergency_admission",
    "ae_attendances": "ae_attendance",
    "gp_consultations": "gp_consultation",
}
BASELINE_ITEMS = {
    "emergency_admissions_pre": "emergency_admission",
    "ae_attendances_pre": "ae_attendance",
    "gp_consultations_pre": "gp_consultation",
}
AGE_BAND_MIDPOINTS = {"16-24": 20, "18-24": 21, "25-34": 30, "35-44": 40, "45-54": 50,
                      "55-64": 60, "65-74": 70, "75-84": 80, "85+": 88,
                      "16-54": 35, "55+": 67}  # fmt: skip
"""Ages for the bands releases use: ten-year bands, and the pilot's two (16-54, 55+)."""
COVARIATES = ("age", "female", "imd_quintile", "ltc_count", "employed_pre")


class Perspective(StrEnum):
    """Whose costs count."""

    NHS_PSS = "nhs_pss"
    PUBLIC_SECTOR_PRODUCTIVITY = "public_sector_productivity"


@dataclass(frozen=True)
class PilotEconomics:
    """Every assumption of the pilot's economic evaluation, stated for the report."""

    horizon_months: int = 24
    perspective: Perspective = Perspective.NHS_PSS
    discount: DiscountRates = field(default_factory=DiscountRates)
    unit_costs: UnitCostTable = field(default_factory=load_unit_costs)
    intervention: InterventionCosts = field(default_factory=InterventionCosts)
    valuer: EQ5DValuer = field(default_factory=EQ5DValuer)
    cost_bed_days: bool = False

    def periods(self) -> list[int]:
        chosen = [p for p, (_, end) in PERIOD_MONTHS.items() if end <= self.horizon_months]
        if not chosen or PERIOD_MONTHS[chosen[-1]][1] != self.horizon_months:
            raise NightingaleError(
                f"horizon {self.horizon_months} months must end on a period boundary "
                f"({sorted(end for _, end in PERIOD_MONTHS.values())})"
            )
        return chosen

    def resource_items(self) -> dict[str, str]:
        items = dict(RESOURCE_ITEMS)
        if self.cost_bed_days:
            items["bed_days"] = "bed_day"
        return items


def _period_frame(panel: pd.DataFrame, periods: list[int]) -> pd.DataFrame:
    needed = {"pid", "period", "time_at_risk_days", "eq5d", *RESOURCE_ITEMS}
    if missing := needed - set(panel.columns):
        raise NightingaleError(f"the release's panel lacks {sorted(missing)}")
    return panel[panel["period"].isin(periods)]


def person_level(
    persons: pd.DataFrame, panel: pd.DataFrame, config: PilotEconomics
) -> pd.DataFrame:
    """One row per person: components per period, totals, baseline covariates.

    Columns: ``pid, treated``, covariates, ``baseline_utility, baseline_cost``,
    ``cost_p<k>`` and ``utility_p<k>`` per period (NaN where censored or not reported),
    ``cost_nhs, cost_intervention, cost_benefits`` (sickness benefit paid),
    ``productivity`` (discounted earnings),
    ``employed_days`` (undiscounted), ``cost, qaly`` (NaN when a component is missing).
    """
    periods = config.periods()
    people = persons.set_index("pid")
    out = pd.DataFrame(index=people.index)
    out["treated"] = people["treated"].astype(int)
    out["age"] = people["age_band"].map(AGE_BAND_MIDPOINTS).astype(float)
    out["female"] = people["sex"].map({"F": 1.0, "M": 0.0}).astype(float)
    for column in ("imd_quintile", "ltc_count", "employed_pre"):
        out[column] = people[column].astype(float)
    out["baseline_utility"] = config.valuer.value_series(people["eq5d_pre"])
    out["baseline_cost"] = config.unit_costs.cost_frame(people, BASELINE_ITEMS).sum(axis=1)

    rows = _period_frame(panel, periods).set_index(["pid", "period"])
    died = people["died"].astype(bool)
    followup = people["followup_days"].astype(float)
    costs = config.unit_costs.cost_frame(rows, config.resource_items()).sum(axis=1)
    utilities = config.valuer.value_series(rows["eq5d"])
    cost_rate = config.discount.costs
    annual_intervention = config.intervention.annual_cost_per_person
    total_cost = pd.Series(0.0, index=out.index)
    intervention = pd.Series(0.0, index=out.index)
    productivity = pd.Series(0.0, index=out.index)
    employed_days = pd.Series(0.0, index=out.index)
    benefits = pd.Series(0.0, index=out.index)
    benefit_rate = (
        config.unit_costs.cost_of("sickness_benefit_day")
        if "sickness_benefit_day" in config.unit_costs.items
        else 0.0
    )
    for p in periods:
        start, end = PERIOD_MONTHS[p]
        factor = float(period_discount_factor(start / 12, end / 12, cost_rate))
        end_days = end * DAYS_PER_MONTH
        censored = ~died & (followup < end_days - 1)
        dead_by_end = died & (followup < end_days)
        at = pd.MultiIndex.from_arrays([out.index, np.full(len(out), p)])
        cost_p = costs.reindex(at).to_numpy() * factor
        cost_p = np.where(np.isnan(cost_p) & dead_by_end.to_numpy(), 0.0, cost_p)
        out[f"cost_p{p}"] = np.where(censored, np.nan, cost_p)
        utility_p = utilities.reindex(at).to_numpy()
        out[f"utility_p{p}"] = np.where(dead_by_end, 0.0, np.where(censored, np.nan, utility_p))
        years_at_risk = rows["time_at_risk_days"].reindex(at).fillna(0.0).to_numpy() / 365.25
        intervention += out["treated"] * annual_intervention * years_at_risk * factor
        earnings = (
            rows["earnings"].reindex(at).fillna(0.0).to_numpy() if "earnings" in rows else 0.0
        )
        productivity += earnings * factor
        if "employed_days" in rows:
            employed_days += rows["employed_days"].reindex(at).fillna(0.0).to_numpy()
        if "sickness_benefit_days" in rows:
            days = rows["sickness_benefit_days"].reindex(at).fillna(0.0).to_numpy()
            benefits += days * benefit_rate * factor
        total_cost += out[f"cost_p{p}"]
    out["cost_nhs"] = total_cost
    out["cost_intervention"] = intervention
    out["productivity"] = productivity
    out["employed_days"] = employed_days
    out["cost_benefits"] = benefits
    totals = add_totals(out, config)
    out["cost"], out["qaly"] = totals["cost"], totals["qaly"]
    return out.reset_index()


def add_totals(frame: pd.DataFrame, config: PilotEconomics) -> pd.DataFrame:
    """Recompute ``cost`` and ``qaly`` from the components (also after imputation)."""
    from nightingale.analyses.economics.qalys import auc_qalys

    periods = config.periods()
    nhs = frame[[f"cost_p{p}" for p in periods]].sum(axis=1, min_count=len(periods))
    cost = nhs + frame["cost_intervention"]
    if config.perspective is Perspective.PUBLIC_SECTOR_PRODUCTIVITY:
        cost = cost + frame["cost_benefits"] - frame["productivity"]
    times = [0.0, *(PERIOD_MONTHS[p][1] / 12 for p in periods)]
    utilities = frame[["baseline_utility", *(f"utility_p{p}" for p in periods)]]
    frame = frame.copy()
    frame["cost"] = cost
    frame["qaly"] = auc_qalys(utilities.to_numpy(), times, config.discount.effects)
    return frame
