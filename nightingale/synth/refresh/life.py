"""What happens to the region's people between two extracts: the truth of a refresh.

Deaths (the region's Gompertz hazard), households moving within the region or leaving
it, households arriving, births to women aged 18-45, and marriages in which a woman
takes a new surname. Dates fall in the refresh window (after the old extract date, up to
the new one). Everything is drawn person by person in the order of the truth file, so
the same previous region and months give the same changes.

The result is one frame of every person (carried over and new) with the truth's columns
plus working columns (``_``-prefixed day numbers and new addresses), and a change log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from nightingale.synth.dates import DAYS_PER_YEAR, ISO
from nightingale.synth.geography import DISTRICTS, HOUSE_NUMBERS, Geography
from nightingale.synth.identifiers import issue_nhs_numbers, issue_ni_numbers
from nightingale.synth.keys import salt
from nightingale.synth.names import vocabulary
from nightingale.synth.population import NEVER, death_hazard
from nightingale.synth.refresh.rates import RefreshRates
from nightingale.synth.refresh.source import (
    Previous,
    date_text,
    format_day_numbers,
    parse_days,
)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

ADDRESS = ("_postcode", "_lsoa", "_imd", "_district", "_street", "_town", "_uprn")
CHANGE_COLUMNS = ["person_id", "change", "date", "provider", "local_key", "detail"]


@dataclass
class Changes:
    """The change log: one row per thing that happened to a person or a record."""

    rows: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)

    def add(
        self,
        person: str,
        change: str,
        days: int,
        provider: str = "",
        key: str = "",
        detail: str = "",
    ) -> None:
        date = date_text(days, ISO)
        self.rows.append((person, change, date, provider, key, detail))

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows, columns=CHANGE_COLUMNS)
        return frame.sort_values(["person_id", "change", "provider", "local_key"], kind="stable")

    def count(self, change: str) -> int:
        return sum(1 for row in self.rows if row[1] == change)


@dataclass
class Life:
    """Every person after the window (truth columns + working columns) and the log."""

    people: pd.DataFrame
    changes: Changes


def _uniform_days(n: int, first: int, last: int, rng: np.random.Generator) -> IntArray:
    """Days in (first, last]."""
    return first + 1 + rng.integers(0, max(last - first, 1), n)


def _chance(rate: float, years: float, n: int, rng: np.random.Generator) -> BoolArray:
    chance: BoolArray = rng.random(n) < 1 - np.exp(-rate * years)
    return chance


def new_addresses(geography: Geography, n: int, rng: np.random.Generator) -> dict[str, ObjectArray]:
    """``n`` addresses somewhere in the region (postcode, LSOA, IMD, district, street)."""
    lsoa = rng.integers(0, len(geography.lsoa_code), n)
    unit = geography.postcodes_in(lsoa, rng)
    house = rng.integers(1, HOUSE_NUMBERS, n)
    district = geography.lsoa_district[lsoa]
    street = geography.postcode_street[unit]
    return {
        "_postcode": geography.postcode[unit].astype(object),
        "_lsoa": geography.lsoa_code[lsoa].astype(object),
        "_imd": geography.lsoa_imd[lsoa].astype(str).astype(object),
        "_district": np.array([DISTRICTS[d].name for d in district], dtype=object),
        "_street": np.array([f"{h} {s}" for h, s in zip(house, street, strict=True)], dtype=object),
        "_town": np.array([DISTRICTS[d].town for d in district], dtype=object),
        "_uprn": geography.uprn(unit, house).astype(str).astype(object),
    }


def live(previous: Previous, geography: Geography, rates: RefreshRates) -> Life:
    """Draw the window's deaths, moves, name changes, births and arrivals."""
    first, last = previous.window
    years = (last - first) / DAYS_PER_YEAR
    people = previous.truth["people.csv"].copy()
    people["_dob"] = parse_days(people["date_of_birth"], ISO)
    people["_death"] = parse_days(people["date_of_death"], ISO)
    people["_left"] = parse_days(people["left_region_date"], ISO)
    people["_start"] = np.full(len(people), -(10**6), dtype=np.int64)
    people["_move"] = np.full(len(people), NEVER, dtype=np.int64)
    people["_name_day"] = np.full(len(people), NEVER, dtype=np.int64)
    people["_kind"] = ""
    for column in ADDRESS:
        people[column] = ""
    changes = Changes()
    present = ((people["_death"] >= NEVER) & (people["_left"] >= NEVER)).to_numpy()
    age = (first - people["_dob"].to_numpy()) / DAYS_PER_YEAR
    female = (people["sex"] == "F").to_numpy()

    _moves(people, present, geography, rates, years, previous, changes)
    _deaths(people, present, age, rates, years, previous, changes)
    _name_changes(people, present, age, female, rates, years, previous, changes)
    babies = _births(people, present, age, female, rates, years, previous)
    arrivals = _arrivals(people, present, geography, rates, years, previous)
    people = pd.concat([people, babies, arrivals], ignore_index=True)
    _issue_numbers(people, previous)
    for person, kind, start in zip(
        people["person_id"], people["_kind"], people["_start"], strict=True
    ):
        if kind:
            changes.add(str(person), str(kind), int(start))
    _babies_moving_with_their_household(people, previous, changes)
    return Life(people, changes)


def _babies_moving_with_their_household(
    people: pd.DataFrame, previous: Previous, changes: Changes
) -> None:
    """A household's move or departure after a birth takes the baby along: log it too."""
    _, last = previous.window
    born = people[people["_kind"] == "born"]
    for person, start, move, left, postcode in zip(
        born["person_id"],
        born["_start"],
        born["_move"],
        born["_left"],
        born["_postcode"],
        strict=True,
    ):
        if start < move <= last:
            changes.add(str(person), "moved", int(move), detail=str(postcode))
        if start < left <= last:
            changes.add(str(person), "left_region", int(left))


def _moves(
    people: pd.DataFrame,
    present: BoolArray,
    geography: Geography,
    rates: RefreshRates,
    years: float,
    previous: Previous,
    changes: Changes,
) -> None:
    rng = previous.rng("moves")
    first, last = previous.window
    households = np.array(sorted(set(people.loc[present, "household_id"])), dtype=object)
    leave = _chance(rates.move_out_of_region, years, len(households), rng)
    move = ~leave & _chance(rates.move_within_region, years, len(households), rng)
    when = _uniform_days(len(households), first, last, rng)
    address = new_addresses(geography, len(households), rng)
    position = {h: i for i, h in enumerate(households)}
    index = people["household_id"].map(position).fillna(-1).to_numpy(dtype=np.int64)
    leaving = present & (index >= 0) & leave[np.maximum(index, 0)]
    moving = present & (index >= 0) & move[np.maximum(index, 0)]
    day_of_move = when[np.maximum(index, 0)]
    people.loc[leaving, "_left"] = day_of_move[leaving]
    people.loc[moving, "_move"] = day_of_move[moving]
    for column in ADDRESS:
        people.loc[moving, column] = address[column][index[moving]]
    ids = people["person_id"].to_numpy(dtype=object)
    for row in np.flatnonzero(leaving):
        changes.add(str(ids[row]), "left_region", int(day_of_move[row]))
    for row in np.flatnonzero(moving):
        changes.add(
            str(ids[row]),
            "moved",
            int(day_of_move[row]),
            detail=str(address["_postcode"][index[row]]),
        )


def _deaths(
    people: pd.DataFrame,
    present: BoolArray,
    age: npt.NDArray[np.float64],
    rates: RefreshRates,
    years: float,
    previous: Previous,
    changes: Changes,
) -> None:
    """The region's Gompertz hazard at the age at the old extract date."""
    rng = previous.rng("deaths")
    first, last = previous.window
    ltc = pd.to_numeric(people["ltc_count"]).to_numpy()
    frailty = pd.to_numeric(people["frailty"]).to_numpy()
    hazard = death_hazard(age, ltc, frailty)
    dies = rng.random(len(people)) < 1 - np.exp(-rates.death_hazard_ratio * hazard * years)
    when = _uniform_days(len(people), first, last, rng)
    for row in np.flatnonzero(present & dies):
        # A death after leaving the region is not the region's to record.
        if when[row] < people.at[row, "_left"]:
            people.loc[row, "_death"] = when[row]
            changes.add(str(people.at[row, "person_id"]), "died", int(when[row]))


def _name_changes(
    people: pd.DataFrame,
    present: BoolArray,
    age: npt.NDArray[np.float64],
    female: BoolArray,
    rates: RefreshRates,
    years: float,
    previous: Previous,
    changes: Changes,
) -> None:
    rng = previous.rng("names")
    first, last = previous.window
    unmarried = (people["surname"] == people["birth_surname"]).to_numpy()
    eligible = present & female & unmarried & (age >= 18) & (age < 46)
    marries = eligible & _chance(rates.name_changes, years, len(people), rng)
    when = _uniform_days(len(people), first, last, rng)
    surnames = vocabulary().draw_surnames(rng, len(people))
    ends = np.minimum(people["_death"].to_numpy(np.int64), people["_left"].to_numpy(np.int64))
    for row in np.flatnonzero(marries):
        old = str(people.at[row, "surname"])
        if when[row] >= ends[row] or surnames[row] == old:
            continue
        people.loc[row, "surname"] = surnames[row]
        people.loc[row, "_name_day"] = when[row]
        changes.add(str(people.at[row, "person_id"]), "name_changed", int(when[row]), detail=old)


def _next_ids(existing: pd.Series, prefix: str, n: int) -> ObjectArray:
    start = int(existing.str.slice(1).astype(np.int64).max()) + 1 if len(existing) else 0
    return np.array([f"{prefix}{i:08d}" for i in range(start, start + n)], dtype=object)


def _blank_people(n: int, columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: np.full(n, "", dtype=object) for c in columns})
    for c in ("_dob", "_death", "_left", "_start", "_move", "_name_day"):
        frame[c] = np.full(n, NEVER, dtype=np.int64)
    return frame


def _births(
    people: pd.DataFrame,
    present: BoolArray,
    age: npt.NDArray[np.float64],
    female: BoolArray,
    rates: RefreshRates,
    years: float,
    previous: Previous,
) -> pd.DataFrame:
    rng = previous.rng("births")
    first, last = previous.window
    mothers = present & female & (age >= 18) & (age < 46)
    gives_birth = mothers & _chance(rates.births, years, len(people), rng)
    when = _uniform_days(len(people), first, last, rng)
    ends = np.minimum(people["_death"].to_numpy(np.int64), people["_left"].to_numpy(np.int64))
    rows = [int(r) for r in np.flatnonzero(gives_birth) if when[r] < ends[r]]
    babies = _blank_people(len(rows), list(people.columns))
    if not rows:
        return babies
    girl = rng.random(len(rows)) < 0.49
    mother = people.iloc[rows].reset_index(drop=True)
    babies["household_id"] = mother["household_id"].to_numpy()
    babies["forename"] = vocabulary().forenames(rng, girl)
    babies["surname"] = mother["surname"].to_numpy()
    babies["birth_surname"] = mother["surname"].to_numpy()
    babies["sex"] = np.where(girl, "F", "M")
    born = when[rows]
    babies["_dob"] = born
    babies["_start"] = born
    babies["_left"] = mother["_left"].to_numpy()
    babies["_kind"] = "born"
    babies["ltc_count"] = "0"
    babies["frailty"] = [f"{v:.4f}" for v in rng.gamma(2.0, 0.5, len(rows))]
    for column in ("district", "lsoa_code", "imd_decile"):
        babies[column] = mother[column].to_numpy()
    # The household's move, if after the birth, takes the baby along; a move before it
    # means the baby is born at the new address.
    babies["_move"] = mother["_move"].to_numpy()
    for column in ADDRESS:
        babies[column] = mother[column].to_numpy()
    babies["_mother"] = mother["person_id"].to_numpy()
    return babies


def _arrivals(
    people: pd.DataFrame,
    present: BoolArray,
    geography: Geography,
    rates: RefreshRates,
    years: float,
    previous: Previous,
) -> pd.DataFrame:
    """Households moving into the region: a head aged 20-65, a partner, children."""
    rng = previous.rng("arrivals")
    first, last = previous.window
    households_present = len(set(people.loc[present, "household_id"]))
    count = int(rng.poisson(rates.arrivals * years * households_present))
    weights = np.array(previous.config.population.household_size_weights)
    sizes = rng.choice(np.arange(1, len(weights) + 1), count, p=weights / weights.sum())
    ids = _next_ids(people["household_id"], "H", count)
    when = _uniform_days(count, first, last, rng)
    address = new_addresses(geography, count, rng)
    vocab = vocabulary()
    members = []
    for h in range(count):
        head_age = rng.uniform(20, 65)
        head_female = bool(rng.random() < 0.5)
        family = str(vocab.draw_surnames(rng, 1)[0])
        roles = [("head", head_female, head_age)]
        rest = int(sizes[h]) - 1
        if rest and rng.random() < previous.config.population.partner_share:
            partner_age = max(18.0, head_age + float(rng.normal(0, 3)))
            roles.append(("partner", not head_female, partner_age))
            rest -= 1
        roles += [("child", bool(rng.random() < 0.49), rng.uniform(0, 16)) for _ in range(rest)]
        for role, woman, age in roles:
            birth = family
            if role == "partner" and woman and rng.random() >= 0.3:
                birth = str(vocab.draw_surnames(rng, 1)[0])
            members.append((h, role, woman, age, family, birth))
    frame = _blank_people(len(members), list(people.columns))
    if not members:
        return frame
    h_index = np.array([m[0] for m in members])
    is_female = np.array([m[2] for m in members], dtype=bool)
    frame["household_id"] = ids[h_index]
    frame["forename"] = vocab.forenames(rng, is_female)
    frame["surname"] = [m[4] for m in members]
    frame["birth_surname"] = [m[5] for m in members]
    frame["sex"] = np.where(is_female, "F", "M")
    arrived = when[h_index]
    frame["_dob"] = arrived - np.round(np.array([m[3] for m in members]) * DAYS_PER_YEAR).astype(
        np.int64
    )
    frame["_start"] = arrived
    frame["_kind"] = "arrived"
    frame["_move"] = arrived
    ltc = np.minimum(rng.poisson(0.3, len(members)), 8)
    frame["ltc_count"] = ltc.astype(str)
    frame["frailty"] = [f"{v:.4f}" for v in rng.gamma(2.0, 0.5, len(members))]
    for column in ADDRESS:
        frame[column] = address[column][h_index]
    frame["district"] = frame["_district"]
    frame["lsoa_code"] = frame["_lsoa"]
    frame["imd_decile"] = frame["_imd"]
    frame["_role"] = [m[1] for m in members]
    return frame


def _issue_numbers(people: pd.DataFrame, previous: Previous) -> None:
    """Person ids, NHS numbers and (for adults) NI numbers of the people new in the window."""
    new = (people["_kind"] != "").to_numpy()
    if not new.any():
        return
    old_ids = people.loc[~new, "person_id"]
    index = int(old_ids.str.slice(1).astype(np.int64).max()) + 1 + np.arange(int(new.sum()))
    people.loc[new, "person_id"] = [f"N{i:08d}" for i in index]
    seed = previous.config.seed
    people.loc[new, "nhs_number"] = issue_nhs_numbers(index, salt(seed, "nhs") % 10**8)
    ni = issue_ni_numbers(index, salt(seed, "ni") % 10**8, previous.rng("ni"))
    _, last = previous.window
    adult = (last - people.loc[new, "_dob"].to_numpy()) / DAYS_PER_YEAR >= 16
    people.loc[new, "ni_number"] = np.where(adult, ni, "")
    people.loc[new, "date_of_birth"] = format_day_numbers(people.loc[new, "_dob"], ISO)
    if "_mother" in people:
        people["_mother"] = people["_mother"].fillna("")
    if "_role" in people:
        people["_role"] = people["_role"].fillna("")
