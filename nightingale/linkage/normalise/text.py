"""Unicode folding shared by the name and address normalisers.

Folding makes spellings that people and systems produce for the same name compare
equal: accents dropped (``Zoë`` -> ``zoe``), compatibility forms expanded (``ﬁ`` ->
``fi``), case folded (``ß`` -> ``ss``), letters that Unicode does not decompose mapped
to their usual Latin spelling (``ø`` -> ``o``, ``æ`` -> ``ae``). Punctuation becomes
a space so that ``Smith-Jones`` and ``Smith Jones`` agree. Every function here accepts
any string and never raises.
"""

from __future__ import annotations

import unicodedata

_SPECIAL = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "ı": "i",
        "ħ": "h",
        "ŧ": "t",
        "ŋ": "n",
        "ĸ": "k",
        "ſ": "s",
    }
)
#: Apostrophes vanish rather than split (O'Brien -> obrien, not "o brien").
_APOSTROPHES = frozenset("'’‘`´ʼ")


def _fold_once(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    kept = []
    for char in decomposed:
        if unicodedata.combining(char) or char in _APOSTROPHES:
            continue
        kept.append(char)
    folded = "".join(kept).translate(_SPECIAL)
    return "".join(char if char.isalnum() else " " for char in folded)


def fold(value: str) -> str:
    """Lower-case, accent-free, punctuation-free text with single spaces.

    Folding is repeated until it no longer changes the text (a few exotic characters
    need two rounds), so ``fold(fold(x)) == fold(x)`` for every string.
    """
    current = " ".join(_fold_once(value).split())
    for _ in range(4):
        again = " ".join(_fold_once(current).split())
        if again == current:
            break
        current = again
    return current
