"""Person ids that survive relinking, and the lineage of those that do not.

A new spine's persons are clusters of records; the previous spine named persons too.
Projects hold pseudonyms derived from person ids, so a person whose records still
belong together must keep its id, and every change must be written down.

Assignment by record overlap (:func:`assign`):

1. For every previous person, its *successor* is the new cluster holding most of its
   records that are still on the spine.
2. A cluster that is the successor of one or more previous persons keeps the id of the
   one it took most records from. Two clusters never keep one id (a person has one
   successor), so ids stay unique.
3. A cluster that keeps no previous id gets a new one (the caller's ``fresh`` label,
   re-derived if it collides with any id the previous spine used).

Ties are broken on content, never on the ids themselves: by the smallest ``order`` of
the records involved (the caller ranks records by source and provider key, which do not
change between runs or data roots), so the same inputs give the same ids whatever order
the rows came in.

Lineage rows (``old_person_id``, ``new_person_id``, ``kind``, ``records``, ``reason``):

- ``merge``: the previous person's id is retired because most of its records joined a
  person that kept another id (old -> that person);
- ``split``: some of the previous person's records now belong to a person other than
  its successor (old -> that person; one row per such person);
- ``new``: a person none of whose records were on the previous spine (no old id);
- ``retired``: none of the previous person's records is on the new spine (the provider
  withdrew them; no new id).

``records`` counts the records concerned; ``reason`` says why in words, naming counts
only (lineage holds no personal data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

LINEAGE_COLUMNS = ("old_person_id", "new_person_id", "kind", "records", "reason")
KINDS = ("merge", "split", "new", "retired")


@dataclass
class Assignment:
    """Final person id per current record, the lineage rows and their counts."""

    person_id: pd.Series
    lineage: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


def _best(
    group: npt.NDArray[np.intp], score: npt.NDArray[np.int64], tie: npt.NDArray[np.int64]
) -> npt.NDArray[np.intp]:
    """Per ``group``, the position of the row with the highest ``score``, ties to the
    smallest ``tie`` (one position per group present)."""
    ordered = np.lexsort((tie, -score, group))
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = group[ordered][1:] != group[ordered][:-1]
    best: npt.NDArray[np.intp] = ordered[first]
    return best


def _plain(values: pd.Index) -> list[Any]:
    """``values`` as Python objects; Arrow-backed text is converted by Arrow (pandas'
    ``tolist`` of it is several times slower)."""
    if isinstance(values.dtype, pd.ArrowDtype | pd.StringDtype):
        plain: list[Any] = pa.array(values).to_pylist()
        return plain
    return values.tolist()


def assign(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    fresh: Callable[[Any, int], str],
    default_names: Callable[[list[Any]], list[str]] | None = None,
) -> Assignment:
    """Person ids for ``current``'s clusters by record overlap with ``previous``.

    ``current`` has one row per record: ``key`` (the record's identity: ``source/
    record_id``, or an integer code that ``previous`` uses too), ``cluster`` (the new
    partition's label, e.g. the default person id) and ``order`` (an integer rank on
    content, for ties). ``previous`` has ``key`` and ``person_id`` for the previous
    spine's records. ``fresh(cluster, attempt)`` gives a new id for a cluster that keeps
    none (``attempt`` counts collisions with ids the previous spine used); attempt 0 is
    the cluster's default id. ``default_names`` gives the default ids of many clusters
    at once, when that is cheaper than one by one; only the clusters that keep no id
    or change hands are named. Clusters are taken in the order of their default ids.

    Clusters and previous ids are worked on as integer codes (a spine holds a hundred
    thousand persons and more); only the few lineage rows are built one by one.
    """
    cluster_code, clusters = pd.factorize(current["cluster"])
    old_code, old_ids = pd.factorize(previous["person_id"])
    width = max(len(clusters), 1)
    # Each current record's previous person (-1: the record was not on the spine).
    where = pd.Index(previous["key"]).get_indexer(current["key"])
    old_of = np.full(len(where), -1, dtype=np.int64)
    old_of[where >= 0] = old_code[where[where >= 0]]
    on_before = old_of >= 0
    # The overlap: records and smallest order per (previous person, cluster).
    groups, inverse = np.unique(
        old_of[on_before].astype(np.int64) * width + cluster_code[on_before],
        return_inverse=True,
    )
    records = np.bincount(inverse, minlength=len(groups)).astype(np.int64)
    smallest = np.full(len(groups), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, inverse, current["order"].to_numpy(dtype=np.int64)[on_before])
    overlap_old, overlap_cluster = groups // width, groups % width
    successor = _best(overlap_old, records, smallest)
    keeper = successor[_best(overlap_cluster[successor], records[successor], smallest[successor])]
    kept_by = np.full(len(clusters), -1, dtype=np.int64)  # cluster -> previous id it keeps
    kept_by[overlap_cluster[keeper]] = overlap_old[keeper]
    successor_of = np.full(len(old_ids), -1, dtype=np.int64)  # previous id -> cluster
    successor_of[overlap_old[successor]] = overlap_cluster[successor]
    labels, old_names = _plain(clusters), [str(old) for old in _plain(old_ids)]
    kept = kept_by >= 0
    moved = np.flatnonzero(overlap_cluster != successor_of[overlap_old])
    # The default ids of the clusters that need one (a new id, or a lineage row's order).
    named = np.unique(np.r_[np.flatnonzero(~kept), overlap_cluster[moved]]).tolist()
    make = default_names or (lambda chosen: [fresh(cluster, 0) for cluster in chosen])
    default = dict(zip(named, make([labels[code] for code in named]), strict=True))
    names = [old_names[old] if old >= 0 else "" for old in kept_by.tolist()]
    used = set(old_names)
    for code in sorted(np.flatnonzero(~kept).tolist(), key=default.__getitem__):
        attempt, name = 0, default[code]
        while name in used:
            attempt += 1
            name = fresh(labels[code], attempt)
        used.add(name)
        names[code] = name
    rows: list[tuple[str | None, str | None, str, int, str]] = []
    merged = successor[kept_by[overlap_cluster[successor]] != overlap_old[successor]]
    for old, code, count in sorted(
        (old_names[overlap_old[i]], int(overlap_cluster[i]), int(records[i])) for i in merged
    ):
        reason = f"{count} of its records joined a person that kept another id"
        rows.append((old, names[code], "merge", count, reason))
    for old, _default, count, code in sorted(
        (
            old_names[overlap_old[i]],
            default[int(overlap_cluster[i])],
            int(records[i]),
            overlap_cluster[i],
        )
        for i in moved
    ):
        reason = f"{count} of its records now belong to another person"
        rows.append((old, names[code], "split", count, reason))
    with_old = np.zeros(len(clusters), dtype=bool)
    with_old[overlap_cluster] = True
    sizes = np.bincount(cluster_code, minlength=len(clusters))
    for _default, count, code in sorted(
        (default[code], int(sizes[code]), code) for code in np.flatnonzero(~with_old).tolist()
    ):
        rows.append((None, names[code], "new", count, "no record on the previous spine"))
    held = np.bincount(old_code[old_code >= 0], minlength=len(old_ids))
    for old, count in sorted(
        (old_names[code], int(held[code])) for code in np.flatnonzero(successor_of < 0)
    ):
        rows.append((old, None, "retired", count, "its records left the spine"))
    lineage = pd.DataFrame(rows, columns=list(LINEAGE_COLUMNS))
    lineage["records"] = lineage["records"].astype(np.int64)
    counts = {
        "persons_kept": int(kept.sum()),
        "persons_new": int(lineage["kind"].eq("new").sum()),
        "persons_merged": int(lineage["kind"].eq("merge").sum()),
        "persons_split": int(lineage.loc[lineage["kind"].eq("split"), "old_person_id"].nunique()),
        "persons_retired": int(lineage["kind"].eq("retired").sum()),
    }
    person_id = np.asarray(names, dtype=object)[cluster_code]
    return Assignment(pd.Series(person_id, index=current.index), lineage, counts)


def changed_person_ids(lineage: pd.DataFrame) -> set[str]:
    """Previous person ids whose records changed hands (merged, split or retired).

    A project holding pseudonyms of these persons has pids whose meaning changed; every
    other previous id still names the same records (plus any new ones).
    """
    changed = lineage[lineage["old_person_id"].notna()]
    return {str(v) for v in changed["old_person_id"]}
