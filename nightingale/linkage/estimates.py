"""Precision and recall of a spine estimated without truth, with 95% intervals.

On real data there is no truth file, and the model's own match probabilities are a poor
guide to the spine's quality: the clustering rejects pairs the model likes (the twin
and parent-and-child patterns, the one-to-one rule, pairs another source keeps apart)
and joins records the model never compared (through a third record). So the estimate
is made of what a real deployment has, in this order of trust:

1. **Identifiers held out of scoring.** Where both records of a pair carry a strong
   identifier (NHS or NI number) the pair is scored again without it
   (``weight_without``: the match weight less that comparison's weight), and the
   clustering is run again with the identifiers hidden from half of such pairs at a
   time (:func:`holdout_links`), so that each is judged by a linkage that keeps the
   rest of the evidence, as the real one did. Among such pairs, in each stratum of
   (in one person without the identifier?, band of the weight without it on the
   scale of the source pair's own prior), the share that agree on the identifier
   estimates the share that are true matches, corrected for the identifier's own
   error rate ``e`` (how often the surest links disagree on it):
   ``pi = agree / (1 - e)``. Pairs *without* the identifier take the match rate of
   their stratum (their linkage never saw one either); pairs *with* it take their
   posterior given agreement or disagreement. This assumes that, within a stratum,
   carrying the identifier says nothing about being a match (missing at random).
   Below the weight where a disagreeing pair would have fallen under the scoring
   floor the check cannot reach; there the model's odds are rescaled by the factor
   between the checked and the model's rate of the lowest band.
2. **Links through other records.** A pair in one person only through a third record
   is at least as likely as both ends' surest links.
3. **Impossible pairs.** Two records of a source that holds one record per person
   (``one_per_person``; e.g. each FEBRL file) cannot be one person: such pairs count as
   false. (Events after death would be evidence too, but the linkage zone never sees
   content, by design.)
4. **The model and the weight distribution**, where no identifier is held out (FEBRL):
   the model's Bayes factors with each source pair's own prior, fitted to that source
   pair's weight distribution by EM (Splink has one prior for all pairs, and a pair of
   files of one record per person has a much higher one than a deduplication). The
   share of true matches the model expects below the scoring floor (never scored) and
   below the threshold comes from the m probabilities (:func:`weight_below`).
5. **Clerical review** (:func:`update_with_review`), when a steward has reviewed pairs:
   reviewed pairs count as decided and their strata move towards what was found.

Precision is the estimated share of true matches among scored pairs in one person;
recall is those true matches over all estimated true matches: scored pairs in no
person, plus the share the model says were never scored. Both are per source pair
(``health~housing``; ``health~health`` is deduplication) and overall, as in
:func:`.evaluation.pairwise_metrics`, which measures them against truth.

Intervals: a bootstrap over blocks (connected groups of scored pairs, which share
records and so errors), redoing the calibration in each draw, with a seed derived from
the pairs' content (the same pairs give the same interval, in any row order). The
interval also reaches what the estimate would be if the pairs no identifier can check
were all decided favourably, and, where no identifier is held out, the model's
weight-distribution estimates (:func:`weight_below`): estimators resting on other
assumptions, about which the interval is honest.

The estimator never reads truth: its input (:class:`EstimatesInput`) has no place for it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import coo_matrix, csr_matrix, vstack

from nightingale.linkage.estimates_input import (
    HOLDOUT_FIELDS,
    EstimatesInput,
    estimates_input,
    holdout_links,
    weight_below,
)
from nightingale.platform.errors import NightingaleError

__all__ = [
    "HOLDOUT_FIELDS",
    "EstimatesInput",
    "estimate",
    "estimates_input",
    "holdout_links",
    "update_with_review",
    "weight_below",
]

#: Edges of the bands of weight without the held-out identifier (bits).
BAND_EDGES = (0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0)
#: Pseudo-count pulling a thin stratum's match rate towards the model's probabilities.
SHRINK = 2.0
#: Bootstrap draws for the intervals.
DRAWS = 200
#: Weight from which the identifier's own error rate is read (the surest links).
ERROR_BAND_FROM = BAND_EDGES[-1]


# --- the estimator ------------------------------------------------------------------


def _band(weight: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    return np.searchsorted(np.array(BAND_EDGES), weight, side="right").astype(np.intp)


@dataclass(frozen=True)
class _Prepared:
    """Arrays the estimate reads, computed once and reused by every bootstrap draw."""

    group: npt.NDArray[np.intp]  # source pair code per pair
    names: list[str]
    same: npt.NDArray[np.bool_]
    impossible: npt.NDArray[np.bool_]
    holdout: npt.NDArray[np.int8]
    calibrated: npt.NDArray[np.bool_]  # weight without the identifier above the cut
    stratum: npt.NDArray[np.intp]  # (status, band) for the hold-out calibration
    stratum_count: int
    error_band: npt.NDArray[np.bool_]
    log_bayes: npt.NDArray[np.float64]  # log2 Bayes factor of the model
    candidates: npt.NDArray[np.float64]  # candidate pairs per source pair
    #: the model's probability with each source pair's own prior where no identifier is
    #: held out (fitted once: the prior barely moves between bootstrap draws), else the
    #: model's own
    model_probability: npt.NDArray[np.float64]
    floor_short: npt.NDArray[np.float64]  # per source pair
    has_holdout: bool
    reviewed: npt.NDArray[np.int8]  # 1 match, 0 non-match, -1 not reviewed
    #: in one person only through other records (not linked directly), and the ends
    through: npt.NDArray[np.bool_]
    ends: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]
    review_stratum: npt.NDArray[np.intp]  # (in one person, band of the model's weight)
    review_strata: int
    #: the same masks as positions, and what each draw reads through them (see
    #: :class:`_Positions`): a draw touches each subset once instead of every pair
    at: _Positions


@dataclass(frozen=True)
class _Positions:
    """What every draw reads, arranged once so that each sum is one pass over the pairs.

    A sum over the pairs a mask selects is a ``bincount`` with the others sent to a
    spare bin: each bin adds its pairs in pair order, as the sum weighted by the mask
    did, so the results are the same to the last bit.
    """

    #: block of each pair (a draw weighs blocks: each pair counts its block's weight)
    blocks: npt.NDArray[np.intp]
    #: the sums of whole numbers a draw needs, as rows of a (sums x blocks) matrix of
    #: pair counts: exact in any order, so one product with the block weights gives
    #: them all: pairs per (stratum, identifier) among the calibrated
    #: (``3 * strata`` rows), linked pairs per source pair (``groups``), pairs in the
    #: error band, and those agreeing on the identifier
    whole: csr_matrix
    #: per pair, its stratum and identifier (0 none, 1 disagrees, 2 agrees): the hold-out
    #: probability is a function of the two
    cell: npt.NDArray[np.intp]
    #: ``cell`` of the calibrated pairs, the spare bin (3 * strata) for the others
    checked_cell: npt.NDArray[np.intp]
    #: the stratum of the calibrated pairs, the spare bin (strata) for the others
    checked_stratum: npt.NDArray[np.intp]
    uncalibrated: npt.NDArray[np.intp]
    odds_below: npt.NDArray[np.float64]  # the model's odds of the uncalibrated pairs
    status_below: npt.NDArray[np.intp]  # their status (0 apart, 1 in one person)
    #: source pair code of the pairs in one person, code + source pairs for the others
    by_link: npt.NDArray[np.intp]
    impossible: npt.NDArray[np.intp]
    through: npt.NDArray[np.intp]  # in one person only through others (empty: no such step)
    #: the direct links touching an end of a through pair, that end's code among the
    #: ends, and the two ends' codes of each through pair
    touching: npt.NDArray[np.intp]
    touching_end: npt.NDArray[np.intp]
    ends: int
    through_l: npt.NDArray[np.intp]
    through_r: npt.NDArray[np.intp]


def _prepare(data: EstimatesInput) -> _Prepared:
    pairs = data.pairs
    names_l = pairs["source_l"].to_numpy(dtype=object)
    names_r = pairs["source_r"].to_numpy(dtype=object)
    codes, names = _source_pair_codes(names_l, names_r)
    holdout = pairs["holdout"].to_numpy(dtype=np.int8)
    weight_without = pairs["weight_without"].to_numpy(dtype=float)
    calibrated = weight_without >= data.calibration_cut
    same = pairs["same"].to_numpy(dtype=bool)
    status = np.where(holdout >= 0, pairs["holdout_same"].to_numpy(dtype=bool), same)
    prior = min(max(data.prior, 1e-12), 1 - 1e-12)
    log_bayes = pairs["weight"].to_numpy(dtype=float) - math.log2(prior / (1 - prior))
    candidates = []
    for name in names:
        left, right = name.split("~", 1)
        n_l, n_r = data.records.get(left, 0), data.records.get(right, 0)
        candidates.append(n_l * (n_l - 1) / 2 if left == right else n_l * n_r)
    candidate_pairs = np.maximum(np.array(candidates, dtype=float), 1.0)
    group = codes.astype(np.intp)
    priors = _source_priors(group, log_bayes, candidate_pairs)
    # Bands on the scale of the posterior: the weight without identifiers with the
    # source pair's own prior, so that a deduplication (few matches among many pairs)
    # and a linkage across sources (many) are compared like with like.
    posterior_scale = (
        weight_without + np.log2(priors / (1 - priors))[group] - math.log2(prior / (1 - prior))
    )
    bands = len(BAND_EDGES) + 1
    stratum = status.astype(np.intp) * bands + _band(posterior_scale)
    floor_short = np.array([data.shortfall.get(n, (0.0, 0.0, 0.0))[0] for n in names])
    one = data.one_per_person
    impossible = (names_l == names_r) & np.isin(names_l, list(one))
    has_holdout = bool(((holdout >= 0) & calibrated).any())
    blocks, block_count = _block_codes(pairs)
    model_probability = pairs["probability"].to_numpy(dtype=float)
    if not has_holdout:
        odds = (priors / (1 - priors))[group] * np.exp2(np.clip(log_bayes, -60, 60))
        model_probability = odds / (1 + odds)
    through = same & ~_column(pairs, "linked", False).astype(bool)
    ends = (
        _column(pairs, "node_l", -1).astype(np.intp),
        _column(pairs, "node_r", -1).astype(np.intp),
    )
    return _Prepared(
        group=group,
        names=names,
        same=same,
        impossible=impossible,
        holdout=holdout,
        calibrated=calibrated,
        stratum=stratum,
        stratum_count=2 * bands,
        error_band=(holdout >= 0) & status & (weight_without >= ERROR_BAND_FROM),
        log_bayes=log_bayes,
        candidates=candidate_pairs,
        model_probability=model_probability,
        floor_short=floor_short,
        has_holdout=has_holdout,
        reviewed=(
            pairs["reviewed"].to_numpy(dtype=np.int8)
            if "reviewed" in pairs
            else np.full(len(pairs), -1, dtype=np.int8)
        ),
        review_stratum=same.astype(np.intp) * bands + _band(pairs["weight"].to_numpy(dtype=float)),
        review_strata=2 * bands,
        through=through,
        ends=ends,
        at=_positions(
            holdout=holdout,
            calibrated=calibrated,
            error_band=(holdout >= 0) & status & (weight_without >= ERROR_BAND_FROM),
            stratum=stratum,
            strata=2 * bands,
            group=group,
            groups=len(names),
            blocks=blocks,
            block_count=block_count,
            model_probability=model_probability,
            same=same,
            impossible=impossible,
            through=through,
            ends=ends,
        ),
    )


def _source_pair_codes(
    names_l: npt.NDArray[Any], names_r: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Each pair's code of its source pair (``a~b``), codes in the order of the labels."""
    codes, uniques = pd.factorize(np.concatenate([names_l, names_r]))
    count = max(len(uniques), 1)
    half = len(names_l)
    present, group = np.unique(codes[:half] * count + codes[half:], return_inverse=True)
    labels = [f"{uniques[c // count]}~{uniques[c % count]}" for c in present]
    order = sorted(range(len(labels)), key=labels.__getitem__)
    renumber = np.empty(len(labels), dtype=np.intp)
    renumber[order] = np.arange(len(labels))
    return renumber[group.reshape(-1)].astype(np.intp), [labels[i] for i in order]


def _positions(
    *,
    holdout: npt.NDArray[np.int8],
    calibrated: npt.NDArray[np.bool_],
    error_band: npt.NDArray[np.bool_],
    stratum: npt.NDArray[np.intp],
    strata: int,
    group: npt.NDArray[np.intp],
    groups: int,
    blocks: npt.NDArray[np.intp],
    block_count: int,
    model_probability: npt.NDArray[np.float64],
    same: npt.NDArray[np.bool_],
    impossible: npt.NDArray[np.bool_],
    through: npt.NDArray[np.bool_],
    ends: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]],
) -> _Positions:
    agree = holdout == 1
    cell = stratum * 3 + np.where(holdout >= 0, np.where(agree, 2, 1), 0)
    rows = [
        (calibrated, cell),
        (same, 3 * strata + group),
        (error_band, np.full(len(cell), 3 * strata + groups)),
        (error_band & agree, np.full(len(cell), 3 * strata + groups + 1)),
    ]
    row = np.concatenate([at[mask] for mask, at in rows])
    column = np.concatenate([blocks[mask] for mask, _at in rows])
    whole = coo_matrix(
        (np.ones(len(row)), (row, column)), shape=(3 * strata + groups + 2, block_count)
    ).tocsr()
    uncalibrated = np.flatnonzero(~calibrated)
    nodes_l, nodes_r = ends
    usable = through.any() and not ((nodes_l < 0).any() or (nodes_r < 0).any())
    through_at = np.flatnonzero(through) if usable else np.zeros(0, dtype=np.intp)
    # The surest direct link of each end of a through pair: only those ends are read.
    end_nodes, end_codes = np.unique(
        np.concatenate([nodes_l[through_at], nodes_r[through_at]]), return_inverse=True
    )
    end_codes = end_codes.reshape(-1)
    direct = np.flatnonzero(same & ~through) if usable else np.zeros(0, dtype=np.intp)
    end_of_node = np.full(int(max(nodes_l.max(initial=-1), nodes_r.max(initial=-1))) + 1, -1)
    end_of_node[end_nodes] = np.arange(len(end_nodes))
    touching, touching_end = [], []
    for nodes in (nodes_l, nodes_r):
        where = end_of_node[nodes[direct]]
        touching.append(direct[where >= 0])
        touching_end.append(where[where >= 0])
    return _Positions(
        blocks=blocks,
        whole=whole,
        cell=cell,
        checked_cell=np.where(calibrated, cell, 3 * strata),
        checked_stratum=np.where(calibrated, stratum, strata),
        uncalibrated=uncalibrated,
        odds_below=_odds(model_probability)[uncalibrated],
        status_below=(stratum // (strata // 2))[uncalibrated],
        by_link=np.where(same, group, group + groups),
        impossible=np.flatnonzero(impossible),
        through=through_at,
        touching=np.concatenate(touching),
        touching_end=np.concatenate(touching_end),
        ends=len(end_nodes),
        through_l=end_codes[: len(through_at)].astype(np.intp),
        through_r=end_codes[len(through_at) :].astype(np.intp),
    )


def _column(pairs: pd.DataFrame, name: str, default: Any) -> npt.NDArray[Any]:
    if name in pairs:
        return pairs[name].to_numpy()
    return np.full(len(pairs), default)


def _source_priors(
    group: npt.NDArray[np.intp],
    log_bayes: npt.NDArray[np.float64],
    candidates: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Each source pair's prior (the share of its candidate pairs that match), fitted by
    EM to its weight distribution with the model's Bayes factors fixed; pairs below the
    floor count as non-matches."""
    groups = len(candidates)
    prior = np.full(groups, 1e-4)
    bayes = np.exp2(np.clip(log_bayes, -60, 60))
    for _ in range(200):
        odds = prior / (1 - prior)
        probability = odds[group] * bayes / (1 + odds[group] * bayes)
        expected = np.bincount(group, weights=probability, minlength=groups)
        updated = np.clip(expected / candidates, 1e-12, 0.5)
        if np.allclose(updated, prior, rtol=1e-6, atol=0):
            return updated
        prior = updated
    return prior


def _match_probabilities(
    prep: _Prepared, counts: npt.NDArray[np.float64], whole: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Each scored pair's estimated probability of being a true match.

    ``counts`` weighs the pairs (1 each, or a bootstrap draw's block counts) and
    ``whole`` holds the draw's sums of them (:attr:`_Positions.whole`).
    """
    at = prep.at
    if prep.has_holdout:
        model_sum = np.bincount(
            at.checked_stratum,
            weights=counts * prep.model_probability,
            minlength=prep.stratum_count + 1,
        )[: prep.stratum_count]
        by_cell, below = _checked(prep, whole, model_sum)
        probability = by_cell[at.cell]
        probability[at.uncalibrated] = below
    else:
        probability = prep.model_probability.copy()
    probability = _through_links(prep, probability)
    if (prep.reviewed >= 0).any():
        probability = _with_review(prep, counts, probability)
    probability[at.impossible] = 0.0
    return probability


def _checked(
    prep: _Prepared, whole: npt.NDArray[np.float64], model_sum: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The hold-out calibration of one draw: the probability of a checked pair per
    ``cell`` (stratum and identifier), and of each pair below the cut
    (``at.uncalibrated``).

    ``whole`` holds the draw's sums of whole numbers (:attr:`_Positions.whole`) and
    ``model_sum`` the model's probabilities of the checked pairs summed per stratum.
    """
    at = prep.at
    size = prep.stratum_count
    error_pairs, agree_error = (float(x) for x in whole[-2:])
    error = 1.0 - agree_error / error_pairs if error_pairs else 0.0
    error = min(max(error, 0.0), 0.5)
    by_cell = whole[: 3 * size].reshape(size, 3)
    agree = by_cell[:, 2]
    seen = by_cell[:, 1] + by_cell[:, 2]
    model_rate = model_sum / np.maximum(by_cell[:, 0] + seen, 1e-12)
    rate = np.clip((agree / (1 - error) + SHRINK * model_rate) / (seen + SHRINK), 0.0, 1.0)
    # The probability of a checked pair depends on its stratum and on whether the
    # identifier is absent, disagrees or agrees: worked out per stratum, then looked up.
    pi = rate
    given_agree = pi * (1 - error) / np.maximum(pi * (1 - error) + (1 - pi) * 1e-6, 1e-300)
    given_disagree = pi * error / np.maximum(pi * error + (1 - pi), 1e-300)
    per_cell = np.stack([pi, given_disagree, given_agree], axis=1).ravel()
    # Below the cut no identifier can check the model; its weights are trusted for
    # differences only, its level set where the check ends: the model's odds scaled
    # by the factor between the checked and the model's rate of the lowest band.
    bands = size // 2
    lowest = np.array([0, bands])  # band 0 of "not in one person", of "in one"
    factor = _odds(rate[lowest]) / np.maximum(_odds(model_rate[lowest]), 1e-300)
    factor = np.where(seen[lowest] > 0, factor, 1.0)
    below = factor[at.status_below] * at.odds_below
    result: npt.NDArray[np.float64] = below / (1 + below)
    return per_cell, result


def _through_links(
    prep: _Prepared, probability: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Pairs in one person only through other records: at least as likely as both
    ends' links being right (``probability`` is updated in place and returned).

    Records a and c joined through b are one person when the links a-b and b-c both
    are: each end's surest direct link, multiplied, bounds the pair's probability from
    below (a pair scored weak on its own fields can still be one person, e.g. a record
    joined to its duplicate through a third source). Only the ends of such pairs are
    looked at (:class:`_Positions`).
    """
    at = prep.at
    return _raise_through(
        probability, at.touching, at.touching_end, at.ends, at.through, at.through_l, at.through_r
    )


def _raise_through(
    probability: npt.NDArray[np.float64],
    touching: npt.NDArray[np.intp],
    touching_end: npt.NDArray[np.intp],
    ends: int,
    through: npt.NDArray[np.intp],
    through_l: npt.NDArray[np.intp],
    through_r: npt.NDArray[np.intp],
) -> npt.NDArray[np.float64]:
    """:func:`_through_links` on positions in ``probability`` (all pairs, or a draw's
    subset of them: :class:`_Draws`)."""
    if not len(through):
        return probability
    surest = np.zeros(ends)
    np.maximum.at(surest, touching_end, probability[touching])
    path = surest[through_l] * surest[through_r]
    probability[through] = np.maximum(probability[through], path)
    return probability


def _odds(probability: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    clipped = np.clip(probability, 1e-12, 1 - 1e-12)
    result: npt.NDArray[np.float64] = clipped / (1 - clipped)
    return result


#: Pseudo-count of the estimate before review, against which a stratum's reviewed pairs
#: weigh: ten reviewed pairs move a stratum's match rate half way to what they show.
REVIEW_PRIOR = 10.0


def _with_review(
    prep: _Prepared, counts: npt.NDArray[np.float64], probability: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The probabilities with clerical review folded in, stratum by stratum.

    A reviewed pair is what the reviewer decided. In each stratum (in one person or
    not, by band of match weight: the strata the review sample is drawn from), the match
    rate becomes ``(REVIEW_PRIOR * before + matches) / (REVIEW_PRIOR + reviewed)``, and
    the unreviewed pairs' probabilities are scaled so that their mean is that rate
    (towards 0 as ``p * rate / before``, towards 1 as ``1 - (1 - p)(1 - rate) /
    (1 - before)``), keeping their order within the stratum.
    """
    size = prep.review_strata
    stratum = prep.review_stratum
    reviewed = prep.reviewed >= 0
    before = np.bincount(stratum, weights=counts * probability, minlength=size) / np.maximum(
        np.bincount(stratum, weights=counts, minlength=size), 1e-12
    )
    seen = np.bincount(stratum, weights=counts * reviewed, minlength=size)
    matches = np.bincount(stratum, weights=counts * (prep.reviewed == 1), minlength=size)
    rate = (REVIEW_PRIOR * before + matches) / (REVIEW_PRIOR + seen)
    b, r = before[stratum], rate[stratum]
    down = probability * r / np.maximum(b, 1e-12)
    up = 1 - (1 - probability) * (1 - r) / np.maximum(1 - b, 1e-12)
    scaled = np.clip(np.where(r <= b, down, up), 0.0, 1.0)
    return np.where(reviewed, (prep.reviewed == 1).astype(float), scaled)


def update_with_review(data: EstimatesInput, reviewed_pairs: pd.DataFrame) -> EstimatesInput:
    """``data`` with clerical review decisions, for :func:`estimate` to fold in.

    ``reviewed_pairs`` has ``source_l``, ``record_l``, ``source_r``, ``record_r`` (either
    order) and ``match`` (true when the reviewer found the two records are one person).
    A later decision on the same pair replaces an earlier one. Raises
    :class:`NightingaleError` naming the row for a pair this run did not score or a
    decision that is not true or false.
    """
    pairs = data.pairs
    if "record_l" not in pairs:
        raise NightingaleError("these estimates carry no pair ids to match reviews to")
    missing = {"source_l", "record_l", "source_r", "record_r", "match"} - set(reviewed_pairs)
    if missing:
        raise NightingaleError(f"reviewed pairs: missing column(s) {', '.join(sorted(missing))}")
    key = pd.Index(
        _pair_key(pairs["source_l"], pairs["record_l"], pairs["source_r"], pairs["record_r"])
    )
    asked = _pair_key(
        reviewed_pairs["source_l"],
        reviewed_pairs["record_l"],
        reviewed_pairs["source_r"],
        reviewed_pairs["record_r"],
    )
    at = key.get_indexer(pd.Index(asked))
    decisions = reviewed_pairs["match"].to_numpy(dtype=object)
    for row, (where, decision) in enumerate(zip(at, decisions, strict=True), start=1):
        if where < 0:
            raise NightingaleError(f"reviewed pairs, row {row}: a pair this run did not score")
        if not isinstance(decision, bool | np.bool_):
            raise NightingaleError(f"reviewed pairs, row {row}, field match: not true or false")
    reviewed = pairs["reviewed"].to_numpy(dtype=np.int8).copy()
    reviewed[at] = np.asarray(decisions, dtype=bool).astype(np.int8)
    return dataclasses.replace(data, pairs=pairs.assign(reviewed=reviewed))


def _pair_key(
    source_l: pd.Series, record_l: pd.Series, source_r: pd.Series, record_r: pd.Series
) -> npt.NDArray[np.object_]:
    """One text per pair, the same whichever record is named first."""
    left = source_l.astype(str).to_numpy() + "\x1f" + record_l.astype(str).to_numpy()
    right = source_r.astype(str).to_numpy() + "\x1f" + record_r.astype(str).to_numpy()
    first, second = np.minimum(left, right), np.maximum(left, right)
    return np.asarray(first + "\x1e" + second, dtype=object)


def _totals(
    prep: _Prepared, weights: npt.NDArray[np.float64], unchecked: bool = False
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Precision and recall per source pair, then overall (the last entry), each pair
    counted as often as its block's ``weights`` say (1 each, or a bootstrap draw).

    ``unchecked``: the pairs the held-out identifiers cannot check (too weak without
    them; every pair when no identifier is held out) count at the favourable extreme
    instead of at their estimated probability: matches when in one person, non-matches
    when not, and no matches below the scoring floor.
    """
    counts = weights[prep.at.blocks]
    whole = prep.at.whole @ weights
    probability = _match_probabilities(prep, counts, whole)
    if unchecked:
        checked = prep.calibrated & prep.has_holdout  # without identifiers, none is
        probability = np.where(checked, probability, prep.same.astype(float))
    groups = len(prep.names)
    # In pair order per bin, as the sums over every pair weighted by a mask were.
    weighted = np.bincount(prep.at.by_link, weights=counts * probability, minlength=2 * groups)
    return _rates(prep, whole, weighted, unchecked)


def _rates(
    prep: _Prepared,
    whole: npt.NDArray[np.float64],
    weighted: npt.NDArray[Any],
    unchecked: bool = False,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """:func:`_totals` from a draw's sums: ``whole`` (:attr:`_Positions.whole`) and the
    expected matches per source pair among the pairs in one person, then among the others
    (``weighted``)."""
    groups = len(prep.names)
    linked = whole[3 * prep.stratum_count :][:groups]
    hits, missed = weighted[:groups], weighted[groups:]
    scored_true = hits + missed
    # Matches never scored (below the floor) are unchecked too: none, favourably.
    short = np.zeros_like(prep.floor_short) if unchecked else prep.floor_short
    unscored = scored_true * short / np.maximum(1 - short, 1e-9)
    hits_all, linked_all = hits.sum(), linked.sum()
    true_all = scored_true.sum() + unscored.sum()
    precision = np.append(hits / np.maximum(linked, 1e-12), hits_all / max(linked_all, 1e-12))
    recall = np.append(
        hits / np.maximum(scored_true + unscored, 1e-12), hits_all / max(true_all, 1e-12)
    )
    precision = np.where(np.append(linked, linked_all) > 0, precision, 1.0)
    recall = np.where(np.append(scored_true + unscored, true_all) > 0, recall, 1.0)
    return precision, recall


@dataclass(frozen=True)
class _Draws:
    """The bootstrap's draws, arranged so that a draw works on few pairs.

    Most pairs' probability is a function of their cell alone (stratum and identifier;
    with no identifier held out, the model's own): their expected matches per source
    pair are sums of block weights per (source pair and link, cell), whole numbers that
    one product with the block weights gives, beside :attr:`_Positions.whole` and the
    model's probabilities summed per stratum. Only the pairs below the cut, those in one
    person through others and the direct links touching their ends (``pairs``) get a
    probability of their own in each draw. The sums are the same as :func:`_totals`'
    but for the order of the additions (the last bits of a float).
    """

    #: rows: :attr:`_Positions.whole`, the model's probability summed per stratum (with
    #: a held-out identifier), then the sums of the pairs whose probability is their
    #: cell's (per source pair and link and cell; or their model probability summed per
    #: source pair and link)
    matrix: csr_matrix
    #: the pairs with a probability of their own, and per such pair its cell (or its
    #: model probability)
    pairs: npt.NDArray[np.intp]
    cell: npt.NDArray[np.intp]
    base: npt.NDArray[np.float64]
    #: positions among ``pairs``: below the cut (in the order of ``at.uncalibrated``),
    #: touching an end and through (in the order of ``at.touching`` and ``at.through``)
    uncalibrated: npt.NDArray[np.intp]
    touching: npt.NDArray[np.intp]
    through: npt.NDArray[np.intp]
    #: positions among ``pairs`` of those summed one by one (not impossible), by source
    #: pair and link, and their blocks; where each source pair and link present starts
    summed: npt.NDArray[np.intp]
    summed_block: npt.NDArray[np.intp]
    summed_starts: npt.NDArray[np.intp]
    summed_links: npt.NDArray[np.intp]


def _draws(prep: _Prepared) -> _Draws:
    at = prep.at
    size, groups = prep.stratum_count, len(prep.names)
    count = len(prep.group)
    own = np.zeros(count, dtype=bool)
    own[at.through] = True
    if prep.has_holdout:
        own[at.uncalibrated] = True
    needed = own.copy()
    needed[at.touching] = True
    pairs = np.flatnonzero(needed)
    impossible = np.zeros(count, dtype=bool)
    impossible[at.impossible] = True
    plain = np.flatnonzero(~own & ~impossible)
    block_count = at.whole.shape[1]
    model_probability = prep.model_probability
    if prep.has_holdout:
        checked = np.flatnonzero(at.checked_stratum < size)
        rows = [
            coo_matrix(
                (model_probability[checked], (at.checked_stratum[checked], at.blocks[checked])),
                shape=(size, block_count),
            ),
            coo_matrix(
                (
                    np.ones(len(plain)),
                    (at.by_link[plain] * 3 * size + at.cell[plain], at.blocks[plain]),
                ),
                shape=(2 * groups * 3 * size, block_count),
            ),
        ]
    else:
        rows = [
            coo_matrix(
                (model_probability[plain], (at.by_link[plain], at.blocks[plain])),
                shape=(2 * groups, block_count),
            )
        ]
    summed = np.flatnonzero(own[pairs] & ~impossible[pairs])
    summed = summed[np.argsort(at.by_link[pairs[summed]], kind="stable")]
    link = at.by_link[pairs[summed]]
    starts = np.flatnonzero(np.r_[True, link[1:] != link[:-1]]) if len(link) else link
    return _Draws(
        matrix=vstack([at.whole, *rows], format="csr"),
        pairs=pairs,
        cell=at.cell[pairs],
        base=model_probability[pairs],
        uncalibrated=np.searchsorted(pairs, at.uncalibrated) if prep.has_holdout else pairs[:0],
        touching=np.searchsorted(pairs, at.touching),
        through=np.searchsorted(pairs, at.through),
        summed=summed,
        summed_block=at.blocks[pairs[summed]],
        summed_starts=starts,
        summed_links=link[starts],
    )


def _draw_totals(
    prep: _Prepared, draws: _Draws, weights: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """:func:`_totals` of a bootstrap draw (no clerical review), by :class:`_Draws`."""
    at = prep.at
    size, groups = prep.stratum_count, len(prep.names)
    sums = draws.matrix @ weights
    whole, rest = sums[: at.whole.shape[0]], sums[at.whole.shape[0] :]
    if prep.has_holdout:
        per_cell, below = _checked(prep, whole, rest[:size])
        probability = per_cell[draws.cell]
        probability[draws.uncalibrated] = below
        weighted = rest[size:].reshape(2 * groups, 3 * size) @ per_cell
    else:
        probability = draws.base.copy()
        weighted = rest.copy()
    probability = _raise_through(
        probability,
        draws.touching,
        at.touching_end,
        at.ends,
        draws.through,
        at.through_l,
        at.through_r,
    )
    if len(draws.summed):
        weighted[draws.summed_links] += np.add.reduceat(
            weights[draws.summed_block] * probability[draws.summed], draws.summed_starts
        )
    return _rates(prep, whole, weighted)


def content_seed(data: EstimatesInput) -> int:
    """A seed from the pairs' content (not their order, record ids or block labels)."""
    pairs = data.pairs
    columns = [
        np.round(pairs["weight"].to_numpy(dtype=float), 6),
        np.round(pairs["weight_without"].to_numpy(dtype=float), 6),
        pairs["same"].to_numpy(dtype=np.int8),
        pairs["holdout"].to_numpy(dtype=np.int8),
        pairs["holdout_same"].to_numpy(dtype=np.int8),
    ]
    order = np.lexsort(columns[::-1])
    digest = hashlib.sha256()
    for column in columns:
        digest.update(np.ascontiguousarray(column[order]).tobytes())
    return int.from_bytes(digest.digest()[:8], "big")


def _block_codes(pairs: pd.DataFrame) -> tuple[npt.NDArray[np.intp], int]:
    """Blocks numbered by their content (weights, links, agreement), not by position:
    blocks with equal content are interchangeable, so the draws do not depend on order."""
    codes, uniques = pd.factorize(pairs["block"].to_numpy())
    if not len(uniques):
        return codes.astype(np.intp), 0
    content = pd.DataFrame(
        {
            "code": codes,
            "weight": np.round(pairs["weight"].to_numpy(dtype=float), 6),
            "without": np.round(pairs["weight_without"].to_numpy(dtype=float), 6),
            "same": pairs["same"].to_numpy(dtype=float),
            "holdout": pairs["holdout"].to_numpy(dtype=float),
            "holdout_same": pairs["holdout_same"].to_numpy(dtype=float),
        }
    )
    grouped = content.groupby("code")
    keys = [grouped["weight"].size().to_numpy()]
    for column in ("weight", "without", "same", "holdout", "holdout_same"):
        keys += [grouped[column].sum().to_numpy(), grouped[column].max().to_numpy()]
    order = np.lexsort(keys[::-1])
    renumber = np.empty(len(uniques), dtype=np.intp)
    renumber[order] = np.arange(len(uniques))
    return renumber[codes], len(uniques)


def estimate(data: EstimatesInput, draws: int = DRAWS, seed: int | None = None) -> dict[str, Any]:
    """Estimated precision and recall with 95% intervals, overall and per source pair.

    Returns ``{"precision", "precision_ci", "recall", "recall_ci", "method",
    "source_pairs": {"a~b": {...same keys, "linked_pairs"}}}``.
    """
    prep = _prepare(data)
    count = prep.at.whole.shape[1]  # blocks
    ones = np.ones(count)
    precision, recall = _totals(prep, ones)
    rng = np.random.default_rng(content_seed(data) if seed is None else seed)
    samples_p, samples_r = [], []
    plan = _draws(prep) if draws and count and not (prep.reviewed >= 0).any() else None
    for _ in range(draws if count else 0):
        weights = np.bincount(rng.integers(0, count, count), minlength=count).astype(float)
        p, r = _totals(prep, weights) if plan is None else _draw_totals(prep, plan, weights)
        samples_p.append(p)
        samples_r.append(r)
    names = [*prep.names, "all"]
    groups = len(prep.names)
    linked = np.append(
        np.bincount(prep.group, weights=prep.same, minlength=groups), prep.same.sum()
    )
    by_weights = _by_weights(data, prep, linked)
    # The model's probabilities for pairs no identifier can check are unverified: the
    # interval reaches to the favourable extreme for them.
    favourable = _totals(prep, ones, unchecked=True)
    rows: dict[str, dict[str, Any]] = {}
    for number, name in enumerate(names):
        p_lo, p_hi = _interval(samples_p, number, precision[number])
        r_lo, r_hi = _interval(samples_r, number, recall[number])
        p_hi = max(p_hi, float(favourable[0][number]))
        r_hi = max(r_hi, float(favourable[1][number]))
        if not prep.has_holdout:
            # The weight-distribution estimates: the interval spans them too.
            p_w, r_w = by_weights[number]
            p_lo, p_hi = min(p_lo, p_w), max(p_hi, p_w)
            r_lo, r_hi = min(r_lo, r_w), max(r_hi, r_w)
        rows[name] = {
            "precision": round(float(precision[number]), 6),
            "precision_ci": [round(p_lo, 6), round(p_hi, 6)],
            "recall": round(float(recall[number]), 6),
            "recall_ci": [round(r_lo, 6), round(r_hi, 6)],
            "linked_pairs": int(linked[number]),
        }
    overall = rows.pop("all")
    method = "held-out identifiers" if prep.has_holdout else "model and weight distribution"
    reviewed = int((prep.reviewed >= 0).sum())
    if reviewed:
        method += " and clerical review"
    return {
        **overall,
        "method": method,
        "draws": draws,
        "reviewed_pairs": reviewed,
        "source_pairs": rows,
    }


def _by_weights(
    data: EstimatesInput, prep: _Prepared, linked: npt.NDArray[np.float64]
) -> list[tuple[float, float]]:
    """Precision and recall from the model's weight distributions alone, per source pair
    then overall: the share of matches above the threshold (recall) and the expected
    non-matches above it among the links (precision)."""
    out = []
    false_all = 0.0
    for number, name in enumerate(prep.names):
        below_floor, below_threshold, above = data.shortfall.get(name, (0.0, 0.0, 0.0))
        del below_floor
        left = name.split("~", 1)[0]
        if left in data.one_per_person and name == f"{left}~{left}":
            out.append((1.0, 1.0))
            continue
        false = above * prep.candidates[number]
        false_all += false
        count = float(linked[number])
        precision = 1.0 - min(false, count) / count if count else 1.0
        out.append((precision, 1.0 - below_threshold))
    count = float(linked[-1])
    overall_recall = 1.0 - data.shortfall.get("all", (0.0, 0.0, 0.0))[1]
    out.append((1.0 - min(false_all, count) / count if count else 1.0, overall_recall))
    return out


def _interval(samples: list[npt.NDArray[np.float64]], at: int, point: float) -> tuple[float, float]:
    if not samples:
        return float(point), float(point)
    values = np.array([s[at] for s in samples])
    low, high = np.percentile(values, [2.5, 97.5])
    return float(min(low, point)), float(max(high, point))
