"""Small vectorised helpers shared by the three providers' extract writers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from nightingale.synth.config import ErrorRates, QuirkRates
from nightingale.synth.corruption import Identity, Recorded, corrupt, duplicated_rows
from nightingale.synth.identifiers import spaced_nhs, spaced_ni
from nightingale.synth.writer import CsvFiles

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]


@dataclass
class PeopleRows:
    """Rows of a people file: which source row each copies, and duplicate flags."""

    source: IntArray  # index into the un-duplicated rows
    duplicate: BoolArray
    duplicate_of: IntArray  # for each un-duplicated row: its duplicate's row, or -1

    @classmethod
    def with_duplicates(cls, rows: int, rate: float, rng: np.random.Generator) -> PeopleRows:
        extra = duplicated_rows(rows, rate, rng)
        source = np.concatenate([np.arange(rows, dtype=np.int64), extra])
        duplicate = np.zeros(len(source), dtype=bool)
        duplicate[rows:] = True
        duplicate_of = np.full(rows, -1, dtype=np.int64)
        duplicate_of[extra] = rows + np.arange(len(extra))
        return cls(source, duplicate, duplicate_of)

    def file_events(
        self, original_row: IntArray, share: float, rng: np.random.Generator
    ) -> IntArray:
        """Row each event is filed under: some go to the record's duplicate."""
        twin = self.duplicate_of[original_row]
        moved = (twin >= 0) & (rng.random(len(original_row)) < share)
        return np.where(moved, twin, original_row)


def record(
    identity: Identity, rows: PeopleRows, errors: ErrorRates, rng: np.random.Generator
) -> Recorded:
    """Corrupt the identifiers of every row (duplicates independently of their originals)."""
    take = rows.source
    copied = Identity(
        forename=identity.forename[take],
        surname=identity.surname[take],
        birth_surname=identity.birth_surname[take],
        dob=identity.dob[take],
        postcode=identity.postcode[take],
        previous_postcode=identity.previous_postcode[take],
        nhs=None if identity.nhs is None else identity.nhs[take],
        ni=None if identity.ni is None else identity.ni[take],
    )
    return corrupt(copied, errors, rng)


def append_truth(
    truth: CsvFiles,
    provider: str,
    file: str,
    keys: npt.NDArray[np.str_],
    global_index: IntArray,
    rows: PeopleRows,
    recorded: Recorded,
) -> None:
    """``truth/records.csv`` rows: each people-file row's true person and its errors."""
    truth.append(
        "truth/records.csv",
        {
            "provider": np.full(len(keys), provider, dtype=object),
            "file": np.full(len(keys), file, dtype=object),
            "local_key": keys,
            "person_id": person_ids(global_index),
            "duplicate": rows.duplicate,
            "errors": recorded.errors,
        },
    )


def quirky_postcodes(
    postcodes: ObjectArray, quirks: QuirkRates, rng: np.random.Generator
) -> ObjectArray:
    """Some postcodes without the space, some in lower case (None stays None)."""
    out = postcodes.copy()
    unspaced = rng.random(len(out)) < quirks.postcode_unspaced
    lower = rng.random(len(out)) < quirks.postcode_lower
    for row in np.flatnonzero(unspaced | lower):
        value = out[row]
        if value is None:
            continue
        if unspaced[row]:
            value = value.replace(" ", "")
        if lower[row]:
            value = value.lower()
        out[row] = value
    return out


def quirky_numbers(
    numbers: ObjectArray, rate: float, nhs: bool, rng: np.random.Generator
) -> ObjectArray:
    """Some NHS / NI numbers written with spaces."""
    out = numbers.copy()
    spacer = spaced_nhs if nhs else spaced_ni
    for row in np.flatnonzero(rng.random(len(out)) < rate):
        if out[row] is not None:
            out[row] = spacer(out[row])
    return out


def blank_where(mask: BoolArray, values: ObjectArray) -> ObjectArray:
    """A copy of ``values`` with None (an empty field) where ``mask`` is true."""
    out = np.array(values, dtype=object)
    out[mask] = None
    return out


def upper(values: ObjectArray) -> ObjectArray:
    return np.array([None if v is None else v.upper() for v in values], dtype=object)


def pick(keys: npt.NDArray[np.str_] | ObjectArray, rows: IntArray) -> pa.Array:
    """Keys of the given rows, as an Arrow column (fast for millions of events)."""
    return pa.array(keys, type=pa.string()).take(pa.array(rows))


def money(pence: IntArray) -> pa.Array:
    """Pence as pounds with two decimals (``2143.27``)."""
    pounds = pc.cast(pa.array(pence // 100), pa.string())
    rest = pc.utf8_lpad(pc.cast(pa.array(pence % 100), pa.string()), 2, "0")
    return pc.binary_join_element_wise(pounds, rest, ".")


def person_ids(global_index: IntArray) -> ObjectArray:
    """True person keys used only in ``truth/``."""
    return np.array([f"N{i:08d}" for i in global_index], dtype=object)
