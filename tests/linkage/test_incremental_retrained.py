"""An incremental link retrains: after a synthetic refresh it learns the model a full
relink learns and gives the full relink's partition.

It does so without Splink's own training or prediction over every pair, so the parts
it does itself are held to Splink here: its training counts equal a full count, the
model it fits from them is the model Splink's EM fits, and its scoring of fresh pairs
yields the pairs, agreement levels and weights Splink's prediction yields.

A small synthetic region (enough records to train on) is ingested and linked; its
first refresh is ingested and linked incrementally, then relinked in full on the same
inputs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from splink import Linker

from nightingale.cli.governance_demo import OFFICER, intake_ready
from nightingale.linkage import engine, model
from nightingale.linkage.em import fit
from nightingale.linkage.incremental import (
    BELOW_FILE,
    PAIRS_FILE,
    TOKENS_FILE,
    TRAINING_FILE,
    pair_counter,
    score_fresh,
)
from nightingale.linkage.link import LinkSummary
from nightingale.linkage.schemas import providers
from nightingale.linkage.training import TrainingCounts
from nightingale.operations import linkage
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, read_parquet
from nightingale.synth import SynthConfig, generate_region
from nightingale.synth.refresh import write_refresh
from tests.linkage.test_training import _same
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

    def rounded(value: object) -> object:
        if isinstance(value, float):
            return round(value, 9)
        if isinstance(value, dict):
            return {key: rounded(item) for key, item in value.items()}
        if isinstance(value, list):
            return [rounded(item) for item in value]
        return value

    def saved(summary: LinkSummary) -> object:
        model = json.loads((summary.folder / "model.json").read_text(encoding="utf-8"))
        model.pop("linker_uid")  # a random label of the Splink linker that saved it
        return rounded(model)

    # The incremental run writes its model without Splink: the same file, key for key.
    assert saved(linked.incremental) == saved(linked.full)
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


def _counts(summary: LinkSummary) -> TrainingCounts:
    return TrainingCounts.from_json(
        json.loads((summary.folder / TRAINING_FILE).read_text(encoding="utf-8"))
    )


def test_the_updated_training_counts_are_a_full_count(linked: Linked) -> None:
    _same(_counts(linked.incremental), _counts(linked.full))


def test_the_model_fitted_from_the_counts_is_the_model_splinks_em_fits(linked: Linked) -> None:
    """Splink's own training on the same u sample (u by sampling every pair, the prior by
    the deterministic rule, EM without term frequencies) gives the same parameters."""
    table = pq.read_table(linked.full.folder / TOKENS_FILE)
    counts = _counts(linked.full)
    fields = engine.present_fields(table)
    settings = engine._settings(fields, "link_and_dedupe", table.num_rows, [])
    ours = fit(settings, counts, model.training_blocks_for(fields), 0.7)
    backend = engine.as_backend(duckdb.connect())
    keys = set(counts.sample["source"] + "/" + counts.sample["record_id"])
    ids = pd.Series(table.column("source_dataset").to_pylist()) + "/"
    in_sample = (ids + pd.Series(table.column("unique_id").to_pylist())).isin(keys)
    sample = table.filter(pa.array(in_sample.to_numpy()))
    splink = Linker(engine.register_sources(backend, sample, "__u_"), settings)
    size = sample.num_rows
    splink.training.estimate_u_using_random_sampling(
        max_pairs=size * size, min_count_per_level=None, num_chunks=1
    )
    learnt = splink.misc.save_model_to_json()
    for comparison, trained in zip(settings["comparisons"], learnt["comparisons"], strict=True):
        for level, trained_level in zip(
            comparison["comparison_levels"], trained["comparison_levels"], strict=True
        ):
            if "u_probability" in trained_level:
                level["u_probability"] = trained_level["u_probability"]
    splink = Linker(engine.register_sources(backend, table, "__all_"), settings)
    splink.training.estimate_probability_two_random_records_match(
        ['l."gn" = r."gn" AND l."fn" = r."fn" AND l."dob" = r."dob"'], recall=0.7
    )
    for rule in model.training_blocks_for(fields):
        splink.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    theirs = splink.misc.save_model_to_json()
    assert ours["probability_two_random_records_match"] == pytest.approx(
        theirs["probability_two_random_records_match"], rel=1e-12
    )
    for mine, splinks in zip(ours["comparisons"], theirs["comparisons"], strict=True):
        for level, other in zip(
            mine["comparison_levels"], splinks["comparison_levels"], strict=True
        ):
            for key in ("m_probability", "u_probability"):
                assert (key in level) == (key in other)
                assert level.get(key, 0) == pytest.approx(other.get(key, 0), rel=1e-9), (
                    mine["output_column_name"],
                    level["label_for_charts"],
                    key,
                )


def test_fresh_pairs_are_found_and_weighed_as_splinks_prediction_does(linked: Linked) -> None:
    """With every record fresh, the incremental scoring yields the full relink's pairs."""
    folder = linked.full.folder
    table = pq.read_table(folder / TOKENS_FILE)
    model_json = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    counter = pair_counter(table, np.ones(table.num_rows, bool), model_json)
    try:
        ours = score_fresh(counter, table, model_json, engine.LinkOptions())
    finally:
        counter.close()
    keys = ["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r"]
    above = read_parquet(folder / PAIRS_FILE).drop(columns=["deterministic", "linked"])
    splinks = pd.concat([above, read_parquet(folder / BELOW_FILE)], ignore_index=True)
    ours, splinks = ours.set_index(keys).sort_index(), splinks.set_index(keys).sort_index()
    assert ours.index.equals(splinks.index)
    gammas = [c for c in splinks.columns if c.startswith("gamma_")]
    assert (ours[gammas].to_numpy() == splinks[gammas].to_numpy()).all()
    weighed = splinks["match_weight"].notna()
    assert len(ours) > weighed.sum() > 0
    difference = ours["match_weight"][weighed] - splinks["match_weight"][weighed]
    assert difference.abs().max() < 1e-9


def test_the_training_counts_hold_counts_and_record_ids_only(linked: Linked) -> None:
    """``training.json`` lies beside the spine: numbers, comparison names and the u
    sample's random record ids; not the provider keys the sample was chosen by."""
    data = json.loads((linked.full.folder / TRAINING_FILE).read_text(encoding="utf-8"))
    assert set(data) == {
        "comparisons",
        "u_patterns",
        "em_patterns",
        "deterministic_pairs",
        "all_pairs",
        "sample",
    }
    numbers = [*data["u_patterns"], *(r for rows in data["em_patterns"].values() for r in rows)]
    assert all(isinstance(value, int) for row in numbers for value in row)
    spine = read_parquet(linked.full.folder / "spine.parquet")
    on_spine = set(zip(spine["source"], spine["record_id"], strict=True))
    assert data["sample"] and all(tuple(entry) in on_spine for entry in data["sample"])
