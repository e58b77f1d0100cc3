"""Dates of birth in the formats providers send, to ISO 8601.

Each provider declares its format; :func:`normalise_date` also accepts ISO 8601 so
that normalising twice gives the same result. A date that does not parse, or is
implausible as a date of birth (before 1880 or in the future), is *invalid*: the
caller keeps the raw text and marks it, it is never silently dropped.
"""

from __future__ import annotations

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


def normalise_date(value: str | None, fmt: str | None = None) -> tuple[str, bool]:
    """``(iso_text, valid)``: ISO 8601 when valid, else the stripped original text."""
    parsed = parse_date(value, fmt)
    if parsed is None or not is_plausible_birth_date(parsed):
        return (value or "").strip(), False
    return parsed.strftime(ISO), True
