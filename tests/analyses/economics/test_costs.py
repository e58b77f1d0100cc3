"""Unit costs carry price year and source; re-basing; annuitised intervention costs."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nightingale.analyses.economics.intervention_costs import (
    InterventionCosts,
    annuity_factor,
    equivalent_annual_cost,
)
from nightingale.analyses.economics.unit_costs import (
    InflationIndex,
    load_nhscii,
    load_unit_costs,
)
from nightingale.platform.errors import NightingaleError


def test_shipped_table_is_versioned_with_price_year_sources_and_its_status() -> None:
    table = load_unit_costs()
    assert table.version and table.price_year == "2022/23" and table.currency == "GBP"
    assert table.status == "illustrative"  # the report must say so
    assert {"emergency_admission", "ae_attendance", "gp_consultation", "bed_day"} <= set(
        table.items
    )
    assert all(item.source for item in table.items.values())


def test_cost_is_resource_use_times_unit_cost() -> None:
    table = load_unit_costs()
    use = pd.DataFrame({"gp_consultations": [0, 3], "ae_attendances": [1, 0]})
    costs = table.cost_frame(
        use, {"gp_consultations": "gp_consultation", "ae_attendances": "ae_attendance"}
    )
    assert costs.loc[1, "cost_gp_consultations"] == 3 * table.cost_of("gp_consultation")
    assert costs.loc[0, "cost_ae_attendances"] == table.cost_of("ae_attendance")
    with pytest.raises(NightingaleError, match="no item"):
        table.cost_of("helicopter")


def test_rebasing_scales_by_the_index_ratio_and_records_it() -> None:
    index = InflationIndex("test index", {"2020/21": 100.0, "2022/23": 110.0})
    table = load_unit_costs().model_copy(update={"price_year": "2020/21"})
    rebased = table.rebased(index, "2022/23")
    assert rebased.cost_of("gp_consultation") == pytest.approx(
        table.cost_of("gp_consultation") * 1.1
    )
    assert rebased.price_year == "2022/23"
    assert "test index" in rebased.version
    with pytest.raises(NightingaleError, match="no value"):
        table.rebased(index, "1999/00")


def test_shipped_nhscii_rebases_between_its_years() -> None:
    index = load_nhscii()
    assert index.factor("2022/23", "2022/23") == 1.0
    assert index.factor("2015/16", "2023/24") > 1.0


def test_annuity_factor_and_equivalent_annual_cost() -> None:
    # 10,000 over 10 years at 3.5%: annuity factor 8.3166, EAC 1,202.41.
    assert annuity_factor(10, 0.035) == pytest.approx(8.316605, abs=1e-6)
    assert equivalent_annual_cost(10_000, 10, 0.035) == pytest.approx(1202.41, abs=0.01)
    assert equivalent_annual_cost(10_000, 10, 0.0) == 1000.0


@given(st.floats(100, 1e6), st.integers(1, 100), st.floats(0.0, 0.1))
def test_eac_repays_the_capital_in_present_value(capital: float, years: int, rate: float) -> None:
    eac = equivalent_annual_cost(capital, years, rate)
    present = sum(eac / (1 + rate) ** t for t in range(1, years + 1))
    assert present == pytest.approx(capital, rel=1e-9)


def test_intervention_cost_per_person_year_adds_running_costs_and_shares_by_occupants() -> None:
    single = InterventionCosts(
        extra_capital_cost=10_000, asset_life_years=10, running_cost_per_year=100
    )
    shared = InterventionCosts(
        extra_capital_cost=10_000,
        asset_life_years=10,
        running_cost_per_year=100,
        occupants_per_home=2,
    )
    assert single.annual_cost_per_person == pytest.approx(1302.41, abs=0.01)
    assert shared.annual_cost_per_person == pytest.approx(single.annual_cost_per_person / 2)
    assert "annuitised" in single.describe()
