"""Results that do not depend on the pseudonym key or on row order.

A release's ``pid`` is an HMAC of the person under the project's key, and the release
is sorted by it, so two data roots (two keys) hold the same people in different orders
under different ids. Every estimate that sorts, groups, resamples or imputes rows in
that order — MICE's chained draws, a bootstrap's resampling counts, the matching's
visiting order and tie-breaks, the cluster jackknife's sums — would then differ with
the key. A published result must not.

So the analyses never see the key's order or ids. :func:`canonical_release` puts
people in a canonical order built from their content alone (their persons row and
their panel rows, without ``pid``) and renames them ``p0..pN`` in that order; everything
downstream (sorting by ``pid``, ``groupby``, clusters) then follows content. People whose
content is identical in every column are interchangeable: whichever order they take,
every array the models see is the same.

Random numbers come from :func:`derive_seed`: a hash of the plan (its SHA-256, or a
description of the settings) and a purpose string, so each step has its own stream,
the same on every data root, and no seed is ever taken from an id.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from nightingale.platform.errors import NightingaleError

ID = "pid"
PERIOD = "period"
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constant (golden ratio): a position weight


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit digest of each row's values (pandas' stable, key-fixed row hash)."""
    content = frame.drop(columns=[ID]).reset_index(drop=True)
    return pd.util.hash_pandas_object(content, index=False).to_numpy(dtype=np.uint64)


def content_ranks(persons: pd.DataFrame, panel: pd.DataFrame) -> pd.Series:
    """Each ``pid``'s position in the canonical order (0, 1, ...), indexed by ``pid``.

    The order sorts people by a digest of their persons row, then by a digest of their
    panel rows taken in period order (the second tells apart people whose baseline is
    identical but whose follow-up is not). Both digests read every column but ``pid``.
    """
    for name, frame in (("persons", persons), ("panel", panel)):
        if ID not in frame.columns:
            raise NightingaleError(f"{name}: the release has no {ID} column")
    if persons[ID].duplicated().any():
        raise NightingaleError(f"persons: {ID} is not unique")
    person_hash = pd.Series(_row_hashes(persons), index=persons[ID].to_numpy())
    rows = pd.DataFrame({ID: panel[ID].to_numpy(), "_h": _row_hashes(panel)})
    if PERIOD in panel.columns:
        rows["_period"] = panel[PERIOD].to_numpy()
    else:
        rows["_period"] = 0
    rows = rows.sort_values([ID, "_period", "_h"], kind="stable")
    position = rows.groupby(ID, sort=False).cumcount().to_numpy(dtype=np.uint64)
    with np.errstate(over="ignore"):  # unsigned arithmetic wraps: a hash, not a sum
        weighted = rows["_h"].to_numpy(dtype=np.uint64) * (_MIX * (position + np.uint64(1)))
        weighted ^= position * _MIX
    ids = rows[ID].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.array([], int)
    panel_hash = pd.Series(
        np.bitwise_xor.reduceat(weighted, starts) if len(ids) else weighted, index=ids[starts]
    )
    keys = pd.DataFrame(
        {
            "person": person_hash.to_numpy(),
            "panel": panel_hash.reindex(person_hash.index).fillna(0).to_numpy(dtype=np.uint64),
        },
        index=person_hash.index,
    )
    order = np.lexsort((keys["panel"].to_numpy(), keys["person"].to_numpy()))
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[order] = np.arange(len(keys))
    return pd.Series(ranks, index=keys.index, name="rank")


def canonical_release(
    persons: pd.DataFrame, panel: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``persons`` and ``panel`` in content order, ``pid`` renamed ``p0..pN`` in that order.

    The labels are zero-padded so sorting them as text keeps the canonical order. Panel
    rows of people not in ``persons`` are dropped (a release never has them).
    """
    ranks = content_ranks(persons, panel)
    width = len(str(max(len(ranks) - 1, 0)))
    labels = pd.Series([f"p{r:0{width}d}" for r in ranks.to_numpy()], index=ranks.index)
    people = persons.assign(_rank=persons[ID].map(ranks).to_numpy())
    people = people.sort_values("_rank", kind="stable")
    people[ID] = people[ID].map(labels)
    rows = panel[panel[ID].isin(ranks.index)]
    rows = rows.assign(_rank=rows[ID].map(ranks).to_numpy())
    sort_by = ["_rank", PERIOD] if PERIOD in rows.columns else ["_rank"]
    rows = rows.sort_values(sort_by, kind="stable")
    rows[ID] = rows[ID].map(labels)
    return (
        people.drop(columns="_rank").reset_index(drop=True),
        rows.drop(columns="_rank").reset_index(drop=True),
    )


def derive_seed(root: str, purpose: str) -> int:
    """A 63-bit seed from the plan's hash (or settings) and what the numbers are for.

    The same plan and purpose always give the same seed, different purposes give
    unrelated streams, and nothing about the data or its ids enters.
    """
    digest = hashlib.sha256(f"{root}\x00{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1
