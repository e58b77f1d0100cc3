"""k-anonymity: the size of the smallest group sharing all quasi-identifier values."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from nightingale.cohorts.kanonymity import measure

values = st.one_of(st.none(), st.sampled_from(["F", "M", "35-44", "2020-03", "1"]))
rows = st.lists(st.tuples(values, values, values), min_size=1, max_size=60)


def _table(data: list[tuple]) -> pa.Table:
    return pa.table(
        {name: [row[i] for row in data] for i, name in enumerate("abc")},
        schema=pa.schema([(n, pa.string()) for n in "abc"]),
    )


@given(rows, st.integers(min_value=1, max_value=10))
def test_k_is_the_smallest_group(data: list[tuple], min_k: int) -> None:
    sizes = Counter(data)
    result = measure(_table(data), ["a", "b", "c"], min_k)
    assert result.k == min(sizes.values())
    assert result.groups == len(sizes)
    assert result.people_below_min_k == sum(n for n in sizes.values() if n < min_k)
    assert result.meets_target == (result.k >= min_k)


@given(rows)
def test_fewer_quasi_identifiers_never_lower_k(data: list[tuple]) -> None:
    table = _table(data)
    assert measure(table, ["a", "b"], 5).k >= measure(table, ["a", "b", "c"], 5).k


def test_missing_values_are_a_group_of_their_own() -> None:
    table = pa.table({"sex": ["F", "F", None]})
    assert measure(table, ["sex"], 2).k == 1


def test_no_people_means_k_zero() -> None:
    assert measure(pa.table({"sex": pa.array([], pa.string())}), ["sex"], 5).k == 0
