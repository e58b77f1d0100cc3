"""Pandera columns for extract text: what each declared type and rule checks.

Every column is read as text; checks say what the text must look like. Identifier
columns carry no checks: a malformed date of birth or NHS number is kept and marked
invalid by the normalisers, not quarantined. What quarantines a row is a broken key, a
missing required value or content outside its domain: data the content zone cannot
hold truthfully.

A check's name is the rule a quarantined row's reason shows. Check functions have
distinctive names: pandera dispatches checks by function name, and a function called
like a built-in check (``in_range``) is taken for it.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def matches(pattern: str) -> pa.Check:
    """Every present value matches ``pattern``."""
    return pa.Check.str_matches(pattern)


def one_of(values: Sequence[str]) -> pa.Check:
    """Every present value is one of ``values``."""
    return pa.Check.isin(list(values), name=f"one of {'/'.join(values)}")


def _arrow(series: pd.Series) -> pyarrow.Array:
    return pyarrow.array(series, type=pyarrow.string())


def _mask(series: pd.Series, valid: pyarrow.Array) -> pd.Series:
    """``valid`` where a value is present, True where it is missing (nullability is separate)."""
    filled = pc.fill_null(valid, False).to_numpy(zero_copy_only=False)
    return pd.Series(filled, index=series.index) | series.isna()


def _within(numbers: pyarrow.Array, low: float | None, high: float | None) -> pyarrow.Array:
    """Whether each number is within the bounds given (a parsed number when none is)."""
    valid = pc.is_valid(numbers)
    if low is not None:
        valid = pc.and_(valid, pc.greater_equal(numbers, low))
    if high is not None:
        valid = pc.and_(valid, pc.less_equal(numbers, high))
    return valid


def _number(value: float) -> str:
    """``5``, ``0``, ``2.5``, ``1000000``: a bound as the rule's name shows it."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _bounds(low: float | None, high: float | None) -> str:
    """`` 1..5``, `` >= 0``, `` <= 9`` or nothing: the rule name's tail."""
    if low is not None and high is not None:
        return f" {_number(low)}..{_number(high)}"
    if low is not None:
        return f" >= {_number(low)}"
    if high is not None:
        return f" <= {_number(high)}"
    return ""


def is_date(fmt: str) -> pa.Check:
    """Every present value is a date in the provider's ``fmt``."""

    def parses_as_date(series: pd.Series) -> pd.Series:
        parsed = pc.strptime(_arrow(series), format=fmt, unit="s", error_is_null=True)
        return _mask(series, pc.is_valid(parsed))

    return pa.Check(parses_as_date, name=f"date {fmt}")


def is_whole_number(low: int | None = None, high: int | None = None) -> pa.Check:
    """Every present value is a whole number within the bounds given."""

    def whole_number_between(series: pd.Series) -> pd.Series:
        values = _arrow(series)
        digits = pc.match_substring_regex(values, r"^[0-9]{1,9}$")
        numbers = pc.cast(pc.if_else(digits, values, None), pyarrow.int64())
        return _mask(series, _within(numbers, low, high))

    return pa.Check(whole_number_between, name=f"whole number{_bounds(low, high)}")


def is_number(low: float | None = None, high: float | None = None) -> pa.Check:
    """Every present value is a decimal number within the bounds given."""

    def number_between(series: pd.Series) -> pd.Series:
        values = _arrow(series)
        numeric = pc.match_substring_regex(values, r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$")
        numbers = pc.cast(pc.if_else(numeric, values, None), pyarrow.float64())
        return _mask(series, _within(numbers, low, high))

    return pa.Check(number_between, name=f"number{_bounds(low, high)}")
