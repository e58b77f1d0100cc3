"""A coarse blocking rule near its budget keeps the spine in force's decision, so a small
refresh does not flip it (and force a full relink)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from nightingale.linkage import model
from nightingale.linkage.engine import HYSTERESIS, blocking_rules

COLUMNS = ("gn", "fn", "dob", "sex", "pc", "addr", "nhs", "ni")
RECORDS = 100


class Counting:
    """A backend whose every coarse rule compares ``per_record`` pairs per record."""

    def __init__(self, per_record: float) -> None:
        self.per_record = per_record

    def pair_count(self, table: pa.Table, columns: tuple[str, ...]) -> float:
        return self.per_record * table.num_rows


def _table() -> pa.Table:
    return pa.table({c: pa.array(["x"] * RECORDS) for c in COLUMNS})


def _coarse(rules: list[str]) -> set[str]:
    fixed = set(model.blocking_rules_for(set(model.PRIORS) | {"postcode", "address"}))
    return set(rules) - fixed


ALL = {model.equal(*columns) for _needs, columns in model.COARSE_RULES}


@pytest.mark.parametrize(
    ("over", "previous", "used"),
    [
        (1 + HYSTERESIS / 2, None, False),  # past the budget, no spine: out
        (1 + HYSTERESIS / 2, "all", True),  # a little past, the spine used them: kept
        (1 + 2 * HYSTERESIS, "all", False),  # well past: out
        (1 - HYSTERESIS / 2, None, True),  # under the budget, no spine: in
        (1 - HYSTERESIS / 2, "none", False),  # a little under, the spine did not: still out
        (1 - 2 * HYSTERESIS, "none", True),  # well under: in
    ],
)
def test_a_coarse_rule_changes_only_when_its_pairs_move_well_past_the_budget(
    over: float, previous: str | None, used: bool
) -> None:
    backend: Any = Counting(model.COARSE_BUDGET * over)
    before = None if previous is None else (sorted(ALL) if previous == "all" else [])
    rules = blocking_rules(backend, _table(), before)
    assert _coarse(rules) == (ALL if used else set())
