"""A link run keeps its clerical review sample and the estimator's input, sealed.

The hand-made region is linked once; its run folder must hold the sealed review files,
the sample must be stratified and the same for the same linkage, the identifiers of a
sampled pair must come back for that pair only, and the estimates must move the way
reviewers' decisions say.
"""

from __future__ import annotations

import dataclasses
import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from nightingale.linkage.estimates import EstimatesInput
from nightingale.linkage.link import LinkSummary, link
from nightingale.linkage.review import (
    PER_BAND,
    PER_SUBGROUP,
    ReviewBundle,
    _is_value,
    _keys,
    draw_sample,
    estimates_after_review,
    pair_identifiers,
    pair_key,
    read_review,
)
from nightingale.linkage.spine import spine_folder
from nightingale.platform import database
from nightingale.platform.encryption import IntegrityError
from nightingale.platform.errors import NightingaleError
from tests.linkage.conftest import Platform, link_all
from tests.linkage.region import PEOPLE


@pytest.fixture(scope="module")
def linked(ingested: Platform) -> tuple[Platform, LinkSummary]:
    return ingested, link_all(ingested)


def test_the_run_folder_keeps_the_review_files_sealed(
    linked: tuple[Platform, LinkSummary],
) -> None:
    platform, summary = linked
    folder = spine_folder(platform.root, summary.run_id) / "review"
    for name in ("estimates.bin", "sample.bin"):
        content = (folder / name).read_bytes()
        assert b"PAR1" not in content  # sealed, not plain Parquet
        assert (folder / name).stat().st_mode & 0o077 == 0
        for person in PEOPLE:
            assert person[2].encode() not in content and person[6].encode() not in content


def test_a_review_file_copied_to_another_run_does_not_open(
    linked: tuple[Platform, LinkSummary], tmp_path_factory: pytest.TempPathFactory
) -> None:
    platform, summary = linked
    other = spine_folder(platform.root, "20000101T000000000000Z-000000")
    (other / "review").mkdir(parents=True)
    for name in ("estimates.bin", "sample.bin"):
        source = spine_folder(platform.root, summary.run_id) / "review" / name
        (other / "review" / name).write_bytes(source.read_bytes())
    with pytest.raises(IntegrityError):
        read_review(platform.root, platform.keystore, other.name)


def test_the_sample_is_stratified_by_weight_band_with_levels_and_weights(
    linked: tuple[Platform, LinkSummary],
) -> None:
    platform, summary = linked
    bundle = read_review(platform.root, platform.keystore, summary.run_id)
    sample = bundle.sample
    assert len(sample) > 0 and sample["pair_key"].is_unique
    assert (sample["stratum"].value_counts() <= PER_BAND).all()
    assert any(s.startswith("weight") for s in sample["stratum"])
    row = bundle.row(sample["pair_key"].iloc[0])
    assert row is not None and isinstance(row["agreement"], dict) and row["agreement"]
    report = json.loads((spine_folder(platform.root, summary.run_id) / "report.json").read_text())
    assert sum(report["clerical_review_strata"].values()) == len(sample)


def test_the_same_linkage_gives_the_same_sample(
    linked: tuple[Platform, LinkSummary],
) -> None:
    platform, summary = linked
    first = read_review(platform.root, platform.keystore, summary.run_id).sample
    connection = duckdb.connect()
    with database.session_scope(platform.engine) as session:
        again = link(session, platform.root, platform.keystore, connection)
    connection.close()
    second = read_review(platform.root, platform.keystore, again.run_id).sample
    assert first["pair_key"].tolist() == second["pair_key"].tolist()


def test_a_sampled_pair_shows_both_records_identifiers_and_others_are_refused(
    linked: tuple[Platform, LinkSummary],
) -> None:
    platform, summary = linked
    bundle = read_review(platform.root, platform.keystore, summary.run_id)
    left, right = pair_identifiers(
        platform.root, platform.keystore, bundle, bundle.sample["pair_key"].iloc[0]
    )
    assert set(left) == set(right) >= {"given_name", "family_name", "nhs_number", "postcode"}
    assert left["family_name"] and right["family_name"] and left["date_of_birth"]
    with pytest.raises(NightingaleError, match="not in the review sample"):
        pair_identifiers(
            platform.root, platform.keystore, bundle, pair_key("health", "x", "housing", "y")
        )


def test_decisions_move_the_estimates_in_the_direction_they_say(
    linked: tuple[Platform, LinkSummary],
) -> None:
    platform, summary = linked
    bundle = read_review(platform.root, platform.keystore, summary.run_id)
    linked_pairs = bundle.sample[bundle.sample["linked"]]
    assert not linked_pairs.empty
    before = estimates_after_review(bundle, {})
    against = estimates_after_review(bundle, dict.fromkeys(linked_pairs["pair_key"], "non-match"))
    behind = estimates_after_review(bundle, dict.fromkeys(linked_pairs["pair_key"], "match"))
    assert against["reviewed_pairs"] == len(linked_pairs) and before["reviewed_pairs"] == 0
    assert against["precision"] < before["precision"] <= behind["precision"] + 1e-9
    unsure = estimates_after_review(bundle, dict.fromkeys(linked_pairs["pair_key"], "unsure"))
    assert unsure["precision"] == before["precision"] and unsure["reviewed_pairs"] == 0


def _draw(bundle: ReviewBundle, subgroups: list[dict[str, object]], shuffle: int | None = None):  # type: ignore[no-untyped-def]
    """The sample drawn again from the bundle's pairs (no comparison levels), records
    made from the pairs' own ids, the pairs in the order ``shuffle`` seeds."""
    data = bundle.data
    if shuffle is not None:
        data = dataclasses.replace(data, pairs=data.pairs.sample(frac=1.0, random_state=shuffle))
    pairs = data.pairs
    scored = pd.DataFrame(
        {
            "source_dataset_l": pairs["source_l"],
            "unique_id_l": pairs["record_l"],
            "source_dataset_r": pairs["source_r"],
            "unique_id_r": pairs["record_r"],
        }
    )
    records = pd.DataFrame(
        {
            "source": pd.concat([pairs["source_l"], pairs["source_r"]]).to_numpy(),
            "record_id": pd.concat([pairs["record_l"], pairs["record_r"]]).to_numpy(),
        }
    ).drop_duplicates()
    return draw_sample(data, scored, {}, records, subgroups)  # type: ignore[arg-type]


def test_a_subgroup_well_below_the_overall_link_rate_gets_pairs_of_its_own(
    linked: tuple[Platform, LinkSummary],
) -> None:
    platform, summary = linked
    bundle = read_review(platform.root, platform.keystore, summary.run_id)
    flagged = {"dimension": "source", "value": "employment", "link_rate_gap": -0.2}
    near_overall = {"dimension": "source", "value": "health", "link_rate_gap": -0.01}
    sample = _draw(bundle, [flagged, near_overall])
    ours = sample[sample["stratum"] == "subgroup source = employment"]
    assert 0 < len(ours) <= PER_SUBGROUP
    assert ((ours["source_l"] == "employment") | (ours["source_r"] == "employment")).all()
    assert not (sample["stratum"] == "subgroup source = health").any()
    assert sample["pair_key"].is_unique


def test_the_sample_does_not_depend_on_the_pairs_row_order(
    linked: tuple[Platform, LinkSummary],
) -> None:
    platform, summary = linked
    bundle = read_review(platform.root, platform.keystore, summary.run_id)
    flagged = [{"dimension": "source", "value": "employment", "link_rate_gap": -0.2}]
    first = _draw(bundle, flagged)
    for seed in (1, 2):
        again = _draw(bundle, flagged, shuffle=seed)
        assert again[["pair_key", "stratum"]].equals(first[["pair_key", "stratum"]])


def test_each_sampled_pair_is_named_by_its_pair_key(
    linked: tuple[Platform, LinkSummary],
) -> None:
    platform, summary = linked
    sample = read_review(platform.root, platform.keystore, summary.run_id).sample
    named = [pair_key(r.source_l, r.record_l, r.source_r, r.record_r) for r in sample.itertuples()]
    assert sample["pair_key"].tolist() == named


def test_pair_keys_made_column_by_column_are_those_of_pair_key() -> None:
    # Sources where one name begins another, records named in either order: the keys
    # (and so the sample's order of exact ties) must be pair_key's, text for text.
    frame = pd.DataFrame(
        {
            "source_l": ["gp2", "gp", "gp", "health", "gp"],
            "record_l": ["b", "a", "z", "x", "b"],
            "source_r": ["gp", "gp2", "gp", "health", "gp"],
            "record_r": ["a", "c", "a", "x1", "b0"],
        }
    )
    columns = ("source_l", "record_l", "source_r", "record_r")
    expected = [pair_key(*row) for row in frame[list(columns)].itertuples(index=False)]
    assert list(_keys(frame, *columns)) == expected


def test_subgroup_members_are_found_by_category_as_by_their_text() -> None:
    column = pd.Series(pd.Categorical(["75+", None, "0-15", "75+"]))
    for value in ("75+", "nan", "0-15", "16-24"):
        expected = (column.astype(str) == value).tolist()
        assert _is_value(column, value).tolist() == expected
        assert _is_value(column.astype(object), value).tolist() == expected


def test_records_in_token_table_order_are_found_at_the_pairs_rows() -> None:
    # A link run's records are in the token table's order, whose rows the pairs carry:
    # a pair touching a flagged subgroup is found there as by looking its ids up.
    rng = np.random.default_rng(5)
    size, count = 60, 400
    records = pd.DataFrame(
        {
            "source": pd.Categorical(rng.choice(["employment", "health", "housing"], size)),
            "record_id": [f"r{number:02d}" for number in range(size)],
        }
    )
    node_l, node_r = rng.integers(0, size, count), rng.integers(0, size, count)
    source, record = records["source"].astype(str).to_numpy(), records["record_id"].to_numpy()
    # The estimator's input names each pair's records in sorted order; rows do not.
    swap = (source[node_l] > source[node_r]) | (
        (source[node_l] == source[node_r]) & (record[node_l] > record[node_r])
    )
    first, second = np.where(swap, node_r, node_l), np.where(swap, node_l, node_r)
    weight = rng.choice([-4.0, 0.0, 2.0, 6.0, 12.0], count)
    pairs = pd.DataFrame(
        {
            "source_l": source[first],
            "record_l": record[first],
            "source_r": source[second],
            "record_r": record[second],
            "same": rng.random(count) < 0.5,
            "weight": weight,
            "probability": rng.random(count),
            "weight_without": weight - 1.0,
            "holdout": rng.choice([-1, 0, 1], count),
            "holdout_same": False,
            "node_l": node_l,
            "node_r": node_r,
        }
    )
    data = EstimatesInput(pairs, {}, -8.0, -4.0, 0.0, 1e-3)
    scored = pairs.rename(
        columns={
            "source_l": "source_dataset_l",
            "record_l": "unique_id_l",
            "source_r": "source_dataset_r",
            "record_r": "unique_id_r",
        }
    )
    flagged = [{"dimension": "source", "value": "employment", "link_rate_gap": -0.2}]
    at_rows = draw_sample(data, scored, {}, records, flagged, aligned=True)
    looked_up = draw_sample(data, scored, {}, records, flagged, aligned=False)
    assert (at_rows["stratum"] == "subgroup source = employment").any()
    assert at_rows.equals(looked_up)
