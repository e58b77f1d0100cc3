"""What a housing-and-health study reads: EPC bands, the bedroom standard, repairs with
damp-and-mould flags, related to the designed-for-health homes as the doc says."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nightingale.synth.region import LAYOUT, is_complete


@pytest.fixture(scope="module")
def housing(small_region: Path) -> dict[str, pd.DataFrame]:
    folder = small_region / "extracts" / "housing"
    return {
        name: pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("tenancies", "repairs", "property_reports")
    }


def test_designed_for_health_homes_are_efficient_and_right_sized(housing: dict) -> None:
    tenancies = housing["tenancies"]
    pilot = tenancies[tenancies.scheme == "designed_for_health"]
    standard = tenancies[tenancies.scheme == "standard"]
    assert set(pilot.epc_band) <= {"A", "B"}
    assert {"E", "F", "G"} & set(standard.epc_band)
    assert (pilot.overcrowded == "N").all()
    crowded = tenancies.bedrooms.astype(int) < tenancies.bedroom_standard.astype(int)
    assert ((tenancies.overcrowded == "Y") == crowded).all()
    assert crowded.any()


def test_the_bedroom_standard_is_at_least_one_and_at_most_the_household(housing: dict) -> None:
    tenancies = housing["tenancies"]
    needed, size = tenancies.bedroom_standard.astype(int), tenancies.household_size.astype(int)
    assert (needed >= 1).all() and (needed <= size).all()
    assert (needed[size == 1] == 1).all()


def test_damp_and_mould_goes_with_cold_homes_not_designed_for_health_ones(
    housing: dict,
) -> None:
    repairs = housing["repairs"].merge(
        housing["tenancies"][["tenancy_ref", "scheme", "epc_band"]], on="tenancy_ref"
    )
    damp = repairs.damp_mould == "Y"
    assert (damp[repairs.repair_type == "damp_mould"]).all()
    cold = repairs.epc_band.isin(["E", "F", "G"])
    middling = repairs.epc_band.isin(["C", "D"])
    assert damp[cold].mean() > 2 * damp[middling].mean()
    pilot = repairs.scheme == "designed_for_health"
    assert damp[pilot].mean() < damp[middling].mean()
    reports = housing["property_reports"].merge(
        housing["tenancies"][["tenancy_ref", "epc_band"]], on="tenancy_ref"
    )
    damp_reports = reports[reports.category == "damp_mould"]
    assert damp_reports.epc_band.isin(["E", "F", "G"]).mean() > 0.5


def test_repairs_are_completed_after_they_are_reported(housing: dict) -> None:
    repairs = housing["repairs"]
    done = repairs[repairs.completed_date != ""]
    reported = pd.to_datetime(done.reported_date, format="%d/%m/%Y")
    completed = pd.to_datetime(done.completed_date, format="%d/%m/%Y")
    assert (completed >= reported).all()
    assert repairs.repair_ref.is_unique


def test_a_region_of_an_older_layout_is_not_complete(small_region: Path, tmp_path: Path) -> None:
    assert is_complete(small_region)
    old = tmp_path / "old"
    old.mkdir()
    (old / "manifest.json").write_text('{"config": {}}')
    assert not is_complete(old)
    (old / "manifest.json").write_text(f'{{"layout": {LAYOUT}}}')
    assert is_complete(old)
