"""Building blocks of provider schemas (pandera) and the spec of a provider's files.

Every column is read as text; checks say what the text must look like. Identifier
columns carry no format checks here: a malformed date of birth or NHS number is kept
and marked invalid by the normalisers, not quarantined. What quarantines a row is a
broken key, a missing required value or content outside its domain: data the content
zone cannot hold truthfully.

Check functions have distinctive names: pandera dispatches checks by function name, and
a function called like a built-in check (``in_range``) is taken for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc

from nightingale.linkage.extracts import TEXT


def text(
    *checks: pa.Check,
    required: bool = False,
    unique: bool = False,
    kind: dict[str, str] | None = None,
) -> pa.Column:
    """A text column (missing allowed unless ``required``).

    ``kind`` (``{"type": "date", "format": ...}``, ``{"type": "integer"}``,
    ``{"type": "decimal"}``) says how ingest types the column in the content zone.
    """
    return pa.Column(
        TEXT,
        checks=list(checks),
        nullable=not required,
        unique=unique,
        metadata=kind or {"type": "string"},
    )


def key(pattern: str, unique: bool = False) -> pa.Column:
    """A required key column matching ``pattern`` (e.g. ``^P\\d{9}$``)."""
    return text(pa.Check.str_matches(pattern), required=True, unique=unique)


def one_of(values: Sequence[str], required: bool = False) -> pa.Column:
    """A column whose values come from a fixed list."""
    return text(pa.Check.isin(list(values), name=f"one of {'/'.join(values)}"), required=required)


def _arrow(series: pd.Series) -> pyarrow.Array:
    return pyarrow.array(series, type=pyarrow.string())


def _mask(series: pd.Series, valid: pyarrow.Array) -> pd.Series:
    """``valid`` where a value is present, True where it is missing (nullability is separate)."""
    filled = pc.fill_null(valid, False).to_numpy(zero_copy_only=False)
    return pd.Series(filled, index=series.index) | series.isna()


def date(fmt: str, required: bool = False) -> pa.Column:
    """A date column in the provider's ``fmt``."""

    def parses_as_date(series: pd.Series) -> pd.Series:
        parsed = pc.strptime(_arrow(series), format=fmt, unit="s", error_is_null=True)
        return _mask(series, pc.is_valid(parsed))

    return text(
        pa.Check(parses_as_date, name=f"date {fmt}"),
        required=required,
        kind={"type": "date", "format": fmt},
    )


def integer(low: int, high: int, required: bool = False) -> pa.Column:
    """A whole number in ``low..high``."""

    def whole_number_between(series: pd.Series) -> pd.Series:
        values = _arrow(series)
        digits = pc.match_substring_regex(values, r"^[0-9]{1,9}$")
        numbers = pc.cast(pc.if_else(digits, values, None), pyarrow.int64())
        return _mask(series, pc.and_(pc.greater_equal(numbers, low), pc.less_equal(numbers, high)))

    return text(
        pa.Check(whole_number_between, name=f"whole number {low}..{high}"),
        required=required,
        kind={"type": "integer"},
    )


def decimal(low: float, required: bool = False) -> pa.Column:
    """A number at least ``low``."""

    def number_at_least(series: pd.Series) -> pd.Series:
        values = _arrow(series)
        numeric = pc.match_substring_regex(values, r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$")
        numbers = pc.cast(pc.if_else(numeric, values, None), pyarrow.float64())
        return _mask(series, pc.greater_equal(numbers, low))

    return text(
        pa.Check(number_at_least, name=f"number >= {low:g}"),
        required=required,
        kind={"type": "decimal"},
    )


@dataclass(frozen=True)
class PeopleFile:
    """A provider's people file: local key, identifier columns and their fields."""

    name: str
    key: str
    schema: pa.DataFrameSchema
    #: identifier field -> the columns that make it (joined with a space when several)
    identifiers: dict[str, tuple[str, ...]]
    #: identifier columns kept in the linkage zone that are not linkage fields
    extra_identifiers: tuple[str, ...] = ()

    @property
    def identifier_columns(self) -> set[str]:
        used = {c for columns in self.identifiers.values() for c in columns}
        return used | set(self.extra_identifiers)


@dataclass(frozen=True)
class EventFile:
    """An event file: content keyed by the people file's local key."""

    name: str
    key: str
    schema: pa.DataFrameSchema


@dataclass(frozen=True)
class ProviderSpec:
    """Everything ingest needs to know about one provider."""

    name: str
    date_format: str
    people: PeopleFile
    events: tuple[EventFile, ...] = field(default=())

    def file(self, file_name: str) -> PeopleFile | EventFile:
        """The spec of ``file_name`` (a people or event file of this provider)."""
        from nightingale.platform.errors import NightingaleError

        files: list[PeopleFile | EventFile] = [self.people, *self.events]
        for spec in files:
            if spec.name == file_name:
                return spec
        known = ", ".join(s.name for s in files)
        raise NightingaleError(
            f"{file_name}: not a {self.name} extract file (expected one of: {known})"
        )
