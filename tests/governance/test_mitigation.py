"""Mitigations: suppression leaves nothing recoverable from a margin; rounding is honest."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nightingale.governance.errors import InvalidInput
from nightingale.governance.mitigation import round_table, suppress_table
from nightingale.governance.sdc import Outcome
from nightingale.governance.tables import SdcTable, build_table, check_table

rows_of_people = st.lists(
    st.tuples(st.sampled_from("abcd"), st.sampled_from("xyz")), min_size=1, max_size=120
)


def table_of(pairs: list[tuple[str, str]]) -> SdcTable:
    return build_table(pd.DataFrame(pairs, columns=["r", "c"]), "r", "c")


@settings(max_examples=60, deadline=None)
@given(pairs=rows_of_people)
def test_after_suppression_nothing_fails_and_no_margin_reveals_a_hidden_cell(
    pairs: list[tuple[str, str]],
) -> None:
    suppressed = suppress_table(table_of(pairs))
    assert all(c.outcome is not Outcome.FAIL for c in check_table(suppressed))
    hidden = [(c.row, c.column) for c in suppressed.cells if c.suppressed]
    for label in {r for r, _ in hidden}:
        row_cells = [c for c in suppressed.cells if c.row == label]
        assert len(row_cells) == 1 or sum(c.suppressed for c in row_cells) != 1
    for label in {k for _, k in hidden}:
        column_cells = [c for c in suppressed.cells if c.column == label]
        assert len(column_cells) == 1 or sum(c.suppressed for c in column_cells) != 1


@settings(max_examples=60, deadline=None)
@given(pairs=rows_of_people)
def test_suppression_hides_values_and_keeps_the_rest(pairs: list[tuple[str, str]]) -> None:
    original = table_of(pairs)
    suppressed = suppress_table(original)
    for before, after in zip(original.cells, suppressed.cells, strict=True):
        if after.suppressed:
            assert after.value is None
        else:
            assert after == before
    assert SdcTable.from_json(suppressed.to_json()) == suppressed


@given(pairs=rows_of_people)
def test_rounding_lands_on_base_five_but_never_makes_a_small_cell_pass(
    pairs: list[tuple[str, str]],
) -> None:
    rounded = round_table(table_of(pairs))
    for cell, check in zip(rounded.cells, check_table(rounded), strict=True):
        assert cell.value is not None and cell.value % 5 == 0
        if 0 < cell.evidence.count < 10:
            assert check.outcome is Outcome.FAIL


def test_a_suppressed_cell_that_still_has_a_value_is_refused() -> None:
    table = table_of([("a", "x")] * 3)
    data = table.to_json()
    data["cells"][0]["suppressed"] = True
    with pytest.raises(InvalidInput, match="marked suppressed but still has a value"):
        check_table(SdcTable.from_json(data))


def test_magnitude_tables_are_not_rounded() -> None:
    frame = pd.DataFrame({"r": ["a"] * 12, "c": ["x"] * 12, "v": range(12)})
    with pytest.raises(InvalidInput, match="not sum tables"):
        round_table(build_table(frame, "r", "c", "v", "sum"))
