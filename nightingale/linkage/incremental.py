"""Incremental linkage: score only the pairs that involve new or changed records.

A link run keeps, beside its spine, what the next run needs to avoid starting over
(files in the run's folder, in the identifier zone):

- ``pairs.parquet``: every scored pair above the floor (record ids, agreement levels,
  weights; no identifiers);
- ``pairs_below_floor.parquet``: the pairs scored between the screen
  (``LinkOptions.screen_weight``) and the floor (record ids and agreement levels), so a
  retrained model that lifts one above the floor brings it back;
- ``records.parquet``: per record, a keyed fingerprint of its normalised identifiers
  (the first 64 bits of an HMAC under the linkage key, like every token), which tells an
  unchanged record from one whose identifiers the provider corrected;
- ``tokens.parquet``: the run's token table (keyed tokens only), so the next run derives
  tokens for its fresh records alone (:func:`reuse_tokens`);
- ``model.json``: the trained model, blocking rules included.

The next run, when nothing forces a full relink (:func:`full_relink_reason`; among
other things the blocking rules must be the ones a full relink would choose), marks as
*fresh* every record that is new or whose fingerprint changed. When any record is fresh
or gone it retrains the model on the current records exactly as a full relink does (the
same u sample, prior and EM, so the same model); it then scores with that model only the
pairs a blocking rule yields with at least one fresh end (:func:`restricted_rules`),
keeps the saved pairs (above and below the floor) whose both ends are unchanged and
still present, re-weighs them under the retrained model and the current term
frequencies (:mod:`.weights`: their agreement levels do not depend on the model), and
clusters the pairs above the floor exactly as a full run clusters its pairs.

So the pairs, weights and model equal a full relink's, and so does the partition,
except for a pair a full relink scores above the floor that the previous run scored
below the screen (16 bits under the floor by default): a retrain would have to move its
weight by more than that. What is saved is paid for in time by the training (u sampling
and EM), which both paths do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from nightingale.linkage.backend import LinkBackend
from nightingale.linkage.engine import (
    FLOOR_KEY,
    RULES_KEY,
    LinkOptions,
    LinkResult,
    cluster,
    present_fields,
    register_sources,
    saved_model,
    split_at_floor,
    train,
)
from nightingale.linkage.positions import positions, text
from nightingale.linkage.tokens import Tokeniser
from nightingale.linkage.weights import rescore
from nightingale.platform.storage import read_parquet

PAIRS_FILE = "pairs.parquet"
BELOW_FILE = "pairs_below_floor.parquet"
RECORDS_FILE = "records.parquet"
TOKENS_FILE = "tokens.parquet"
LINEAGE_FILE = "lineage.parquet"
FRESH_COLUMN = "ng_fresh"


@dataclass
class PreviousRun:
    """What a run left for the next: its spine, pairs, fingerprints and model."""

    run_id: str
    spine: pd.DataFrame  # source, record_id, person_id
    pairs: pd.DataFrame
    records: pd.DataFrame  # source, record_id, fingerprint
    model_json: dict[str, Any]
    key_id: str
    trained: bool
    folder: Path | None = None
    #: pairs between the screen and the floor (ids and agreement levels)
    below_floor: pd.DataFrame = field(default_factory=pd.DataFrame)

    def tokens(self) -> pa.Table | None:
        """The run's token table, if it kept one."""
        import pyarrow.parquet as pq

        if self.folder is None or not (self.folder / TOKENS_FILE).is_file():
            return None
        return pq.read_table(self.folder / TOKENS_FILE)


def load_previous(folder: Path, run_id: str, key_id: str, trained: bool) -> PreviousRun | None:
    """The run in ``folder``, or None when it predates incremental linkage (no pairs)."""
    import json

    # The spine and the fingerprints are only looked up in (positions, overlaps), so
    # their text stays in Arrow memory; the pairs are written again, as they were read.
    spine = read_parquet(
        folder / "spine.parquet", ["source", "record_id", "person_id"], arrow_text=True
    )
    if not (folder / PAIRS_FILE).is_file() or not (folder / RECORDS_FILE).is_file():
        empty = pd.DataFrame()
        return PreviousRun(run_id, spine, empty, empty, {}, key_id, trained, folder)
    model_json = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    pairs = read_parquet(folder / PAIRS_FILE)
    records = read_parquet(folder / RECORDS_FILE, arrow_text=True)
    below = read_parquet(folder / BELOW_FILE) if (folder / BELOW_FILE).is_file() else None
    return PreviousRun(
        run_id,
        spine,
        pairs,
        records,
        model_json,
        key_id,
        trained,
        folder,
        pd.DataFrame() if below is None else below,
    )


def read_lineage(folder: Path) -> pd.DataFrame:
    """A run's lineage (:mod:`.lineage`); empty for a run from before lineage was kept."""
    from nightingale.linkage.lineage import LINEAGE_COLUMNS

    path = folder / LINEAGE_FILE
    if not path.is_file():
        return pd.DataFrame(columns=list(LINEAGE_COLUMNS))
    return read_parquet(path)


def fingerprints(tables: list[tuple[str, pa.Table]], tokeniser: Tokeniser) -> Any:
    """Per record, in load order: a keyed 64-bit fingerprint of its normalised identifiers.

    ``tables`` are the sealed identifier tables (``record_id`` and the normalised
    fields); every field but the id is joined into one value and HMAC'd under the
    tokeniser's key, so the fingerprint is a token like the others (never a plain hash).
    """
    parts = []
    for _name, table in tables:
        columns = [
            table.column(c).cast(pa.string()).fill_null("")
            for c in sorted(table.column_names)
            if c != "record_id"
        ]
        joined = pc.binary_join_element_wise(*columns, "\x1f") if columns else None
        values = [] if joined is None else joined.cast(pa.binary()).to_pylist()
        parts.append(tokeniser.digest_many("record_fingerprint", values))
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def record_frame(sources: Any, record_ids: Any, prints: Any) -> pd.DataFrame:
    """``source``, ``record_id`` and ``fingerprint`` per record (``records.parquet``)."""
    return pd.DataFrame(
        {
            "source": np.asarray(sources, dtype=object),
            "record_id": np.asarray(record_ids, dtype=object),
            "fingerprint": np.asarray(prints, dtype=np.int64),
        }
    )


def _link_type(model_json: dict[str, Any]) -> str:
    return str(model_json.get("link_type", ""))


def _fields_of(model_json: dict[str, Any]) -> set[str]:
    return {c["output_column_name"] for c in model_json.get("comparisons", [])}


def full_relink_reason(
    previous: PreviousRun | None,
    table: pa.Table,
    key_id: str,
    options: LinkOptions,
    comparisons: set[str],
    rules: list[str] | None = None,
) -> str | None:
    """Why this run must relink everything (None: it may be incremental).

    Tokens may be reused (:func:`reuse_tokens`) only when this gives None for the key:
    ``previous.key_id == key_id``.

    ``comparisons`` are the comparison names a full run would use now, ``rules`` the
    blocking rules it would choose (:func:`.engine.blocking_rules`; None: not checked).
    """
    if previous is None:
        return "no previous spine"
    if previous.records.empty:
        return "the previous run kept no scored pairs"
    if previous.key_id != key_id:
        return "the linkage key was rotated"
    if _fields_of(previous.model_json) != comparisons:
        return "the identifier fields present changed"
    sources = set(table.column("source_dataset").to_pylist())
    link_type = "link_and_dedupe" if len(sources) > 1 else "dedupe_only"
    if _link_type(previous.model_json) != link_type:
        return "the number of sources changed"
    if not previous.trained and table.num_rows >= options.min_training_records:
        return "the previous model was untrained and there are now enough records to train"
    floor = previous.model_json.get(FLOOR_KEY)
    if floor is not None and float(floor) != options.floor_weight:
        return "the floor weight changed"
    if rules is not None and previous.model_json.get(RULES_KEY) != rules:
        return "the blocking rules changed"
    return None


def fresh_records(sources: Any, record_ids: Any, prints: Any, previous: PreviousRun) -> Any:
    """Per record: new since ``previous``, or its identifiers changed (a boolean array)."""
    before = previous.records
    if not len(before):
        return np.ones(len(prints), dtype=bool)
    at = positions(sources, record_ids, before["source"], before["record_id"])
    saved = before["fingerprint"].to_numpy(dtype=np.int64)[np.maximum(at, 0)]
    same = (at >= 0) & (saved == np.asarray(prints, dtype=np.int64))
    return ~same


def reuse_tokens(
    previous_tokens: pa.Table,
    sources: Any,
    record_ids: Any,
    fresh: Any,
    fresh_tokens: pa.Table | None,
    dob_fits: pa.Array,
) -> pa.Table:
    """The token table in record order: unchanged records' rows from the previous run,
    ``fresh_tokens`` (the fresh records' own, in record order) for the rest.

    ``dob_fits`` (which birth years are usual per source) depends on every record, so it
    is recomputed by the caller for the whole table and replaces the saved values.
    """
    fresh = np.asarray(fresh, dtype=bool)
    unchanged = np.flatnonzero(~fresh)
    at = positions(
        text(sources).take(pa.array(unchanged)),
        text(record_ids).take(pa.array(unchanged)),
        previous_tokens["source_dataset"],
        previous_tokens["unique_id"],
    )
    parts = [previous_tokens]
    if fresh_tokens is not None and fresh_tokens.num_rows:
        parts.append(fresh_tokens.select(previous_tokens.column_names).cast(previous_tokens.schema))
    # One take from the saved rows and the fresh ones after them (the list columns make
    # every take of the table a copy of most of it).
    rows = np.empty(len(fresh), dtype=np.int64)
    rows[unchanged] = at
    rows[np.flatnonzero(fresh)] = previous_tokens.num_rows + np.arange(int(fresh.sum()))
    table = pa.concat_tables(parts).take(pa.array(rows, mask=rows < 0))
    where = table.column_names.index("dob_fits")
    return table.set_column(where, "dob_fits", dob_fits.cast(table.schema.field(where).type))


def unsettled_records(previous: PreviousRun, table: pa.Table, fresh: Any) -> set[tuple[str, str]]:
    """(source, record id) of the records a saved pair cannot be kept for: this run's
    fresh records and the previous run's records no longer present."""
    fresh_rows = pa.array(np.flatnonzero(np.asarray(fresh, dtype=bool)))
    sources, ids = table.column("source_dataset"), table.column("unique_id")
    unsettled = set(
        zip(sources.take(fresh_rows).to_pylist(), ids.take(fresh_rows).to_pylist(), strict=True)
    )
    before = previous.records
    if len(before):
        gone = pa.array(positions(before["source"], before["record_id"], sources, ids) < 0)
        unsettled.update(
            zip(
                text(before["source"]).filter(gone).to_pylist(),
                text(before["record_id"]).filter(gone).to_pylist(),
                strict=True,
            )
        )
    return unsettled


def _touches(sources: pd.Series, ids: pd.Series, records: set[tuple[str, str]]) -> Any:
    """Which (source, id) rows are among ``records``: a hash look-up of the ids, then
    the exact pair for the few rows whose id matched."""
    candidates = np.flatnonzero(ids.isin({record_id for _source, record_id in records}))
    hit = np.zeros(len(ids), dtype=bool)
    hit[candidates] = [
        (source, record_id) in records
        for source, record_id in zip(
            sources.to_numpy()[candidates], ids.to_numpy()[candidates], strict=True
        )
    ]
    return hit


def kept_pairs(
    previous: PreviousRun,
    table: pa.Table,
    fresh: Any,
    pairs: pd.DataFrame | None = None,
    unsettled: set[tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """The previous run's pairs (or ``pairs``) whose two records are still present and
    unchanged.

    A run's pair files name only that run's records (``previous.records``), so a pair is
    kept unless an end is fresh or gone (:func:`unsettled_records`, which a caller
    keeping several pair files passes once): a look-up in the refresh's few changed
    records, not in every record.
    """
    pairs = previous.pairs if pairs is None else pairs
    if not len(pairs):
        return pairs
    if unsettled is None:
        unsettled = unsettled_records(previous, table, fresh)
    # The previous run's own link flags are its clustering's, not this run's.
    pairs = pairs.drop(columns=["deterministic", "linked"], errors="ignore")
    changed = _touches(pairs["source_dataset_l"], pairs["unique_id_l"], unsettled)
    changed |= _touches(pairs["source_dataset_r"], pairs["unique_id_r"], unsettled)
    kept: pd.DataFrame = pairs[~changed].reset_index(drop=True)
    return kept


def _rules(model_json: dict[str, Any]) -> list[str]:
    rules = []
    for rule in model_json.get("blocking_rules_to_generate_predictions", []):
        rules.append(rule["blocking_rule"] if isinstance(rule, dict) else str(rule))
    return rules


def restricted_rules(rules: list[str], render: Any) -> list[str]:
    """Each blocking rule twice: once for pairs whose left record is fresh, once for the
    right. A condition on one side alone is pushed below the join, so a refresh's few
    fresh records are joined to everyone instead of everyone to everyone and filtered
    (an ``OR`` of both sides would be evaluated only after the join). Splink drops a
    pair a preceding rule produced, so a pair with two fresh ends is scored once."""
    left = render(f'l."{FRESH_COLUMN}"')
    right = render(f'r."{FRESH_COLUMN}"')
    return [f"({rule}) AND {side}" for rule in rules for side in (left, right)]


def score_fresh(
    table: pa.Table,
    fresh: Any,
    backend: LinkBackend,
    model_json: dict[str, Any],
    options: LinkOptions,
) -> pd.DataFrame:
    """Pairs with at least one fresh end scored by ``model_json`` down to the screen."""
    from splink import Linker

    if not np.asarray(fresh).any():
        return pd.DataFrame()
    marked = table.append_column(FRESH_COLUMN, pa.array(np.asarray(fresh, dtype=bool)))
    inputs = register_sources(backend, marked, "__ng_fresh_")
    settings = {key: value for key, value in model_json.items() if not key.startswith("ng_")}
    settings["blocking_rules_to_generate_predictions"] = restricted_rules(
        _rules(model_json), backend.render
    )
    # The saved model was validated when it was trained; validating again parses every
    # rule and level with sqlglot, which took longer than scoring a refresh's pairs.
    linker = Linker(inputs, settings, log_level=logging.ERROR, validate_settings=False)
    predictions = linker.inference.predict(threshold_match_weight=options.screen_weight)
    return backend.read_pairs(predictions.physical_name)


def run_incremental(
    table: pa.Table,
    tokeniser: Tokeniser,
    backend: LinkBackend,
    options: LinkOptions,
    previous: PreviousRun,
    fresh: Any,
) -> LinkResult:
    """Persons for every record of ``table``, scoring only pairs with a fresh end.

    When any record is fresh or gone, the model is retrained as a full relink trains it
    and the kept pairs are re-weighed under it (see the module docstring).
    """
    logging.getLogger("splink").setLevel(logging.ERROR)
    fresh = np.asarray(fresh, dtype=bool)
    rules = list(previous.model_json.get(RULES_KEY, _rules(previous.model_json)))
    changed = bool(fresh.any()) or table.num_rows != len(previous.records)
    if changed:
        linker, trained = train(table, backend, options, rules)
        model_json = saved_model(linker, options, rules)
        del linker
    else:
        model_json, trained = previous.model_json, previous.trained
    scored, scored_below = split_at_floor(
        score_fresh(table, fresh, backend, model_json, options), options
    )
    unsettled = unsettled_records(previous, table, fresh)
    kept = pd.concat(
        [
            frame
            for frame in (
                kept_pairs(previous, table, fresh, previous.pairs, unsettled),
                kept_pairs(previous, table, fresh, previous.below_floor, unsettled),
            )
            if len(frame)
        ]
        or [pd.DataFrame()],
        ignore_index=True,
    )
    if len(kept):
        # The kept pairs' record positions, looked up once for the re-weighing and the
        # clustering (which looks up only the freshly scored pairs' own).
        sources, ids = table.column("source_dataset"), table.column("unique_id")
        kept["node_l"] = positions(kept["source_dataset_l"], kept["unique_id_l"], sources, ids)
        kept["node_r"] = positions(kept["source_dataset_r"], kept["unique_id_r"], sources, ids)
    if changed and len(kept):
        kept = rescore(
            kept.drop(columns=["match_weight", "match_probability"], errors="ignore"),
            model_json,
            table,
            kept["node_l"].to_numpy(),
            kept["node_r"].to_numpy(),
        )
    if len(kept) and "match_weight" in kept:
        kept, kept_below = split_at_floor(kept, options)
    else:
        kept, kept_below = kept.iloc[0:0], kept
    kept_below = kept_below.drop(columns=["node_l", "node_r"], errors="ignore")
    pairs = pd.concat([f for f in (kept, scored) if len(f)] or [kept], ignore_index=True)
    result = cluster(table, pairs, present_fields(table), tokeniser, model_json, options)
    result.below_floor = pd.concat(
        [f for f in (kept_below, scored_below) if len(f)] or [pd.DataFrame()], ignore_index=True
    )
    result.counts["pairs_below_floor"] = len(result.below_floor)
    result.counts["trained"] = int(trained)
    result.counts["retrained"] = int(changed)
    result.counts["pairs_rescored"] = len(scored)
    result.counts["pairs_reused"] = len(kept)
    result.counts["records_fresh"] = int(fresh.sum())
    return result
