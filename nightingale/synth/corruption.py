"""Identifier errors of the kinds real extracts carry, with every error recorded.

Each error is drawn independently per row at its configured rate among the rows where it
can happen, and the names of the errors applied to a row go to ``truth/records.csv``,
so tests and linkage-quality reports can compare what was done with what is measured.
Errors keep values well-formed where real systems would (a mistyped date of birth is
still a date; a mistyped NI number still has a valid format), except the NHS number,
whose wrong digit makes the Modulus 11 check fail as it does in real data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nightingale.synth.config import ErrorRates
from nightingale.synth.dates import from_ymd, year_month_day
from nightingale.synth.geography import INWARD_LETTERS
from nightingale.synth.names import NICKNAMES

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass
class Identity:
    """True identifiers of each people-file row (before any error)."""

    forename: ObjectArray
    surname: ObjectArray
    birth_surname: ObjectArray  # equals surname when the person has no other
    dob: IntArray
    postcode: ObjectArray
    previous_postcode: ObjectArray  # "" when the person has not moved
    nhs: ObjectArray | None = None
    ni: ObjectArray | None = None  # None entries for people without one


@dataclass
class Recorded:
    """Identifiers as the provider recorded them; ``None`` / ``dob_missing`` = missing."""

    forename: ObjectArray
    surname: ObjectArray
    dob: IntArray
    dob_missing: BoolArray
    postcode: ObjectArray
    nhs: ObjectArray | None
    ni: ObjectArray | None
    errors: ObjectArray


def duplicated_rows(rows: int, rate: float, rng: np.random.Generator) -> IntArray:
    """Rows that get a second record (a duplicate) in the same source."""
    return np.flatnonzero(rng.random(rows) < rate).astype(np.int64)


def typo(text: str, rng: np.random.Generator) -> str:
    """One keyboard slip: substitute, delete, transpose or insert a letter."""
    if len(text) < 2:
        return text + _LETTERS[int(rng.integers(0, 26))]
    position = int(rng.integers(1, len(text)))
    kind = int(rng.integers(0, 4))
    letter = _LETTERS[int(rng.integers(0, 26))]
    if kind == 0:
        if text[position].lower() == letter:
            letter = _LETTERS[(_LETTERS.index(letter) + 1) % 26]
        return text[:position] + letter + text[position + 1 :]
    if kind == 1 and len(text) > 2:
        return text[:position] + text[position + 1 :]
    if kind == 2 and text[position - 1] != text[position]:
        return text[: position - 1] + text[position] + text[position - 1] + text[position + 1 :]
    return text[:position] + letter + text[position:]


def _wrong_digit(text: str, positions: range, rng: np.random.Generator) -> str:
    index = positions[int(rng.integers(0, len(positions)))]
    digit = (int(text[index]) + int(rng.integers(1, 10))) % 10
    return text[:index] + str(digit) + text[index + 1 :]


def _postcode_typo(postcode: str, rng: np.random.Generator) -> str:
    """Change one character of the inward code (digit for digit, letter for letter)."""
    index = len(postcode) - 1 - int(rng.integers(0, 3))
    old = postcode[index]
    if old.isdigit():
        new = str((int(old) + int(rng.integers(1, 10))) % 10)
    else:
        choices = [c for c in INWARD_LETTERS if c != old]
        new = choices[int(rng.integers(0, len(choices)))]
    return postcode[:index] + new + postcode[index + 1 :]


class _Log:
    def __init__(self, rows: int) -> None:
        self.names: list[list[str]] = [[] for _ in range(rows)]

    def add(self, rows: IntArray, name: str) -> None:
        for row in rows:
            self.names[row].append(name)

    def joined(self) -> ObjectArray:
        return np.array([";".join(n) for n in self.names], dtype=object)


def corrupt(identity: Identity, rates: ErrorRates, rng: np.random.Generator) -> Recorded:
    """Apply every identifier error at its rate; return recorded values and the log."""
    n = len(identity.forename)
    log = _Log(n)

    def pick(eligible: BoolArray, rate: float, name: str) -> IntArray:
        rows = np.flatnonzero(eligible & (rng.random(n) < rate))
        log.add(rows, name)
        return rows

    everyone = np.ones(n, dtype=bool)
    forename = identity.forename.copy()
    has_nickname = np.array([f in NICKNAMES for f in forename], dtype=bool)
    for row in pick(has_nickname, rates.nickname, "nickname"):
        options = NICKNAMES[forename[row]]
        forename[row] = options[int(rng.integers(0, len(options)))]
    for row in pick(everyone, rates.forename_typo, "forename_typo"):
        forename[row] = typo(forename[row], rng)
    forename[pick(everyone, rates.forename_missing, "forename_missing")] = None

    surname = identity.surname.copy()
    other = identity.birth_surname != identity.surname
    rows = pick(other, rates.birth_surname, "birth_surname")
    surname[rows] = identity.birth_surname[rows]
    for row in pick(everyone, rates.surname_typo, "surname_typo"):
        surname[row] = typo(surname[row], rng)

    dob = identity.dob.copy()
    year, month, dom = year_month_day(dob)
    swappable = (dom <= 12) & (dom != month)
    rows = pick(swappable, rates.dob_day_month_swapped, "dob_day_month_swapped")
    dob[rows] = from_ymd(year[rows], dom[rows], month[rows])
    rows = pick(everyone, rates.dob_digit, "dob_digit")
    year, month, dom = year_month_day(dob[rows])
    in_year = rng.random(len(rows)) < 0.5
    new_year = year - year % 10 + (year % 10 + rng.integers(1, 10, len(rows))) % 10
    new_day = (np.minimum(dom, 28) - 1 + rng.integers(1, 28, len(rows))) % 28 + 1
    dom = np.where(in_year, np.minimum(dom, 28), new_day)
    dob[rows] = from_ymd(np.where(in_year, new_year, year), month, dom)
    dob_missing = np.zeros(n, dtype=bool)
    dob_missing[pick(everyone, rates.dob_missing, "dob_missing")] = True

    postcode = identity.postcode.copy()
    rows = pick(identity.previous_postcode != "", rates.postcode_old, "postcode_old")
    postcode[rows] = identity.previous_postcode[rows]
    for row in pick(everyone, rates.postcode_typo, "postcode_typo"):
        postcode[row] = _postcode_typo(postcode[row], rng)
    postcode[pick(everyone, rates.postcode_missing, "postcode_missing")] = None

    nhs = None
    if identity.nhs is not None:
        nhs = identity.nhs.copy()
        for row in pick(everyone, rates.nhs_number_digit, "nhs_number_digit"):
            nhs[row] = _wrong_digit(nhs[row], range(10), rng)
        nhs[pick(everyone, rates.nhs_number_missing, "nhs_number_missing")] = None
    ni = None
    if identity.ni is not None:
        ni = identity.ni.copy()
        held = np.array([v is not None for v in ni], dtype=bool)
        for row in pick(held, rates.ni_number_digit, "ni_number_digit"):
            ni[row] = _wrong_digit(ni[row], range(2, 8), rng)
        ni[pick(held, rates.ni_number_missing, "ni_number_missing")] = None
    return Recorded(forename, surname, dob, dob_missing, postcode, nhs, ni, log.joined())
