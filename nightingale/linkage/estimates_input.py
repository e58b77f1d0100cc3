"""The estimator's input, built from a run's scored pairs and its spine (no truth).

One row per scored pair: its source pair, whether the spine put it in one person, the
model's weight and probability, the weight without the held-out identifiers (NHS and
NI numbers) and agreement on them, whether the pair would be in one person had they
been hidden from it (:func:`holdout_links`), and its block (connected group of scored
pairs); plus the model's weight distributions (:func:`weight_below`). What the
estimate does with them is :mod:`.estimates`.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from nightingale.linkage.clustering import reliable_fields, select_links
from nightingale.linkage.positions import positions

#: Comparisons on strong identifiers, held out in turn as evidence about the others.
HOLDOUT_FIELDS = ("nhs_number", "ni_number")


@dataclass(frozen=True)
class EstimatesInput:
    """What the estimator reads: one row per scored pair, and counts. Never truth.

    ``pairs`` columns: ``source_l``, ``source_r`` (sorted, so ``source_l <= source_r``),
    ``same`` (one person in the spine), ``weight`` (the model's match weight),
    ``probability`` (the model's match probability), ``weight_without`` (the weight
    less the held-out identifiers' comparisons), ``holdout`` (1 agree, 0 disagree, -1
    not on both records), ``holdout_same`` (one person when linked without the
    identifiers), ``block`` (connected group of scored pairs); and, to take clerical
    review in (:func:`update_with_review`), ``record_l``, ``record_r`` (the pair's
    random record ids, ordered with the sources) and ``reviewed`` (1 a reviewer found
    a match, 0 not, -1 not reviewed).
    """

    pairs: pd.DataFrame
    #: records per source, for each source pair's number of candidate pairs
    records: dict[str, int]
    #: weight below which the model's pairs were not kept (they count as unscored)
    floor_weight: float
    #: weight without the identifiers below which the hold-out calibration is not used
    #: (a pair disagreeing on an identifier fell under the floor there, one agreeing
    #: did not, so agreement says nothing about the rest)
    calibration_cut: float
    threshold_weight: float
    #: the model's prior (the probability two random records match)
    prior: float
    #: per source pair: share of true matches the model expects below the floor and
    #: below the threshold (from the m probabilities), and share of non-matches it
    #: expects at or above the threshold (from the u probabilities)
    shortfall: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    one_per_person: frozenset[str] = frozenset()


def _levels(comparison: dict[str, Any]) -> list[dict[str, Any]]:
    return [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]


def level_weights(model_json: dict[str, Any]) -> dict[str, npt.NDArray[np.float64]]:
    """Per comparison: the weight (log2 m/u) of each gamma value, indexed by gamma + 1."""
    out = {}
    for comparison in model_json.get("comparisons", []):
        levels = _levels(comparison)
        weights = [0.0]  # gamma -1: missing, no evidence
        for gamma in range(len(levels)):
            level = levels[len(levels) - 1 - gamma]
            m, u = level.get("m_probability"), level.get("u_probability")
            weights.append(math.log2(m / u) if m and u else 0.0)
        out[comparison["output_column_name"]] = np.array(weights)
    return out


def weight_below(
    model_json: dict[str, Any],
    gammas: pd.DataFrame,
    cutoffs: tuple[float, ...],
    among: str = "m",
) -> tuple[float, ...]:
    """Share of true matches (``among="m"``) or of non-matches (``"u"``) whose match
    weight the model expects below each cutoff.

    The weight of a pair is the prior's log-odds plus one level's weight per
    comparison, the level drawn with the comparison's m (or u) probabilities
    (normalised) and missing as often as in ``gammas`` (agreement levels of such
    pairs); the comparisons are independent, as the model assumes, so the distribution
    is their convolution (on a grid of 0.01 bits; term-frequency adjustments are left
    out).
    """
    missing = {
        column: float((gammas[column] < 0).mean())
        for column in gammas.columns
        if column.startswith("gamma_") and len(gammas)
    }
    return _weight_below(model_json, missing, cutoffs, among)


def _weight_below(
    model_json: dict[str, Any],
    missing_shares: dict[str, float],
    cutoffs: tuple[float, ...],
    among: str,
) -> tuple[float, ...]:
    """:func:`weight_below` from each gamma column's share of missing values (0 for a
    column not named)."""
    prior = float(model_json.get("probability_two_random_records_match", 1e-4))
    steps: list[list[tuple[int, float]]] = []
    for comparison in model_json.get("comparisons", []):
        name = comparison["output_column_name"]
        levels = _levels(comparison)
        m = np.array([lv.get("m_probability") or 0.0 for lv in levels])
        u = np.array([lv.get("u_probability") or 0.0 for lv in levels])
        drawn = m if among == "m" else u
        if drawn.sum() <= 0:
            continue
        missing = missing_shares.get(f"gamma_{name}", 0.0)
        steps.append(
            [(0, missing)]
            + [
                (round(100 * math.log2(mi / ui)), (1 - missing) * di / drawn.sum())
                for mi, ui, di in zip(m, u, drawn, strict=True)
                if mi > 0 and ui > 0
            ]
        )
    # The distribution on a grid of 0.01 bits, from the lowest reachable weight up.
    low = sum(min(step for step, _share in options) for options in steps)
    high = sum(max(step for step, _share in options) for options in steps)
    distribution = np.zeros(high - low + 1)
    distribution[-low] = 1.0
    for options in steps:
        merged = np.zeros_like(distribution)
        for step, share in options:
            if share:
                merged += share * np.roll(distribution, step)
        distribution = merged
    weights = (np.arange(len(distribution)) + low) / 100 + math.log2(prior / (1 - prior))
    total = distribution.sum() or 1.0
    return tuple(float(distribution[weights < cutoff].sum() / total) for cutoff in cutoffs)


def _components(nodes_l: npt.NDArray[np.intp], nodes_r: npt.NDArray[np.intp]) -> npt.NDArray[Any]:
    size = int(max(nodes_l.max(initial=-1), nodes_r.max(initial=-1))) + 1
    graph = coo_matrix((np.ones(len(nodes_l)), (nodes_l, nodes_r)), shape=(size, size))
    labels: npt.NDArray[Any] = connected_components(graph, directed=False)[1]
    return labels


def holdout_links(
    pairs: pd.DataFrame, model_json: dict[str, Any], threshold: float, hidden: pd.Series
) -> pd.Series:
    """Whether each pair would be in one person had the ``hidden`` pairs' identifiers
    been unknown.

    The clustering (:func:`.clustering.select_links`) rerun with those pairs' weights
    without the identifiers, their agreement levels missing and no deterministic link
    (which needs them); the other pairs keep their own. The second look for records
    without a date of birth is left out.
    """
    if not len(pairs):
        return pd.Series(False, index=pairs.index)
    # Only the columns the clustering reads, with the sources as integer codes (one code
    # per name on both sides): it groups and joins by source, much faster on integers.
    gamma_columns = [c for c in pairs.columns if c.startswith("gamma_")]
    edges = pairs[["node_l", "node_r", "match_weight", *gamma_columns]].copy()
    names = pd.unique(
        np.concatenate([pairs["source_dataset_l"].to_numpy(), pairs["source_dataset_r"].to_numpy()])
    )
    position = pd.Index(names)
    edges["source_dataset_l"] = position.get_indexer(pairs["source_dataset_l"].to_numpy())
    edges["source_dataset_r"] = position.get_indexer(pairs["source_dataset_r"].to_numpy())
    mask = hidden.to_numpy(dtype=bool)
    edges["match_weight"] = np.where(
        mask, pairs["weight_without"].to_numpy(), pairs["match_weight"].to_numpy()
    )
    for name in HOLDOUT_FIELDS:
        if f"gamma_{name}" in edges:
            edges[f"gamma_{name}"] = np.where(mask, -1, pairs[f"gamma_{name}"].to_numpy())
    edges["deterministic"] = pairs["deterministic"].to_numpy(dtype=bool) & ~mask
    links = select_links(edges, threshold, reliable_fields(model_json))
    labels = _components(links["node_l"].to_numpy(), links["node_r"].to_numpy())
    size = len(labels)

    def label(nodes: pd.Series) -> npt.NDArray[np.int64]:
        values = nodes.to_numpy()
        out = np.arange(size, size + len(values), dtype=np.int64)  # alone: a unique label
        inside = values < size
        out[inside] = labels[values[inside]]
        return out

    return pd.Series(label(pairs["node_l"]) == label(pairs["node_r"]), index=pairs.index)


def _halves(pairs: pd.DataFrame, block: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """A split of the pairs in two halves by content, not by record ids or row order.

    Pairs that look alike (weight and agreement levels) alternate between the halves,
    taken in the order of their blocks' content (size, total and largest weight), so
    that each half holds about half of every kind of pair.
    """
    columns = ["match_weight", *sorted(c for c in pairs.columns if c.startswith("gamma_"))]
    content = pairs[columns].reset_index(drop=True).copy()
    content["match_weight"] = np.round(content["match_weight"].to_numpy(dtype=float), 6)
    kind = pd.util.hash_pandas_object(content, index=False).to_numpy()
    frame = pd.DataFrame({"block": block, "weight": content["match_weight"].to_numpy()})
    grouped = frame.groupby("block")["weight"]  # sorted by block, as the codes below
    signature = pd.DataFrame({"size": grouped.size(), "sum": grouped.sum(), "max": grouped.max()})
    rank = signature.rank(method="dense").to_numpy()[pd.factorize(block, sort=True)[0]]
    # By kind, then by the blocks' content; ties keep their row order (a stable sort).
    dense = rank.astype(np.int64)  # dense ranks 1..blocks: one integer for the three
    width = int(dense.max(initial=0)) + 1
    if width**3 < 2**62:
        content_rank = (dense[:, 0] * width + dense[:, 1]) * width + dense[:, 2]
        order = np.lexsort((content_rank, kind))
    else:
        order = np.lexsort((dense[:, 2], dense[:, 1], dense[:, 0], kind))
    sorted_kind = kind[order]
    position = np.arange(len(kind))
    starts = np.r_[True, sorted_kind[1:] != sorted_kind[:-1]] if len(kind) else position
    first_of_kind = np.maximum.accumulate(np.where(starts, position, 0))
    turn = np.empty(len(kind), dtype=np.int64)
    turn[order] = position - first_of_kind  # each pair's turn among pairs of its kind
    first = (kind >> np.uint64(17)) & np.uint64(1)
    return ((first + turn.astype(np.uint64)) & np.uint64(1)).astype(bool)


def _source_pairs(
    codes_l: npt.NDArray[np.intp], codes_r: npt.NDArray[np.intp], names: Any
) -> tuple[npt.NDArray[np.intp], list[str], list[str]]:
    """Each pair's code of its (first, second) source names, and the names per code;
    the pairs' sources given as codes of ``names``."""
    count = max(len(names), 1)
    combined = codes_l.astype(np.intp) * count + codes_r
    present, group = np.unique(combined, return_inverse=True)
    firsts = [str(names[c // count]) for c in present]
    seconds = [str(names[c % count]) for c in present]
    return group.reshape(-1).astype(np.intp), firsts, seconds


def record_rows(
    sources: pd.Series,
    record_ids: pd.Series,
    pair_sources: npt.NDArray[Any],
    pair_ids: npt.NDArray[Any] | pa.Array,
) -> npt.NDArray[np.intp]:
    """The row of ``(sources, record_ids)`` holding each ``(pair_sources, pair_ids)``
    record, -1 where none does (:func:`.positions.positions`)."""
    return positions(pair_sources, pair_ids, sources, record_ids)


def _one_person(
    person_of: pd.DataFrame,
    source_l: npt.NDArray[Any],
    record_l: npt.NDArray[Any],
    source_r: npt.NDArray[Any],
    record_r: npt.NDArray[Any],
) -> npt.NDArray[np.bool_]:
    """Whether the spine puts each pair's two records in one person; a record missing
    from the spine is in no person."""
    at = record_rows(
        person_of["source"],
        person_of["record_id"],
        np.concatenate([source_l, source_r]),
        np.concatenate([record_l, record_r]),
    )
    person = person_of["person_id"].astype(str).to_numpy(dtype=object)
    half = len(source_l)
    left, right = at[:half], at[half:]
    same: npt.NDArray[np.bool_] = (left >= 0) & (right >= 0)
    same[same] = person[left[same]] == person[right[same]]
    return same


def _records_per_source(sources: pd.Series) -> dict[str, int]:
    """Records per source (as text), most first, ties in order of first appearance:
    ``sources.astype(str).value_counts()``, counted on integer codes."""
    codes, names = pd.factorize(sources, use_na_sentinel=False)
    counts = pd.Series(
        np.bincount(codes, minlength=len(names)), index=[str(name) for name in names]
    )
    return {str(k): int(v) for k, v in counts.sort_values(ascending=False).items()}


def _one_person_at(
    person_of: pd.DataFrame, node_l: npt.NDArray[np.intp], node_r: npt.NDArray[np.intp]
) -> npt.NDArray[np.bool_]:
    """:func:`_one_person` of pairs whose records are the rows ``node_l`` and ``node_r``
    of ``person_of``, compared by the persons' codes (ids and the engine's integer labels
    alike; a missing person is one code, as :func:`_one_person`'s text ``"None"`` is)."""
    person, _uniques = pd.factorize(person_of["person_id"], use_na_sentinel=False)
    same: npt.NDArray[np.bool_] = person[node_l] == person[node_r]
    return same


def estimates_input(
    pairs: pd.DataFrame,
    person_of: pd.DataFrame,
    model_json: dict[str, Any],
    floor_weight: float,
    threshold_weight: float,
    one_per_person: Collection[str] = (),
    aligned: bool = False,
) -> EstimatesInput:
    """The estimator's input from a run's scored pairs and its spine.

    ``pairs`` are :attr:`.engine.LinkResult.pairs` (ids, weights, agreement levels,
    ``node_l``/``node_r``); ``person_of`` has ``source``, ``record_id``, ``person_id``
    for every record of the spine. ``aligned``: ``person_of``'s rows are the token
    table's, which ``node_l``/``node_r`` number (a link run's spine is), so each pair's
    records are read at those rows rather than looked up by source and record id.
    """
    weights = level_weights(model_json)
    weight_without = pairs["match_weight"].to_numpy(dtype=float).copy()
    holdout = np.full(len(pairs), -1, dtype=np.int8)
    for name in HOLDOUT_FIELDS:
        column = f"gamma_{name}"
        if column not in pairs or name not in weights:
            continue
        gamma = pairs[column].to_numpy().astype(np.int64)
        weight_without -= weights[name][gamma + 1]
        exact = len(weights[name]) - 2  # the highest gamma: exact agreement
        holdout = np.where(gamma == exact, 1, np.where((gamma >= 0) & (holdout < 1), 0, holdout))
    disagreement = [weights[n][1] for n in HOLDOUT_FIELDS if n in weights and f"gamma_{n}" in pairs]
    cut = floor_weight - min([0.0, *disagreement])
    source_l = pairs["source_dataset_l"].astype(str).to_numpy()
    source_r = pairs["source_dataset_r"].astype(str).to_numpy()
    # What the clustering reads, the sources as integer codes (it groups by them).
    source_codes, source_names = pd.factorize(np.concatenate([source_l, source_r]))
    read = ["node_l", "node_r", "match_weight", "deterministic"]
    read += [c for c in pairs.columns if c.startswith("gamma_")]
    with_weights = pairs[[c for c in read if c in pairs]].assign(
        weight_without=weight_without,
        source_dataset_l=source_codes[: len(pairs)],
        source_dataset_r=source_codes[len(pairs) :],
    )
    # The identifiers are hidden from half the pairs at a time, so that the linkage
    # each pair is judged by keeps the other half's identifiers, as the real one did.
    nodes_l, nodes_r = pairs["node_l"].to_numpy(), pairs["node_r"].to_numpy()
    block = _components(nodes_l, nodes_r)[nodes_l] if len(pairs) else np.zeros(0, dtype=int)
    holdout_same = np.zeros(len(pairs), dtype=bool)
    if (holdout >= 0).any():
        half = _halves(pairs, block)
        for side in (half, ~half):
            hidden = side & (holdout >= 0)
            # The clustering decides each pair by the pairs of its block alone (they
            # share records; other blocks share none): it is rerun on the blocks that
            # hold a hidden pair, which gives those pairs the same answer.
            has_hidden = np.zeros(int(block.max()) + 1, dtype=bool)
            has_hidden[block[hidden]] = True
            inside = has_hidden[block]
            subset = with_weights[inside]
            judged = holdout_links(
                subset,
                model_json,
                threshold_weight,
                pd.Series(hidden[inside], index=subset.index),
            )
            holdout_same[hidden] = judged.to_numpy(dtype=bool)[hidden[inside]]
    record_l = pairs["unique_id_l"].astype(str).to_numpy()
    record_r = pairs["unique_id_r"].astype(str).to_numpy()
    swap = (source_l > source_r) | ((source_l == source_r) & (record_l > record_r))
    same = (
        _one_person_at(person_of, nodes_l, nodes_r)
        if aligned and len(pairs)
        else _one_person(person_of, source_l, record_l, source_r, record_r)
    )
    frame = pd.DataFrame(
        {
            "source_l": np.where(swap, source_r, source_l),
            "record_l": np.where(swap, record_r, record_l),
            "source_r": np.where(swap, source_l, source_r),
            "record_r": np.where(swap, record_l, record_r),
            "same": same,
            "weight": pairs["match_weight"].to_numpy(dtype=float),
            "probability": pairs["match_probability"].to_numpy(dtype=float),
            "weight_without": weight_without,
            "holdout": holdout,
            "holdout_same": holdout_same,
            "block": block,
            "linked": pairs["linked"].to_numpy(dtype=bool)
            if "linked" in pairs
            else np.zeros(len(pairs), dtype=bool),
            "node_l": pairs["node_l"].to_numpy(),
            "node_r": pairs["node_r"].to_numpy(),
            "reviewed": np.full(len(pairs), -1, dtype=np.int8),
        }
    )
    records = _records_per_source(person_of["source"])
    # Source pairs by integer codes: one label per distinct pair of names, not per pair.
    codes_l, codes_r = source_codes[: len(pairs)], source_codes[len(pairs) :]
    group, firsts, seconds = _source_pairs(
        np.where(swap, codes_r, codes_l), np.where(swap, codes_l, codes_r), source_names
    )
    labels = {f"{a}~{b}": number for number, (a, b) in enumerate(zip(firsts, seconds, strict=True))}
    # Missing shares of each gamma column per (source pair, in one person), counted once.
    cells = 2 * len(labels)
    cell = group * 2 + same
    sizes = np.bincount(cell, minlength=cells).reshape(-1, 2)
    absent = {
        column: np.bincount(cell, weights=pairs[column].to_numpy() < 0, minlength=cells).reshape(
            -1, 2
        )
        for column in pairs.columns
        if column.startswith("gamma_")
    }

    def tails(counted: npt.NDArray[np.intp]) -> tuple[float, float, float]:
        def shares(side: int) -> dict[str, float]:
            size = sizes[counted, side].sum()
            if not size:
                return {}
            return {c: float(n[counted, side].sum() / size) for c, n in absent.items()}

        floor, threshold = _weight_below(
            model_json, shares(1), (floor_weight, threshold_weight), "m"
        )
        (below,) = _weight_below(model_json, shares(0), (threshold_weight,), "u")
        return floor, threshold, 1.0 - below

    shortfall = {name: tails(np.array([labels[name]])) for name in sorted(labels)}
    shortfall["all"] = tails(np.arange(len(labels)))
    return EstimatesInput(
        pairs=frame,
        records=records,
        floor_weight=floor_weight,
        calibration_cut=cut,
        threshold_weight=threshold_weight,
        prior=float(model_json.get("probability_two_random_records_match", 1e-4)),
        shortfall=shortfall,
        one_per_person=frozenset(one_per_person),
    )
