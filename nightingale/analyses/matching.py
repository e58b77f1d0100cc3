"""Nearest-neighbour matching on a score, with a caliper, with or without replacement.

Greedy matching: treated people are taken in a seeded random order and each gets the
nearest control on the score (usually the logit of the propensity score). Without
replacement a control is used at most once; with replacement a control may serve
several treated people and its weight counts how often. A treated person whose nearest
eligible control lies further than the caliper stays unmatched, and is reported, because
dropping treated people changes the population the effect describes.

The seed decides the order of treated people and breaks ties between equally distant
controls, so the same seed gives the same matches.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nightingale.platform.errors import NightingaleError


@dataclass(frozen=True)
class MatchedSet:
    """The pairs found and the weights they imply for the average effect on the treated."""

    pairs: pd.DataFrame
    """One row per (treated, control) pair: ``treated``, ``control`` (index labels of
    the input), ``distance`` and ``match_id`` (one id per treated person)."""
    weights: pd.Series
    """ATT weights indexed by the input's labels: 1 for matched treated people, the
    number of treated people served (over each one's matches) for controls; people who
    were not matched are absent."""
    unmatched_treated: list[Hashable]
    caliper: float | None
    replace: bool
    ratio: int

    @property
    def n_matched_treated(self) -> int:
        return int(self.pairs["treated"].nunique())

    def matched(self, frame: pd.DataFrame, weight_column: str = "match_weight") -> pd.DataFrame:
        """The rows of ``frame`` in the matched set, with their weight as a column."""
        out = frame.loc[self.weights.index].copy()
        out[weight_column] = self.weights.to_numpy()
        return out

    def summary(self) -> dict[str, object]:
        return {
            "replace": self.replace,
            "ratio": self.ratio,
            "caliper": self.caliper,
            "matched_treated": self.n_matched_treated,
            "unmatched_treated": len(self.unmatched_treated),
            "distinct_controls": int(self.pairs["control"].nunique()),
        }


class _NextAvailable:
    """Nearest still-available position to the left/right of a slot, with path halving.

    Keeps greedy matching without replacement near-linear when controls run out
    locally (a plain outward walk would be quadratic there).
    """

    def __init__(self, n: int) -> None:
        self.right = np.arange(n + 1)  # slot n is the sentinel "none to the right"
        self.left = np.arange(n + 1)  # stored shifted by one: slot 0 is "none to the left"

    def _find(self, parent: np.ndarray, i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    def right_of(self, i: int) -> int:
        return self._find(self.right, i)

    def left_of(self, i: int) -> int:
        return self._find(self.left, i + 1) - 1

    def remove(self, i: int) -> None:
        self.right[i] = i + 1
        self.left[i + 1] = i


def nearest_neighbour_match(
    score: pd.Series,
    treatment: pd.Series,
    *,
    caliper: float | None = 0.2,
    replace: bool = False,
    ratio: int = 1,
    seed: int = 0,
) -> MatchedSet:
    """Match each treated unit to ``ratio`` nearest controls on ``score``.

    ``caliper`` is in standard deviations of ``score`` (pooled over both groups); None
    means no caliper. ``treatment`` is 0/1 and shares ``score``'s index.
    """
    if ratio < 1:
        raise NightingaleError("matching: ratio must be at least 1")
    if not score.index.equals(treatment.index):
        raise NightingaleError("matching: score and treatment must share one index")
    if score.isna().any():
        raise NightingaleError("matching: the score has missing values")
    rng = np.random.default_rng(seed)
    is_treated = treatment.to_numpy() == 1
    t_labels = score.index[is_treated]
    c_labels = score.index[~is_treated]
    if len(t_labels) == 0 or len(c_labels) == 0:
        raise NightingaleError("matching: both treated and control units are needed")
    width = None if caliper is None else caliper * float(score.std())

    # Controls sorted by score; a random secondary key breaks ties between equal scores.
    c_scores = score.to_numpy(dtype=float)[~is_treated]
    order = np.lexsort((rng.random(len(c_scores)), c_scores))
    sorted_scores = c_scores[order]
    t_scores = score.to_numpy(dtype=float)[is_treated]
    visit = rng.permutation(len(t_scores))

    if replace:
        chosen = _match_with_replacement(sorted_scores, t_scores, ratio)
    else:
        chosen = _match_without_replacement(sorted_scores, t_scores, visit, ratio, width)

    rows: list[tuple[int, int, float]] = []
    for t in visit:
        for c in chosen[int(t)]:
            distance = abs(t_scores[t] - sorted_scores[c])
            if width is None or distance <= width:
                rows.append((int(t), int(order[c]), float(distance)))
    pairs = pd.DataFrame(rows, columns=["t", "c", "distance"]).astype(
        {"t": int, "c": int, "distance": float}
    )
    pairs["treated"] = t_labels[pairs["t"].to_numpy()]
    pairs["control"] = c_labels[pairs["c"].to_numpy()]
    pairs["match_id"] = pairs["t"].rank(method="dense").astype(int) - 1
    pairs = pairs.sort_values(["t", "distance"], kind="stable").reset_index(drop=True)
    pairs = pairs[["match_id", "treated", "control", "distance"]]

    per_treated = pairs.groupby("treated", sort=False)["control"].transform("size")
    control_weight = (1.0 / per_treated).groupby(pairs["control"], sort=False).sum()
    treated_weight = pd.Series(1.0, index=pd.Index(pairs["treated"].unique()))
    weights = pd.concat([treated_weight, control_weight])
    weights = weights.reindex(score.index[score.index.isin(weights.index)])
    weights.name = "match_weight"
    matched = set(pairs["treated"])
    unmatched = [label for label in t_labels if label not in matched]
    return MatchedSet(pairs, weights, unmatched, caliper, replace, ratio)


def _match_with_replacement(
    sorted_scores: np.ndarray, t_scores: np.ndarray, ratio: int
) -> list[list[int]]:
    """The ``ratio`` nearest controls of each treated unit, from all controls."""
    n = len(sorted_scores)
    chosen: list[list[int]] = []
    for value in t_scores:
        at = int(np.searchsorted(sorted_scores, value))
        window = np.arange(max(0, at - ratio), min(n, at + ratio))
        distance = np.abs(sorted_scores[window] - value)
        chosen.append([int(c) for c in window[np.argsort(distance, kind="stable")[:ratio]]])
    return chosen


def _match_without_replacement(
    sorted_scores: np.ndarray,
    t_scores: np.ndarray,
    visit: np.ndarray,
    ratio: int,
    width: float | None,
) -> list[list[int]]:
    """Greedy: in ``visit`` order, each treated unit takes its nearest unused control.

    A control further than ``width`` is not taken (and so stays free for others).
    With ``ratio`` > 1 the rounds interleave (everyone's first match, then everyone's
    second) so early treated units cannot take all the close controls.
    """
    n = len(sorted_scores)
    available = _NextAvailable(n)
    chosen: list[list[int]] = [[] for _ in t_scores]
    remaining = n
    for _round in range(ratio):
        for t in visit:
            if remaining == 0:
                return chosen
            value = t_scores[t]
            at = int(np.searchsorted(sorted_scores, value))
            right = available.right_of(at) if at < n else n
            left = available.left_of(at - 1) if at > 0 else -1
            if right == n or (
                left >= 0 and value - sorted_scores[left] <= sorted_scores[right] - value
            ):
                pick = left
            else:
                pick = right
            if width is not None and abs(sorted_scores[pick] - value) > width:
                continue
            chosen[int(t)].append(pick)
            available.remove(pick)
            remaining -= 1
    return chosen
