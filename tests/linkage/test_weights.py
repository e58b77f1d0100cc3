"""Match weights recomputed from agreement levels equal Splink's own scoring."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nightingale.linkage.engine import nodes
from nightingale.linkage.incremental import PAIRS_FILE, TOKENS_FILE
from nightingale.linkage.link import LinkSummary
from nightingale.linkage.weights import (
    match_probabilities,
    match_weights,
    rescore,
    term_frequencies,
)
from nightingale.platform.storage import read_parquet
from tests.linkage.conftest import Platform, link_all


@pytest.fixture(scope="module")
def linked(ingested: Platform) -> tuple[Platform, LinkSummary]:
    return ingested, link_all(ingested)


def splink_and_recomputed(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A run's saved pairs (as Splink scored them) and the same pairs re-weighed here."""
    pairs = read_parquet(folder / PAIRS_FILE)
    table = pq.read_table(folder / TOKENS_FILE)
    model = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    records = table.select(["source_dataset", "unique_id"]).to_pandas()
    left = nodes(records, pairs["source_dataset_l"], pairs["unique_id_l"])
    right = nodes(records, pairs["source_dataset_r"], pairs["unique_id_r"])
    ours = rescore(pairs.drop(columns=["match_weight"]), model, table, left, right)
    return pairs, ours


def test_recomputed_weights_equal_splinks_on_a_linked_region(
    linked: tuple[Platform, LinkSummary],
) -> None:
    _platform, summary = linked
    pairs, ours = splink_and_recomputed(summary.folder)
    assert len(pairs) and (pairs.filter(like="gamma_") == 1).to_numpy().any()
    assert np.allclose(ours["match_weight"], pairs["match_weight"], rtol=0, atol=1e-9)
    assert np.allclose(ours["match_probability"], pairs["match_probability"], atol=1e-12)


def test_term_frequencies_are_shares_of_the_known_values() -> None:
    table = pa.table({"gn": pa.array(["a", "a", None, "b", "a"])})
    tf = term_frequencies(table, "gn")
    assert tf[[0, 1, 3, 4]].tolist() == [0.75, 0.75, 0.25, 0.75]
    assert math.isnan(tf[2])


_LEVELS = st.lists(
    st.tuples(st.floats(1e-6, 1.0, allow_nan=False), st.floats(1e-9, 1.0, allow_nan=False)),
    min_size=2,
    max_size=5,
)


@given(
    levels=_LEVELS,
    prior=st.floats(1e-7, 0.5),
    chosen=st.integers(-1, 4),
    tf=st.one_of(st.none(), st.floats(1e-6, 1.0)),
)
def test_a_weight_is_the_prior_plus_the_levels_log_bayes_factor_and_tf_term(
    levels: list[tuple[float, float]], prior: float, chosen: int, tf: float | None
) -> None:
    """Hand computation of Splink's formula for one comparison: the top level is exact
    equality on ``gn`` with a term-frequency adjustment."""
    chosen = min(chosen, len(levels) - 1)
    spec = [{"sql_condition": '"gn_l" IS NULL', "is_null_level": True}]
    for number, (m, u) in enumerate(levels):
        level = {
            "sql_condition": "ELSE" if number == len(levels) - 1 else f"c{number}",
            "m_probability": m,
            "u_probability": u,
        }
        if number == 0:
            level.update(
                sql_condition='"gn_l" = "gn_r"', tf_adjustment_column="gn", tf_adjustment_weight=1.0
            )
        spec.append(level)
    model = {
        "probability_two_random_records_match": prior,
        "comparisons": [{"output_column_name": "given_name", "comparison_levels": spec}],
    }
    pairs = pd.DataFrame({"gamma_given_name": [chosen]})
    value = np.array([np.nan if tf is None else tf])
    weight = match_weights(pairs, model, {"gn": (value, value)})[0]
    expected = math.log2(prior / (1 - prior))
    if chosen >= 0:
        m, u = levels[len(levels) - 1 - chosen]
        expected += math.log2(m / u)
        if chosen == len(levels) - 1 and tf is not None:
            expected += math.log2(levels[0][1]) - math.log2(tf)
    assert weight == np.float64(expected) or math.isclose(weight, expected, abs_tol=1e-9)
    assert 0.0 <= match_probabilities(np.array([weight]))[0] <= 1.0
