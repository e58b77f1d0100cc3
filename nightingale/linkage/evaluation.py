"""Measured linkage quality against a synthetic region's truth.

``truth/records.csv`` names the true person behind every people-file row by provider and
local key; the sealed key maps turn local keys into record ids. Pairwise precision,
recall and F1 are counted per source pair (``health~health`` is within-source
deduplication, ``health~housing`` cross-source linkage) without listing pairs: for
clusters, the number of pairs between sources A and B is the sum over clusters of
``n_A * n_B`` (or ``n_A * (n_A - 1) / 2`` within A), and true positives are the same sum
over the intersections of predicted and true clusters.
"""

from __future__ import annotations

from itertools import combinations_with_replacement
from pathlib import Path

import pandas as pd

from nightingale.platform.errors import NightingaleError


def read_truth(path: Path) -> pd.DataFrame:
    """``provider``, ``local_key``, ``truth_person`` from ``truth/records.csv``."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        raise NightingaleError(f"{path}: cannot read the truth file ({exc})") from exc
    missing = {"provider", "local_key", "person_id"} - set(frame.columns)
    if missing:
        raise NightingaleError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    return frame.rename(columns={"person_id": "truth_person"})[
        ["provider", "local_key", "truth_person"]
    ]


def _pairs(frame: pd.DataFrame, by: list[str]) -> dict[tuple[str, str], int]:
    counts = frame.groupby([*by, "source"]).size().unstack("source", fill_value=0)
    sources = sorted(frame["source"].unique())
    out: dict[tuple[str, str], int] = {}
    for a, b in combinations_with_replacement(sources, 2):
        na = counts[a] if a in counts else pd.Series(0, index=counts.index)
        nb = counts[b] if b in counts else pd.Series(0, index=counts.index)
        out[(a, b)] = int((na * (na - 1) // 2).sum()) if a == b else int((na * nb).sum())
    return out


def pairwise_metrics(spine: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per source pair and overall: precision, recall, F1 and pair counts.

    ``spine`` has ``source``, ``person_id`` (predicted) and ``truth_person``.
    """
    predicted = _pairs(spine, ["person_id"])
    true = _pairs(spine, ["truth_person"])
    hits = _pairs(spine, ["person_id", "truth_person"])
    results: dict[str, dict[str, float]] = {}
    for key in [*sorted(predicted), ("all", "all")]:
        if key == ("all", "all"):
            p, t, h = sum(predicted.values()), sum(true.values()), sum(hits.values())
        else:
            p, t, h = predicted[key], true[key], hits[key]
        precision = h / p if p else 1.0
        recall = h / t if t else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        name = "all" if key == ("all", "all") else f"{key[0]}~{key[1]}"
        results[name] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "predicted_pairs": p,
            "true_pairs": t,
            "true_positives": h,
        }
    return results


def partner_recall(spine: pd.DataFrame) -> pd.Series:
    """Per record: does it share a predicted person with every true partner record?

    ``NA`` for records with no true partner. Used for link rates by subgroup.
    """
    truth_size = spine.groupby("truth_person")["record_id"].transform("size")
    joint = spine.groupby(["truth_person", "person_id"])["record_id"].transform("size")
    found = (joint == truth_size).astype("boolean")
    return found.where(truth_size > 1, pd.NA)
