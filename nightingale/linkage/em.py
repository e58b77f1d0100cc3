"""The model's parameters from counts (:mod:`.training`): u, the prior, then m by EM.

This is Splink's training, written over agreement-pattern counts so that it can run
on counts a refresh updated rather than on the pairs themselves. Each step follows
Splink 5 (and a test holds the two to the same values on the synthetic region):

- u per level: the share of the u sample's pairs at that level among its non-null
  levels (:meth:`.training.TrainingCounts.u_counts`); a level no pair reached keeps its
  prior, as Splink leaves it untrained.
- The prior: the pairs a deterministic rule yields, divided by its recall and by all
  pairs.
- m: one EM session per training block, in order, with u fixed and term frequencies
  left out of the expectation step (Splink's ``estimate_without_term_frequencies=True``,
  which makes EM a function of the pattern counts). A session leaves out the comparisons
  that read a blocked column, starts from the prior raised by the Bayes factors of the
  exact levels the block implies, and iterates until no m or prior moves by more than
  ``convergence``. A level's m is then the median of what the sessions that saw it
  estimated.
"""

from __future__ import annotations

import copy
import math
import re
from statistics import median
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from nightingale.linkage.training import TrainingCounts, columns_of
from nightingale.linkage.weights import numbered_levels

#: Splink's stand-in for an m or u no pair reached, inside an EM session.
_UNSEEN = 1e-6
_CLAMP = 1e-300


def fit(
    settings: dict[str, Any],
    counts: TrainingCounts,
    blocks: list[str],
    recall: float,
    convergence: float = 1e-4,
) -> dict[str, Any]:
    """``settings`` (Splink's, with prior m and u per level) with u, the prior and m
    trained from ``counts``; ``blocks`` are the EM sessions' blocking rules in order."""
    settings = copy.deepcopy(settings)
    comparisons = settings["comparisons"]
    for comparison in comparisons:
        seen = counts.u_counts(comparison["output_column_name"])
        total = sum(count for level, count in seen.items() if level >= 0)
        for value, level in _levels(comparison):
            if seen.get(value):
                level["u_probability"] = seen[value] / total
    if counts.deterministic_pairs > counts.all_pairs * recall:
        raise ValueError(
            "the deterministic rule yields more pairs than its recall allows: "
            f"{counts.deterministic_pairs} of {counts.all_pairs}"
        )
    prior = counts.deterministic_pairs / recall / counts.all_pairs
    settings["probability_two_random_records_match"] = prior
    trained: dict[tuple[int, int], list[float]] = {}
    for rule in blocks:
        session = _session(comparisons, rule)
        estimates = _em(
            comparisons,
            session,
            counts.em_patterns[rule],
            _blocked_prior(comparisons, rule, prior),
            settings.get("max_iterations", 20),
            convergence,
        )
        for key, estimate in estimates.items():
            if estimate is not None:
                trained.setdefault(key, []).append(estimate)
        for (number, value), values in trained.items():
            _level(comparisons[number], value)["m_probability"] = median(values)
    return settings


def _levels(comparison: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(gamma value, level) of each non-null level (:func:`.weights.numbered_levels`)."""
    return [(value, level) for value, level in numbered_levels(comparison) if value >= 0]


def _level(comparison: dict[str, Any], value: int) -> dict[str, Any]:
    return next(level for v, level in _levels(comparison) if v == value)


def _session(comparisons: list[dict[str, Any]], rule: str) -> list[int]:
    """The comparisons a session on ``rule`` estimates: those reading no blocked column."""
    blocked = columns_of(rule)
    return [
        number
        for number, comparison in enumerate(comparisons)
        if not blocked
        & set().union(*(columns_of(lv["sql_condition"]) for lv in comparison["comparison_levels"]))
    ]


_EXACT = re.compile(r'^\s*"(\w+)_l"\s*=\s*"(\w+)_r"\s*$')


def _exact_columns(condition: str) -> set[str] | None:
    """The columns a level requires to be equal when it is only such equalities."""
    columns = set()
    for part in re.split(r"\s+AND\s+", condition, flags=re.IGNORECASE):
        match = _EXACT.match(part.strip().strip("()"))
        if match is None or match.group(1) != match.group(2):
            return None
        columns.add(match.group(1))
    return columns


def _blocked_prior(comparisons: list[dict[str, Any]], rule: str, prior: float) -> float:
    """The prior among the pairs ``rule`` yields: raised by the Bayes factor of each exact
    level the block guarantees (levels on more columns first, each column used once)."""
    remaining = columns_of(rule)
    exact = []
    for comparison in comparisons:
        for _value, level in _levels(comparison):
            columns = _exact_columns(level["sql_condition"])
            if columns:
                exact.append((columns, level))
    exact.sort(key=lambda item: -len(item[0]))
    factor = prior / (1 - prior)
    for columns, level in exact:
        if columns <= remaining:
            remaining -= columns
            factor *= level["m_probability"] / level["u_probability"]
    return factor / (1 + factor)


def _match_probability(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    with np.errstate(over="ignore"):
        positive = 1.0 / (1.0 + np.power(2.0, -weights))
        negative = np.power(2.0, weights) / (1.0 + np.power(2.0, weights))
    return np.where(weights >= 0, positive, negative)


def _em(
    comparisons: list[dict[str, Any]],
    session: list[int],
    patterns: pd.DataFrame,
    prior: float,
    iterations: int,
    convergence: float,
) -> dict[tuple[int, int], float | None]:
    """One EM session: m per (comparison, level value) of ``session``'s comparisons (None
    for a level no pair reached)."""
    columns = [f"gamma_{comparisons[n]['output_column_name']}" for n in session]
    grouped = patterns.groupby(columns, as_index=False)["count"].sum() if columns else patterns
    gammas = grouped[columns].to_numpy(dtype=np.int64)
    weights = grouped["count"].to_numpy(dtype=np.float64)
    m = {
        (n, v): float(level["m_probability"])
        for n in session
        for v, level in _levels(comparisons[n])
    }
    u = {
        (n, v): float(level["u_probability"])
        for n in session
        for v, level in _levels(comparisons[n])
    }
    estimates: dict[tuple[int, int], float | None] = dict.fromkeys(m)
    for _ in range(iterations):
        log_odds = math.log2(prior / (1 - prior)) if prior != 1 else math.inf
        total = np.full(len(weights), log_odds)
        for column, n in enumerate(session):
            numbered = _levels(comparisons[n])
            by_level = np.zeros(len(numbered) + 1)  # indexed by gamma + 1: the null level 0
            for v, _ in numbered:
                by_level[v + 1] = math.log2(max(m[n, v], _CLAMP) / max(u[n, v], _CLAMP))
            total = total + by_level[gammas[:, column] + 1]
        p = _match_probability(total)
        matched = p * weights
        new_prior = float(matched.sum() / weights.sum())
        new_m: dict[tuple[int, int], float] = {}
        for column, n in enumerate(session):
            levels = gammas[:, column]
            sums = {int(v): float(matched[levels == v].sum()) for v in np.unique(levels) if v >= 0}
            whole = sum(sums.values())
            for v, _ in _levels(comparisons[n]):
                if v in sums:
                    new_m[n, v] = sums[v] / whole
                    estimates[n, v] = new_m[n, v]
                else:
                    new_m[n, v] = _UNSEEN
                    estimates[n, v] = None
        change = max([abs(new_m[key] - m[key]) for key in m] + [abs(new_prior - prior)])
        m, prior = new_m, new_prior
        if change < convergence:
            break
    return estimates
