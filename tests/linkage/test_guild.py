"""The GUILD table: who fails to link, on a spine whose linked/unlinked make-up is known."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nightingale.linkage.guild import (
    guild_tables,
    resuppressed,
    standardised_difference,
    suppress_cells,
    tables_for_sources,
)


def constructed_spine() -> pd.DataFrame:
    """60 health records (p0..p59): the first 20 aged 16-24, the rest 25-34; even F.

    Housing holds p0..p39 (so 40 health records link, all 20 young ones among them, and
    the 20 unlinked are all 25-34); employment holds p0..p4 only (a pair under 10).
    """
    health = pd.DataFrame(
        {
            "source": "health",
            "record_id": [f"g{i}" for i in range(60)],
            "person_id": [f"p{i}" for i in range(60)],
            "age_band": ["16-24"] * 20 + ["25-34"] * 40,
            "sex": ["F" if i % 2 == 0 else "M" for i in range(60)],
        }
    )
    housing = pd.DataFrame(
        {
            "source": "housing",
            "record_id": [f"h{i}" for i in range(40)],
            "person_id": [f"p{i}" for i in range(40)],
            "age_band": ["16-24"] * 20 + ["25-34"] * 20,
            "sex": ["F" if i % 2 == 0 else "M" for i in range(40)],
        }
    )
    employment = pd.DataFrame(
        {
            "source": "employment",
            "record_id": [f"e{i}" for i in range(5)],
            "person_id": [f"p{i}" for i in range(5)],
            "age_band": "16-24",
            "sex": ["F", "M", "F", "M", "F"],
        }
    )
    return pd.concat([health, housing, employment], ignore_index=True)


def _table(guild: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in guild["tables"] if t["name"] == name)


def _row(table: dict[str, Any], characteristic: str, value: str) -> dict[str, Any]:
    return next(
        r for r in table["rows"] if r["characteristic"] == characteristic and r["value"] == value
    )


def test_a_source_table_counts_who_links_by_characteristic() -> None:
    health = _table(guild_tables(constructed_spine()), "health")
    assert (health["linked"], health["unlinked"]) == (40, 20)
    young, older = _row(health, "age_band", "16-24"), _row(health, "age_band", "25-34")
    assert (young["linked"], young["unlinked"]) == (20, 0)
    assert (older["linked"], older["unlinked"]) == (20, 20)
    assert (young["linked_pct"], young["unlinked_pct"]) == (50.0, 0.0)
    assert young["difference"] == 50.0
    # (0.5 - 0) / sqrt((0.25 + 0) / 2) = sqrt(2)
    assert young["std_difference"] == pytest.approx(2**0.5, abs=1e-4)
    assert older["std_difference"] == pytest.approx(-(2**0.5), abs=1e-4)
    female = _row(health, "sex", "F")
    assert (female["linked"], female["unlinked"]) == (20, 10)
    assert female["std_difference"] == 0.0


def test_the_all_sources_table_has_source_as_a_characteristic() -> None:
    everything = _table(guild_tables(constructed_spine()), "all sources")
    assert (everything["linked"], everything["unlinked"]) == (85, 20)
    assert _row(everything, "age_band", "25-34")["unlinked"] == 20
    # Employment's 5 records are hidden, and with them the smallest other source (health
    # and housing tie at 40; by name), or 85 - 40 - 40 would give employment's 5 away.
    assert _row(everything, "source", "employment")["linked"] is None
    assert _row(everything, "source", "health")["linked"] is None
    assert _row(everything, "source", "housing")["linked"] == 40


def test_pair_tables_count_links_to_one_other_source() -> None:
    guild = guild_tables(constructed_spine())
    to_housing = _table(guild, "health to housing")
    assert (to_housing["linked"], to_housing["unlinked"]) == (40, 20)
    assert to_housing["linked_to"] == "a housing record"
    back = _table(guild, "housing to health")
    assert (back["linked"], back["unlinked"]) == (40, 0)


def test_a_pair_with_fewer_linked_records_than_the_threshold_shows_no_linked_cell() -> None:
    to_employment = _table(guild_tables(constructed_spine()), "health to employment")
    assert to_employment["linked"] is None  # five records: suppressed with every cell
    assert to_employment["unlinked"] is None or to_employment["unlinked"] == 55
    assert all(r["linked"] is None and r["linked_pct"] is None for r in to_employment["rows"])
    assert all(r["std_difference"] is None for r in to_employment["rows"])


def test_tables_do_not_depend_on_row_order_or_person_labels() -> None:
    spine = constructed_spine()
    shuffled = spine.iloc[np.random.default_rng(3).permutation(len(spine))]
    relabelled = shuffled.assign(person_id="X" + shuffled["person_id"].str[::-1])
    assert guild_tables(relabelled) == guild_tables(spine)


def test_small_cells_are_hidden_with_the_cells_that_would_give_them_away() -> None:
    table = {
        "name": "t", "population": "p", "linked_to": "q", "linked": 93, "unlinked": 145,
        "rows": [
            {"characteristic": "age_band", "value": "a", "linked": 3, "unlinked": 20},
            {"characteristic": "age_band", "value": "b", "linked": 50, "unlinked": 100},
            {"characteristic": "age_band", "value": "c", "linked": 40, "unlinked": 25},
        ],
    }  # fmt: skip
    rows = {r["value"]: r for r in suppress_cells(table, 10)["rows"]}
    assert rows["a"]["linked"] is None  # primary: 3 < 10
    assert rows["a"]["unlinked"] is None  # the row's total is published elsewhere
    assert rows["c"]["linked"] is None  # secondary: the column adds up to 93
    assert rows["c"]["unlinked"] is None
    assert rows["b"]["linked"] == 50 and rows["b"]["unlinked"] == 100
    assert rows["a"]["std_difference"] is None and rows["b"]["std_difference"] is not None


def test_a_page_can_apply_a_higher_deployment_threshold() -> None:
    guild = guild_tables(constructed_spine())
    stricter = resuppressed(guild, 25)
    health = _table(stricter, "health")
    assert health["unlinked"] is None  # 20 < 25
    assert _row(health, "age_band", "16-24")["linked"] is None
    assert resuppressed(guild, 5) is guild  # never weaker than what was stored


def test_a_request_sees_the_tables_of_its_sources() -> None:
    guild = guild_tables(constructed_spine())
    names = [t["name"] for t in tables_for_sources(guild, ["health", "housing"])]
    assert names == ["all sources", "health", "health to housing", "housing", "housing to health"]


def test_standardised_difference_edges() -> None:
    assert standardised_difference(0.0, 0.0) == 0.0
    assert standardised_difference(1.0, 0.0) is None
    assert standardised_difference(0.3, 0.3) == 0.0


counts = st.integers(min_value=0, max_value=40)


@settings(max_examples=300, deadline=None)
@given(
    cells=st.lists(st.tuples(counts, counts), min_size=1, max_size=6),
    threshold=st.integers(min_value=2, max_value=15),
)
def test_no_small_count_shows_and_no_hidden_cell_can_be_worked_out(
    cells: list[tuple[int, int]], threshold: int
) -> None:
    table = {
        "name": "t", "population": "p", "linked_to": "q",
        "linked": sum(c[0] for c in cells), "unlinked": sum(c[1] for c in cells),
        "rows": [
            {"characteristic": "x", "value": f"v{i}", "linked": a, "unlinked": b}
            for i, (a, b) in enumerate(cells)
        ],
    }  # fmt: skip
    out = suppress_cells(table, threshold)
    for column in ("linked", "unlinked"):
        total = out[column]
        assert total is None or not 0 < total < threshold
        shown = [r[column] for r in out["rows"]]
        assert all(v is None or not 0 < v < threshold for v in shown)
        if total is not None:
            assert sum(v is None for v in shown) != 1  # else total minus the rest gives it
    for row in out["rows"]:
        assert (row["linked"] is None) == (row["unlinked"] is None)
