"""Shared machinery for the window's new events: each person's own rate and examples.

A person's rate of an event kind is estimated from their own history in the previous
extract, shrunk towards the region's mean (a gamma-Poisson posterior with one pseudo
event): frequent attenders stay frequent, and people with no history get about the mean.
A new event copies the content of one of the person's earlier events of that kind (their
conditions and habits carry on), or of a random event in the file when they have none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from nightingale.synth.population import NEVER

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Presence:
    """Per person (positions of the people frame): days present before and in the window."""

    person_ids: npt.NDArray[np.object_]
    exposure: FloatArray  # days observed in the previous extract
    window_from: IntArray  # first day present in the window
    window_to: IntArray  # first day no longer present (exclusive)

    def position(self) -> dict[str, int]:
        return {str(p): i for i, p in enumerate(self.person_ids)}


def presence(people: pd.DataFrame, window_start: int, window: tuple[int, int]) -> Presence:
    """When each person could have events: alive, in the region, born."""
    first, last = window
    dob = people["_dob"].to_numpy(dtype=np.int64)
    start = people["_start"].to_numpy(dtype=np.int64)
    end = np.minimum(people["_death"].to_numpy(np.int64), people["_left"].to_numpy(np.int64))
    before_from = np.maximum(dob, window_start)
    before_to = np.minimum(end, first + 1)
    exposure = np.where(start < first, np.maximum(before_to - before_from, 0), 0).astype(float)
    return Presence(
        people["person_id"].to_numpy(dtype=object),
        exposure,
        np.maximum(np.maximum(start, dob), first + 1),
        np.minimum(end, last + 1),
    )


def person_rates(counts: FloatArray, exposure: FloatArray) -> FloatArray:
    """Events per day: (own events + 1) / (own days + 1 / region's mean rate)."""
    total_days = exposure.sum()
    mean = counts.sum() / total_days if total_days > 0 else 0.0
    if mean <= 0:
        return np.zeros(len(counts))
    return (counts + 1.0) / (exposure + 1.0 / mean)


def history_counts(owner: pd.Series, where: dict[str, int], n: int) -> FloatArray:
    """Earlier events per person (``owner`` = person id of each event)."""
    positions = owner.map(where).dropna().to_numpy(dtype=np.int64)
    return np.bincount(positions, minlength=n).astype(float)


def draw_events(
    rates: FloatArray, presence: Presence, rng: np.random.Generator, scale: FloatArray | None = None
) -> tuple[IntArray, IntArray]:
    """(person position, day) of new events: a Poisson process over each person's window."""
    days = np.maximum(presence.window_to - presence.window_from, 0)
    counts = rng.poisson(rates * days * (1.0 if scale is None else scale))
    person = np.repeat(np.arange(len(rates)), counts)
    offset = (rng.random(len(person)) * days[person]).astype(np.int64)
    return person, presence.window_from[person] + offset


def examples(owner_positions: IntArray, person: IntArray, rng: np.random.Generator) -> IntArray:
    """For each new event (by person position), a row of the earlier events to copy:
    one of the same person's if they have any, else any row."""
    total = len(owner_positions)
    if total == 0:
        return np.full(len(person), -1, dtype=np.int64)
    order = np.argsort(owner_positions, kind="stable")
    sorted_owner = owner_positions[order]
    lo = np.searchsorted(sorted_owner, person, side="left")
    hi = np.searchsorted(sorted_owner, person, side="right")
    own = hi > lo
    pick_own = lo + (rng.random(len(person)) * np.maximum(hi - lo, 1)).astype(np.int64)
    pick_any = rng.integers(0, total, len(person))
    return np.where(own, order[np.minimum(pick_own, total - 1)], pick_any).astype(np.int64)


def file_under(
    intervals: pd.DataFrame, person_ids: npt.NDArray[np.object_], days: IntArray
) -> npt.NDArray[np.object_]:
    """The key each event is filed under: the person's main record open that day, or ""
    (``intervals``: person_id, key, start, end with end exclusive)."""
    events = pd.DataFrame({"person_id": person_ids, "day": days, "event": np.arange(len(days))})
    joined = events.merge(intervals, on="person_id", how="inner")
    inside = joined[(joined["start"] <= joined["day"]) & (joined["day"] < joined["end"])]
    first = inside.sort_values(["event", "start"], kind="stable").drop_duplicates("event")
    keys = np.full(len(days), "", dtype=object)
    keys[first["event"].to_numpy(dtype=np.int64)] = first["key"].to_numpy(dtype=object)
    return keys


def open_interval(start: IntArray, end: IntArray) -> tuple[IntArray, IntArray]:
    return start, np.where(end >= NEVER, NEVER, end)
