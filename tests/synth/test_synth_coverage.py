"""Who appears where: nearly everyone at the GP, only tenants in housing, only workers and
claimants in employment; the pilot has two groups large enough to evaluate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.synth.conftest import SMALL, rows


def people_in(region: Path, provider: str) -> set[str]:
    return {
        r["person_id"] for r in rows(region / "truth" / "records.csv") if r["provider"] == provider
    }


def test_nearly_everyone_is_registered_with_a_gp(small_region: Path) -> None:
    everyone = {r["person_id"] for r in rows(small_region / "truth" / "people.csv")}
    registered = people_in(small_region, "health")
    share = len(registered) / len(everyone)
    expected = 1 - SMALL.population.gp_unregistered_share
    assert expected - 0.01 <= share <= min(1.0, expected + 0.01)


def test_housing_holds_only_social_tenants_and_some_of_them(small_region: Path) -> None:
    tenants = people_in(small_region, "housing")
    people = list(rows(small_region / "truth" / "people.csv"))
    adults = {p["person_id"] for p in people if p["date_of_birth"] < "2008-06-30"}
    assert tenants <= adults
    assert 0.05 < len(tenants) / len(people) < 0.25
    schemes = {r["scheme"] for r in rows(small_region / "extracts" / "housing" / "tenancies.csv")}
    assert schemes == {"designed_for_health", "standard"}


def test_employment_holds_only_people_with_work_or_benefits_aged_16_plus(
    small_region: Path,
) -> None:
    workers = people_in(small_region, "employment")
    people = {p["person_id"]: p for p in rows(small_region / "truth" / "people.csv")}
    cutoff = dt.date(2010, 6, 30).isoformat()  # 16 at the extract date
    assert all(people[w]["date_of_birth"] <= cutoff for w in workers)
    assert all(people[w]["ni_number"] for w in workers)
    assert 0.3 < len(workers) / len(people) < 0.9


def test_pilot_and_comparison_groups_come_from_new_tenancies_in_the_window(
    small_region: Path,
) -> None:
    pilot = list(rows(small_region / "truth" / "pilot.csv"))
    tenancies = {
        r["tenancy_ref"]: r for r in rows(small_region / "extracts" / "housing" / "tenancies.csv")
    }
    groups = {r["group"] for r in pilot}
    assert groups == {"designed_for_health", "standard"}
    for row in pilot:
        tenancy = tenancies[row["tenancy_ref"]]
        assert tenancy["scheme"] == row["group"]
        day, month, year = tenancy["tenancy_start"].split("/")
        assert f"{year}-{month}-{day}" == row["index_date"]
        assert "2020-01-01" <= row["index_date"] <= "2022-12-31"
        assert row["index_date"] <= row["followup_end"]


def test_the_declared_group_sizes_are_the_pilots(small_region: Path) -> None:
    import json

    effects = json.loads((small_region / "truth" / "effects.json").read_text())
    groups = [r["group"] for r in rows(small_region / "truth" / "pilot.csv")]
    assert effects["treated"] == groups.count("designed_for_health") > 0
    assert effects["comparison"] == groups.count("standard") > 0


def test_population_structure_is_plausible_for_the_region(small_region: Path) -> None:
    people = list(rows(small_region / "truth" / "people.csv"))
    ages = [2022 - int(p["date_of_birth"][:4]) for p in people]
    children = sum(a < 16 for a in ages) / len(ages)
    over_65 = sum(a >= 65 for a in ages) / len(ages)
    assert 0.15 < children < 0.28 and 0.10 < over_65 < 0.25
    assert 0.45 < sum(p["sex"] == "F" for p in people) / len(people) < 0.55

    def mean_imd(district: str) -> float:
        deciles = [int(p["imd_decile"]) for p in people if p["district"] == district]
        return sum(deciles) / len(deciles)

    assert mean_imd("Bradford") < mean_imd("Leeds") < mean_imd("Harrogate")
    districts = {p["district"] for p in people}
    assert districts == {"Barnsley", "Bradford", "Calderdale", "Craven", "Harrogate",
                         "Kirklees", "Leeds", "Selby", "Wakefield", "York"}  # fmt: skip

    def ltc_share(low: int, high: int) -> float:
        group = [p for p, a in zip(people, ages, strict=True) if low <= a < high]
        return sum(int(p["ltc_count"]) > 0 for p in group) / len(group)

    assert ltc_share(0, 30) < ltc_share(30, 60) < ltc_share(60, 120)
