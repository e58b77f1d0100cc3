"""Record positions by (source, record id): the look-up every link run does in bulk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from nightingale.linkage.positions import positions, text


def test_each_record_is_found_at_its_row_within_its_own_source() -> None:
    among_sources = ["health", "health", "housing", "housing"]
    among_ids = ["a", "b", "a", "c"]
    found = positions(
        ["housing", "health", "housing", "health"], ["a", "a", "c", "b"], among_sources, among_ids
    )
    assert found.tolist() == [2, 0, 3, 1]


def test_an_id_of_another_source_an_unknown_source_or_a_missing_value_is_not_found() -> None:
    found = positions(
        ["health", "employment", None, "health"],
        ["c", "a", "a", None],
        ["health", "housing"],
        ["a", "c"],
    )
    assert found.tolist() == [-1, -1, -1, -1]


def test_pandas_numpy_arrow_and_categories_are_read_alike() -> None:
    sources = pd.Series(pd.Categorical(["b", "a", "b"]))
    ids = pd.Series(["2", "1", "1"], dtype=pd.ArrowDtype(pa.string()))
    among = (pa.chunked_array([["a"], ["b", "b"]]), np.array(["1", "1", "2"], dtype=object))
    assert positions(sources, ids, *among).tolist() == [2, 0, 1]
    assert text(sources).to_pylist() == ["b", "a", "b"]
    assert text(pd.Series(["x", None], dtype="string[pyarrow]")).type == pa.string()


def test_nothing_to_look_up_or_nothing_to_look_in_gives_no_positions() -> None:
    assert positions([], [], ["a"], ["1"]).tolist() == []
    assert positions(["a"], ["1"], [], []).tolist() == [-1]


@given(
    st.lists(st.tuples(st.sampled_from("xyz"), st.text(max_size=3)), unique=True, max_size=30),
    st.lists(st.tuples(st.sampled_from("xyzw"), st.text(max_size=3)), max_size=30),
)
def test_positions_agree_with_a_dictionary_of_the_rows(
    among: list[tuple[str, str]], wanted: list[tuple[str, str]]
) -> None:
    rows = {record: row for row, record in enumerate(among)}
    found = positions(
        [s for s, _i in wanted],
        [i for _s, i in wanted],
        [s for s, _i in among],
        [i for _s, i in among],
    )
    assert found.tolist() == [rows.get(record, -1) for record in wanted]
