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

import numpy as np
import pandas as pd

LINEAGE_COLUMNS = ("old_person_id", "new_person_id", "kind", "records", "reason")
KINDS = ("merge", "split", "new", "retired")


@dataclass
class Assignment:
    """Final person id per current record, the lineage rows and their counts."""

    person_id: pd.Series
    lineage: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


def _best(frame: pd.DataFrame, group: str, score: str, tie: str) -> pd.DataFrame:
    """Per ``group``, the row with the highest ``score``, ties to the smallest ``tie``."""
    ordered = frame.sort_values([group, score, tie], ascending=[True, False, True])
    return ordered.drop_duplicates(group)


def assign(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    fresh: Callable[[str, int], str],
) -> Assignment:
    """Person ids for ``current``'s clusters by record overlap with ``previous``.

    ``current`` has one row per record: ``key`` (``source/record_id``), ``cluster`` (the
    new partition's label, e.g. the default person id) and ``order`` (an integer rank
    on content, for ties). ``previous`` has ``key`` and ``person_id`` for the previous
    spine's records. ``fresh(cluster, attempt)`` gives a new id for a cluster that keeps
    none (``attempt`` counts collisions with ids the previous spine used).
    """
    joined = current.merge(previous[["key", "person_id"]], on="key", how="left")
    old = joined[joined["person_id"].notna()]
    overlap = (
        old.groupby(["person_id", "cluster"], sort=False)
        .agg(records=("key", "size"), order=("order", "min"))
        .reset_index()
    )
    successor = _best(overlap, "person_id", "records", "order")
    keeper = _best(successor, "cluster", "records", "order")
    kept = dict(zip(keeper["cluster"], keeper["person_id"], strict=True))
    used = set(previous["person_id"].unique())
    names: dict[str, str] = {}
    for cluster in sorted(set(current["cluster"].unique()), key=str):
        if cluster in kept:
            names[cluster] = str(kept[cluster])
            continue
        attempt, name = 0, fresh(cluster, 0)
        while name in used:
            attempt += 1
            name = fresh(cluster, attempt)
        used.add(name)
        names[cluster] = name
    person_id = current["cluster"].map(names)
    rows: list[tuple[str | None, str | None, str, int, str]] = []
    succeeded = dict(zip(successor["person_id"], successor["cluster"], strict=True))
    inherited = dict(zip(successor["person_id"], successor["records"], strict=True))
    for old_id, cluster in sorted(succeeded.items()):
        if kept.get(cluster) != old_id:
            count = int(inherited[old_id])
            rows.append(
                (
                    old_id,
                    names[cluster],
                    "merge",
                    count,
                    f"{count} of its records joined a person that kept another id",
                )
            )
    moved = overlap[overlap["cluster"] != overlap["person_id"].map(succeeded)]
    for old_id, cluster, count in sorted(
        zip(moved["person_id"], moved["cluster"], moved["records"], strict=True)
    ):
        rows.append(
            (
                old_id,
                names[cluster],
                "split",
                int(count),
                f"{count} of its records now belong to another person",
            )
        )
    with_old = set(overlap["cluster"])
    new_clusters = joined.loc[~joined["cluster"].isin(with_old), "cluster"]
    for cluster, count in sorted(new_clusters.value_counts().items()):
        rows.append(
            (None, names[str(cluster)], "new", int(count), "no record on the previous spine")
        )
    gone = previous[~previous["person_id"].isin(succeeded)]
    for old_id, count in sorted(gone["person_id"].value_counts().items()):
        rows.append((str(old_id), None, "retired", int(count), "its records left the spine"))
    lineage = pd.DataFrame(rows, columns=list(LINEAGE_COLUMNS))
    lineage["records"] = lineage["records"].astype(np.int64)
    counts = {
        "persons_kept": len(kept),
        "persons_new": int(lineage["kind"].eq("new").sum()),
        "persons_merged": int(lineage["kind"].eq("merge").sum()),
        "persons_split": int(lineage.loc[lineage["kind"].eq("split"), "old_person_id"].nunique()),
        "persons_retired": int(lineage["kind"].eq("retired").sum()),
    }
    return Assignment(pd.Series(person_id.to_numpy(), index=current.index), lineage, counts)


def changed_person_ids(lineage: pd.DataFrame) -> set[str]:
    """Previous person ids whose records changed hands (merged, split or retired).

    A project holding pseudonyms of these persons has pids whose meaning changed; every
    other previous id still names the same records (plus any new ones).
    """
    changed = lineage[lineage["old_person_id"].notna()]
    return {str(v) for v in changed["old_person_id"]}
