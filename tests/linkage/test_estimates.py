"""Linkage quality estimated without truth: known answers, intervals that cover, no truth read.

The constructed inputs are :class:`EstimatesInput` tables written by hand: scored
pairs with a weight, whether the spine put them in one person, and agreement on an
identifier held out of scoring. The truth behind them is planted, so the right
estimate is known.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nightingale.linkage.estimates import (
    EstimatesInput,
    _draw_totals,
    _draws,
    _prepare,
    _totals,
    estimate,
    estimates_input,
    holdout_links,
    update_with_review,
    weight_below,
)
from nightingale.linkage.estimates_input import _components, _records_per_source, record_rows
from nightingale.linkage.link_files import files_report, link_files, parse_mapping
from nightingale.linkage.report import estimated_quality
from nightingale.platform.errors import NightingaleError
from tests.linkage.test_link_files import LEFT, MAPPING, RIGHT, _write

COLUMNS = {
    "source_l",
    "record_l",
    "source_r",
    "record_r",
    "reviewed",
    "linked",
    "node_l",
    "node_r",
    "same",
    "weight",
    "probability",
    "weight_without",
    "holdout",
    "holdout_same",
    "block",
}


def _pairs(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows of ``count`` identical pairs each, every pair its own block."""
    frames = []
    for row in rows:
        count = row.pop("count")
        frames.append(pd.DataFrame({key: [value] * count for key, value in row.items()}))
    frame = pd.concat(frames, ignore_index=True)
    frame["block"] = np.arange(len(frame))
    frame["record_l"] = [f"l{number}" for number in range(len(frame))]
    frame["record_r"] = [f"r{number}" for number in range(len(frame))]
    frame["reviewed"] = np.int8(-1)
    return frame


def _input(pairs: pd.DataFrame, **overrides: Any) -> EstimatesInput:
    values: dict[str, Any] = {
        "pairs": pairs,
        "records": {"a": 1000, "b": 1000},
        "floor_weight": -8.0,
        "calibration_cut": -4.0,
        "threshold_weight": 0.0,
        "prior": 1e-3,
        "shortfall": {},
    }
    values.update(overrides)
    return EstimatesInput(**values)


def _pair(count: int, *, same: bool, weight: float, holdout: int, prob: float = 0.5) -> Any:
    return {
        "count": count,
        "source_l": "a",
        "source_r": "b",
        "same": same,
        "weight": weight,
        "probability": prob,
        "weight_without": weight,
        "holdout": holdout,
        "holdout_same": same,
    }


def test_a_held_out_identifier_gives_the_match_rate_of_its_stratum() -> None:
    # Strong links: all agree on the identifier, so its error rate is 0.
    # A weak stratum (weight 3, in one person): half of the pairs carrying the
    # identifier agree, so half of the pairs without it are true matches.
    pairs = _pairs(
        [
            _pair(1000, same=True, weight=15.0, holdout=1, prob=1.0),
            _pair(400, same=True, weight=3.0, holdout=1),
            _pair(400, same=True, weight=3.0, holdout=0),
            _pair(200, same=True, weight=3.0, holdout=-1),
        ]
    )
    result = estimate(_input(pairs), draws=50)
    # True in one person: 1000 + 400 agreeing + half of the 200 without the identifier.
    assert result["precision"] == pytest.approx(1500 / 2000, abs=1e-3)
    assert result["recall"] == pytest.approx(1.0, abs=1e-3)
    assert result["method"] == "held-out identifiers"
    assert result["source_pairs"]["a~b"]["linked_pairs"] == 2000


def test_missed_matches_among_pairs_kept_apart_lower_recall() -> None:
    pairs = _pairs(
        [
            _pair(1000, same=True, weight=15.0, holdout=1, prob=1.0),
            # kept apart, weight 5: a fifth carrying the identifier agree
            _pair(100, same=False, weight=5.0, holdout=1),
            _pair(400, same=False, weight=5.0, holdout=0),
            _pair(500, same=False, weight=5.0, holdout=-1, prob=0.2),
        ]
    )
    result = estimate(_input(pairs), draws=50)
    # True matches: 1000 linked, 100 agreeing apart, a fifth of the 500 without.
    assert result["recall"] == pytest.approx(1000 / 1200, abs=2e-3)
    assert result["precision"] == pytest.approx(1.0, abs=1e-3)


def test_the_identifiers_own_error_rate_is_corrected_for() -> None:
    # Among strong links 10% disagree on the identifier: its error rate. In the weak
    # stratum 45% agree, so 0.45 / 0.9 = half are true matches, not 45%.
    pairs = _pairs(
        [
            _pair(900, same=True, weight=25.0, holdout=1, prob=1.0),
            _pair(100, same=True, weight=25.0, holdout=0, prob=1.0),
            _pair(450, same=True, weight=3.0, holdout=1),
            _pair(550, same=True, weight=3.0, holdout=0),
            _pair(1000, same=True, weight=3.0, holdout=-1),
        ]
    )
    result = estimate(_input(pairs), draws=20)
    rate = (result["precision"] * 3000 - 1000 - 450 - 550 * _given_disagree(0.5, 0.1)) / 1000
    assert rate == pytest.approx(0.5, abs=0.01)


def _given_disagree(pi: float, error: float) -> float:
    return pi * error / (pi * error + (1 - pi))


def test_two_records_of_a_one_record_per_person_source_in_one_person_are_false() -> None:
    pairs = _pairs(
        [
            {**_pair(90, same=True, weight=15.0, holdout=-1, prob=1.0)},
            {**_pair(10, same=True, weight=15.0, holdout=-1, prob=1.0), "source_r": "a"},
        ]
    )
    plain = estimate(_input(pairs), draws=20)
    assert plain["precision"] == pytest.approx(1.0, abs=1e-3)
    strict = estimate(_input(pairs, one_per_person=frozenset({"a"})), draws=20)
    assert strict["precision"] == pytest.approx(0.9, abs=1e-3)
    assert strict["source_pairs"]["a~a"]["precision"] == 0.0


def test_without_a_held_out_identifier_each_source_pair_gets_its_own_prior() -> None:
    # One-to-one files of 100 records each: 95 strong pairs, 5 weak ones (weight -1).
    # Under the model's prior (1e-5) the weak ones look hopeless; with the prior the
    # weight distribution says (about 1 in 100 candidate pairs), they are likely matches.
    pairs = _pairs(
        [
            _pair(95, same=True, weight=20.0, holdout=-1, prob=1.0),
            _pair(5, same=False, weight=-1.0, holdout=-1, prob=0.3),
        ]
    )
    data = _input(pairs, records={"a": 100, "b": 100}, prior=1e-5)
    result = estimate(data, draws=20)
    assert result["method"] == "model and weight distribution"
    assert 0.95 < result["recall"] < 0.97


def test_the_weight_distribution_of_matches_follows_the_m_probabilities() -> None:
    model = {
        "probability_two_random_records_match": 0.5,  # prior log-odds 0
        "comparisons": [
            {
                "output_column_name": "x",
                "comparison_levels": [
                    {"sql_condition": "null", "is_null_level": True},
                    {"sql_condition": "a", "m_probability": 0.9, "u_probability": 0.1},
                    {"sql_condition": "ELSE", "m_probability": 0.1, "u_probability": 0.9},
                ],
            }
        ],
    }
    gammas = pd.DataFrame({"gamma_x": [1, 1, 0, -1]})  # a quarter missing
    (below,) = weight_below(model, gammas, (-1.0,))
    assert below == pytest.approx(0.75 * 0.1)
    (below_u,) = weight_below(model, gammas, (1.0,), among="u")
    assert below_u == pytest.approx(1 - 0.75 * 0.1)


def _simulated(rng: np.random.Generator, blocks: int = 600) -> tuple[EstimatesInput, float, float]:
    """Blocks of pairs with planted truth; returns the input and the true precision, recall."""
    weights = rng.choice([1.0, 3.0, 5.0, 9.0, 15.0], size=blocks, p=[0.1, 0.1, 0.1, 0.2, 0.5])
    true_rate = np.select(
        [weights < 2, weights < 4, weights < 6, weights < 10], [0.1, 0.4, 0.7, 0.95], 0.998
    )
    truth = rng.random(blocks) < true_rate
    same = np.where(weights >= 4, rng.random(blocks) < 0.97, rng.random(blocks) < 0.1)
    carries = rng.random(blocks) < 0.5
    agrees = np.where(truth, rng.random(blocks) > 0.01, rng.random(blocks) < 1e-4)
    pairs = pd.DataFrame(
        {
            "source_l": "a",
            "source_r": "b",
            "same": same,
            "weight": weights,
            "probability": true_rate,
            "weight_without": weights,
            "holdout": np.where(carries, agrees.astype(int), -1),
            "holdout_same": same,
            "block": np.arange(blocks),
        }
    )
    precision = (truth & same).sum() / same.sum()
    recall = (truth & same).sum() / truth.sum()
    return _input(pairs), float(precision), float(recall)


def test_the_intervals_cover_the_truth_in_simulation() -> None:
    rng = np.random.default_rng(17)
    covered_p = covered_r = 0
    runs = 20
    for _ in range(runs):
        data, precision, recall = _simulated(rng)
        result = estimate(data, draws=100)
        low, high = result["precision_ci"]
        covered_p += low <= precision <= high
        low, high = result["recall_ci"]
        covered_r += low <= recall <= high
    assert covered_p >= 17
    assert covered_r >= 17


def test_the_estimate_does_not_depend_on_row_order() -> None:
    data, _precision, _recall = _simulated(np.random.default_rng(3), blocks=300)
    shuffled = data.pairs.sample(frac=1.0, random_state=5)
    shuffled["block"] = shuffled["block"].to_numpy()[::-1]  # other block labels too
    again = EstimatesInput(**{**data.__dict__, "pairs": shuffled.reset_index(drop=True)})
    assert estimate(data, draws=50) == estimate(again, draws=50)


def test_the_estimators_input_has_no_place_for_truth(tmp_path: Path) -> None:
    files = [_write(tmp_path / "left.csv", LEFT), _write(tmp_path / "right.csv", RIGHT)]
    run = link_files(files, "id", parse_mapping(MAPPING), date_format="%d.%m.%Y")
    result = run.result
    data = estimates_input(
        result.pairs,
        run.spine.rename(columns={"file": "source"}),
        result.model_json,
        result.options.floor_weight,
        result.options.threshold_weight,
    )
    assert set(data.pairs.columns) == COLUMNS


def test_a_spine_in_token_table_order_is_read_at_the_pairs_rows(tmp_path: Path) -> None:
    # A link run's spine is in the order of the token table, whose rows the pairs
    # carry (node_l, node_r): read there, it says what looking records up by id says.
    files = [_write(tmp_path / "left.csv", LEFT), _write(tmp_path / "right.csv", RIGHT)]
    result = link_files(files, "id", parse_mapping(MAPPING), date_format="%d.%m.%Y").result
    spine = result.persons.rename(columns={"source_dataset": "source", "unique_id": "record_id"})
    options = result.options

    def made(aligned: bool) -> EstimatesInput:
        return estimates_input(
            result.pairs,
            spine,
            result.model_json,
            options.floor_weight,
            options.threshold_weight,
            aligned=aligned,
        )

    read_at_rows, looked_up = made(True), made(False)
    assert read_at_rows.pairs.equals(looked_up.pairs)
    assert looked_up.pairs["same"].any() and not looked_up.pairs["same"].all()


def test_a_pair_joined_through_a_third_record_is_as_likely_as_both_its_links() -> None:
    # a-b and b-c linked surely; a-c scored weak on its own fields, one person through b.
    pairs = _pairs(
        [
            _pair(2, same=True, weight=20.0, holdout=-1, prob=0.99),
            _pair(1, same=True, weight=-5.0, holdout=-1, prob=0.01),
        ]
    )
    pairs["linked"] = [True, True, False]
    pairs["node_l"], pairs["node_r"] = [0, 1, 0], [1, 2, 2]
    pairs["block"] = 0
    result = estimate(_input(pairs, records={"a": 1000, "b": 1000}), draws=10)
    linked = estimate(_input(pairs.assign(linked=True), records={"a": 1000, "b": 1000}), draws=10)
    assert result["precision"] > linked["precision"] + 0.2


def test_the_report_estimate_ignores_truth_columns(tmp_path: Path) -> None:
    files = [_write(tmp_path / "left.csv", LEFT), _write(tmp_path / "right.csv", RIGHT)]
    run = link_files(files, "id", parse_mapping(MAPPING), date_format="%d.%m.%Y")
    records = run.spine.rename(columns={"file": "source"})
    plain = estimated_quality(run.result, records)
    poisoned = records.assign(
        truth_person=np.arange(len(records)), partner_found=False, person_truth="x"
    )
    assert estimated_quality(run.result, poisoned) == plain


def test_link_files_report_carries_the_estimates(tmp_path: Path) -> None:
    files = [_write(tmp_path / "left.csv", LEFT), _write(tmp_path / "right.csv", RIGHT)]
    run = link_files(files, "id", parse_mapping(MAPPING), date_format="%d.%m.%Y")
    report = files_report(run, one_per_person=True)
    estimated = report["estimated"]
    for name in ("precision", "recall"):
        low, high = estimated[f"{name}_ci"]
        assert 0.0 <= low <= estimated[name] <= high <= 1.0
    assert "left.csv~right.csv" in estimated["source_pairs"]
    assert json.loads(json.dumps(report)) == report


# --- clerical review ---------------------------------------------------------------


def _weak_links() -> EstimatesInput:
    """1000 pairs in one person at weight 3, no identifier: the model's word only."""
    return _input(_pairs([_pair(1000, same=True, weight=3.0, holdout=-1, prob=0.9)]))


def _reviews(data: EstimatesInput, decisions: list[bool], swap: bool = False) -> pd.DataFrame:
    pairs = data.pairs.iloc[: len(decisions)]
    left, right = ("r", "l") if swap else ("l", "r")
    return pd.DataFrame(
        {
            "source_l": pairs[f"source_{left}"].to_numpy(),
            "record_l": pairs[f"record_{left}"].to_numpy(),
            "source_r": pairs[f"source_{right}"].to_numpy(),
            "record_r": pairs[f"record_{right}"].to_numpy(),
            "match": decisions,
        }
    )


def test_reviewed_pairs_move_their_strata_towards_what_the_reviewers_found() -> None:
    data = _weak_links()
    before = estimate(data, draws=20)["precision"]
    # 100 of the 1000 reviewed; half are one person.
    decisions = [number % 2 == 0 for number in range(100)]
    after = estimate(update_with_review(data, _reviews(data, decisions)), draws=20)
    rate = (10 * before + 50) / (10 + 100)
    assert after["precision"] == pytest.approx((50 + 900 * rate) / 1000, abs=2e-3)
    assert after["reviewed_pairs"] == 100
    assert after["method"].endswith("and clerical review")


def test_when_every_pair_is_reviewed_the_estimate_is_the_reviewers_count() -> None:
    data = _weak_links()
    decisions = [number % 4 != 0 for number in range(1000)]  # three in four match
    after = estimate(update_with_review(data, _reviews(data, decisions)), draws=20)
    assert after["precision"] == pytest.approx(0.75, abs=1e-6)
    assert after["recall"] == pytest.approx(1.0, abs=1e-6)


def test_a_review_names_its_pair_in_either_order() -> None:
    data = _weak_links()
    decisions = [False] * 10
    forward = estimate(update_with_review(data, _reviews(data, decisions)), draws=20)
    backward = estimate(update_with_review(data, _reviews(data, decisions, swap=True)), draws=20)
    assert forward == backward


def test_a_review_of_an_unscored_pair_or_without_a_decision_is_refused() -> None:
    data = _weak_links()
    reviews = _reviews(data, [True, True])
    unknown = reviews.assign(record_r=["r0", "nobody"])
    with pytest.raises(NightingaleError, match="row 2: a pair this run did not score"):
        update_with_review(data, unknown)
    undecided = reviews.assign(match=[True, "maybe"])
    with pytest.raises(NightingaleError, match="row 2, field match"):
        update_with_review(data, undecided)


def test_records_are_found_by_source_and_id_even_when_an_id_repeats_across_sources() -> None:
    sources = pd.Series(["gp", "gp", "hospital", "hospital"], dtype="category")
    ids = pd.Series(["x", "y", "x", "z"], dtype="string[pyarrow]")
    asked_sources = np.array(["hospital", "gp", "gp", "school", "hospital"], dtype=object)
    asked_ids = np.array(["x", "x", "q", "x", "z"], dtype=object)
    assert record_rows(sources, ids, asked_sources, asked_ids).tolist() == [2, 0, -1, -1, 3]
    plain = record_rows(sources.astype(str), ids.astype(object), asked_sources, asked_ids)
    assert plain.tolist() == [2, 0, -1, -1, 3]


def test_a_pairs_hold_out_judgement_depends_on_its_block_alone(tmp_path: Path) -> None:
    # The estimator reruns the clustering only on the blocks (connected groups of
    # scored pairs) that hold a hidden pair; that must give those pairs the same answer
    # as a rerun on every pair.
    files = [_write(tmp_path / "left.csv", LEFT), _write(tmp_path / "right.csv", RIGHT)]
    result = link_files(files, "id", parse_mapping(MAPPING), date_format="%d.%m.%Y").result
    pairs = result.pairs.assign(weight_without=result.pairs["match_weight"] - 5.0)
    nodes_l, nodes_r = pairs["node_l"].to_numpy(), pairs["node_r"].to_numpy()
    block = _components(nodes_l, nodes_r)[nodes_l]
    hidden = pd.Series(block % 2 == 0, index=pairs.index)
    threshold = result.options.threshold_weight
    everywhere = holdout_links(pairs, result.model_json, threshold, hidden)
    inside = pairs[hidden.to_numpy()]
    alone = holdout_links(inside, result.model_json, threshold, hidden[hidden.to_numpy()])
    assert hidden.any() and len(inside) < len(pairs)
    assert alone.tolist() == everywhere[hidden.to_numpy()].tolist()


def _triangles(rng: np.random.Generator, holdout: bool, blocks: int = 200) -> EstimatesInput:
    """Blocks of three records: two direct links and, in one person or not, the pair
    between their far ends (in one person only through the middle record); sources
    ``a`` and ``b``, weights on both sides of the hold-out cut."""
    size = 3 * blocks
    node_l = (np.arange(blocks)[:, None] * 3 + np.array([0, 1, 0])).ravel()
    node_r = (np.arange(blocks)[:, None] * 3 + np.array([1, 2, 2])).ravel()
    source = rng.choice(np.array(["a", "b"], dtype=object), size=3 * blocks)
    together = np.repeat(rng.random(blocks) < 0.8, 3)
    weight = rng.uniform(-6.0, 16.0, size)
    pairs = pd.DataFrame(
        {
            "source_l": np.minimum(source[node_l], source[node_r]),
            "source_r": np.maximum(source[node_l], source[node_r]),
            "same": together,
            "weight": weight,
            "probability": rng.uniform(0.0, 1.0, size),
            "weight_without": weight - rng.choice([0.0, 9.0], size),
            "holdout": rng.choice([-1, 0, 1], size) if holdout else np.full(size, -1),
            "holdout_same": together & (rng.random(size) < 0.9),
            "block": np.repeat(np.arange(blocks), 3),
            "linked": together & (np.arange(size) % 3 < 2),
            "node_l": node_l,
            "node_r": node_r,
            "record_l": [f"l{n}" for n in range(size)],
            "record_r": [f"r{n}" for n in range(size)],
            "reviewed": np.int8(-1),
        }
    )
    return _input(pairs, one_per_person=frozenset({"a"}))


@pytest.mark.parametrize("holdout", [True, False])
def test_a_bootstrap_draw_sums_what_the_pairs_one_by_one_sum(holdout: bool) -> None:
    # The draws' sums work on few pairs (most take their cell's probability); they are
    # the same as summing every pair's probability, but for the order of the additions.
    rng = np.random.default_rng(11)
    prep = _prepare(_triangles(rng, holdout))
    assert prep.has_holdout == holdout and len(prep.at.through) and len(prep.at.impossible)
    plan = _draws(prep)
    blocks = prep.at.whole.shape[1]
    for _ in range(5):
        weights = np.bincount(rng.integers(0, blocks, blocks), minlength=blocks).astype(float)
        precision, recall = _totals(prep, weights)
        fast_precision, fast_recall = _draw_totals(prep, plan, weights)
        np.testing.assert_allclose(fast_precision, precision, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(fast_recall, recall, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["object", "category"])
def test_records_per_source_are_counted_most_first_ties_in_order_of_appearance(
    kind: str,
) -> None:
    sources = pd.Series(["b", "a", "c", "a", "b", "d", "c"], dtype=kind)
    counted = _records_per_source(sources)
    assert list(counted.items()) == [("b", 2), ("a", 2), ("c", 2), ("d", 1)]
    assert list(counted.items()) == list(sources.astype(str).value_counts().items())
