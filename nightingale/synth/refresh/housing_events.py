"""The housing provider's new events: property reports and repairs of open tenancies.

Each tenancy's rate is estimated from its own history (see :mod:`.continuation`); events
fall on days the tenancy is open in the window and are filed under it. Repairs that were
open at the previous extract date are completed when their priority says they would be.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from nightingale.synth.dates import SLASHED, day
from nightingale.synth.refresh.continuation import (
    IntArray,
    Presence,
    draw_events,
    examples,
    history_counts,
    person_rates,
)
from nightingale.synth.refresh.rows import fresh_keys
from nightingale.synth.refresh.source import Previous, format_day_numbers, parse_days

#: Event file -> (id column, prefix, digits, date column).
KINDS = {
    "property_reports.csv": ("report_ref", "RPT-", 9, "report_date"),
    "repairs.csv": ("repair_ref", "REP-", 9, "reported_date"),
}
#: Days from report to completion by priority: [low, high).
DELAYS = {"emergency": (0, 2), "urgent": (1, 8), "routine": (3, 61)}


def tenancy_presence(
    tenancies: pd.DataFrame, window_start: int, window: tuple[int, int]
) -> Presence:
    """Each tenancy's days open before the window and its open days in the window."""
    first, last = window
    start = parse_days(tenancies["tenancy_start"], SLASHED)
    end = parse_days(tenancies["tenancy_end"], SLASHED)
    before = np.minimum(end, first + 1) - np.maximum(start, window_start)
    return Presence(
        tenancies["tenancy_ref"].to_numpy(dtype=object),
        np.maximum(before, 0).astype(float),
        np.maximum(start, first + 1),
        np.minimum(end, last + 1),
    )


def new_housing_events(
    previous: Previous, tenancies: pd.DataFrame, history: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Every housing event file after the window (carried rows first, then new ones)."""
    first, last = previous.window
    presence = tenancy_presence(tenancies, day(previous.config.window_start), (first, last))
    where = presence.position()
    out: dict[str, pd.DataFrame] = {}
    for name, (id_column, prefix, digits, date_column) in KINDS.items():
        rng = previous.rng(f"housing:{name}")
        earlier = history[name]
        counts = history_counts(earlier["tenancy_ref"], where, len(presence.person_ids))
        unit, days = draw_events(person_rates(counts, presence.exposure), presence, rng)
        owners: IntArray = np.asarray(earlier["tenancy_ref"].map(where).fillna(-1), dtype=np.int64)
        template = earlier.iloc[examples(owners, unit, rng)].reset_index(drop=True)
        rows = template.copy()
        rows["tenancy_ref"] = presence.person_ids[unit]
        rows[date_column] = format_day_numbers(days, SLASHED)
        used = set(previous.extracts["housing"][name][id_column])
        rows[id_column] = fresh_keys(prefix, digits, len(rows), used, rng)
        carried = earlier.copy()
        if name == "repairs.csv":
            rows["completed_date"] = _completion(rows, days, days, last, rng)
            still_open = (carried["completed_date"] == "").to_numpy()
            reported = parse_days(carried.loc[still_open, "reported_date"], SLASHED)
            carried.loc[still_open, "completed_date"] = _completion(
                carried[still_open], reported, np.full(len(reported), first + 1), last, rng
            )
        out[name] = pd.concat([carried, rows[list(earlier.columns)]], ignore_index=True)
    return out


def _completion(
    repairs: pd.DataFrame,
    reported: IntArray,
    earliest: IntArray,
    last: int,
    rng: np.random.Generator,
) -> npt.NDArray[np.object_]:
    """Completion dates by priority (not before ``earliest``); empty while still open at
    the new extract date."""
    low = repairs["priority"].map(lambda p: DELAYS.get(p, (3, 61))[0]).to_numpy(dtype=np.int64)
    high = repairs["priority"].map(lambda p: DELAYS.get(p, (3, 61))[1]).to_numpy(dtype=np.int64)
    done = reported + rng.integers(low, np.maximum(high, low + 1)) if len(low) else reported
    done = np.maximum(done, earliest)
    text = format_day_numbers(np.minimum(done, last), SLASHED)
    return np.where(done <= last, text, "").astype(object)
