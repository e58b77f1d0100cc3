"""Sex and free-text addresses: the small normalisers."""

from __future__ import annotations

from nightingale.linkage.normalise.text import fold

_SEX = {
    "m": "M",
    "male": "M",
    "man": "M",
    "1": "M",
    "f": "F",
    "female": "F",
    "woman": "F",
    "2": "F",
    # Titles imply sex where the provider sends a title instead (housing).
    "mr": "M",
    "mrs": "F",
    "miss": "F",
    "ms": "F",
}


def normalise_sex(value: str | None) -> str:
    """``M``, ``F``, or ``""`` when unknown (``U``, ``9``, blank, anything else)."""
    if not value:
        return ""
    return _SEX.get(fold(value), "")


#: Common street words reduced to one spelling so "Rd" and "Road" agree.
_STREET_WORDS = {
    "rd": "road",
    "st": "street",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "cl": "close",
    "cres": "crescent",
    "cr": "crescent",
    "dr": "drive",
    "ct": "court",
    "pl": "place",
    "sq": "square",
    "gdns": "gardens",
    "tce": "terrace",
    "ter": "terrace",
    "pk": "park",
    "flt": "flat",
    "apt": "flat",
    "apartment": "flat",
}


def normalise_address(value: str | None) -> str:
    """Folded address words with common street abbreviations spelt out."""
    if not value:
        return ""
    return " ".join(_STREET_WORDS.get(word, word) for word in fold(value).split())
