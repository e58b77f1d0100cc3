"""The window's life events written into the people files (see :mod:`.people_files`).

New rows first (births and arrivals start their records), then, person by person in
the order of their ids, what ends or changes records: a move within the region ends the
GP registration (``moved``) and starts a new one at the new address, ends a social
tenancy (half of the tenants move to a new one) and updates the employment customer's
postcode; a departure or a death ends registrations and tenancies; a marriage changes
the surname on every record current that day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from nightingale.synth.dates import DAYS_PER_YEAR
from nightingale.synth.refresh.life import Changes
from nightingale.synth.refresh.rates import RefreshRates
from nightingale.synth.refresh.rows import (
    DATE_FORMATS,
    PROVIDERS,
    fresh_keys,
    landlord_of,
    tenancy_home,
    true_value,
)
from nightingale.synth.refresh.source import PEOPLE_FILES, Previous, date_text, day_of, parse_days

END_COLUMNS = {
    "health": ("deregistration_date", "deregistration_reason"),
    "housing": ("tenancy_end", "end_reason"),
}
START_COLUMNS = {"health": "registration_date", "housing": "tenancy_start"}
REASONS = {
    "health": {"moved": "moved", "left": "left_region", "died": "died"},
    "housing": {"moved": "moved_out", "left": "moved_out", "died": "deceased"},
}
KEY_SHAPES = {"health": ("P", 9), "housing": ("TEN-", 8), "employment": ("C", 9)}


@dataclass
class NewRows:
    frames: dict[str, pd.DataFrame]
    records: pd.DataFrame
    keys: dict[str, set[str]]


def _date(provider: str, days: int) -> str:
    return date_text(days, DATE_FORMATS[provider])


class _Book:
    """One provider's people file as rows by person, with new rows appended."""

    def __init__(
        self, provider: str, frame: pd.DataFrame, records: pd.DataFrame, used: set[str]
    ) -> None:
        self.provider = provider
        self.key = PEOPLE_FILES[provider][1]
        self.columns: dict[str, list[str]] = {
            str(c): cast(list[str], frame[c].tolist()) for c in frame.columns
        }
        mine = records[records["provider"] == provider]
        owner = dict(zip(mine["local_key"], mine["person_id"], strict=True))
        duplicate = dict(zip(mine["local_key"], mine["duplicate"], strict=True))
        self.by_person: dict[str, list[int]] = defaultdict(list)
        self.main: dict[int, bool] = {}
        for index, key in enumerate(self.columns[self.key]):
            self.by_person[owner[key]].append(index)
            self.main[index] = duplicate[key] == "0"
        self.taken = set(used)  # every key of the previous extract, withdrawn ones too
        # Start and end day of every row (for the files whose records end), kept in step.
        self.began: list[int] = []
        self.ended: list[int] = []
        if provider in END_COLUMNS:
            fmt = DATE_FORMATS[provider]
            self.began = parse_days(frame[START_COLUMNS[provider]], fmt).tolist()
            self.ended = parse_days(frame[END_COLUMNS[provider][0]], fmt).tolist()
        self.added: list[tuple[str, str]] = []  # (key, person)

    def add(self, person: str, row: dict[str, str], rng: np.random.Generator) -> dict[str, str]:
        prefix, digits = KEY_SHAPES[self.provider]
        key = fresh_keys(prefix, digits, 1, self.taken, rng)[0]
        row = {self.key: key, **row}
        for column, values in self.columns.items():
            values.append(row[column])
        if self.provider in END_COLUMNS:
            fmt = DATE_FORMATS[self.provider]
            self.began.append(day_of(row[START_COLUMNS[self.provider]], fmt))
            self.ended.append(day_of(row[END_COLUMNS[self.provider][0]], fmt))
        index = len(self.columns[self.key]) - 1
        self.by_person[person].append(index)
        self.main[index] = True
        self.added.append((key, person))
        return row

    def current(self, person: str, when: int, main_only: bool = False) -> list[int]:
        """Rows of ``person`` open on day ``when`` (started by then, not ended before)."""
        if self.provider not in END_COLUMNS:
            return [i for i in self.by_person.get(person, []) if self.main[i] or not main_only]
        return [
            index
            for index in self.by_person.get(person, [])
            if (self.main[index] or not main_only) and self.began[index] <= when < self.ended[index]
        ]

    def end(self, indices: list[int], when: int, reason: str) -> None:
        end, why = END_COLUMNS[self.provider]
        for index in indices:
            self.columns[end][index] = _date(self.provider, when)
            self.columns[why][index] = reason
            self.ended[index] = when

    def row(self, index: int) -> dict[str, str]:
        return {column: values[index] for column, values in self.columns.items()}

    def frame(self, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame({c: np.array(self.columns[c], dtype=object) for c in columns})


def apply_life(
    frames: dict[str, pd.DataFrame],
    records: pd.DataFrame,
    people: pd.DataFrame,
    rates: RefreshRates,
    previous: Previous,
    changes: Changes,
) -> NewRows:
    """Write births, arrivals, moves, departures, deaths and marriages into the files."""
    books = {
        p: _Book(p, frames[p], records, set(previous.people_file(p)[PEOPLE_FILES[p][1]]))
        for p in PROVIDERS
    }
    rng = previous.rng("records")
    config = previous.config
    first, last = previous.window
    newcomers = people[people["_kind"] != ""].sort_values("person_id")
    alive = (people["_death"] > last) & (people["_left"] > last)
    household_size = people[alive].groupby("household_id").size().to_dict()
    for person_id in newcomers["person_id"]:
        data = people.loc[person_id]
        start = int(data["_start"])
        if data["_kind"] == "born":
            mother = books["health"].current(str(data["_mother"]), first, main_only=True)
            if not mother or rng.random() < config.population.gp_unregistered_share:
                continue
            template = books["health"].row(mother[0])
            if int(data["_move"]) < start:
                _register(books["health"], data, start, rng, template=None)
            else:
                _register(books["health"], data, start, rng, template=template)
            continue
        if rng.random() >= config.population.gp_unregistered_share:
            _register(books["health"], data, min(start + int(rng.integers(0, 30)), last), rng, None)
        age = (start - int(data["_dob"])) / DAYS_PER_YEAR
        if data.get("_role") == "head" and rng.random() < rates.arrival_social:
            size = int(household_size.get(data["household_id"], 1))
            _new_tenancy(books["housing"], data, start, size, rng, config.population)
        if 16 <= age < 67 and rng.random() < rates.arrival_customer:
            _new_customer(books["employment"], data, rng)

    window = (
        people[["_move", "_left", "_death", "_name_day"]].gt(first)
        & people[["_move", "_left", "_death", "_name_day"]].le(last)
    ).any(axis=1)
    for person_id in sorted(people.index[window.to_numpy()]):
        data = people.loc[person_id]
        start = int(data["_start"])
        events = sorted(
            (int(data[column]), kind)
            for column, kind in (
                ("_name_day", "name"),
                ("_move", "move"),
                ("_left", "left"),
                ("_death", "died"),
            )
            if first < int(data[column]) <= last and int(data[column]) > start
        )
        for when, kind in events:
            if kind == "name":
                _rename(books, str(person_id), data, when)
            elif kind == "move":
                size = int(household_size.get(data["household_id"], 1))
                _move(books, str(person_id), data, when, rates, rng, size, config.population)
            else:
                for provider in END_COLUMNS:
                    book = books[provider]
                    book.end(book.current(str(person_id), when), when, REASONS[provider][kind])

    new_records = [
        {
            "provider": provider,
            "file": PEOPLE_FILES[provider][0],
            "local_key": key,
            "person_id": person,
            "duplicate": "0",
            "errors": "",
        }
        for provider in PROVIDERS
        for key, person in books[provider].added
    ]
    return NewRows(
        {p: books[p].frame(list(frames[p].columns)) for p in PROVIDERS},
        pd.DataFrame(new_records, columns=list(records.columns)),
        {p: {k for k, _ in books[p].added} for p in PROVIDERS},
    )


def _practice(lsoa_code: str) -> str:
    return f"B{10_000 + (int(lsoa_code[3:]) - 40_000) // 3}"


def _register(
    book: _Book,
    data: pd.Series,
    when: int,
    rng: np.random.Generator,
    template: dict[str, str] | None,
) -> None:
    """A new GP registration from ``when``: at the template's practice and address, or at
    the person's new address."""
    where = (
        {k: template[k] for k in ("practice_code", "postcode", "lsoa_code", "imd_decile")}
        if template is not None
        else {
            "practice_code": _practice(str(data["_lsoa"])),
            "postcode": str(data["_postcode"]),
            "lsoa_code": str(data["_lsoa"]),
            "imd_decile": str(data["_imd"]),
        }
    )
    book.add(
        str(data["person_id"]),
        {
            "practice_code": where["practice_code"],
            "nhs_number": str(data["nhs_number"]),
            "forename": true_value("health", "forename", data),
            "surname": true_value("health", "surname", data),
            "date_of_birth": true_value("health", "dob", data),
            "sex": str(data["sex"]),
            "postcode": where["postcode"],
            "registration_date": _date("health", when),
            "deregistration_date": "",
            "deregistration_reason": "",
            "lsoa_code": where["lsoa_code"],
            "imd_decile": where["imd_decile"],
            "ltc_count": str(data["ltc_count"]),
        },
        rng,
    )


def _title(data: pd.Series) -> str:
    if data["sex"] == "M":
        return "Mr"
    return "Mrs" if data["surname"] != data["birth_surname"] else "Ms"


def _new_tenancy(
    book: _Book, data: pd.Series, when: int, size: int, rng: np.random.Generator, population: object
) -> None:
    holds_ni = rng.random() < getattr(population, "landlord_holds_ni_share", 0.6)
    book.add(
        str(data["person_id"]),
        {
            "landlord": landlord_of(str(data["_district"])),
            "tenant_title": _title(data),
            "tenant_forename": true_value("housing", "forename", data),
            "tenant_surname": true_value("housing", "surname", data),
            "tenant_dob": true_value("housing", "dob", data),
            "tenant_ni_number": str(data["ni_number"]) if holds_ni else "",
            "address_line_1": str(data["_street"]),
            "address_line_2": str(data["_town"]),
            "postcode": str(data["_postcode"]),
            "uprn": str(data["_uprn"]),
            "district": str(data["_district"]),
            **tenancy_home(rng, size),
            "tenancy_start": _date("housing", when),
            "tenancy_end": "",
            "end_reason": "",
        },
        rng,
    )


def _new_customer(book: _Book, data: pd.Series, rng: np.random.Generator) -> None:
    book.add(
        str(data["person_id"]),
        {
            "ni_number": str(data["ni_number"]),
            "first_name": true_value("employment", "forename", data),
            "last_name": true_value("employment", "surname", data),
            "dob": true_value("employment", "dob", data),
            "gender": "2" if data["sex"] == "F" else "1",
            "postcode": str(data["_postcode"]),
        },
        rng,
    )


def _rename(books: dict[str, _Book], person: str, data: pd.Series, when: int) -> None:
    for provider in PROVIDERS:
        book = books[provider]
        column = {"health": "surname", "housing": "tenant_surname", "employment": "last_name"}
        for index in book.current(person, when, main_only=True):
            book.columns[column[provider]][index] = true_value(provider, "surname", data)
            titles = book.columns.get("tenant_title")
            if titles is not None and titles[index] in ("Miss", "Ms"):
                titles[index] = "Mrs"


def _move(
    books: dict[str, _Book],
    person: str,
    data: pd.Series,
    when: int,
    rates: RefreshRates,
    rng: np.random.Generator,
    size: int,
    population: object,
) -> None:
    health = books["health"]
    registered = health.current(person, when, main_only=True)
    health.end(health.current(person, when), when, "moved")
    if registered:
        _register(health, data, when, rng, template=None)
    housing = books["housing"]
    tenancies = housing.current(person, when, main_only=True)
    housing.end(housing.current(person, when), when, "moved_out")
    if tenancies and rng.random() < rates.social_transfer:
        _new_tenancy(housing, data, when, max(size, 1), rng, population)
    employment = books["employment"]
    for index in employment.current(person, when, main_only=True):
        employment.columns["postcode"][index] = str(data["_postcode"])
