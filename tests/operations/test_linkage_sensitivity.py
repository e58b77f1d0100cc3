"""Linkage error carried into the estimates, on a real synthetic region linked and built.

A small region is generated, ingested, linked (the run keeps its scored pairs) and the
pilot's release built with the real builder; the operation then re-links the release's
spine at other thresholds, builds the cohort on each and runs the primary analysis (the
small test plan: the region's cohort of about 130 people is too small for the full one).
On the synthetic region linkage is nearly perfect, so thresholds far from the run's
(-15, +20 bits) are needed to move the cohort.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from nightingale.governance.errors import PermissionDenied
from nightingale.linkage.threshold_spines import run_threshold, spine_at
from nightingale.operations.linkage_sensitivity import (
    evaluate_with_linkage_sensitivity,
    linkage_variants,
)
from nightingale.platform.contracts import read_manifest, spine_file
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, read_parquet
from tests.analyses.evaluations.test_bundle import SMALL_PLAN
from tests.workspace_world import World, build_world, populate

PEOPLE = 3500


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, str]]:
    folder = tmp_path_factory.mktemp("sensitivity")
    settings = Settings(data_root=folder / "var")
    world = build_world(settings)
    populate(settings, people=PEOPLE)
    release_id = world.built("dfh-pilot", "rita", k_override="a small test region")
    yield world, release_id
    world.engine.dispose()


def _run_of(world: World, release_id: str) -> str:
    root = DataRoot(world.settings.data_root)
    folder = root.releases("dfh-pilot") / release_id
    return read_manifest(folder).spine_run_id


def test_at_the_runs_own_threshold_the_stored_pairs_give_back_its_spine(
    built: tuple[World, str],
) -> None:
    world, release_id = built
    root = DataRoot(world.settings.data_root)
    run_id = _run_of(world, release_id)
    again = spine_at(root, world.keystore, run_id, run_threshold(root, run_id))
    spine = read_parquet(spine_file(root, run_id))
    assert list(again["person_id"]) == list(spine["person_id"])


def test_a_higher_threshold_splits_persons_and_a_lower_one_joins_them(
    built: tuple[World, str],
) -> None:
    world, release_id = built
    root = DataRoot(world.settings.data_root)
    run_id = _run_of(world, release_id)
    chosen = run_threshold(root, run_id)
    persons = {
        t: spine_at(root, world.keystore, run_id, t)["person_id"].nunique()
        for t in (chosen - 6, chosen, chosen + 6)
    }
    assert persons[chosen - 6] <= persons[chosen] < persons[chosen + 6]


def test_the_bundle_carries_the_sensitivity_table_and_it_follows_the_thresholds(
    built: tuple[World, str], tmp_path: Path
) -> None:
    world, release_id = built
    plan = tmp_path / "plan.yaml"
    plan.write_text(SMALL_PLAN)
    with world.unit("rita") as unit:
        folder, _result = evaluate_with_linkage_sensitivity(
            unit, release_id, tmp_path / "wide", plan, thresholds=[-15.0, 20.0]
        )
    table = pd.read_csv(folder / "tables" / "linkage_sensitivity.csv")
    assert sorted(set(table["threshold"])) == [-15.0, 0.0, 20.0]
    chosen = table[table["chosen"]]
    main = pd.read_csv(folder / "tables" / "main_estimates.csv")
    primary = main[main["primary"]].set_index("outcome")
    for _, row in chosen.iterrows():  # the release's own row is the main table's estimate
        assert row["estimate"] == pytest.approx(primary.loc[row["outcome"], "estimate"])
        assert primary.loc[row["outcome"], "linkage_lowest"] == pytest.approx(row["lowest"])
    assert (table["spread"] > 0).any()  # the linkage moves some estimate
    assert "Linkage sensitivity" in (folder / "summary.txt").read_text()
    assert (
        "tables/linkage_sensitivity.csv"
        in json.loads((folder / "bundle.json").read_text())["files"]
    )
    with world.unit("rita") as unit:
        narrow, _ = evaluate_with_linkage_sensitivity(
            unit, release_id, tmp_path / "narrow", plan, thresholds=[-1.0, 1.0]
        )
    other = pd.read_csv(narrow / "tables" / "linkage_sensitivity.csv")
    assert sorted(set(other["threshold"])) == [-1.0, 0.0, 1.0]
    assert not other["estimate"].equals(table["estimate"])


def test_someone_who_may_not_read_the_release_is_refused(built: tuple[World, str]) -> None:
    world, release_id = built
    with pytest.raises(PermissionDenied), world.unit("ray") as unit:
        linkage_variants(unit, release_id, [2.0])
