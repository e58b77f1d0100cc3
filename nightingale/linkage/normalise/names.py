"""Names: titles and suffixes, hyphens, multi-part surnames and nicknames.

A normalised name is folded text (see :mod:`.text`) without leading titles
(``Dr``, ``Mrs``) or trailing generational suffixes (``Jr``, ``III``). Hyphenated and
multi-part surnames keep their parts as space-separated words; :func:`compact` joins
them (``van der berg`` -> ``vanderberg``) so that ``McDonald`` and ``Mc Donald``
agree, and :func:`name_parts` lists them so that ``Smith-Jones`` can partly agree with
``Smith``. :func:`canonical_given_name` maps nicknames to one form (``bill`` ->
``william``) using the variant table ``nicknames.csv`` beside this module.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from nightingale.linkage.normalise.text import fold

_TITLE_WORDS = "mr mrs ms miss mx dr prof professor sir dame lord lady rev revd reverend fr"
TITLES = frozenset([*_TITLE_WORDS.split(), "mstr", "master"])
SUFFIXES = frozenset(["jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii", "iv"])


def normalise_name(value: str | None) -> str:
    """The folded name without titles or suffixes; ``""`` when nothing is left."""
    if not value:
        return ""
    words = fold(value).split()
    while words and words[0] in TITLES:
        words.pop(0)
    while len(words) > 1 and words[-1] in SUFFIXES:
        words.pop()
    return " ".join(words)


def compact(name: str) -> str:
    """A normalised name without spaces: the form that exact-match tokens use."""
    return name.replace(" ", "")


def name_parts(name: str) -> list[str]:
    """The distinct words of a normalised name, in order (parts of a double surname)."""
    return list(dict.fromkeys(name.split()))


@cache
def nickname_table() -> dict[str, frozenset[str]]:
    """Name -> the canonical names it can stand for, from ``nicknames.csv``.

    A nickname may stand for several names (``sam``: samuel, samantha; ``chris``:
    christopher, christine), so two given names agree as nicknames when their sets meet.
    """
    table: dict[str, set[str]] = {}
    text = resources.files(__package__).joinpath("nicknames.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(text.splitlines()):
        canonical = compact(normalise_name(row["canonical"]))
        table.setdefault(canonical, set()).add(canonical)
        for variant in row["variants"].split():
            table.setdefault(compact(normalise_name(variant)), set()).add(canonical)
    return {name: frozenset(canonicals) for name, canonicals in table.items()}


def canonical_given_names(name: str) -> list[str]:
    """The canonical forms of a normalised given name's first word, sorted.

    ``bill`` -> ``["william"]``, ``sam`` -> ``["samantha", "samuel"]``. Only the first
    word counts: a middle name does not change who someone is called. A name not in the
    table is its own canonical form.
    """
    first = name.split(" ", 1)[0]
    if not first:
        return []
    return sorted(nickname_table().get(first, {first}))
