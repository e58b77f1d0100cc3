"""EQ-5D utility values: the UK 3L value set and the configurable 5L-to-3L step.

**UK EQ-5D-3L value set (Dolan 1997, the MVH time trade-off "N3" model).** A profile is
five digits, one per dimension (mobility, self-care, usual activities, pain/discomfort,
anxiety/depression), each 1 (no problems) to 3 (extreme problems). Its utility is one
minus a constant for any problem, minus one decrement per dimension and level, minus the
N3 term when any dimension is at level 3. Published checks: 11111 = 1, 22222 = 0.516,
12321 = 0.329, 33333 = -0.594.

**EQ-5D-5L.** NICE's position statement (2019, reaffirmed in the 2022 manual) asks for
5L responses to be valued through a mapping onto the 3L value set, recommending the
Hernández Alava et al. (2017/2022) "EEPRU" mapping. That mapping is a fitted copula
model distributed as a lookup file by its authors; it cannot be rebuilt from the paper
alone, so Nightingale does not pretend to ship it. Instead there are two documented
options, chosen by :class:`Mapping5L`:

- ``lookup``: value each 5L profile from a table the analyst supplies (a CSV with
  columns ``profile`` and ``utility``, e.g. the EEPRU or van Hout crosswalk file
  downloaded from its publisher). This is what a submission to NICE should use.
- ``level_collapse`` (the default on this platform, flagged as an approximation): 5L
  levels are collapsed onto 3L levels (1 -> 1, 2-3 -> 2, 4-5 -> 3) and the profile is
  valued with the Dolan tariff. It is monotone and exact at the full-health and worst
  profiles, but it is **not** a published mapping and its values differ from the EEPRU
  ones by a few hundredths for mid-range profiles. Reports made with it say so.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nightingale.platform.errors import NightingaleError

DIMENSIONS = ("mobility", "self_care", "usual_activities", "pain_discomfort", "anxiety_depression")

DOLAN_1997_CONSTANT = 0.081
"""Decrement for any departure from full health (11111)."""

DOLAN_1997_DECREMENTS: dict[str, tuple[float, float]] = {
    # dimension: (level 2, level 3)
    "mobility": (0.069, 0.314),
    "self_care": (0.104, 0.214),
    "usual_activities": (0.036, 0.094),
    "pain_discomfort": (0.123, 0.386),
    "anxiety_depression": (0.071, 0.236),
}
DOLAN_1997_N3 = 0.269
"""Extra decrement when any dimension is at level 3."""

LEVEL_COLLAPSE_5L_TO_3L = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3}


class EQ5DError(NightingaleError):
    """A profile that is not a valid EQ-5D health state."""


def _levels(profile: str, max_level: int) -> tuple[int, ...]:
    text = str(profile).strip()
    if len(text) != 5 or not text.isdigit():
        raise EQ5DError(f"EQ-5D profile {profile!r} must be five digits")
    levels = tuple(int(c) for c in text)
    if any(level < 1 or level > max_level for level in levels):
        raise EQ5DError(f"EQ-5D profile {profile!r} has a level outside 1..{max_level}")
    return levels


def uk_3l_utility(profile: str) -> float:
    """The Dolan (1997) UK TTO value of one 3L profile such as ``"21232"``."""
    levels = _levels(profile, 3)
    if all(level == 1 for level in levels):
        return 1.0
    decrement = DOLAN_1997_CONSTANT
    for dimension, level in zip(DIMENSIONS, levels, strict=True):
        if level > 1:
            decrement += DOLAN_1997_DECREMENTS[dimension][level - 2]
    if 3 in levels:
        decrement += DOLAN_1997_N3
    return round(1.0 - decrement, 3)


class Mapping5L(StrEnum):
    """How 5L profiles are valued (see the module docstring)."""

    LEVEL_COLLAPSE = "level_collapse"
    LOOKUP = "lookup"


@dataclass(frozen=True)
class EQ5DValuer:
    """Values EQ-5D profiles; holds the 5L mapping choice so reports can state it."""

    mapping: Mapping5L = Mapping5L.LEVEL_COLLAPSE
    lookup: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_lookup_file(cls, path: Path) -> EQ5DValuer:
        """A valuer that takes 5L values from a CSV with columns ``profile`` and ``utility``."""
        table: dict[str, float] = {}
        with path.open(newline="") as handle:
            for row_number, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    profile = row["profile"].strip()
                    _levels(profile, 5)
                    table[profile] = float(row["utility"])
                except (KeyError, ValueError) as exc:
                    raise NightingaleError(f"{path}, row {row_number}: {exc}") from exc
        if len(table) != 5**5:
            raise NightingaleError(f"{path}: expected all 3125 5L profiles, found {len(table)}")
        return cls(mapping=Mapping5L.LOOKUP, lookup=table)

    @property
    def description(self) -> str:
        """One sentence for a report's methods section."""
        if self.mapping is Mapping5L.LOOKUP:
            return "EQ-5D-5L valued with an analyst-supplied 5L-to-3L lookup table."
        return (
            "EQ-5D-5L mapped to 3L by collapsing levels (1->1, 2-3->2, 4-5->3) and valued "
            "with the UK 3L tariff (Dolan 1997); an approximation, not the NICE-recommended "
            "EEPRU mapping."
        )

    def value_5l(self, profile: str) -> float:
        """The utility of one 5L profile under the chosen mapping."""
        levels = _levels(profile, 5)
        if self.mapping is Mapping5L.LOOKUP:
            return float(self.lookup[str(profile).strip()])
        return uk_3l_utility("".join(str(LEVEL_COLLAPSE_5L_TO_3L[level]) for level in levels))

    def value_series(self, profiles: pd.Series, version: str = "5L") -> pd.Series:
        """Value a column of profiles; missing profiles stay missing (for imputation)."""
        value = self.value_5l if version == "5L" else uk_3l_utility
        cache: dict[str, float] = {}

        def one(profile: object) -> float:
            if profile is None or (isinstance(profile, float) and np.isnan(profile)):
                return float("nan")
            key = str(profile)
            if key not in cache:
                cache[key] = value(key)
            return cache[key]

        return profiles.map(one).astype(float)


def all_3l_profiles() -> list[str]:
    """The 243 EQ-5D-3L profiles in lexical order."""
    return ["".join(levels) for levels in itertools.product("123", repeat=5)]


def value_many(profiles: Iterable[str]) -> NDArray[np.float64]:
    """Dolan (1997) values of several 3L profiles."""
    return np.array([uk_3l_utility(p) for p in profiles], dtype=float)
