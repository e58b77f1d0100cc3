"""Incremental linkage: score only the pairs that involve new or changed records.

A link run keeps, beside its spine, what the next run needs to avoid starting over
(files in the run's folder, in the identifier zone):

- ``pairs.parquet``: every scored pair above the floor (record ids, agreement levels,
  weights; no identifiers), with each end's row in ``records.parquet`` (``row_l``,
  ``row_r``), by which the next run finds the pair's records without looking up ids;
- ``pairs_below_floor.parquet``: the pairs scored between the screen
  (``LinkOptions.screen_weight``) and the floor (record ids and agreement levels), so a
  retrained model that lifts one above the floor brings it back;
- ``records.parquet``: per record, a keyed fingerprint of its normalised identifiers
  (the first 64 bits of an HMAC under the linkage key, like every token), which tells an
  unchanged record from one whose identifiers the provider corrected;
- ``tokens.parquet``: the run's token table (keyed tokens only), so the next run derives
  tokens for its fresh records alone (:func:`reuse_tokens`);
- ``model.json``: the trained model, blocking rules included;
- ``training.json``: the counts the model was trained from (:mod:`.training`: agreement
  pattern counts, the u sample's record ids), which the next run updates rather than
  counting again.

The next run, when nothing forces a full relink (:func:`full_relink_reason`; among
other things the blocking rules must be the ones a full relink would choose), marks as
*fresh* every record that is new or whose fingerprint changed. When any record is fresh
or gone it retrains the model on the current records exactly as a full relink does: it
updates the previous run's training counts by the pairs the fresh and departed records
take part in, which gives the counts a full relink takes (so the same u, prior and EM,
and the same model); it then scores with that model only the
pairs a blocking rule yields with at least one fresh end (:func:`score_fresh`),
keeps the saved pairs (above and below the floor) whose both ends are unchanged and
still present, re-weighs them under the retrained model and the current term
frequencies (:mod:`.weights`: their agreement levels do not depend on the model), and
clusters the pairs above the floor exactly as a full run clusters its pairs.

So the pairs, weights and model equal a full relink's, and so does the partition,
except for a pair a full relink scores above the floor that the previous run scored
below the screen (16 bits under the floor by default): a retrain would have to move its
weight by more than that."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from nightingale.linkage.engine import (
    FLOOR_KEY,
    RULES_KEY,
    LinkOptions,
    LinkResult,
    cluster,
    model_settings,
    present_fields,
    split_at_floor,
    training_plan,
    trains,
    with_parameters,
)
from nightingale.linkage.matchkeys import FINE_KEYS
from nightingale.linkage.model import PAIR_IDS, comparisons_for, training_blocks_for
from nightingale.linkage.positions import positions, text
from nightingale.linkage.tokens import Tokeniser
from nightingale.linkage.training import (
    PairCounter,
    TrainingCounts,
    TrainingPlan,
    link_type,
    needed,
    patterns_of,
    updated_counts,
)
from nightingale.linkage.weights import rescore
from nightingale.platform.storage import ARROW_TEXT, read_parquet, write_parquet

PAIRS_FILE = "pairs.parquet"
BELOW_FILE = "pairs_below_floor.parquet"
RECORDS_FILE = "records.parquet"
TOKENS_FILE = "tokens.parquet"
LINEAGE_FILE = "lineage.parquet"
TRAINING_FILE = "training.json"


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
    #: the counts its model was trained from (None: untrained, or kept no counts)
    training: TrainingCounts | None = None

    def with_pairs(self, pairs: pd.DataFrame, below_floor: pd.DataFrame) -> PreviousRun:
        """This run with its pairs above and below the floor (:func:`read_saved_pairs`)."""
        return replace(self, pairs=pairs, below_floor=below_floor)


def read_tokens(folder: Path) -> pa.Table | None:
    """The token table the run in ``folder`` kept, if any (read apart from
    :func:`load_previous`, as only a run on the same key reuses it)."""
    import pyarrow.parquet as pq

    if not (folder / TOKENS_FILE).is_file():
        return None
    return pq.read_table(folder / TOKENS_FILE)


def write_tokens(folder: Path, table: pa.Table) -> None:
    """The run's token table, for the next run (:func:`read_tokens`).

    Written for speed, as only the next run reads it, whole: without statistics, with
    LZ4, and dictionary-encoded only in the coarse keys, whose values repeat (the tokens
    of nearly unique values and the lists of deletion tokens are random 64-bit numbers,
    which neither encoding nor compression shrinks much). A little over twice the size
    of the default encoding, and written in less than half the time.
    """
    plain = {"unique_id", *FINE_KEYS}
    repeated = [
        name
        for name, kind in zip(table.column_names, table.schema.types, strict=True)
        if name not in plain and not pa.types.is_list(kind)
    ]
    write_parquet(
        folder / TOKENS_FILE,
        table,
        compression="lz4",
        use_dictionary=repeated,
        write_statistics=False,
    )


def load_previous(folder: Path, run_id: str, key_id: str, trained: bool) -> PreviousRun:
    """The run in ``folder`` (without records, so that nothing is reused, when it
    predates incremental linkage and kept no pairs).

    Its pairs are left out (empty): they are the slowest part to read and the last an
    incremental run needs, and only such a run needs them, so it reads them apart
    (:func:`read_saved_pairs`) and adds them (:meth:`PreviousRun.with_pairs`).
    """
    import json

    # The spine and the fingerprints are only looked up in (positions, overlaps), so
    # their text stays in Arrow memory.
    spine = read_parquet(
        folder / "spine.parquet", ["source", "record_id", "person_id"], arrow_text=True
    )
    empty = pd.DataFrame()
    if not (folder / PAIRS_FILE).is_file() or not (folder / RECORDS_FILE).is_file():
        return PreviousRun(run_id, spine, empty, empty, {}, key_id, trained, folder)
    model_json = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    records = read_parquet(folder / RECORDS_FILE, arrow_text=True)
    training = None
    if (folder / TRAINING_FILE).is_file():
        training = TrainingCounts.from_json(
            json.loads((folder / TRAINING_FILE).read_text(encoding="utf-8"))
        )
    return PreviousRun(
        run_id, spine, empty, records, model_json, key_id, trained, folder, training=training
    )


def read_saved_pairs(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pairs the run in ``folder`` kept, above and below the floor (empty where it
    kept none). Their text stays in Arrow memory: most are only filtered and written
    again (:func:`with_text_as`)."""

    def read(name: str) -> pd.DataFrame:
        return read_parquet(folder / name, arrow_text=True) if (folder / name).is_file() else empty

    empty = pd.DataFrame()
    return read(PAIRS_FILE), read(BELOW_FILE)


def read_lineage(folder: Path) -> pd.DataFrame:
    """A run's lineage (:mod:`.lineage`); empty for a run from before lineage was kept."""
    from nightingale.linkage.lineage import LINEAGE_COLUMNS

    path = folder / LINEAGE_FILE
    if not path.is_file():
        return pd.DataFrame(columns=list(LINEAGE_COLUMNS))
    return read_parquet(path)


def fingerprints(
    tables: list[tuple[str, pa.Table]],
    tokeniser: Tokeniser,
    known: tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]] | None = None,
) -> npt.NDArray[np.int64]:
    """Per record, in load order: a keyed 64-bit fingerprint of its normalised identifiers.

    ``tables`` are the sealed identifier tables (``record_id`` and the normalised
    fields); every field but the id is joined into one value and HMAC'd under the
    tokeniser's key, so the fingerprint is a token like the others (never a plain hash).
    ``known`` is ``(which, values)``: the records whose fingerprint is known already
    (:mod:`.unchanged`) and, for those, its value; only the others are hashed.
    """
    parts, start = [], 0
    for _name, table in tables:
        rows = np.arange(table.num_rows)
        if known is not None:
            rows = np.flatnonzero(~known[0][start : start + table.num_rows])
        start += table.num_rows
        hashed = table.take(pa.array(rows)) if len(rows) < table.num_rows else table
        columns = [
            hashed.column(c).cast(pa.string()).fill_null("")
            for c in sorted(hashed.column_names)
            if c != "record_id"
        ]
        joined = pc.binary_join_element_wise(*columns, "\x1f") if columns else None
        values = [] if joined is None or not len(rows) else joined.cast(pa.binary()).to_pylist()
        parts.append(tokeniser.digest_many("record_fingerprint", values))
    made = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    if known is None:
        return made
    prints = np.asarray(known[1], dtype=np.int64).copy()
    prints[~known[0]] = made
    return prints


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
    if any(len(f) and "row_l" not in f for f in (previous.pairs, previous.below_floor)):
        return "the previous run's pairs name no record rows (a run from before they did)"
    if previous.key_id != key_id:
        return "the linkage key was rotated"
    if _fields_of(previous.model_json) != comparisons:
        return "the identifier fields present changed"
    if _link_type(previous.model_json) != link_type(table):
        return "the number of sources changed"
    if not previous.trained and table.num_rows >= options.min_training_records:
        return "the previous model was untrained and there are now enough records to train"
    floor = previous.model_json.get(FLOOR_KEY)
    if floor is not None and float(floor) != options.floor_weight:
        return "the floor weight changed"
    if rules is not None and previous.model_json.get(RULES_KEY) != rules:
        return "the blocking rules changed"
    return None


def saved_rows(sources: Any, record_ids: Any, previous: PreviousRun) -> npt.NDArray[np.intp]:
    """Each record's row in ``previous.records`` (-1: new since then)."""
    before = previous.records
    if not len(before):
        return np.full(len(text(record_ids)), -1, dtype=np.intp)
    return positions(sources, record_ids, before["source"], before["record_id"])


def fresh_records(
    sources: Any, record_ids: Any, prints: Any, previous: PreviousRun, rows: Any = None
) -> Any:
    """Per record: new since ``previous``, or its identifiers changed (a boolean array).

    ``rows`` are the records' :func:`saved_rows`, when the caller has them already.
    """
    before = previous.records
    if not len(before):
        return np.ones(len(prints), dtype=bool)
    at = saved_rows(sources, record_ids, previous) if rows is None else np.asarray(rows)
    saved = before["fingerprint"].to_numpy(dtype=np.int64)[np.maximum(at, 0)]
    same = (at >= 0) & (saved == np.asarray(prints, dtype=np.int64))
    return ~same


def _in_records_order(previous: PreviousRun, sources: Any, record_ids: Any) -> bool:
    """Whether ``sources`` and ``record_ids`` are ``previous.records``' own, row by row."""
    before = previous.records
    if not len(before) or len(before) != len(sources):
        return False
    for kept, given in (("source", sources), ("record_id", record_ids)):
        same = pc.equal(text(before[kept]), text(given))
        if not pc.all(same.fill_null(False)).as_py():
            return False
    return True


def token_rows(
    previous_tokens: pa.Table, previous: PreviousRun, rows: Any
) -> npt.NDArray[np.intp] | None:
    """Each record's row in ``previous_tokens`` from its row in ``previous.records``
    (``rows``): the same, as a run keeps both files in its records' order, which is
    checked (None when they differ, and the caller looks the rows up)."""
    columns = (previous_tokens["source_dataset"], previous_tokens["unique_id"])
    if not _in_records_order(previous, *columns):
        return None
    return np.asarray(rows, dtype=np.intp)


def spine_rows(previous: PreviousRun, rows: Any) -> npt.NDArray[np.intp] | None:
    """Each previous spine record's position now (-1: gone), from the records' rows in
    ``previous.records`` (``rows``, :func:`saved_rows`): a run writes its spine in its
    records' order, which is checked (None when they differ)."""
    spine = previous.spine
    if not _in_records_order(previous, spine["source"], spine["record_id"]):
        return None
    return moved_rows(rows, len(previous.records))


def _unchanged_rows(
    previous_tokens: pa.Table, sources: Any, record_ids: Any, fresh: Any, rows: Any
) -> npt.NDArray[np.intp]:
    """The unchanged records' rows in ``previous_tokens``, in record order (``rows``:
    every record's, from :func:`token_rows`, when the caller has them)."""
    unchanged = np.flatnonzero(~np.asarray(fresh, dtype=bool))
    if rows is not None:
        return np.asarray(rows, dtype=np.intp)[unchanged]
    return positions(
        text(sources).take(pa.array(unchanged)),
        text(record_ids).take(pa.array(unchanged)),
        previous_tokens["source_dataset"],
        previous_tokens["unique_id"],
    )


def reuse_tokens(
    previous_tokens: pa.Table,
    sources: Any,
    record_ids: Any,
    fresh: Any,
    fresh_tokens: pa.Table | None,
    dob_fits: pa.Array,
    rows: Any = None,
) -> pa.Table:
    """The token table in record order: unchanged records' rows from the previous run,
    ``fresh_tokens`` (the fresh records' own, in record order) for the rest.

    ``dob_fits`` (which birth years are usual per source) depends on every record, so it
    is recomputed by the caller for the whole table and replaces the saved values.
    ``rows`` are the records' :func:`token_rows`, when the caller has them.
    """
    fresh = np.asarray(fresh, dtype=bool)
    unchanged = np.flatnonzero(~fresh)
    at = _unchanged_rows(previous_tokens, sources, record_ids, fresh, rows)
    parts = [previous_tokens]
    if fresh_tokens is not None and fresh_tokens.num_rows:
        parts.append(fresh_tokens.select(previous_tokens.column_names).cast(previous_tokens.schema))
    # One take from the saved rows and the fresh ones after them (the list columns make
    # every take of the table a copy of most of it).
    taken = np.empty(len(fresh), dtype=np.int64)
    taken[unchanged] = at
    taken[np.flatnonzero(fresh)] = previous_tokens.num_rows + np.arange(int(fresh.sum()))
    table = pa.concat_tables(parts).take(pa.array(taken, mask=taken < 0))
    where = table.column_names.index("dob_fits")
    return table.set_column(where, "dob_fits", dob_fits.cast(table.schema.field(where).type))


def departed_rows(
    previous_tokens: pa.Table, sources: Any, record_ids: Any, fresh: Any, rows: Any = None
) -> pa.Table:
    """The previous run's token rows of every record that changed (``fresh`` and present
    before) or is no longer present: what :func:`.training.updated_counts` subtracts.

    ``rows`` are the records' :func:`token_rows`, when the caller has them.
    """
    at = _unchanged_rows(previous_tokens, sources, record_ids, fresh, rows)
    staying = np.zeros(previous_tokens.num_rows, dtype=bool)
    staying[at[at >= 0]] = True
    return previous_tokens.filter(pa.array(~staying))


ROWS = ("row_l", "row_r")
"""Columns of a saved pair file: each end's row in the run's ``records.parquet``."""


def saved_pairs(pairs: pd.DataFrame, sources: pa.Array, record_ids: pa.Array) -> pd.DataFrame:
    """``pairs`` as a run saves them for the next: each end's row among the run's records
    (``sources``, ``record_ids``: ``records.parquet``'s order, the token table's) as
    ``row_l``/``row_r``, taken from the pairs' record positions (``node_l``/``node_r``)
    or, where they carry none (a full run's pairs below the floor), looked up once here,
    so the next run never looks a kept pair's ids up. Pairs without sources are of one
    source (Splink names none when it deduplicates a single one)."""
    if not len(pairs):
        return pairs.drop(columns=["node_l", "node_r"], errors="ignore")
    rows = {}
    for side in ("l", "r"):
        node, source = f"node_{side}", f"source_dataset_{side}"
        if node in pairs:
            rows[f"row_{side}"] = pairs[node].to_numpy(dtype=np.int32)
            continue
        if source in pairs:
            pair_sources = text(pairs[source])
        else:
            (only,) = pc.unique(text(sources)).to_pylist()
            pair_sources = pa.array([only] * len(pairs), pa.string())
        at = positions(pair_sources, pairs[f"unique_id_{side}"], sources, record_ids)
        rows[f"row_{side}"] = at.astype(np.int32)
    return pairs.drop(columns=["node_l", "node_r"], errors="ignore").assign(**rows)


def moved_rows(rows: Any, previous_count: int) -> npt.NDArray[np.intp]:
    """Each of the previous run's records' row now (-1: gone), from the current records'
    rows among the previous ones (``rows``: :func:`saved_rows`), inverted."""
    rows = np.asarray(rows, dtype=np.intp)
    moved = np.full(previous_count, -1, dtype=np.intp)
    present = np.flatnonzero(rows >= 0)
    moved[rows[present]] = present
    return moved


def kept_pairs(pairs: pd.DataFrame, moved: Any, fresh: Any) -> pd.DataFrame:
    """The saved ``pairs`` whose two records are still present and unchanged, with their
    record positions now (``node_l``, ``node_r``).

    ``moved`` maps the previous run's record rows to this run's (:func:`moved_rows`), so
    a pair is kept by two array look-ups, not by its records' ids.
    """
    if not len(pairs):
        return pairs
    fresh = np.asarray(fresh, dtype=bool)
    node_l = moved[pairs["row_l"].to_numpy()]
    node_r = moved[pairs["row_r"].to_numpy()]
    keep = (node_l >= 0) & (node_r >= 0)
    keep[keep] = ~fresh[node_l[keep]] & ~fresh[node_r[keep]]
    # The previous run's own link flags are its clustering's, not this run's.
    kept: pd.DataFrame = pairs.drop(columns=["deterministic", "linked", *ROWS], errors="ignore")
    kept = kept[keep].reset_index(drop=True)
    return kept.assign(node_l=node_l[keep], node_r=node_r[keep])


def with_text_as(pairs: pd.DataFrame, arrow: bool) -> pd.DataFrame:
    """``pairs`` with their sources and record ids as Arrow text (``arrow``) or as Python
    strings. A run's pairs below the floor are only written again, so the kept ones stay
    in Arrow memory from reading to writing (several times faster for a refresh's few
    hundred thousand); those above it reach pandas code that reads Python strings."""
    columns = [c for c in PAIR_IDS if c in pairs]
    if not len(pairs) or not columns:
        return pairs
    converted = {
        c: pd.array(text(pairs[c]), dtype=ARROW_TEXT)
        if arrow
        else text(pairs[c]).to_numpy(zero_copy_only=False)
        for c in columns
    }
    return pairs.assign(**converted)


def _kept(previous: PreviousRun, rows: Any, fresh: npt.NDArray[np.bool_]) -> pd.DataFrame:
    """The previous run's pairs, above and below the floor, that are kept
    (:func:`kept_pairs`), in one frame."""
    moved = moved_rows(rows, len(previous.records))
    kept = [kept_pairs(frame, moved, fresh) for frame in (previous.pairs, previous.below_floor)]
    return pd.concat([f for f in kept if len(f)] or [pd.DataFrame()], ignore_index=True)


def _rules(model_json: dict[str, Any]) -> list[str]:
    rules = []
    for rule in model_json.get("blocking_rules_to_generate_predictions", []):
        rules.append(rule["blocking_rule"] if isinstance(rule, dict) else str(rule))
    return rules


def score_fresh(
    counter: PairCounter,
    table: pa.Table,
    model_json: dict[str, Any],
    options: LinkOptions,
    found: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Pairs with at least one fresh end, scored by ``model_json`` down to the screen.

    ``counter`` holds ``table`` as ``records``, flagged by freshness
    (:meth:`.training.PairCounter.load`). The pairs the blocking rules yield with a fresh
    end, and their agreement levels, are found there (fresh records joined to everyone,
    each side filtered before the join) and weighed by :mod:`.weights`, which gives
    Splink's weights; a refresh's few thousand fresh records then cost a fraction of a
    second rather than a Splink prediction over every rule. ``found`` may hold them
    already: :meth:`.training.PairCounter.blocked_pairs` of the prediction rules first
    and other rules after (the training's EM blocks).
    """
    rules = list(model_json.get(RULES_KEY, _rules(model_json)))  # as chosen, not rendered
    if found is None:
        found = counter.blocked_pairs("records", rules)
    if not len(found):
        return found
    predicted = (found["rules"].to_numpy() & ((1 << len(rules)) - 1)) != 0
    pairs = found[predicted].drop(columns="rules").reset_index(drop=True)
    ends = pairs["node_l"].to_numpy(), pairs["node_r"].to_numpy()
    pairs = rescore(pairs, model_json, table, *ends)
    pairs = pairs[pairs["match_weight"] >= options.screen_weight].reset_index(drop=True)
    return _with_ids(pairs, table, counter.dedupe_only)


def _with_ids(pairs: pd.DataFrame, table: pa.Table, dedupe_only: bool) -> pd.DataFrame:
    """``pairs`` with their ends' sources and record ids (taken by position), after the
    positions, as Splink names them (no source when there is one)."""
    ids = {}
    for side in ("l", "r"):
        at = pa.array(pairs[f"node_{side}"].to_numpy())
        if not dedupe_only:
            ids[f"source_dataset_{side}"] = table.column("source_dataset").take(at).to_pylist()
        ids[f"unique_id_{side}"] = table.column("unique_id").take(at).to_pylist()
    named = pd.DataFrame({c: ids[c] for c in PAIR_IDS if c in ids}, dtype=object)
    rest = pairs.drop(columns=["node_l", "node_r"])
    return pd.concat([pairs[["node_l", "node_r"]], named, rest], axis=1)


def _block_patterns(
    found: pd.DataFrame, rules: list[str], plan: TrainingPlan
) -> dict[str, pd.DataFrame]:
    """Per EM block, the pattern counts of the ``found`` pairs it yields (``rules`` are
    the rules ``found`` was blocked by, the blocks among them)."""
    bits = found["rules"].to_numpy()
    return {
        block: patterns_of(found[(bits & (1 << rules.index(block))) != 0], plan.names)
        for block in plan.blocks
    }


def pair_counter(table: pa.Table, fresh: Any, model_json: dict[str, Any]) -> PairCounter:
    """A :class:`.training.PairCounter` holding ``table`` as ``records`` flagged by
    ``fresh``, with the columns the comparisons, the EM blocks and the prediction rules
    read: loaded once for the training counts and the fresh pairs both."""
    fields = present_fields(table)
    comparisons = comparisons_for(fields)
    rules = list(model_json.get(RULES_KEY, _rules(model_json))) + training_blocks_for(fields)
    counter = PairCounter(comparisons, _link_type(model_json) == "dedupe_only")
    counter.load("records", needed(table, comparisons, rules), fresh)
    return counter


def run_incremental(
    table: pa.Table,
    tokeniser: Tokeniser,
    options: LinkOptions,
    previous: PreviousRun,
    fresh: Any,
    departed: pa.Table,
    ranks: Any,
    rows: Any,
    below_floor_ready: Callable[[pd.DataFrame], object] | None = None,
) -> LinkResult:
    """Persons for every record of ``table``, scoring only pairs with a fresh end.

    When any record is fresh or gone, the model is retrained as a full relink trains it
    (from the previous run's training counts, updated by the fresh records and by
    ``departed``, the previous token rows of the records that changed or left) and the
    kept pairs are re-weighed under it (see the module docstring). ``ranks`` are the
    records' content ranks (:func:`.training.content_ranks`), ``rows`` their rows in the
    previous run's records (:func:`saved_rows`). ``below_floor_ready`` is handed the
    pairs below the floor as soon as they are known, before the clustering (the caller
    writes them meanwhile).
    """
    logging.getLogger("splink").setLevel(logging.ERROR)
    fresh = np.asarray(fresh, dtype=bool)
    rules = list(previous.model_json.get(RULES_KEY, _rules(previous.model_json)))
    changed = bool(fresh.any()) or table.num_rows != len(previous.records)
    counts, model_json, scored = previous.training, previous.model_json, pd.DataFrame()
    # The previous run's pairs that are kept are picked out (pandas) on a second thread
    # while this one counts and scores in DuckDB, which mostly lets go of the GIL.
    with ThreadPoolExecutor(1, thread_name_prefix="link-kept") as beside:
        keeping = beside.submit(_kept, previous, rows, fresh)
        if changed:  # refit, and score the fresh records' pairs, on one load of the records
            counter = pair_counter(table, fresh, previous.model_json)
            try:
                training = trains(table, options) and counts is not None
                plan = training_plan(table, options) if training else None
                # The pairs with a fresh end, found once for the prediction rules and the
                # EM blocks: the blocks' share is what the training counts add.
                every = list(dict.fromkeys(rules + (plan.blocks if plan else [])))
                found = counter.blocked_pairs("records", every) if fresh.any() else None
                if counts is not None and plan is not None:
                    fresh_em = None if found is None else _block_patterns(found, every, plan)
                    counts = updated_counts(
                        counts, table, fresh, departed, ranks, plan, counter, fresh_em
                    )
                else:
                    counts = None
                settings = model_settings(table, options, rules, counts)
                model_json = with_parameters(previous.model_json, settings)
                if found is not None:
                    scored = score_fresh(counter, table, model_json, options, found)
            finally:
                counter.close()
        kept = keeping.result()
    scored, scored_below = split_at_floor(scored, options)
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
    kept, scored_below = with_text_as(kept, arrow=False), with_text_as(scored_below, arrow=True)
    below_floor = pd.concat(
        [f for f in (kept_below, scored_below) if len(f)] or [pd.DataFrame()], ignore_index=True
    )
    if below_floor_ready is not None:
        below_floor_ready(below_floor)
    pairs = pd.concat([f for f in (kept, scored) if len(f)] or [kept], ignore_index=True)
    result = cluster(table, pairs, present_fields(table), tokeniser, model_json, options)
    result.below_floor = below_floor
    result.counts["pairs_below_floor"] = len(result.below_floor)
    result.training = counts
    result.counts["trained"] = int(counts is not None)
    result.counts["retrained"] = int(changed)
    result.counts["pairs_rescored"] = len(scored)
    result.counts["pairs_reused"] = len(kept)
    result.counts["records_fresh"] = int(fresh.sum())
    return result
