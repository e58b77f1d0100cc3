"""National Insurance numbers: format ``AB123456C``.

The first letter is not D, F, I, Q, U or V; the second not D, F, I, O, Q, U or V; the
pairs BG, GB, KN, NK, NT, TN and ZZ are never issued; six digits follow, then a suffix
A-D. Spaces are removed and letters upper-cased. An invalid number is kept, marked
invalid, and never used for deterministic linkage.
"""

from __future__ import annotations

import re

_FORMAT = re.compile(r"^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$")


def normalise_ni_number(value: str | None) -> tuple[str, bool]:
    """``(number, valid)`` with spaces removed and letters upper-cased."""
    if not value:
        return "", False
    text = "".join(value.split()).upper()
    return text, bool(_FORMAT.match(text))
