"""An incremental link retrains: after a synthetic refresh it learns the model a full
relink learns and gives the full relink's partition.

A small synthetic region (enough records to train on) is ingested and linked; its
first refresh is ingested and linked incrementally, then relinked in full on the same
inputs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from nightingale.cli.governance_demo import OFFICER, intake_ready
from nightingale.linkage.incremental import BELOW_FILE, PAIRS_FILE
from nightingale.linkage.link import LinkSummary
from nightingale.linkage.schemas import providers
from nightingale.operations import linkage
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, read_parquet
from nightingale.synth import SynthConfig, generate_region
from nightingale.synth.refresh import write_refresh
from tests.linkage.test_weights import splink_and_recomputed


def _settings(folder: Path) -> Settings:
    settings = Settings(data_root=folder, database_url=f"sqlite:///{folder / 'ng.db'}")
    initialise(settings)
    with open_unit(settings, "setup") as unit:
        intake_ready(unit.session, unit.keystore)
    return settings


def _ingest(settings: Settings, region: Path) -> None:
    for name, spec in sorted(providers(DataRoot(settings.data_root)).items()):
        files = [region / "extracts" / name / n for n in [spec.people.name]]
        files += [region / "extracts" / name / e.name for e in spec.events]
        present = [f for f in files if f.is_file()]
        if present:
            with open_unit(settings, OFFICER) as unit:
                linkage.ingest(unit, name, present)


def _link(settings: Settings, region: Path, full: bool) -> LinkSummary:
    with open_unit(settings, OFFICER) as unit:
        return linkage.link(unit, truth=region / "truth" / "records.csv", full=full)


@dataclass
class Linked:
    incremental: LinkSummary
    full: LinkSummary


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Linked]:
    work = tmp_path_factory.mktemp("retrained")
    first, second = work / "region-0", work / "region-1"
    generate_region(SynthConfig(people=1200, seed=7), first)
    write_refresh(first, 6, second)
    settings = _settings(work / "root")
    _ingest(settings, first)
    _link(settings, first, full=False)
    _ingest(settings, second)
    summary = _link(settings, second, full=False)
    yield Linked(summary, _link(settings, second, full=True))


def _partition(summary: LinkSummary) -> set[frozenset[tuple[str, str]]]:
    spine = read_parquet(summary.folder / "spine.parquet")
    groups = spine.groupby("person_id")[["source", "record_id"]]
    return {frozenset(map(tuple, g.to_numpy().tolist())) for _p, g in groups}


def test_the_refresh_is_linked_incrementally_and_retrained(linked: Linked) -> None:
    assert linked.incremental.full_reason is None
    counts = linked.incremental.counts
    assert counts["incremental"] == 1 and counts["trained"] == 1 and counts["retrained"] == 1
    assert counts["records_fresh"] > 0 and counts["pairs_reused"] > counts["pairs_rescored"]


def test_the_retrained_model_is_the_full_relinks(linked: Linked) -> None:
    def parameters(summary: LinkSummary) -> list[tuple[str, float, float]]:
        model = json.loads((summary.folder / "model.json").read_text(encoding="utf-8"))
        return [
            (c["output_column_name"], lv.get("m_probability", 0.0), lv.get("u_probability", 0.0))
            for c in model["comparisons"]
            for lv in c["comparison_levels"]
        ] + [("prior", model["probability_two_random_records_match"], 0.0)]

    for (name, m, u), (name2, m2, u2) in zip(
        parameters(linked.incremental), parameters(linked.full), strict=True
    ):
        assert name == name2
        assert m == pytest.approx(m2, rel=1e-9, abs=1e-12)
        assert u == pytest.approx(u2, rel=1e-9, abs=1e-12)


def test_the_incremental_partition_is_the_full_relinks(linked: Linked) -> None:
    assert _partition(linked.incremental) == _partition(linked.full)
    assert (
        linked.incremental.metrics["measured"]["all"]["f1"]
        == linked.full.metrics["measured"]["all"]["f1"]
    )


def test_reused_pairs_weigh_what_the_full_relink_scores(linked: Linked) -> None:
    keys = ["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r"]

    def pairs(summary: LinkSummary) -> pd.DataFrame:
        return read_parquet(summary.folder / PAIRS_FILE).set_index(keys).sort_index()

    mine, theirs = pairs(linked.incremental), pairs(linked.full)
    assert set(mine.index) == set(theirs.index)
    joined = mine[["match_weight"]].join(theirs[["match_weight"]], rsuffix="_full")
    assert (joined["match_weight"] - joined["match_weight_full"]).abs().max() < 1e-9
    below = read_parquet(linked.incremental.folder / BELOW_FILE)
    assert len(below) and "match_weight" not in below


def test_a_trained_models_weights_are_recomputed_as_splink_scores_them(linked: Linked) -> None:
    pairs, ours = splink_and_recomputed(linked.full.folder)
    assert (ours["match_weight"] - pairs["match_weight"]).abs().max() < 1e-9
