"""UK postcodes: canonical spacing, a format check, and the coarser codes linkage uses.

``sw1a1aa``, ``SW1A 1AA`` and `` sw1a  1aa`` all become ``SW1A 1AA``. The format
check is the published pattern (outward code: area letters, district digits and an
optional letter; inward code: a digit and two letters from a restricted alphabet), plus
``GIR 0AA``. A value that fails is kept in upper-case without spaces and marked
invalid. The outward code (``SW1A``) is the postcode district; the sector adds the
inward digit (``SW1A 1``): both survive a typo in the last two letters.
"""

from __future__ import annotations

import re

_VALID = re.compile(
    r"^(GIR 0AA|[A-PR-UWYZ](?:[0-9][0-9A-HJKMNPR-Y]?|[A-HK-Y][0-9][0-9ABEHMNPRV-Y]?)"
    r" [0-9][ABD-HJLNP-UW-Z]{2})$"
)


def normalise_postcode(value: str | None) -> tuple[str, bool]:
    """``(postcode, valid)``: canonical ``OUTWARD INWARD`` form when valid."""
    if not value:
        return "", False
    squeezed = "".join(char for char in value.upper() if char.isalnum())
    if 5 <= len(squeezed) <= 7 and squeezed.isascii():
        spaced = f"{squeezed[:-3]} {squeezed[-3:]}"
        if _VALID.match(spaced):
            return spaced, True
    return squeezed, False


def outward_code(postcode: str) -> str:
    """The postcode district (``SW1A`` of ``SW1A 1AA``); ``""`` for an invalid postcode."""
    return postcode.split(" ", 1)[0] if " " in postcode else ""


def sector(postcode: str) -> str:
    """The postcode sector (``SW1A 1`` of ``SW1A 1AA``); ``""`` for an invalid postcode."""
    return postcode[:-2] if " " in postcode else ""
