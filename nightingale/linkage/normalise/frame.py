"""Normalise a whole frame of identifier fields, one distinct value at a time.

Extracts repeat values heavily (a region has far fewer distinct names, dates and
postcodes than people), so each normaliser runs once per distinct value and the result
is broadcast back: the 1M-person scale run depends on it.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from nightingale.linkage.distinct import factorize
from nightingale.linkage.fields import IDENTIFIER_FIELDS
from nightingale.linkage.normalise.dates import normalise_date
from nightingale.linkage.normalise.names import normalise_name
from nightingale.linkage.normalise.nhs import normalise_nhs_number
from nightingale.linkage.normalise.ni import normalise_ni_number
from nightingale.linkage.normalise.other import normalise_address, normalise_sex
from nightingale.linkage.normalise.postcodes import normalise_postcode


def _per_distinct(column: pd.Series, function: Callable[[str], object]) -> list[object]:
    codes, uniques = factorize(column.fillna("").astype(str).tolist())
    mapped = [function(value) for value in uniques]
    return [mapped[code] for code in codes]


def _checked(
    frame: pd.DataFrame, field: str, function: Callable[[str], tuple[str, bool]]
) -> tuple[pd.Series, pd.Series]:
    pairs = _per_distinct(frame[field], function)
    values = pd.Series([p[0] for p in pairs], index=frame.index, dtype="string")  # type: ignore[index]
    valid = pd.Series([p[1] for p in pairs], index=frame.index, dtype="bool")  # type: ignore[index]
    return values, valid


def normalise_identifiers(raw: pd.DataFrame, date_format: str | None = None) -> pd.DataFrame:
    """Normalised identifier fields plus ``<field>_valid`` flags for the checked ones.

    ``raw`` may lack any identifier field; a missing field becomes empty strings. Empty
    strings mean "not known"; invalid values stay in the value column with the flag
    ``False``.
    """
    frame = raw.reindex(columns=list(IDENTIFIER_FIELDS))
    out = pd.DataFrame(index=raw.index)
    for field in ("given_name", "family_name"):
        out[field] = pd.Series(
            _per_distinct(frame[field], normalise_name), index=raw.index, dtype="string"
        )
    out["date_of_birth"], out["date_of_birth_valid"] = _checked(
        frame, "date_of_birth", lambda value: normalise_date(value, date_format)
    )
    out["sex"] = pd.Series(
        _per_distinct(frame["sex"], normalise_sex), index=raw.index, dtype="string"
    )
    out["postcode"], out["postcode_valid"] = _checked(frame, "postcode", normalise_postcode)
    out["address"] = pd.Series(
        _per_distinct(frame["address"], normalise_address), index=raw.index, dtype="string"
    )
    out["nhs_number"], out["nhs_number_valid"] = _checked(frame, "nhs_number", normalise_nhs_number)
    out["ni_number"], out["ni_number_valid"] = _checked(frame, "ni_number", normalise_ni_number)
    return out
