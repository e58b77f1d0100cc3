"""The intervention's cost: a home's extra capital cost annuitised, plus running costs.

A designed-for-health home costs more to build than a standard one, but lasts decades;
charging the whole extra cost to a few years of follow-up would overstate it. The
standard remedy (Drummond et al., *Methods for the Economic Evaluation of Health Care
Programmes*, ch. 7) is the *equivalent annual cost*: the constant yearly amount whose
present value over the asset's life equals the capital cost,
``EAC = K / A(n, r)`` with annuity factor ``A(n, r) = (1 - (1 + r) ** -n) / r``
(``A = n`` when ``r = 0``). Each person in a designed-for-health home is charged
``(EAC + running cost per year) / occupants`` per year of follow-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nightingale.analyses.economics.discounting import NICE_RATE


def annuity_factor(years: float, rate: float) -> float:
    """Present value of 1 a year, paid at the end of each year, for ``years`` years."""
    if years <= 0:
        raise ValueError(f"an asset's life must be positive, got {years}")
    if rate == 0:
        return float(years)
    # -expm1(-n log1p r) is 1 - (1 + r)^-n without cancellation when r is tiny.
    return float(-math.expm1(-years * math.log1p(rate)) / rate)


def equivalent_annual_cost(capital: float, years: float, rate: float, resale: float = 0.0) -> float:
    """The yearly cost equivalent to ``capital`` now (less a discounted ``resale`` value)."""
    present = capital - resale * (1 + rate) ** -years
    return float(present / annuity_factor(years, rate))


@dataclass(frozen=True)
class InterventionCosts:
    """Assumptions behind the intervention's cost, stated for the report."""

    extra_capital_cost: float = 20_000.0
    asset_life_years: float = 60.0
    annuitisation_rate: float = NICE_RATE
    running_cost_per_year: float = 150.0
    occupants_per_home: float = 1.0
    source: str = "illustrative pilot assumptions (extra build cost, life, running cost)"

    @property
    def annual_cost_per_person(self) -> float:
        eac = equivalent_annual_cost(
            self.extra_capital_cost, self.asset_life_years, self.annuitisation_rate
        )
        return (eac + self.running_cost_per_year) / self.occupants_per_home

    def describe(self) -> str:
        return (
            f"Extra capital cost {self.extra_capital_cost:,.0f} annuitised over "
            f"{self.asset_life_years:g} years at {self.annuitisation_rate:.1%} plus running "
            f"costs {self.running_cost_per_year:,.0f} a year, per {self.occupants_per_home:g} "
            f"occupant(s): {self.annual_cost_per_person:,.2f} per person-year ({self.source})."
        )
