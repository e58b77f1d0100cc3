"""Person ids by record overlap: who keeps an id, and the lineage of every change."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from nightingale.linkage.lineage import assign, changed_person_ids


def _fresh(cluster: str, attempt: int) -> str:
    return f"new-{cluster}" if attempt == 0 else f"new-{cluster}-{attempt}"


def _current(clusters: dict[str, list[str]]) -> pd.DataFrame:
    rows = [(key, cluster) for cluster, keys in clusters.items() for key in keys]
    frame = pd.DataFrame(rows, columns=["key", "cluster"])
    frame["order"] = frame["key"].rank(method="first").astype(int)  # content order: the key
    return frame


def _previous(persons: dict[str, list[str]]) -> pd.DataFrame:
    rows = [(key, pid) for pid, keys in persons.items() for key in keys]
    return pd.DataFrame(rows, columns=["key", "person_id"])


def _ids(result_frame: pd.DataFrame, person_id: pd.Series) -> dict[str, str]:
    return dict(zip(result_frame["key"], person_id, strict=True))


def test_an_unchanged_partition_keeps_every_id_and_records_nothing() -> None:
    current = _current({"c1": ["a", "b"], "c2": ["c"]})
    result = assign(current, _previous({"P1": ["a", "b"], "P2": ["c"]}), _fresh)
    assert _ids(current, result.person_id) == {"a": "P1", "b": "P1", "c": "P2"}
    assert result.lineage.empty
    assert result.counts["persons_kept"] == 2


def test_a_new_record_joins_its_person_and_keeps_the_id() -> None:
    current = _current({"c1": ["a", "b", "new"], "c2": ["c"]})
    result = assign(current, _previous({"P1": ["a", "b"], "P2": ["c"]}), _fresh)
    assert _ids(current, result.person_id)["new"] == "P1"
    assert result.lineage.empty


def test_records_of_nobody_before_make_a_new_person() -> None:
    current = _current({"c1": ["a"], "c9": ["x", "y"]})
    result = assign(current, _previous({"P1": ["a"]}), _fresh)
    assert _ids(current, result.person_id)["x"] == "new-c9"
    row = result.lineage.iloc[0]
    assert (row["old_person_id"], row["new_person_id"], row["kind"], row["records"]) == (
        None,
        "new-c9",
        "new",
        2,
    )


def test_a_merge_keeps_the_id_of_the_larger_part_and_records_the_other() -> None:
    current = _current({"c1": ["a", "b", "c"]})
    result = assign(current, _previous({"P1": ["a", "b"], "P2": ["c"]}), _fresh)
    assert set(result.person_id) == {"P1"}
    merges = result.lineage[result.lineage["kind"] == "merge"]
    assert merges[["old_person_id", "new_person_id"]].values.tolist() == [["P2", "P1"]]
    assert result.counts["persons_merged"] == 1


def test_a_split_keeps_the_id_on_the_larger_part_and_names_the_new_person() -> None:
    current = _current({"c1": ["a", "b"], "c2": ["c"]})
    result = assign(current, _previous({"P1": ["a", "b", "c"]}), _fresh)
    ids = _ids(current, result.person_id)
    assert ids["a"] == ids["b"] == "P1"
    assert ids["c"] == "new-c2"
    splits = result.lineage[result.lineage["kind"] == "split"]
    assert splits[["old_person_id", "new_person_id", "records"]].values.tolist() == [
        ["P1", "new-c2", 1]
    ]
    assert changed_person_ids(result.lineage) == {"P1"}


def test_a_person_whose_records_all_left_is_retired() -> None:
    current = _current({"c1": ["a"]})
    result = assign(current, _previous({"P1": ["a"], "P2": ["gone"]}), _fresh)
    retired = result.lineage[result.lineage["kind"] == "retired"]
    assert retired[["old_person_id", "new_person_id"]].values.tolist() == [["P2", None]]


def test_ties_are_broken_on_content_order_not_on_the_ids() -> None:
    # An even split: the part holding the record first in content order keeps the id,
    # whatever the ids or cluster labels look like.
    for labels in (("c1", "c2"), ("zz", "aa")):
        current = _current({labels[0]: ["b"], labels[1]: ["a"]})
        result = assign(current, _previous({"P1": ["a", "b"]}), _fresh)
        assert _ids(current, result.person_id)["a"] == "P1"


def test_a_new_id_never_reuses_one_the_previous_spine_used() -> None:
    current = _current({"P2": ["a"], "c1": ["b"]})  # a cluster labelled like an old id
    previous = _previous({"P1": ["b"], "P2": ["gone"]})
    result = assign(current, previous, lambda cluster, n: cluster if n == 0 else f"{cluster}-{n}")
    assert _ids(current, result.person_id) == {"a": "P2-1", "b": "P1"}


@settings(max_examples=60, deadline=None)
@given(
    clusters=st.lists(st.integers(0, 4), min_size=1, max_size=12),
    persons=st.lists(st.integers(0, 4), min_size=1, max_size=12),
    seed=st.integers(0, 1000),
)
def test_ids_do_not_depend_on_row_order_and_stay_unique(
    clusters: list[int], persons: list[int], seed: int
) -> None:
    keys = [f"r{n:02d}" for n in range(len(clusters))]
    current = pd.DataFrame(
        {"key": keys, "cluster": [f"c{c}" for c in clusters], "order": range(len(keys))}
    )
    previous = pd.DataFrame(
        {"key": [f"r{n:02d}" for n in range(len(persons))], "person_id": [f"P{p}" for p in persons]}
    )
    first = assign(current, previous, _fresh)
    shuffled = current.sample(frac=1, random_state=seed)
    second = assign(shuffled, previous.sample(frac=1, random_state=seed + 1), _fresh)
    assert _ids(current, first.person_id) == _ids(shuffled, second.person_id)
    # one id per cluster, and no two clusters share an id
    per_cluster = pd.DataFrame({"cluster": current["cluster"], "id": first.person_id})
    assert per_cluster.groupby("cluster")["id"].nunique().eq(1).all()
    assert per_cluster.drop_duplicates().groupby("id")["cluster"].nunique().eq(1).all()
    # every previous person whose records are all still together keeps its id
    joined = previous.merge(current, on="key")
    for pid, group in joined.groupby("person_id"):
        whole = previous[previous["person_id"] == pid]
        cluster = group["cluster"].iloc[0]
        same = set(current.loc[current["cluster"] == cluster, "key"]) == set(whole["key"])
        if group["cluster"].nunique() == 1 and len(group) == len(whole) and same:
            assert set(_ids(current, first.person_id)[k] for k in group["key"]) == {pid}


@settings(max_examples=60, deadline=None)
@given(
    clusters=st.lists(st.integers(0, 5), min_size=1, max_size=12),
    persons=st.lists(st.integers(0, 4), min_size=1, max_size=12),
)
def test_naming_clusters_in_a_batch_gives_the_same_ids_and_names_only_those_needing_one(
    clusters: list[int], persons: list[int]
) -> None:
    # Integer labels, as the engine gives them, named only when asked.
    current = pd.DataFrame(
        {"key": range(len(clusters)), "cluster": clusters, "order": range(len(clusters))}
    )
    previous = pd.DataFrame({"key": range(len(persons)), "person_id": [f"P{p}" for p in persons]})
    asked: list[int] = []

    def batch(chosen: list[int]) -> list[str]:
        asked.extend(chosen)
        return [f"new-{cluster}" for cluster in chosen]

    one_by_one = assign(current, previous, _fresh)
    batched = assign(current, previous, _fresh, batch)
    assert list(batched.person_id) == list(one_by_one.person_id)
    pd.testing.assert_frame_equal(batched.lineage, one_by_one.lineage)
    assert len(asked) == len(set(asked))  # each cluster named once
    # A cluster that kept a previous id and lost no records to another is never named.
    kept = {c for c, pid in zip(clusters, one_by_one.person_id, strict=True) if pid.startswith("P")}
    changed = set(one_by_one.lineage["new_person_id"].dropna())
    for cluster in set(asked) & kept:
        assert any(pid in changed for pid in one_by_one.person_id[current["cluster"] == cluster])
