"""Incremental linkage: score only the pairs that involve new or changed records.

A link run keeps, beside its spine, what the next run needs to avoid starting over
(files in the run's folder, in the identifier zone):

- ``pairs.parquet``: every scored pair above the floor (record ids, agreement levels,
  weights; no identifiers);
- ``records.parquet``: per record, a keyed fingerprint of its normalised identifiers
  (the first 64 bits of an HMAC under the linkage key, like every token), which tells an
  unchanged record from one whose identifiers the provider corrected;
- ``tokens.parquet``: the run's token table (keyed tokens only), so the next run derives
  tokens for its fresh records alone (:func:`reuse_tokens`);
- ``model.json``: the trained model, blocking rules included.

The next run, when nothing forces a full relink (:func:`full_relink_reason`), marks as
*fresh* every record that is new or whose fingerprint changed, re-scores with the saved
model only the pairs a blocking rule yields with at least one fresh end
(:func:`restricted_rules`), keeps the saved pairs whose both ends are unchanged and
still present, and clusters the union exactly as a full run clusters its pairs. Training
(u sampling and EM) is skipped: it is most of a run's time on a refresh's scale.

Because the model is reused, the partition equals a full relink's on the same inputs
whenever a full relink learns the same parameters; a full relink (``--full``) retrains.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from nightingale.linkage.backend import LinkBackend
from nightingale.linkage.engine import (
    FLOOR_KEY,
    LinkOptions,
    LinkResult,
    cluster,
    present_fields,
    register_sources,
)
from nightingale.linkage.tokens import Tokeniser
from nightingale.platform.storage import read_parquet

PAIRS_FILE = "pairs.parquet"
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

    def tokens(self) -> pa.Table | None:
        """The run's token table, if it kept one."""
        import pyarrow.parquet as pq

        if self.folder is None or not (self.folder / TOKENS_FILE).is_file():
            return None
        return pq.read_table(self.folder / TOKENS_FILE)


def load_previous(folder: Path, run_id: str, key_id: str, trained: bool) -> PreviousRun | None:
    """The run in ``folder``, or None when it predates incremental linkage (no pairs)."""
    import json

    spine = read_parquet(folder / "spine.parquet")[["source", "record_id", "person_id"]]
    if not (folder / PAIRS_FILE).is_file() or not (folder / RECORDS_FILE).is_file():
        empty = pd.DataFrame()
        return PreviousRun(run_id, spine, empty, empty, {}, key_id, trained, folder)
    model_json = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    pairs = read_parquet(folder / PAIRS_FILE)
    records = read_parquet(folder / RECORDS_FILE)
    return PreviousRun(run_id, spine, pairs, records, model_json, key_id, trained, folder)


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
) -> str | None:
    """Why this run must relink everything (None: it may be incremental).

    Tokens may be reused (:func:`reuse_tokens`) only when this gives None for the key:
    ``previous.key_id == key_id``.

    ``comparisons`` are the comparison names a full run would use now.
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
    return None


def fresh_records(sources: Any, record_ids: Any, prints: Any, previous: PreviousRun) -> Any:
    """Per record: new since ``previous``, or its identifiers changed (a boolean array)."""
    now = record_frame(sources, record_ids, prints)
    before = previous.records.rename(columns={"fingerprint": "before"})
    joined = now.merge(before, on=["source", "record_id"], how="left")
    same = joined["before"].notna() & (joined["before"] == joined["fingerprint"])
    return ~same.to_numpy()


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
    keys = (
        pd.Series(np.asarray(sources, dtype=object))
        + "/"
        + pd.Series(np.asarray(record_ids, dtype=object))
    )
    saved = pc.binary_join_element_wise(
        previous_tokens["source_dataset"], previous_tokens["unique_id"], "/"
    )
    unchanged = np.flatnonzero(~fresh)
    positions = pc.index_in(pa.array(keys.to_numpy()[unchanged], pa.string()), value_set=saved)
    parts = [previous_tokens.take(positions)]
    if fresh_tokens is not None and fresh_tokens.num_rows:
        parts.append(fresh_tokens.select(previous_tokens.column_names).cast(previous_tokens.schema))
    combined = pa.concat_tables(parts)
    order = np.empty(len(fresh), dtype=np.int64)
    order[unchanged] = np.arange(len(unchanged))
    order[np.flatnonzero(fresh)] = len(unchanged) + np.arange(int(fresh.sum()))
    table = combined.take(pa.array(order))
    where = table.column_names.index("dob_fits")
    return table.set_column(where, "dob_fits", dob_fits.cast(table.schema.field(where).type))


def kept_pairs(previous: PreviousRun, table: pa.Table, fresh: Any) -> pd.DataFrame:
    """The previous run's pairs whose two records are still present and unchanged."""
    keys = pd.Series(
        table.column("source_dataset").to_numpy(zero_copy_only=False).astype(object)
        + "/"
        + table.column("unique_id").to_numpy(zero_copy_only=False).astype(object)
    )
    stable = set(keys[~np.asarray(fresh)])
    # The previous run's own link flags are its clustering's, not this run's.
    pairs = previous.pairs.drop(columns=["deterministic", "linked"], errors="ignore")
    left = (pairs["source_dataset_l"].astype(str) + "/" + pairs["unique_id_l"].astype(str)).isin(
        stable
    )
    right = (pairs["source_dataset_r"].astype(str) + "/" + pairs["unique_id_r"].astype(str)).isin(
        stable
    )
    return pairs[left & right].reset_index(drop=True)


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
    """Pairs with at least one fresh end, scored by the saved model (no training)."""
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
    predictions = linker.inference.predict(threshold_match_weight=options.floor_weight)
    return backend.read_pairs(predictions.physical_name)


def run_incremental(
    table: pa.Table,
    tokeniser: Tokeniser,
    backend: LinkBackend,
    options: LinkOptions,
    previous: PreviousRun,
    fresh: Any,
) -> LinkResult:
    """Persons for every record of ``table``, re-scoring only pairs with a fresh end."""
    logging.getLogger("splink").setLevel(logging.ERROR)
    scored = score_fresh(table, fresh, backend, previous.model_json, options)
    kept = kept_pairs(previous, table, fresh)
    pairs = pd.concat([kept, scored], ignore_index=True) if len(scored) else kept
    model_json = previous.model_json
    result = cluster(table, pairs, present_fields(table), tokeniser, model_json, options)
    result.counts["trained"] = int(previous.trained)
    result.counts["pairs_rescored"] = len(scored)
    result.counts["pairs_reused"] = len(kept)
    result.counts["records_fresh"] = int(np.asarray(fresh).sum())
    return result
