"""Dates of birth in the formats providers send, to ISO 8601.

Each provider declares its format; :func:`normalise_date` also accepts ISO 8601 so
that normalising twice gives the same result. A date that does not parse, or is
implausible as a date of birth (before 1880 or in the future), is *invalid*: the
caller keeps the raw text and marks it, it is never silently dropped.
"""

from __future__ import annotations

import re
from datetime import date, datetime

ISO = "%Y-%m-%d"
EARLIEST_BIRTH_YEAR = 1880


def parse_date(value: str | None, fmt: str | None = None) -> date | None:
    """The date ``value`` names in ``fmt`` (or ISO 8601); ``None`` when it does not parse."""
    if not value:
        return None
    text = value.strip()
    for pattern in dict.fromkeys((fmt or ISO, ISO)):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def is_plausible_birth_date(day: date, today: date | None = None) -> bool:
    """Whether ``day`` could be someone's date of birth."""
    return day.year >= EARLIEST_BIRTH_YEAR and day <= (today or date.today())


_PARTS = {"%Y": r"(?P<Y>\d{4})", "%m": r"(?P<m>\d{2})", "%d": r"(?P<d>\d{2})"}


def _shape(fmt: str) -> re.Pattern[str] | None:
    """A regex with the format's year, month and day digits, or None for other formats."""
    pieces = re.split(r"(%[Ymd])", fmt)
    if {p for p in pieces if p.startswith("%")} != set(_PARTS):
        return None
    return re.compile("^" + "".join(_PARTS.get(p, re.escape(p)) for p in pieces) + "$")


def _reordered(text: str, fmt: str | None) -> str | None:
    """An impossible date in the format's shape, its digits put in ISO order."""
    for pattern in dict.fromkeys((fmt or ISO, ISO)):
        shape = _shape(pattern)
        match = shape.match(text) if shape else None
        if match:
            return f"{match['Y']}-{match['m']}-{match['d']}"
    return None


def normalise_date(value: str | None, fmt: str | None = None) -> tuple[str, bool]:
    """``(iso_text, valid)``: ISO 8601 when valid, else the text kept and marked invalid.

    An invalid date in the provider's shape (``31/13/1984``) keeps its digits but in ISO
    order (``1984-13-31``): then a mistyped digit compares like one in a valid date.
    Anything else is kept as written (stripped).
    """
    text = (value or "").strip()
    parsed = parse_date(text, fmt)
    if parsed is None or not is_plausible_birth_date(parsed):
        return _reordered(text, fmt) or text, False
    return parsed.strftime(ISO), True
