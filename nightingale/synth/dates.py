"""Dates as integer days since 1970-01-01, and fast formatting in each provider's style.

Millions of dates are written per chunk; formatting each with ``strftime`` costs about a
microsecond. Every date the generator can produce lies between 1900 and 2040, so each
format is rendered once into a lookup table and columns are formatted by indexing it.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = dt.date(1970, 1, 1)
LOWEST = dt.date(1900, 1, 1)
HIGHEST = dt.date(2040, 12, 31)
DAYS_PER_YEAR = 365.25

ISO = "%Y-%m-%d"
SLASHED = "%d/%m/%Y"
COMPACT = "%Y%m%d"
YEAR_MONTH = "%Y%m"


def day(value: dt.date) -> int:
    """Days since 1970-01-01."""
    return (value - EPOCH).days


def to_date(days: int) -> dt.date:
    """The calendar date of a day number."""
    return EPOCH + dt.timedelta(days=int(days))


_LOW = day(LOWEST)
_HIGH = day(HIGHEST)


@lru_cache(maxsize=8)
def _table(fmt: str) -> pa.Array:
    days = pa.array(np.arange(_LOW, _HIGH + 1, dtype=np.int32)).cast(pa.date32())
    return pc.strftime(days, format=fmt)


def format_days(days: npt.ArrayLike, fmt: str, missing: npt.ArrayLike | None = None) -> pa.Array:
    """Format day numbers; ``missing`` (bool mask) rows become nulls (empty in CSV)."""
    values = np.asarray(days, dtype=np.int64)
    if len(values) and (values.min() < _LOW or values.max() > _HIGH):
        raise ValueError(f"dates outside {LOWEST}..{HIGHEST} cannot be formatted")
    mask = None if missing is None else np.asarray(missing, dtype=bool)
    index = pa.array(values - _LOW, mask=mask)
    return _table(fmt).take(index)


def year_month_day(
    days: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Calendar year, month (1-12) and day (1-31) of day numbers."""
    as_dates = np.asarray(days, dtype="int64").astype("datetime64[D]")
    years = as_dates.astype("datetime64[Y]")
    months = as_dates.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    dom = (as_dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, dom


def from_ymd(
    year: npt.NDArray[np.int64], month: npt.NDArray[np.int64], dom: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Day numbers of calendar dates (the caller guarantees they exist)."""
    months = (year - 1970) * 12 + (month - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return np.asarray(first + dom - 1, dtype=np.int64)


def month_index(days: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Months since January 1970 (for monthly processes)."""
    return np.asarray(
        np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]"),
        dtype=np.int64,
    )


def month_start(months: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Day number of the first day of each month index."""
    return np.asarray(
        np.asarray(months, dtype="int64").astype("datetime64[M]").astype("datetime64[D]"),
        dtype=np.int64,
    )
