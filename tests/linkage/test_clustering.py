"""Which scored pairs become links: the within-source rule against other sources."""

from __future__ import annotations

import pandas as pd

from nightingale.linkage.clustering import select_links, split_by_other_sources

# Nodes: 0, 1, 2 employment; 3, 4 health.
SOURCE = {0: "employment", 1: "employment", 2: "employment", 3: "health", 4: "health"}


def _edges(rows: list[tuple[int, int, float, bool]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "node_l": [r[0] for r in rows],
            "node_r": [r[1] for r in rows],
            "source_dataset_l": [SOURCE[r[0]] for r in rows],
            "source_dataset_r": [SOURCE[r[1]] for r in rows],
            "match_weight": [r[2] for r in rows],
            "deterministic": [r[3] for r in rows],
        }
    )


def _linked(edges: pd.DataFrame) -> set[tuple[int, int]]:
    links = select_links(edges, 0.0, set())
    return set(zip(links["node_l"], links["node_r"], strict=True))


def test_two_people_in_one_provider_kept_apart_by_another_source_do_not_link() -> None:
    # Employment records 0 and 1 share a given name and date of birth (weight 1.5), but
    # 0 is health record 3's person and 1 is health record 4's, and health did not link 3
    # and 4: two people.
    edges = _edges([(0, 1, 1.5, False), (0, 3, 20.0, False), (1, 4, 18.0, False)])
    assert _linked(edges) == {(0, 3), (1, 4)}


def test_a_duplicate_within_a_provider_links_to_its_original() -> None:
    # Employment 2 duplicates employment 0; health 3 is their person, and mutual best
    # lets only 0 take it: nothing elsewhere keeps 0 and 2 apart.
    edges = _edges([(0, 2, 12.0, False), (0, 3, 20.0, False), (2, 3, 19.0, False)])
    assert _linked(edges) == {(0, 2), (0, 3)}


def test_a_within_source_link_stands_when_the_other_source_linked_both_partners() -> None:
    # Health 3 and 4 are one person (a health duplicate), so health keeps nothing apart.
    edges = _edges(
        [(0, 1, 1.5, False), (0, 3, 20.0, False), (1, 4, 18.0, False), (3, 4, 15.0, False)]
    )
    assert (0, 1) in _linked(edges)


def test_deterministic_links_within_a_source_are_never_split() -> None:
    edges = _edges([(0, 1, 1.5, True), (0, 3, 20.0, False), (1, 4, 18.0, False)])
    assert (0, 1) in _linked(edges)


def test_below_the_threshold_nothing_is_split_or_linked() -> None:
    edges = _edges([(0, 1, -1.0, False), (0, 3, 20.0, False)])
    within = pd.Series([False, False])
    assert not split_by_other_sources(edges, within).any()
    assert _linked(edges) == {(0, 3)}
