"""Refreshes of the synthetic region: the next extract of every provider, truth carried over.

A refresh (``write_refresh``) reads only the previous folder and writes the providers'
next full extracts: rows carried over keep their local keys and truth, and what happened
in the window (births, arrivals, deaths, departures, moves, marriages, corrections,
withdrawals) is in ``truth/changes.csv`` and shows in the extracts exactly as logged.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nightingale.platform.errors import NightingaleError
from nightingale.synth import SynthConfig, generate_region
from nightingale.synth.refresh import RefreshRates, write_refresh
from nightingale.synth.refresh.source import EXTRACTS, PEOPLE_FILES, add_months, read_strings

SEED_REGION = SynthConfig(people=300, seed=21, chunk_size=150)
#: Rates high enough that 300 people show every kind of change in a year.
BUSY = RefreshRates(
    move_within_region=0.3,
    move_out_of_region=0.1,
    arrivals=0.1,
    births=0.5,
    name_changes=0.6,
    corrections=0.8,
    withdrawals=0.02,
    death_hazard_ratio=4.0,
)
MONTHS = 12
KEY_COLUMNS = {provider: key for provider, (_, key) in PEOPLE_FILES.items()}
EVENT_DATES = {
    "admissions.csv": "admission_date",
    "ae_attendances.csv": "arrival_date",
    "gp_consultations.csv": "consultation_date",
    "eq5d.csv": "response_date",
}


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("refresh") / "region"
    generate_region(SEED_REGION, out)
    return out


@pytest.fixture(scope="module")
def refreshed(region: Path) -> Path:
    out = region.parent / "refreshed"
    write_refresh(region, MONTHS, out, rates=BUSY)
    return out


def extract(folder: Path, provider: str, name: str) -> pd.DataFrame:
    return read_strings(folder / "extracts" / provider / name)


def truth(folder: Path, name: str) -> pd.DataFrame:
    return read_strings(folder / "truth" / name)


def changes(folder: Path, change: str) -> pd.DataFrame:
    log = truth(folder, "changes.csv")
    return log[log["change"] == change]


def test_a_refresh_is_the_same_bytes_every_time(region: Path, refreshed: Path) -> None:
    again = region.parent / "again"
    write_refresh(region, MONTHS, again, rates=BUSY)
    first = json.loads((refreshed / "manifest.json").read_text())["files"]
    second = json.loads((again / "manifest.json").read_text())["files"]
    assert first == second
    assert (refreshed / "manifest.json").read_bytes() == (again / "manifest.json").read_bytes()


def test_a_refresh_moves_the_extract_date_on_and_names_what_it_refreshes(
    region: Path, refreshed: Path
) -> None:
    manifest = json.loads((refreshed / "manifest.json").read_text())
    assert manifest["config"]["extract_date"] == "2027-06-30"
    assert manifest["config"]["seed"] == SEED_REGION.seed
    assert manifest["refresh"]["generation"] == 1
    assert manifest["refresh"]["of_extract_date"] == "2026-06-30"
    assert manifest["refresh"]["months"] == MONTHS
    log = truth(refreshed, "changes.csv")
    assert manifest["refresh"]["changes"] == log["change"].value_counts().to_dict()
    # Every kind of change happened at these rates, so every count below is tested.
    assert set(manifest["refresh"]["changes"]) == {
        "arrived",
        "born",
        "corrected",
        "died",
        "left_region",
        "moved",
        "name_changed",
        "withdrawn",
    }


def test_people_carried_over_keep_their_truth_ids_identities_and_record_keys(
    region: Path, refreshed: Path
) -> None:
    before = truth(region, "people.csv").set_index("person_id")
    after = truth(refreshed, "people.csv").set_index("person_id")
    assert set(before.index) <= set(after.index)
    kept = after.loc[before.index]
    for column in ("date_of_birth", "sex", "nhs_number", "ni_number", "household_id"):
        assert (kept[column] == before[column]).all(), column

    withdrawn = set(changes(refreshed, "withdrawn")["local_key"])
    old = truth(region, "records.csv")
    new = truth(refreshed, "records.csv").set_index(["provider", "local_key"])
    carried = old[~old["local_key"].isin(withdrawn)]
    index = pd.MultiIndex.from_frame(carried[["provider", "local_key"]])
    assert (new.loc[index, "person_id"].to_numpy() == carried["person_id"].to_numpy()).all()
    for provider, (name, key) in PEOPLE_FILES.items():
        keys = set(extract(refreshed, provider, name)[key])
        assert set(carried.loc[carried["provider"] == provider, "local_key"]) <= keys
        assert keys == set(new.loc[provider].index)  # every row joins the truth


def test_withdrawn_records_leave_the_people_file_their_events_and_the_truth(
    refreshed: Path,
) -> None:
    withdrawn = changes(refreshed, "withdrawn")
    assert len(withdrawn) >= 3  # at least one per provider
    records = truth(refreshed, "records.csv")
    assert not records["local_key"].isin(set(withdrawn["local_key"])).any()
    for provider, names in EXTRACTS.items():
        gone = set(withdrawn.loc[withdrawn["provider"] == provider, "local_key"])
        assert gone
        for name in names:
            assert not extract(refreshed, provider, name)[KEY_COLUMNS[provider]].isin(gone).any()


def test_births_and_arrivals_are_new_people_with_new_records(region: Path, refreshed: Path) -> None:
    before = set(truth(region, "people.csv")["person_id"])
    people = truth(refreshed, "people.csv").set_index("person_id")
    new = people.loc[sorted(set(people.index) - before)]
    born, arrived = changes(refreshed, "born"), changes(refreshed, "arrived")
    assert set(new.index) == set(born["person_id"]) | set(arrived["person_id"])
    assert not set(born["person_id"]) & set(arrived["person_id"])
    babies = people.loc[born["person_id"]]
    assert (babies["date_of_birth"] == born.set_index("person_id")["date"]).all()
    assert (babies["date_of_birth"] > "2026-06-30").all()
    assert (babies["ni_number"] == "").all()
    assert babies["household_id"].isin(before_households(region)).all()
    newcomers = people.loc[arrived["person_id"]]
    assert not newcomers["household_id"].isin(before_households(region)).any()
    assert (
        new["nhs_number"].is_unique
        and not new["nhs_number"].isin(truth(region, "people.csv")["nhs_number"]).any()
    )
    records = truth(refreshed, "records.csv")
    has_record = set(records.loc[records["person_id"].isin(new.index), "person_id"])
    assert len(has_record) >= 0.8 * len(new)  # most are registered with a GP at once


def before_households(region: Path) -> set[str]:
    return set(truth(region, "people.csv")["household_id"])


def _main_registrations(folder: Path) -> pd.DataFrame:
    records = truth(folder, "records.csv")
    health = records[(records["provider"] == "health") & (records["duplicate"] == "0")]
    frame = extract(folder, "health", "gp_registrations.csv")
    return frame.merge(health, left_on="patient_id", right_on="local_key")


def test_deaths_are_recorded_by_the_health_provider_and_end_records(refreshed: Path) -> None:
    died = changes(refreshed, "died").set_index("person_id")
    assert len(died)
    people = truth(refreshed, "people.csv").set_index("person_id")
    assert (people.loc[died.index, "date_of_death"] == died["date"]).all()
    in_window = people[people["date_of_death"] > "2026-06-30"]
    assert set(in_window.index) == set(died.index)

    registrations = _main_registrations(refreshed)
    deaths = extract(refreshed, "health", "deaths.csv")
    recorded = deaths.merge(registrations, on="patient_id")
    recorded = recorded[recorded["date_of_death"] > "2026-06-30"]
    assert set(recorded["person_id"]) <= set(died.index)
    registered = set(registrations["person_id"]) & set(died.index)
    assert set(recorded["person_id"]) == registered
    ended = registrations[registrations["deregistration_reason"] == "died"]
    ended = ended[ended["person_id"].isin(died.index)]
    assert set(ended["person_id"]) == registered
    assert (ended["deregistration_date"] == died.loc[ended["person_id"], "date"].values).all()


def test_nobody_has_events_after_their_death(refreshed: Path) -> None:
    people = truth(refreshed, "people.csv")
    dead = people[people["date_of_death"] != ""].set_index("person_id")["date_of_death"]
    records = truth(refreshed, "records.csv")
    owner = records.set_index(["provider", "local_key"])["person_id"]
    for name, column in EVENT_DATES.items():
        events = extract(refreshed, "health", name)
        person = events["patient_id"].map(owner.loc["health"])
        death = person.map(dead)
        late = death.notna() & (events[column] >= death.fillna(""))
        assert not late.any(), name
    earnings = extract(refreshed, "employment", "earnings.csv")
    person = earnings["customer_ref"].map(owner.loc["employment"])
    death_month = person.map(dead).str.replace("-", "").str.slice(0, 6)
    assert not (death_month.notna() & (earnings["pay_month"] > death_month.fillna(""))).any()


def test_moves_start_a_new_registration_at_a_new_address(refreshed: Path) -> None:
    moved = changes(refreshed, "moved").set_index("person_id")
    assert len(moved)
    registrations = _main_registrations(refreshed)
    mover_rows = registrations[registrations["person_id"].isin(moved.index)]
    assert len(mover_rows)
    for person, rows in mover_rows.groupby("person_id"):
        when = moved.at[person, "date"]
        new = rows[rows["registration_date"] == when]
        old = rows[(rows["deregistration_date"] == when) & (rows["registration_date"] < when)]
        if len(old):  # registered before the move: a new registration from the move date
            assert (old["deregistration_reason"] == "moved").all()
            assert len(new) == 1
            assert new["postcode"].iat[0] == moved.at[person, "detail"]


def test_name_changes_show_on_the_records_current_at_the_wedding(
    region: Path, refreshed: Path
) -> None:
    renamed = changes(refreshed, "name_changed").set_index("person_id")
    assert len(renamed)
    people = truth(refreshed, "people.csv").set_index("person_id")
    before = truth(region, "people.csv").set_index("person_id")
    assert (before.loc[renamed.index, "surname"] == renamed["detail"]).all()
    assert (people.loc[renamed.index, "surname"] != renamed["detail"]).all()
    assert (
        people.loc[renamed.index, "birth_surname"] == before.loc[renamed.index, "birth_surname"]
    ).all()
    registrations = _main_registrations(refreshed)
    current = registrations[
        registrations["person_id"].isin(renamed.index)
        & (registrations["deregistration_date"] == "")
    ]
    assert len(current)
    for row in current.itertuples():
        assert row.surname == people.at[row.person_id, "surname"]


def test_corrections_fix_the_field_and_the_truth_forgets_the_error(
    region: Path, refreshed: Path
) -> None:
    corrected = changes(refreshed, "corrected")
    assert len(corrected)
    old = truth(region, "records.csv").set_index(["provider", "local_key"])
    new = truth(refreshed, "records.csv").set_index(["provider", "local_key"])
    people = truth(refreshed, "people.csv").set_index("person_id")
    registrations = extract(refreshed, "health", "gp_registrations.csv").set_index("patient_id")
    for row in corrected.itertuples():
        fixed = row.detail.split(";")
        was = old.at[(row.provider, row.local_key), "errors"].split(";")
        now = new.at[(row.provider, row.local_key), "errors"].split(";")
        assert set(fixed) <= set(was) and not set(fixed) & set(now)
        if row.provider != "health":
            continue
        for prefix, column in (("nhs_number", "nhs_number"), ("dob", "date_of_birth")):
            if fixed[0].startswith(prefix):
                expected = people.at[row.person_id, column]
                assert registrations.at[row.local_key, column] == expected


def test_departures_end_registrations_and_stop_events(refreshed: Path) -> None:
    left = changes(refreshed, "left_region").set_index("person_id")
    assert len(left)
    people = truth(refreshed, "people.csv").set_index("person_id")
    assert (people.loc[left.index, "left_region_date"] == left["date"]).all()
    in_window = people[people["left_region_date"] > "2026-06-30"]
    assert set(in_window.index) == set(left.index)
    registrations = _main_registrations(refreshed)
    gone = registrations[registrations["person_id"].isin(left.index)]
    still_open = gone[gone["deregistration_date"] == ""]
    assert still_open.empty
    events = extract(refreshed, "health", "gp_consultations.csv")
    owner = gone.set_index("patient_id")["person_id"]
    person = events["patient_id"].map(owner)
    after = person.notna() & (events["consultation_date"] >= person.map(left["date"]).fillna("~"))
    assert not after.any()


def test_new_events_fall_in_the_window_with_new_unique_ids(region: Path, refreshed: Path) -> None:
    for provider, name, date, ident in (
        ("health", "admissions.csv", "admission_date", "admission_id"),
        ("health", "ae_attendances.csv", "arrival_date", "attendance_id"),
        ("employment", "employment_spells.csv", "start_date", "spell_id"),
        ("employment", "benefit_claims.csv", "claim_start", "claim_id"),
        ("housing", "repairs.csv", None, "repair_ref"),
    ):
        before = extract(region, provider, name)
        after = extract(refreshed, provider, name)
        assert after[ident].is_unique, name
        added = after[~after[ident].isin(before[ident])]
        assert len(added), name
        if date is not None and provider == "health":
            assert added[date].between("2026-07-01", "2027-06-30").all(), name
    consultations = extract(refreshed, "health", "gp_consultations.csv")
    assert consultations["consultation_date"].max() > "2026-06-30"
    earnings = extract(refreshed, "employment", "earnings.csv")
    assert earnings["pay_month"].max() == "202706"


def test_a_refresh_of_a_refresh_chains(refreshed: Path) -> None:
    second = refreshed.parent / "second"
    summary = write_refresh(refreshed, 3, second)
    assert summary.extract_date == "2027-09-30"
    manifest = json.loads((second / "manifest.json").read_text())
    assert manifest["refresh"]["generation"] == 2
    assert manifest["refresh"]["rates"] == BUSY.model_dump(mode="json")  # kept along the chain
    withdrawn = set(changes(second, "withdrawn")["local_key"])
    earlier = truth(refreshed, "records.csv")
    later = truth(second, "records.csv").set_index("local_key")
    kept = earlier[~earlier["local_key"].isin(withdrawn)]
    assert (
        later.loc[kept["local_key"], "person_id"].to_numpy() == kept["person_id"].to_numpy()
    ).all()


def test_a_refresh_needs_a_finished_region_and_whole_months(tmp_path: Path) -> None:
    with pytest.raises(NightingaleError, match="not a finished synthetic region"):
        write_refresh(tmp_path, 3, tmp_path / "out")
    with pytest.raises(NightingaleError, match="--months"):
        write_refresh(tmp_path, 0, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@given(
    st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
    st.integers(1, 40),
    st.integers(1, 40),
)
def test_months_add_up_to_month_ends(start: dt.date, a: int, b: int) -> None:
    once = add_months(start, a + b)
    assert once == add_months(add_months(start, a), b)
    assert (once + dt.timedelta(days=1)).day == 1
    assert (once.year * 12 + once.month) - (start.year * 12 + start.month) == a + b


def test_a_quiet_month_changes_little_and_still_writes_every_file(
    region: Path, tmp_path: Path
) -> None:
    quiet = RefreshRates(
        death_hazard_ratio=0,
        move_within_region=0,
        move_out_of_region=0,
        arrivals=0,
        births=0,
        name_changes=0,
        corrections=0,
        withdrawals=0,
    )
    summary = write_refresh(region, 1, tmp_path / "quiet", rates=quiet)
    assert summary.extract_date == "2026-07-31"
    assert summary.changes == {"withdrawn": 3}  # the providers' minimum: one each
    before = truth(region, "people.csv")
    after = truth(tmp_path / "quiet", "people.csv")
    assert after.equals(before)
    for provider, names in EXTRACTS.items():
        for name in names:
            assert (tmp_path / "quiet" / "extracts" / provider / name).is_file()


def test_the_dead_and_the_departed_hold_no_open_records(refreshed: Path) -> None:
    people = truth(refreshed, "people.csv").set_index("person_id")
    gone = people[(people["date_of_death"] != "") | (people["left_region_date"] != "")].index
    records = truth(refreshed, "records.csv")
    owner = records.set_index("local_key")["person_id"]
    for provider, name, key, end in (
        ("health", "gp_registrations.csv", "patient_id", "deregistration_date"),
        ("housing", "tenancies.csv", "tenancy_ref", "tenancy_end"),
        ("employment", "employment_spells.csv", "customer_ref", "end_date"),
        ("employment", "benefit_claims.csv", "customer_ref", "claim_end"),
    ):
        rows = extract(refreshed, provider, name)
        still_open = rows.loc[rows[end] == "", key].map(owner)
        assert not still_open.isin(gone).any(), name
    main = _main_registrations(refreshed)
    current = main[main["deregistration_date"] == ""]
    assert current["person_id"].is_unique  # one practice at a time
