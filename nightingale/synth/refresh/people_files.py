"""The providers' people files after the window: rows kept, fixed, withdrawn or added.

A row carried over keeps its provider-local key (the linkage zone keys record ids on it).
In order: a few rows are withdrawn by the provider (their events go with them), some
identifier errors are corrected (the row keeps its key; its truth loses the error), then
the window's life events are applied (registrations and tenancies end at a death, a
move or a departure; a move within the region is a new GP registration; a marriage
changes the surname on the rows current that day; births and arrivals get new rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from nightingale.synth.dates import DAYS_PER_YEAR
from nightingale.synth.refresh.life import Changes, Life
from nightingale.synth.refresh.people_events import apply_life
from nightingale.synth.refresh.rates import RefreshRates
from nightingale.synth.refresh.rows import PROVIDERS, true_value
from nightingale.synth.refresh.source import PEOPLE_FILES, Previous

IntArray = npt.NDArray[np.int64]

#: Which identifier an error spoils, and the error that stops a correction of it (a
#: nickname or a birth surname is what the person gave, not a mistake to fix).
ERROR_FIELDS = {
    "forename_typo": "forename",
    "forename_missing": "forename",
    "surname_typo": "surname",
    "dob_day_month_swapped": "dob",
    "dob_digit": "dob",
    "dob_missing": "dob",
    "nhs_number_digit": "nhs",
    "nhs_number_missing": "nhs",
    "ni_number_digit": "ni",
    "ni_number_missing": "ni",
}
BLOCKED_BY = {"forename": "nickname", "surname": "birth_surname"}
#: Each provider's column for each identifier.
COLUMNS = {
    "health": {
        "forename": "forename",
        "surname": "surname",
        "dob": "date_of_birth",
        "nhs": "nhs_number",
    },
    "housing": {
        "forename": "tenant_forename",
        "surname": "tenant_surname",
        "dob": "tenant_dob",
        "ni": "tenant_ni_number",
    },
    "employment": {
        "forename": "first_name",
        "surname": "last_name",
        "dob": "dob",
        "ni": "ni_number",
    },
}


@dataclass
class PeopleFiles:
    """Each provider's people file and truth records after the window."""

    frames: dict[str, pd.DataFrame]
    records: pd.DataFrame  # truth/records.csv rows
    withdrawn: dict[str, set[str]]  # provider -> keys withdrawn (their events go too)
    new_rows: dict[str, set[str]]  # provider -> keys added in the window


def update_people_files(previous: Previous, life: Life, rates: RefreshRates) -> PeopleFiles:
    """Withdraw, correct, and apply the window's life events to every people file."""
    records = previous.truth["records.csv"].copy()
    frames = {p: previous.people_file(p).copy() for p in PROVIDERS}
    people = life.people.set_index("person_id", drop=False)
    people.index.name = None
    first, last = previous.window
    years = (last - first) / DAYS_PER_YEAR
    withdrawn: dict[str, set[str]] = {}
    for provider in PROVIDERS:
        frames[provider], records, withdrawn[provider] = _withdraw(
            provider, frames[provider], records, rates, years, previous, life.changes
        )
    records = _correct(frames, records, people, rates, years, previous, life.changes)
    new_rows = apply_life(frames, records, people, rates, previous, life.changes)
    records = pd.concat([records, new_rows.records], ignore_index=True)
    return PeopleFiles(new_rows.frames, records, withdrawn, new_rows.keys)


def _withdraw(
    provider: str,
    frame: pd.DataFrame,
    records: pd.DataFrame,
    rates: RefreshRates,
    years: float,
    previous: Previous,
    changes: Changes,
) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    rng = previous.rng(f"withdraw:{provider}")
    key = PEOPLE_FILES[provider][1]
    count = min(len(frame), max(1, int(rng.poisson(rates.withdrawals * years * len(frame)))))
    keys = sorted(frame[key])
    chosen = {keys[i] for i in rng.choice(len(keys), count, replace=False)} if count else set()
    mine = (records["provider"] == provider) & records["local_key"].isin(chosen)
    gone = records[mine].sort_values("local_key")
    for person, local in zip(gone["person_id"], gone["local_key"], strict=True):
        changes.add(str(person), "withdrawn", previous.window[1], provider, str(local))
    return frame[~frame[key].isin(chosen)].reset_index(drop=True), records[~mine], chosen


def _correct(
    frames: dict[str, pd.DataFrame],
    records: pd.DataFrame,
    people: pd.DataFrame,
    rates: RefreshRates,
    years: float,
    previous: Previous,
    changes: Changes,
) -> pd.DataFrame:
    records = records.reset_index(drop=True)
    rng = previous.rng("corrections")
    draws = rng.random(len(records))
    chance = 1 - np.exp(-rates.corrections * years)
    when = previous.window[1]
    for provider in PROVIDERS:
        frame = frames[provider]
        key = PEOPLE_FILES[provider][1]
        where = {k: i for i, k in enumerate(frame[key])}
        fields = COLUMNS[provider]
        candidates = (
            (records["provider"] == provider) & (records["errors"] != "") & (draws < chance)
        ).to_numpy()
        for index in np.flatnonzero(candidates):
            errors = [e for e in str(records.at[index, "errors"]).split(";") if e]
            fixable = sorted(
                {
                    ERROR_FIELDS[e]
                    for e in errors
                    if e in ERROR_FIELDS
                    and ERROR_FIELDS[e] in fields
                    and BLOCKED_BY.get(ERROR_FIELDS[e]) not in errors
                }
            )
            if not fixable:
                continue
            person = people.loc[str(records.at[index, "person_id"])]
            assert isinstance(person, pd.Series)  # person ids are unique
            field = fixable[0]
            value = true_value(provider, field, person)
            if not value:
                continue
            local = str(records.at[index, "local_key"])
            frame.at[where[local], fields[field]] = value
            fixed = [e for e in errors if ERROR_FIELDS.get(e) == field]
            records.at[index, "errors"] = ";".join(e for e in errors if e not in fixed)
            changes.add(
                str(person["person_id"]), "corrected", when, provider, local, ";".join(fixed)
            )
    return records
