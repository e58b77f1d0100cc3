"""Hunting what must never leave: pure scanners over one piece of text.

Each scanner takes a string (a table cell, a line of a summary, the text of an SVG element
or a PNG text chunk) and returns what it found; :class:`Hunter` turns the hits into
findings that name the place. Found values are never repeated in a finding's detail (a
checker does not need to read a pseudonym or a postcode to act on it), only what they are.

- identifiers: every ``pid`` value of the named release (and record ids), found as a
  substring anywhere, in any letter case, whatever the column is called;
- pseudonym-shaped tokens: 32 hex characters that are not a known pid (review);
- full dates (day, month and year in the usual written forms);
- full postcodes (below sector level: ``LS6 2AB``; the sector ``LS6 2`` is fine);
- free text: a table cell longer than ``SdcSettings.max_text_length``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from nightingale.governance.filecheck.verdict import BLOCK, REVIEW, Finding
from nightingale.governance.settings import SdcSettings

PID_SHAPE = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32}(?![0-9a-fA-F])")

# Royal Mail's shape of a full postcode: the outward code (area and district) and the
# inward code (sector digit and the two unit letters, never C I K M O V).
_OUTWARD = (
    r"[A-PR-UWYZ](?:[0-9][0-9]?|[A-HK-Y][0-9][0-9]?|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
POSTCODE = re.compile(
    rf"(?<![A-Za-z0-9])(?:{_OUTWARD}[ \t\u00a0]{{0,2}}{_INWARD}|GIR ?0AA)(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def _is_ordinal(inward: str) -> bool:
    """Whether a lower-case inward code reads as an ordinal: ``2nd``, ``3rd``, ``4th``, ``1st``."""
    suffix = {"1": "st", "2": "nd", "3": "rd"}.get(inward[0], "th")
    return inward.islower() and inward[1:] == suffix


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_YMD = re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
_DMY = re.compile(r"(?<!\d)(?<!\d\.)(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?!\d)(?!\.\d)")
_D_MONTH_Y = re.compile(
    rf"(?<![\w])(\d{{1,2}})(?:st|nd|rd|th)?[ -]({_MONTH})\.?,?[ -](\d{{4}})(?!\d)", re.IGNORECASE
)
_MONTH_D_Y = re.compile(
    rf"(?<![\w])({_MONTH})\.? (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})(?!\d)", re.IGNORECASE
)
BIRTH_WORDS = re.compile(r"(?<![a-z])(dob|d\.o\.b|birth|born)", re.IGNORECASE)
#: The date stamp statsmodels prints in every summary (``Date: Mon, 15 Jan 2024``): the
#: day the model was fitted, not a person's date.
_SUMMARY_STAMP = re.compile(r"\bDate:\s+[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4}")


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def find_full_dates(text: str) -> list[str]:
    """Every full date (day, month and year) written in ``text``.

    Forms: ``1980-03-15`` (also with ``/`` or ``.``), ``15/03/1980`` and ``03/15/1980``
    (also with ``-`` or ``.``; two-digit years only with ``/``), ``15 March 1980``,
    ``15-Mar-1980`` and ``March 15, 1980``. A month (``1980-03``) is not a full date.
    """
    found = []
    for m in _YMD.finditer(text):
        if _valid(int(m[1]), int(m[3]), int(m[4])):
            found.append(m[0])
    for m in _DMY.finditer(text):
        first, second, year_text = int(m[1]), int(m[3]), m[4]
        if len(year_text) == 2 and m[2] != "/":
            continue
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        if _valid(year, second, first) or _valid(year, first, second):
            found.append(m[0])
    for m in _D_MONTH_Y.finditer(text):
        if _valid(int(m[3]), _MONTHS[m[2].lower()], int(m[1])):
            found.append(m[0])
    for m in _MONTH_D_Y.finditer(text):
        if _valid(int(m[3]), _MONTHS[m[1].lower()], int(m[2])):
            found.append(m[0])
    return found


def find_postcodes(text: str) -> list[str]:
    """Every full postcode in ``text`` (a sector such as ``LS6 2`` is not one)."""
    found = []
    for m in POSTCODE.finditer(text):
        if _is_ordinal(m[0][-3:]):
            continue  # "b1 2nd" is an ordinal, not a postcode
        found.append(m[0])
    return found


def find_identifiers(
    text: str, hunted: Mapping[str, str], lengths: Sequence[int]
) -> dict[str, str]:
    """Each hunted value (lower-cased key of ``hunted``) found anywhere in ``text``.

    Every window of every hunted length is looked up, so a value is found inside longer
    words, next to other hex digits, in upper case and whatever its column is called.
    """
    if not hunted or not text:
        return {}
    lowered = text.lower()
    found: dict[str, str] = {}
    for length in lengths:
        for start in range(len(lowered) - length + 1):
            kind = hunted.get(lowered[start : start + length])
            if kind is not None:
                found[lowered[start : start + length]] = kind
    return found


def find_pid_shaped(text: str, known: Mapping[str, str]) -> list[str]:
    """Tokens of exactly 32 hex characters (a pseudonym's shape) that are not in ``known``."""
    return [m[0] for m in PID_SHAPE.finditer(text) if m[0].lower() not in known]


def _mask_postcode(postcode: str) -> str:
    compact = postcode.replace(" ", "").replace("\t", "").replace("\u00a0", "").upper()
    return f"{compact[:-3]} {compact[-3]}**"


@dataclass(frozen=True)
class Hunter:
    """Turns scanner hits in one file into findings that name where they are."""

    settings: SdcSettings
    hunted: Mapping[str, str]
    lengths: tuple[int, ...]
    release_id: str | None = None

    def scan(
        self,
        text: str,
        where: str,
        *,
        cell: bool = False,
        birth: bool = False,
        dates_block: bool = False,
        identifiers_only: bool = False,
    ) -> Iterator[Finding]:
        """Findings for one piece of text.

        ``cell``: a table cell (long text is free text); ``birth``: the text is about a
        birth date (a column named for it, or the word near it), so any full date blocks;
        ``dates_block``: a full date blocks here (table cells: a release holds months
        only, so a day-level date in a table came from somewhere it should not);
        ``identifiers_only``: hunt only exact identifier values (for markup and scripts,
        where patterns would fire on styling).
        """
        release = f" of release {self.release_id}" if self.release_id else ""
        for kind in sorted(set(find_identifiers(text, self.hunted, self.lengths).values())):
            rule = "pseudonym" if "pid" in kind else "record-id"
            yield Finding(rule, where, f"{kind}{release} must never leave", BLOCK)
        if identifiers_only:
            return
        if find_pid_shaped(text, self.hunted):
            yield Finding(
                "pseudonym-shaped",
                where,
                "32 hex characters, the shape of a pseudonym: check it is not one",
                REVIEW,
            )
        for postcode in find_postcodes(text):
            yield Finding(
                "postcode",
                where,
                f"a full postcode ({_mask_postcode(postcode)}); sector level is the finest "
                "that may leave",
                BLOCK,
            )
        dates = find_full_dates(_SUMMARY_STAMP.sub("", text))
        if dates:
            born = birth or bool(BIRTH_WORDS.search(text))
            if born:
                yield Finding("date-of-birth", where, "a date of birth", BLOCK)
            elif dates_block:
                yield Finding(
                    "full-date",
                    where,
                    "a full date (day, month and year) in a table: months or years only",
                    BLOCK,
                )
            else:
                yield Finding(
                    "full-date",
                    where,
                    "a full date (day, month and year): check it is not about a person",
                    REVIEW,
                )
        limit = self.settings.max_text_length
        if cell and len(text.strip()) > limit:
            yield Finding(
                "free-text",
                where,
                f"{len(text.strip())} characters of free text (limit {limit})",
                BLOCK,
            )
