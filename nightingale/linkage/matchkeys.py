"""Match keys: the token table Splink links, derived from normalised identifiers.

Splink compares tokens for equality only, so partial agreement has to be encoded as
more tokens, each of a derived key (see ARCHITECTURE.md, "keyed pseudonyms"):

- names: the compact name, the canonical names its first word may be a nickname of, a phonetic code
  (metaphone), the parts of multi-part surnames, and the *deletion neighbourhood*
  (the name with each one character removed). Two names share a deletion variant
  exactly when one edit (insertion, deletion, substitution or swap of neighbours) or
  two deletions separate them, so a set intersection of keyed variants measures
  "nearly the same spelling" without ever revealing the spelling.
- date of birth: the date, its digits' deletion neighbourhood (one mistyped digit),
  the date with day and month swapped, the year and month, and the year (for blocking).
- postcode: the postcode, its deletion neighbourhood, sector, district and area (people
  who move mostly move nearby).
- sex: the sex, and a second key present only for women (``fn_may_change``): a woman's
  records may carry her birth or her married surname, so a family name that differs
  between two women's records is weaker evidence than between two men's.
- address: the whole address and its set of words.
- NHS and NI numbers: only when they pass their checks (invalid ones would create false
  deterministic links).

Everything is a keyed token (:mod:`.tokens`); each derived key has its own field key.
One column is not a key: ``dob_fits``, a bitmask of the sources (in name order) whose
usual birth years (the central 99 %) include the record's, so that linkage can tell that
a record without a date of birth from an employment extract is not a seven-year-old's
(see :func:`.clustering.second_look`). It says no more than an age band would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jellyfish
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from nightingale.linkage.distinct import factorize
from nightingale.linkage.normalise.names import canonical_given_names, compact, name_parts
from nightingale.linkage.tokens import Tokeniser

#: Scalar token columns (nullable BIGINT) and list-of-token columns (BIGINT[]).
SCALAR_KEYS = (
    "gn",
    "gn_ph",
    "fn",
    "fn_ph",
    "dob",
    "dob_swap",
    "dob_year",
    "dob_ym",
    "sex",
    "fn_may_change",
    "pc",
    "pc_sector",
    "pc_district",
    "pc_area",
    "addr",
    "addr_first",
    "nhs",
    "ni",
)
#: Scalar keys that are nearly unique per person: their values seldom repeat.
FINE_KEYS = ("dob", "dob_swap", "pc", "addr", "nhs", "ni")
LIST_KEYS = ("gn_nick", "gn_del", "fn_del", "fn_parts", "dob_del", "pc_del", "addr_words")
#: Not keys: per-record facts linkage needs besides the tokens.
OTHER_COLUMNS = ("dob_fits",)
#: Birth years outside this central share of a source's are unusual for it.
USUAL_BIRTH_YEARS = (0.005, 0.995)


def deletion_neighbourhood(value: str) -> list[str]:
    """``value`` and every string made by deleting one of its characters (never ``""``)."""
    if not value:
        return []
    variants = [value[:i] + value[i + 1 :] for i in range(len(value))]
    return list(dict.fromkeys(v for v in [value, *variants] if v))


def _phonetic(name: str) -> str:
    return jellyfish.metaphone(name) if name.isascii() and name.isalpha() else name


def _scalar(
    tokeniser: Tokeniser, key: str, column: pd.Series, derive: Callable[[str], str]
) -> pa.Array:
    codes, uniques = factorize(column.fillna("").astype(str).tolist())
    derived = pd.Series([derive(value) if value else "" for value in uniques], dtype="string")
    tokens = tokeniser.tokens(key, derived)
    return pa.array(tokens, type=pa.int64()).take(pa.array(codes))


def _lists(
    tokeniser: Tokeniser, key: str, column: pd.Series, derive: Callable[[str], Sequence[str]]
) -> pa.Array:
    codes, uniques = factorize(column.fillna("").astype(str).tolist())
    derived = [list(derive(value)) if value else [] for value in uniques]
    lists = tokeniser.token_lists(key, derived)
    # An empty list means "not known": NULL, so Splink's null levels see it.
    as_arrow = pa.array([x or None for x in lists], type=pa.list_(pa.int64()))
    return as_arrow.take(pa.array(codes))


def _postcode_area(postcode: str) -> str:
    """The leading letters of a valid postcode (``LS`` of ``LS6 2AB``)."""
    return postcode[: len(postcode) - len(postcode.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))]


def birth_year_fits(valid_dob: pd.Series, sources: pd.Series) -> pa.Array:
    """``dob_fits``: per record with a valid date of birth, bit ``i`` set when its birth
    year is usual for the ``i``-th source in name order (see :data:`USUAL_BIRTH_YEARS`);
    null without a date of birth. A source with no dates of birth fits every year."""
    year = pd.to_numeric(valid_dob.str[:4], errors="coerce").to_numpy(dtype=float)
    codes, _names = pd.factorize(sources.astype(str).to_numpy(), sort=True)
    return year_fits(year, codes)


def year_fits(year: npt.NDArray[np.float64], source_ranks: npt.NDArray[np.integer]) -> pa.Array:
    """:func:`birth_year_fits` from each record's birth year (NaN without one) and its
    source's rank among the source names in order (ranks of absent names may be skipped):
    for a caller holding dates as dates, which need not be written out as text first."""
    fits = np.zeros(len(year), dtype=np.int64)
    known = ~np.isnan(year)
    present = np.flatnonzero(np.bincount(source_ranks, minlength=1))
    for bit, rank in enumerate(present[:63]):
        own = year[(source_ranks == rank) & known]
        usual = np.ones(len(year), dtype=bool)
        if len(own):
            low, high = np.quantile(own, USUAL_BIRTH_YEARS)
            usual = (year >= low) & (year <= high)
        fits |= usual.astype(np.int64) << bit
    return pa.array(fits, mask=~known, type=pa.int64())


def _date_digits(iso: str) -> str:
    return iso.replace("-", "")


def _swap_day_month(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{year}-{day}-{month}"


def match_keys(
    normalised: pd.DataFrame, tokeniser: Tokeniser, ids: pd.Series, sources: pd.Series
) -> pa.Table:
    """The token table for Splink: ``unique_id``, ``source_dataset`` and every match key.

    ``normalised`` is the output of :func:`~.normalise.normalise_identifiers`; dates,
    NHS and NI numbers that failed their checks do not produce date-part or
    deterministic tokens.
    """
    n = normalised
    valid_dob = n["date_of_birth"].where(n["date_of_birth_valid"], "")
    valid_pc = n["postcode"].where(n["postcode_valid"], "")
    given_compact = n["given_name"].map(compact, na_action="ignore")
    family_compact = n["family_name"].map(compact, na_action="ignore")
    columns: dict[str, pa.Array] = {
        "unique_id": pa.array(ids.astype(str).to_numpy(), type=pa.string()),
        "source_dataset": pa.array(sources.astype(str).to_numpy(), type=pa.string()),
        # Given and family names share keys so that swapped names can be recognised.
        "gn": _scalar(tokeniser, "name", given_compact, str),
        "gn_ph": _scalar(tokeniser, "gn_ph", given_compact, _phonetic),
        "fn": _scalar(tokeniser, "name", family_compact, str),
        "fn_ph": _scalar(tokeniser, "fn_ph", family_compact, _phonetic),
        "dob": _scalar(tokeniser, "dob", n["date_of_birth"], str),
        "dob_swap": _scalar(tokeniser, "dob", valid_dob, _swap_day_month),
        "dob_year": _scalar(tokeniser, "dob_year", valid_dob, lambda iso: iso[:4]),
        "dob_ym": _scalar(tokeniser, "dob_ym", valid_dob, lambda iso: iso[:7]),
        "sex": _scalar(tokeniser, "sex", n["sex"], str),
        "fn_may_change": _scalar(
            tokeniser, "fn_may_change", n["sex"].where(n["sex"] == "F", ""), str
        ),
        "pc": _scalar(tokeniser, "pc", n["postcode"], lambda pc: pc.replace(" ", "")),
        "pc_sector": _scalar(tokeniser, "pc_sector", valid_pc, lambda pc: pc[:-2]),
        "pc_district": _scalar(tokeniser, "pc_district", valid_pc, lambda pc: pc.split(" ")[0]),
        "pc_area": _scalar(tokeniser, "pc_area", valid_pc, _postcode_area),
        "addr": _scalar(tokeniser, "addr", n["address"], str),
        "addr_first": _scalar(tokeniser, "addr_first", n["address"], lambda a: a.split(" ")[0]),
        "nhs": _scalar(tokeniser, "nhs", n["nhs_number"].where(n["nhs_number_valid"], ""), str),
        "ni": _scalar(tokeniser, "ni", n["ni_number"].where(n["ni_number_valid"], ""), str),
        "gn_nick": _lists(tokeniser, "gn_nick", n["given_name"], canonical_given_names),
        "gn_del": _lists(tokeniser, "name_del", given_compact, deletion_neighbourhood),
        "fn_del": _lists(tokeniser, "name_del", family_compact, deletion_neighbourhood),
        "fn_parts": _lists(tokeniser, "fn_parts", n["family_name"], name_parts),
        "dob_del": _lists(
            tokeniser,
            "dob_del",
            n["date_of_birth"],
            lambda d: deletion_neighbourhood(_date_digits(d)),
        ),
        "pc_del": _lists(
            tokeniser,
            "pc_del",
            n["postcode"],
            lambda pc: deletion_neighbourhood(pc.replace(" ", "")),
        ),
        "addr_words": _lists(tokeniser, "addr_words", n["address"], lambda a: a.split()),
        "dob_fits": birth_year_fits(valid_dob, sources),
    }
    return pa.table(columns)
