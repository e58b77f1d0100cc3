"""Nearest-neighbour matching: nearest controls, a caliper, reuse only when allowed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nightingale.analyses.matching import nearest_neighbour_match
from nightingale.platform.errors import NightingaleError


def _scores(seed: int, n_treated: int, n_control: int) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    score = np.concatenate([rng.normal(0.5, 1, n_treated), rng.normal(0, 1, n_control)])
    treat = np.r_[np.ones(n_treated, int), np.zeros(n_control, int)]
    index = pd.Index([f"u{i}" for i in range(len(score))])
    return pd.Series(score, index=index), pd.Series(treat, index=index)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_treated=st.integers(1, 40),
    n_control=st.integers(1, 60),
    caliper=st.one_of(st.none(), st.floats(0.01, 1.0)),
    ratio=st.integers(1, 3),
)
def test_without_replacement_never_reuses_a_control(
    seed: int, n_treated: int, n_control: int, caliper: float | None, ratio: int
) -> None:
    score, treat = _scores(seed, n_treated, n_control)
    matched = nearest_neighbour_match(score, treat, caliper=caliper, ratio=ratio, seed=seed)
    assert not matched.pairs["control"].duplicated().any()
    assert set(matched.pairs["control"]) <= set(treat.index[treat == 0])
    assert set(matched.pairs["treated"]) <= set(treat.index[treat == 1])
    assert (matched.pairs.groupby("treated").size() <= ratio).all()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), caliper=st.floats(0.01, 0.5))
def test_no_pair_is_further_apart_than_the_caliper(seed: int, caliper: float) -> None:
    score, treat = _scores(seed, 30, 30)
    for replace in (False, True):
        matched = nearest_neighbour_match(score, treat, caliper=caliper, replace=replace)
        assert (matched.pairs["distance"] <= caliper * score.std() + 1e-12).all()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_with_replacement_each_treated_gets_its_nearest_control(seed: int) -> None:
    score, treat = _scores(seed, 15, 25)
    matched = nearest_neighbour_match(score, treat, caliper=None, replace=True)
    controls = score[treat == 0]
    for row in matched.pairs.itertuples():
        assert row.distance == pytest.approx((controls - score[row.treated]).abs().min())


def test_with_replacement_control_weights_count_their_uses() -> None:
    score, treat = _scores(7, 50, 10)
    matched = nearest_neighbour_match(score, treat, caliper=None, replace=True)
    uses = matched.pairs["control"].value_counts()
    assert matched.weights[uses.index].tolist() == uses.astype(float).tolist()
    assert matched.weights[treat[treat == 1].index].eq(1.0).all()


def test_without_replacement_greedy_pairs_the_closest_first_match() -> None:
    score = pd.Series([0.0, 10.0, 0.1, 9.0, 50.0], index=list("abcde"))
    treat = pd.Series([1, 1, 0, 0, 0], index=list("abcde"))
    matched = nearest_neighbour_match(score, treat, caliper=None)
    assert dict(zip(matched.pairs["treated"], matched.pairs["control"], strict=True)) == {
        "a": "c",
        "b": "d",
    }


def test_a_treated_unit_beyond_the_caliper_is_reported_unmatched() -> None:
    score = pd.Series([0.0, 5.0, 0.05, 0.1], index=list("abcd"))
    treat = pd.Series([1, 1, 0, 0], index=list("abcd"))
    matched = nearest_neighbour_match(score, treat, caliper=0.1)
    assert matched.unmatched_treated == ["b"]
    assert matched.n_matched_treated == 1


def test_the_same_seed_gives_the_same_matches_and_ties_are_seeded() -> None:
    # Every control is equally distant: only the seed decides.
    score = pd.Series([0.0] * 10, index=[f"u{i}" for i in range(10)])
    treat = pd.Series([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], index=score.index)
    first = nearest_neighbour_match(score, treat, caliper=None, seed=11)
    again = nearest_neighbour_match(score, treat, caliper=None, seed=11)
    pd.testing.assert_frame_equal(first.pairs, again.pairs)
    outcomes = {
        tuple(nearest_neighbour_match(score, treat, caliper=None, seed=s).pairs["control"])
        for s in range(10)
    }
    assert len(outcomes) > 1


def test_matching_needs_both_groups() -> None:
    score = pd.Series([0.1, 0.2])
    with pytest.raises(NightingaleError, match="both treated and control"):
        nearest_neighbour_match(score, pd.Series([1, 1]))
