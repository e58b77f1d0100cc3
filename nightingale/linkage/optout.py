"""The national data opt-out list, kept as keyed tokens in the identifier zone.

The health provider supplies the NHS numbers of people who opted out of their
confidential patient information being used for research and planning. Linkage checks
each number (Modulus 11), keeps only its keyed token (HMAC under the ``linkage`` key,
field ``optout:nhs_number``, :mod:`.tokens`) in a sealed file
``linkage/optout/<provider>.bin``, and never writes a number in clear anywhere. A new
load replaces the list (the provider sends the full list each time).

At build, :func:`opted_out_records` tells the build operation which of a version's
records belong to opted-out people, by tokenising that version's sealed NHS numbers
with the same key; the records' ids (not the numbers) leave this module. The provider's
own direct-care uses never read this list: it only filters research releases.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from nightingale.linkage.identifiers import (
    identifier_context,
    identifiers_path,
    read_sealed_table,
    write_sealed_table,
)
from nightingale.linkage.normalise.nhs import normalise_nhs_number
from nightingale.linkage.tokens import PURPOSE, Tokeniser
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import DataRoot, sha256_file

FIELD = "optout:nhs_number"
HEADER = "nhs_number"


class OptOutFileError(NightingaleError):
    """The opt-out file has a row that is not a valid NHS number (named by row, not value)."""


@dataclass(frozen=True)
class OptOutList:
    """What a load wrote: how many distinct people, the sealed file and its checksum."""

    provider: str
    entries: int
    path: Path
    sha256: str


def optout_path(root: DataRoot, provider: str) -> Path:
    """Where ``provider``'s sealed opt-out tokens live."""
    return root.linkage / "optout" / f"{provider}.bin"


def _context(provider: str) -> str:
    return f"optout/{provider}"


def read_numbers(path: Path) -> list[str]:
    """The normalised NHS numbers of an opt-out file, one a line (a ``nhs_number`` header
    and blank lines allowed); raises naming the row of the first invalid one."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise OptOutFileError(f"{path}: cannot read the opt-out file ({exc})") from exc
    numbers = []
    for row_number, row in enumerate(rows, start=1):
        value = row[0].strip() if row else ""
        if not value or (row_number == 1 and value.lower() == HEADER):
            continue
        digits, valid = normalise_nhs_number(value)
        if not valid:
            raise OptOutFileError(
                f"{path}: row {row_number}, field {HEADER}: not a valid NHS number "
                "(10 digits with a Modulus 11 check digit); nothing was loaded"
            )
        numbers.append(digits)
    return numbers


def load_optout(root: DataRoot, keystore: KeyStore, provider: str, path: Path) -> OptOutList:
    """Replace ``provider``'s opt-out list with the numbers in ``path`` (as tokens, sealed)."""
    numbers = sorted(set(read_numbers(path)))
    tokeniser = Tokeniser.from_keystore(keystore)
    tokens = tokeniser.tokens(FIELD, numbers)
    table = pa.table(
        {
            "token": pa.array(tokens.to_numpy(dtype="int64"), pa.int64()),
            "key_id": pa.array([tokeniser.key_id] * len(numbers), pa.string()),
        }
    )
    target = optout_path(root, provider)
    write_sealed_table(target, table, keystore, _context(provider))
    return OptOutList(provider, len(numbers), target, sha256_file(target))


def opted_out_records(root: DataRoot, keystore: KeyStore, provider: str, version: str) -> pa.Array:
    """The record ids of ``provider``'s ``version`` whose NHS number is on the opt-out list.

    Empty when no list was loaded or the version has no identifiers.
    """
    listed = optout_path(root, provider)
    identifiers = identifiers_path(root, provider, version)
    if not listed.is_file() or not identifiers.is_file():
        return pa.array([], pa.string())
    tokens = read_sealed_table(listed, keystore, _context(provider))
    sealed = read_sealed_table(identifiers, keystore, identifier_context(provider))
    if "nhs_number" not in sealed.column_names or tokens.num_rows == 0:
        return pa.array([], pa.string())
    key_ids = pc.unique(tokens["key_id"]).to_pylist()
    matched = pa.array([False] * sealed.num_rows, pa.bool_())
    numbers = sealed["nhs_number"].to_pandas()
    for key_id in key_ids or [keystore.current(PURPOSE).key_id]:
        mine = tokens.filter(pc.equal(tokens["key_id"], key_id))["token"]
        recomputed = Tokeniser.from_keystore(keystore, key_id).tokens(FIELD, numbers)
        column = pa.array(recomputed.astype("Int64"), pa.int64(), from_pandas=True)
        matched = pc.or_(matched, pc.is_in(column, value_set=mine).fill_null(False))
    record_ids = sealed["record_id"].cast(pa.string()).filter(matched)
    del sealed, numbers  # numbers go no further than this function
    return record_ids.combine_chunks() if isinstance(record_ids, pa.ChunkedArray) else record_ids
