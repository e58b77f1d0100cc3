"""``link``: link the newest dataset version of every provider into a new spine.

Reads each provider's sealed identifiers, derives keyed match keys
(:mod:`.matchkeys`), links them with Splink (:mod:`.engine`), writes the run's folder
(:mod:`.spine`) with its quality report (:mod:`.report`), and records the run in the
database (the caller's session; the CLI audits in the same transaction).

Memory (a 1,000,000-person region has about 2.2 million people-file records): the
normalised identifiers are a pandas frame of Python strings, so they live only while the
match keys are derived; what the report needs afterwards (source, record id, age band,
sex, postcode area) is taken from the Arrow tables first, as categories. The spine is
the engine's persons in record order (no join), and once Splink has scored the pairs
its working tables and registered inputs are dropped from the DuckDB connection before
the report and the truth evaluation run.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import secrets
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from nightingale.linkage.backend import LinkBackend, as_backend
from nightingale.linkage.clustering import PersonNames
from nightingale.linkage.engine import (
    RULES_KEY,
    LinkOptions,
    blocking_rules,
    present_fields,
    run_splink,
)
from nightingale.linkage.estimates import DRAWS, content_seed, estimate
from nightingale.linkage.evaluation import pairwise_metrics, partner_recall, truth_codes_of_keys
from nightingale.linkage.guild_areas import imd_quintiles
from nightingale.linkage.identifiers import (
    identifier_context,
    identifiers_path,
    keymap_context,
    keymap_path,
    normalised_frame,
    provider_keys,
    read_sealed_table,
)
from nightingale.linkage.incremental import (
    BELOW_FILE,
    LINEAGE_FILE,
    PAIRS_FILE,
    RECORDS_FILE,
    TRAINING_FILE,
    PreviousRun,
    departed_rows,
    fingerprints,
    fresh_records,
    full_relink_reason,
    load_previous,
    read_saved_pairs,
    read_tokens,
    record_frame,
    reuse_tokens,
    run_incremental,
    saved_pairs,
    saved_rows,
    spine_rows,
    token_rows,
    write_tokens,
)
from nightingale.linkage.lineage import assign
from nightingale.linkage.matchkeys import match_keys, year_fits
from nightingale.linkage.model import comparisons_for
from nightingale.linkage.positions import positions, text
from nightingale.linkage.report import (
    age_bands,
    build_report,
    estimates_data,
    labels_of,
    render_html,
)
from nightingale.linkage.review import draw_sample, strata_counts, write_review
from nightingale.linkage.spine import (
    current_run,
    new_run,
    spine_folder,
    write_report,
    write_spine,
)
from nightingale.linkage.tables import LinkRun, latest_version
from nightingale.linkage.tokens import Tokeniser
from nightingale.linkage.training import content_ranks
from nightingale.linkage.unchanged import linked_versions, unchanged_records
from nightingale.platform.contracts.provider_files import discover_providers
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import DataRoot, atomic_write_json, write_parquet


@dataclass(frozen=True)
class LinkSummary:
    """What a run produced, for the CLI and the audit entry (no personal data)."""

    run_id: str
    folder: Path
    key_id: str
    versions: dict[str, str]
    counts: dict[str, int]
    metrics: dict[str, Any]
    #: why the run relinked everything; None when it was incremental
    full_reason: str | None = None


def new_run_id() -> str:
    """A sortable, unique run id."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def _read_identifiers(
    session: Session, root: DataRoot, keystore: KeyStore
) -> tuple[list[tuple[str, pa.Table]], dict[str, str]]:
    """Each provider's newest sealed identifier table, by provider name."""
    tables, versions = [], {}
    for name in sorted(discover_providers(root)):  # names only: no ingest schemas
        rows = latest_version(session, name)
        if not rows:
            continue
        version = rows[0].version_id
        versions[name] = version
        table = read_sealed_table(
            identifiers_path(root, name, version), keystore, identifier_context(name)
        )
        tables.append((name, table))
    if not tables:
        raise NightingaleError("nothing to link: ingest at least one provider's people file first")
    if not any(table.num_rows for _name, table in tables):
        # Every row of every newest version was quarantined (or the files were empty):
        # say which versions, rather than fail deep inside Splink.
        held = ", ".join(f"{name} version {versions[name]}" for name, _table in tables)
        raise NightingaleError(
            f"nothing to link: the identifier tables of {held} hold no records; "
            "ingest an extract with at least one accepted row"
        )
    return tables, versions


def _normalised(tables: list[tuple[str, pa.Table]]) -> pd.DataFrame:
    """``source``, ``record_id`` and the normalised identifiers of every record."""
    frames = []
    for name, table in tables:
        frame = normalised_frame(table)
        frame.insert(0, "record_id", table.column("record_id").to_pylist())
        frame.insert(0, "source", name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _load(
    session: Session, root: DataRoot, keystore: KeyStore
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The normalised identifiers of every provider's newest version, and the versions."""
    tables, versions = _read_identifiers(session, root, keystore)
    return _normalised(tables), versions


_ARROW_TEXT = pd.StringDtype("pyarrow")
#: Arrow text to pandas without a Python string per value.
_ARROW_TEXT_OF = {pa.string(): _ARROW_TEXT}


def _give_back_memory(collect: bool = True) -> None:
    """Return freed memory to the system before Splink (DuckDB) takes its share.

    The normalised frame's strings and Arrow's scratch buffers are freed by then but may
    stay mapped in the allocators' caches (Python's, Arrow's, glibc's). ``collect``
    first runs the cycle collector, for a normalised frame of every record; it walks
    every live object (a tenth of a second), so an incremental run, which normalised
    only its fresh records, skips it.
    """
    if collect:
        gc.collect()
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _masked(table: pa.Table, name: str, valid: str | None, kind: pa.DataType) -> pa.Array:
    """Column ``name`` as one array, null where ``valid`` is false (or either is absent)."""
    if name not in table.column_names:
        return pa.nulls(table.num_rows, kind)
    column = table.column(name).combine_chunks().cast(kind)
    if valid is None:
        return column
    if valid not in table.column_names:
        return pa.nulls(table.num_rows, kind)
    flag = table.column(valid).combine_chunks().fill_null(False)
    return pc.if_else(flag, column, pa.scalar(None, kind))


def _record_columns(tables: list[tuple[str, pa.Table]], today: date) -> pd.DataFrame:
    """Per record, in load order: source, record id and the report's subgroup columns.

    The values the report used to take from the normalised frame: the age band of a
    valid date of birth, the sex (``unknown`` when missing) and the postcode area (the
    leading letters of a valid postcode, else ``unknown``); all but ``record_id`` are
    categories, which the report's grouping reads by their codes.
    """
    names = [name for name, _table in tables]
    sizes = [table.num_rows for _name, table in tables]
    sex = pa.chunked_array([_masked(t, "sex", None, pa.string()) for _n, t in tables])
    sex = pc.if_else(pc.equal(sex, ""), "unknown", sex).fill_null("unknown")
    postcode = pa.chunked_array(
        [_masked(t, "postcode", "postcode_valid", pa.string()) for _n, t in tables]
    )
    area = pc.struct_field(pc.extract_regex(postcode, r"^(?P<area>[A-Z]+)"), [0])
    dob = pa.chunked_array(
        [_masked(t, "date_of_birth", "date_of_birth_valid", pa.date32()) for _n, t in tables]
    )
    record_ids = pa.chunked_array([t.column("record_id").combine_chunks() for _n, t in tables])
    return pd.DataFrame(
        {
            "source": pd.Categorical.from_codes(
                np.repeat(np.arange(len(names)), sizes), categories=pd.Index(names)
            ),
            "record_id": record_ids.to_pandas(types_mapper=_ARROW_TEXT_OF.get),
            "age_band": age_bands(dob, today),
            "sex": sex.dictionary_encode().to_pandas(),
            "postcode_area": area.fill_null("unknown").dictionary_encode().to_pandas(),
        }
    )


def _record_names(tables: list[tuple[str, pa.Table]]) -> tuple[pa.Array, pa.Array]:
    """Every record's source and record id, in load order, as Arrow text."""
    names = pa.array([name for name, _table in tables], pa.string())
    sizes = [table.num_rows for _name, table in tables]
    sources = names.take(pa.array(np.repeat(np.arange(len(tables)), sizes)))
    chunks = [chunk for _name, table in tables for chunk in table.column("record_id").chunks]
    record_ids = text(pa.chunked_array(chunks, pa.string()))
    return sources, record_ids


def _records(root: DataRoot, tables: list[tuple[str, pa.Table]], today: date) -> pd.DataFrame:
    """:func:`_record_columns`, with each record's IMD quintile when a lookup is
    installed (for the GUILD tables)."""
    records = _record_columns(tables, today)
    quintiles = imd_quintiles(root, tables)
    if quintiles is not None:
        records["imd_quintile"] = quintiles.to_numpy()
    return records


def _aligned(records: pd.DataFrame, persons: pd.DataFrame) -> bool:
    """Whether the engine's ``persons`` are in ``records``' order, as they should be: the
    engine returns them in the order of the token table, which is ``records``' order."""
    return (
        len(persons) == len(records)
        and bool(
            (persons["unique_id"].to_numpy(dtype=object) == records["record_id"].to_numpy()).all()
        )
        and bool(
            (
                persons["source_dataset"].to_numpy(dtype=object)
                == np.asarray(records["source"], dtype=object)
            ).all()
        )
    )


def _spine(
    records: pd.DataFrame, persons: pd.DataFrame, run_id: str, aligned: bool
) -> pd.DataFrame:
    """``source``, ``record_id``, ``person_id``, ``link_run_id`` in ``records``' order.

    ``aligned`` (:func:`_aligned`) says whether the persons are in that order already;
    a join is the fallback should it ever differ.
    """
    sources = np.asarray(records["source"], dtype=object)
    if aligned:
        person_id = persons["person_id"].to_numpy()
    else:
        person_id = (
            pd.DataFrame({"source": sources, "record_id": records["record_id"]})
            .merge(
                persons.rename(columns={"source_dataset": "source", "unique_id": "record_id"}),
                on=["source", "record_id"],
                how="left",
            )["person_id"]
            .to_numpy()
        )
    return pd.DataFrame(
        {
            "source": sources,
            "record_id": records["record_id"].to_numpy(),
            "person_id": person_id,
            "link_run_id": run_id,
        }
    )


def _measure(
    sources: pd.Series, person_ids: npt.NDArray[Any], truth: npt.NDArray[np.int64]
) -> tuple[dict[str, dict[str, float]], pd.Series]:
    """Measured pairwise quality, and per record whether its true partners were found.

    ``sources``, ``person_ids`` (any labels of the persons: only which records share one
    counts) and ``truth`` (each record's true person as a code, -1 where unknown:
    :func:`.evaluation.truth_codes_of_keys`) are in record order. Records without a truth
    row are left out of the metrics (``partner_found`` is ``<NA>`` for them, as for
    records with no true partner).
    """
    known = truth >= 0
    # The persons as integer codes, made once: both measures number them again.
    person, _labels = pd.factorize(person_ids)
    joined = pd.DataFrame(
        {
            "source": pd.Series(sources).array[known],
            "person_id": person[known],
            "truth_person": truth[known],
        }
    )
    measured = pairwise_metrics(joined)
    found = pd.Series(pd.NA, index=pd.RangeIndex(len(truth)), dtype="boolean")
    found[known] = partner_recall(joined).to_numpy()
    return measured, found


def link(
    session: Session,
    root: DataRoot,
    keystore: KeyStore,
    connection: duckdb.DuckDBPyConnection | LinkBackend,
    options: LinkOptions | None = None,
    truth_path: Path | None = None,
    full: bool = False,
) -> LinkSummary:
    """Link everything ingested; write and switch to a new spine; record the run.

    ``connection`` is a DuckDB connection or a :class:`.backend.LinkBackend` (Spark).
    With a previous spine the run is incremental (:mod:`.incremental`) unless ``full``
    or something forces a full relink; either way, persons keep the previous spine's ids
    by record overlap and the changes are written as lineage (:mod:`.lineage`).
    """
    options = options or LinkOptions()
    tokeniser = Tokeniser.from_keystore(keystore)
    in_force = _run_in_force(session, root)
    # The run whose tokens (and so pairs and fingerprints) this one may reuse: the spine
    # in force, made with the same key, unless a full relink was asked for.
    reused = (
        in_force.folder
        if not full and in_force is not None and in_force.key_id == tokeniser.key_id
        else None
    )
    # The previous run's files, the key maps with the content ranks, and the report's
    # record columns (Parquet, AES, DuckDB and Arrow, which mostly let go of the GIL)
    # are made on two more threads while this one decrypts the identifiers and
    # fingerprints them (a Python loop); leaving the block waits for every thread, also
    # when something failed.
    with ThreadPoolExecutor(2, thread_name_prefix="link-read") as beside:
        previous_read = beside.submit(_previous_run, in_force)
        tokens_read = None if reused is None else beside.submit(read_tokens, reused)
        tables, versions = _read_identifiers(session, root, keystore)
        # Arrow text, made once: the look-ups by (source, record id) below take it as it is.
        sources, record_ids = _record_names(tables)
        # Which records are as the previous run linked them, by comparing rows with the
        # versions it linked: their fingerprints need not be made again (.unchanged).
        unchanged = (
            None
            if reused is None
            else beside.submit(_unchanged, root, keystore, reused, tables, versions)
        )
        described = beside.submit(_records, root, tables, date.today())
        ranked = beside.submit(
            _content_keys, root, keystore, versions, sources, record_ids, options.seed
        )
        # The previous run's pairs are needed last, and only by an incremental linkage:
        # they are read last, and only when its tokens are reused.
        pairs_read = None if reused is None else beside.submit(read_saved_pairs, reused)
        prints = None if unchanged is not None else fingerprints(tables, tokeniser)
        previous = previous_read.result()
        saved_tokens = None if tokens_read is None else tokens_read.result()
        fresh = None
        in_records = None
        departed = None
        if saved_tokens is not None and previous is not None and unchanged is not None:
            # Each record's row in the previous run's files, looked up once for all below.
            in_records = saved_rows(sources, record_ids, previous)
            known = _known_prints(previous, in_records, unchanged.result())
            prints = fingerprints(tables, tokeniser, known)
            fresh = fresh_records(sources, record_ids, prints, previous, in_records)
            in_tokens = token_rows(saved_tokens, previous, in_records)
            table = _reused_match_keys(
                tables, saved_tokens, fresh, tokeniser, sources, record_ids, in_tokens
            )
            departed = departed_rows(saved_tokens, sources, record_ids, fresh, in_tokens)
            collect = False  # only the fresh records' identifiers were in pandas
        else:
            prints = fingerprints(tables, tokeniser) if prints is None else prints
            table = _match_keys(_normalised(tables), tokeniser)
            collect = True
        local_keys, ranks = ranked.result()
        records = described.result()
        if previous is not None and pairs_read is not None:
            previous = previous.with_pairs(*pairs_read.result())
    del tables, saved_tokens
    _give_back_memory(collect)
    comparisons = {c["output_column_name"] for c in comparisons_for(present_fields(table))}
    backend = as_backend(connection)
    previous_rules = None if previous is None else previous.model_json.get(RULES_KEY)
    rules = blocking_rules(backend, table, previous_rules)
    reason = (
        "a full relink was asked for"
        if full
        else full_relink_reason(previous, table, tokeniser.key_id, options, comparisons, rules)
    )
    incremental = reason is None and fresh is not None and departed is not None
    record_names = (sources, record_ids)
    run_id = new_run_id()
    # The run's files go into its folder as they are ready, written by a second thread
    # (with the truth evaluation) while this one links, assigns ids and builds the report;
    # the folder appears whole when everything is written, or not at all (.spine.new_run).
    with new_run(root, run_id) as building, _Beside() as beside, _Beside() as estimator:
        # What needs no partition is made beside the linkage: the records' content order
        # (for the ids), their true persons, and the records the next run compares with.
        ordering = beside.submit(_content_order, sources, record_ids, local_keys)
        truth = (
            None
            if truth_path is None
            else beside.submit(truth_codes_of_keys, truth_path, sources, local_keys)
        )
        beside.submit(_write_records, building, sources, record_ids, prints)
        del prints
        # The token table, which the next run reuses: beside an incremental linkage too,
        # but after a full one, whose prediction is the run's memory peak (at a million
        # people the table and its encoding are about a gigabyte more).
        if incremental:
            beside.submit(write_tokens, building, table)
            assert previous is not None and fresh is not None and departed is not None
            result = run_incremental(
                table,
                tokeniser,
                options,
                previous,
                fresh,
                departed,
                ranks,
                in_records,
                # written while the clustering runs
                lambda below: beside.submit(
                    _write_pairs, building / BELOW_FILE, below, record_names
                ),
            )
        else:
            reason = reason or "the previous run kept no token table"
            result = run_splink(table, tokeniser, backend, options, previous_rules, ranks)
            beside.submit(write_tokens, building, table)
        del departed, table  # the token table stays only until it is written
        result.counts["incremental"] = int(reason is None)
        # The pairs number their records by the token table's rows, which are the
        # spine's when the engine's persons came in records' order (they should).
        aligned = _aligned(records, result.persons)
        spine = _spine(records, result.persons, run_id, aligned)
        result.persons = result.persons.iloc[0:0]
        # Measured against truth first (the report needs it): the partition is all it
        # reads, so the engine's person labels do as well as the ids assigned below.
        measuring = (
            None
            if truth is None
            else beside.submit(
                _measure,
                records["source"].copy(),
                spine["person_id"].to_numpy(copy=True),
                truth.result(),
            )
        )
        backend.release_working_tables()
        # What the next run reuses (.incremental) and spines at other thresholds are
        # re-selected from (.threshold_spines): ids, weights, agreement levels, the run's
        # link flags and each end's row in records.parquet. The writer only reads the pairs.
        beside.submit(_write_pairs, building / PAIRS_FILE, result.pairs, record_names)
        if not incremental:
            beside.submit(_write_pairs, building / BELOW_FILE, result.below_floor, record_names)
        if result.training is not None:  # the next run updates these counts
            beside.submit(atomic_write_json, building / TRAINING_FILE, result.training.as_json())
        # The estimator's input reads the partition only: made before the ids change.
        data = estimates_data(result, spine, aligned=aligned)
        # The bootstrap and the review sample draw with one seed from the pairs' content;
        # the bootstrap reads only the estimator's input, so it runs on a third thread
        # while ids are assigned.
        seed = content_seed(data)
        estimating = estimator.submit(estimate, data, DRAWS, seed)
        lineage = _assign_ids(
            spine,
            previous,
            tokeniser,
            ordering.result(),
            result.counts,
            result.names,
            record_names,
            None if previous is None or in_records is None else spine_rows(previous, in_records),
        )
        records["person_id"] = spine["person_id"].to_numpy()
        beside.submit(write_parquet, building / LINEAGE_FILE, lineage)
        beside.submit(write_spine, building, spine)
        del spine, lineage
        measured = None
        if measuring is not None:
            measured, found = measuring.result()
            records["partner_found"] = found
        report = build_report(
            run_id, tokeniser.key_id, result, records, measured, versions, options.seed
        )
        sample = draw_sample(
            data,
            result.pairs,
            labels_of(result.model_json),
            records,
            report["subgroups"],
            aligned=aligned,
            seed=seed,
        )
        report["clerical_review_strata"] = strata_counts(sample)
        beside.submit(write_review, building, run_id, keystore, data, sample, versions)
        report["estimated"] = estimating.result()
        write_report(building, result.model_json, report, render_html(report))
    folder = spine_folder(root, run_id)
    metrics: dict[str, Any] = {"estimated": report["estimated"], "overall": report["overall"]}
    if measured is not None:
        metrics["measured"] = measured
    session.add(
        LinkRun(
            run_id=run_id,
            created_at=datetime.now(UTC),
            parameters_path=str(folder / "model.json"),
            key_id=tokeniser.key_id,
            counts=json.dumps(result.counts, sort_keys=True),
            metrics=json.dumps(metrics, sort_keys=True),
        )
    )
    session.flush()
    return LinkSummary(run_id, folder, tokeniser.key_id, versions, result.counts, metrics, reason)


class _Beside:
    """A thread for work beside a link's main line: one writes the run's folder's files
    and runs the truth evaluation, another the estimator's bootstrap (Parquet, Arrow,
    NumPy and SciPy mostly run outside the GIL, so the threads share the two cores).

    Tasks run one at a time in the order given. Leaving the block waits for them all
    and raises the first error; after an error in the block, the tasks not yet started
    are cancelled, and leaving still waits for the one running, so nothing is written
    into the run's folder once it is removed.
    """

    def __enter__(self) -> _Beside:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="link-beside")
        self._futures: list[Future[Any]] = []
        return self

    def submit(self, task: Callable[..., Any], *args: Any) -> Future[Any]:
        future = self._pool.submit(task, *args)
        self._futures.append(future)
        return future

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=kind is not None)
        if kind is None:
            for future in self._futures:
                future.result()


@dataclass(frozen=True)
class _InForce:
    """The spine in force, as the database records its run."""

    folder: Path
    run_id: str
    key_id: str
    trained: bool


def _run_in_force(session: Session, root: DataRoot) -> _InForce | None:
    """The spine in force and its run's row (None: no spine, or a run the database
    does not know)."""
    run_id = current_run(root)
    if run_id is None:
        return None
    row = session.get(LinkRun, run_id)
    if row is None:
        return None
    trained = bool(json.loads(row.counts).get("trained", 1))
    return _InForce(spine_folder(root, run_id), run_id, row.key_id, trained)


def _previous_run(in_force: _InForce | None) -> PreviousRun | None:
    """The spine in force and what it kept for an incremental run but its pairs (None:
    no spine)."""
    if in_force is None:
        return None
    return load_previous(in_force.folder, in_force.run_id, in_force.key_id, in_force.trained)


def _unchanged(
    root: DataRoot,
    keystore: KeyStore,
    folder: Path,
    tables: list[tuple[str, pa.Table]],
    versions: dict[str, str],
) -> npt.NDArray[np.bool_]:
    """Per record: whether its identifiers are as the run in ``folder`` linked them
    (:func:`.unchanged.unchanged_records`), from the identifiers of the versions that
    run linked, where they are still kept."""
    earlier: dict[str, pa.Table | None] = {}
    for name, version in linked_versions(folder).items():
        if name not in versions:
            continue
        if version == versions[name]:
            earlier[name] = None  # the same version: every row is as it was
            continue
        path = identifiers_path(root, name, version)
        if path.is_file():
            earlier[name] = read_sealed_table(path, keystore, identifier_context(name))
    return unchanged_records(tables, earlier)


def _known_prints(
    previous: PreviousRun, rows: npt.NDArray[np.intp], unchanged: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """The fingerprints known without hashing: those of the records unchanged since the
    previous run (``rows``: their rows in its records), as it saved them."""
    saved = previous.records["fingerprint"].to_numpy(dtype=np.int64)
    known = unchanged & (rows >= 0)
    return known, saved[np.maximum(rows, 0)] if len(saved) else np.zeros(len(rows), np.int64)


def _write_pairs(target: Path, pairs: pd.DataFrame, names: tuple[pa.Array, pa.Array]) -> None:
    """A pairs file the next run reuses, its records numbered by ``names``' rows
    (:func:`.incremental.saved_pairs`). Written without pandas' metadata, so that its ids
    read back alike whether this run held them as Python strings or in Arrow memory
    (:func:`.incremental.with_text_as`)."""
    saved = pa.Table.from_pandas(saved_pairs(pairs, *names), preserve_index=False)
    write_parquet(target, saved.replace_schema_metadata())


def _write_records(
    folder: Path, sources: pa.Array, record_ids: pa.Array, prints: npt.NDArray[np.int64]
) -> None:
    """The records file, which the next run compares its records with
    (:func:`.incremental.record_frame`)."""
    write_parquet(folder / RECORDS_FILE, record_frame(sources, record_ids, prints))


def _keymaps(root: DataRoot, keystore: KeyStore, versions: dict[str, str]) -> dict[str, pa.Table]:
    """Each provider's key map (``local_key``, ``record_id``), opened once per run for
    the records' provider keys, which the content ranks, the person ids' content order
    and the truth evaluation all read."""
    return {
        name: read_sealed_table(keymap_path(root, name, version), keystore, keymap_context(name))
        for name, version in versions.items()
    }


def _content_keys(
    root: DataRoot,
    keystore: KeyStore,
    versions: dict[str, str],
    sources: pa.Array,
    record_ids: pa.Array,
    seed: int,
) -> tuple[pa.Array, npt.NDArray[np.uint64]]:
    """Each record's provider key (:func:`.identifiers.provider_keys`, from the key maps)
    and its content rank (:func:`.training.content_ranks`)."""
    keys = provider_keys(sources, record_ids, _keymaps(root, keystore, versions))
    return keys, content_ranks(sources, keys, seed)


def _content_order(
    sources: pa.Array, record_ids: pa.Array, local_keys: pa.Array
) -> npt.NDArray[np.int64]:
    """Each spine record's rank by source and provider key: content, not random ids.

    Sorted in Arrow on the source, the local key (missing last) and the record id;
    Arrow orders text by its UTF-8 bytes, which is Python's (code point) order.
    """
    columns = {"source": sources, "local_key": local_keys, "record_id": record_ids}
    order_of = pc.sort_indices(
        pa.table(columns),
        sort_keys=[(name, "ascending") for name in columns],  # missing keys last
    ).to_numpy()
    order = np.empty(len(record_ids), dtype=np.int64)
    order[order_of] = np.arange(len(record_ids))
    return order


def _assign_ids(
    spine: pd.DataFrame,
    previous: PreviousRun | None,
    tokeniser: Tokeniser,
    order: npt.NDArray[np.int64],
    counts: dict[str, int],
    persons: PersonNames,
    names: tuple[pa.Array, pa.Array] | None = None,
    at: npt.NDArray[np.intp] | None = None,
) -> pd.DataFrame:
    """Give ``spine``'s persons the previous spine's ids by overlap; return the lineage.

    Records are keyed by their spine position; a previous record that is no longer on
    the spine gets a key past the end. ``order`` ranks the spine's records on content
    (:func:`_content_order`), for ties; ``persons`` names the engine's labels the spine
    holds (:class:`.clustering.PersonNames`); ``names`` are the spine's sources and record
    ids as Arrow text when the caller has them, and ``at`` each previous spine record's
    position now (:func:`.incremental.spine_rows`).
    """
    current = pd.DataFrame(
        {
            "key": np.arange(len(spine), dtype=np.int64),
            "cluster": spine["person_id"].to_numpy(),
            "order": order,
        }
    )
    if previous is None:
        before = pd.DataFrame({"key": pd.Series(dtype=np.int64), "person_id": pd.Series(dtype=str)})
    else:
        old = previous.spine
        if at is None:
            sources, record_ids = names or (text(spine["source"]), text(spine["record_id"]))
            at = positions(old["source"], old["record_id"], sources, record_ids)
        at = np.array(at, dtype=np.int64)
        gone = np.flatnonzero(at < 0)
        at[gone] = len(spine) + np.arange(len(gone))
        before = pd.DataFrame({"key": at, "person_id": old["person_id"].array})

    def fresh(cluster: Any, attempt: int) -> str:
        (name,) = persons.of([cluster])
        if attempt == 0:
            return name
        (token,) = tokeniser.tokens("person_id", [f"{name}#{attempt}"]).astype("int64")
        return f"P{int(token) & 0xFFFFFFFFFFFFFFFF:016x}"

    assignment = assign(current, before, fresh, persons.of)
    spine["person_id"] = assignment.person_id.to_numpy()
    counts.update(assignment.counts)
    return assignment.lineage


def _reused_match_keys(
    tables: list[tuple[str, pa.Table]],
    saved: pa.Table,
    fresh: Any,
    tokeniser: Tokeniser,
    sources: pa.Array,
    record_ids: pa.Array,
    rows: Any = None,
) -> pa.Table:
    """The token table with only the fresh records tokenised (the rest as saved; ``rows``:
    the records' rows among the saved, :func:`.incremental.token_rows`)."""
    fresh = np.asarray(fresh, dtype=bool)
    subsets, start = [], 0
    for name, table in tables:
        mask = fresh[start : start + table.num_rows]
        start += table.num_rows
        if mask.any():
            subsets.append((name, table.filter(pa.array(mask))))
    fresh_tokens = _match_keys(_normalised(subsets), tokeniser) if subsets else None
    return reuse_tokens(saved, sources, record_ids, fresh, fresh_tokens, _dob_fits(tables), rows)


def _dob_fits(tables: list[tuple[str, pa.Table]]) -> pa.Array:
    """Every record's ``dob_fits`` (:func:`.matchkeys.birth_year_fits`, which depends on
    every record), from the valid dates' years as numbers rather than as text."""
    dob = pa.chunked_array(
        [_masked(t, "date_of_birth", "date_of_birth_valid", pa.date32()) for _n, t in tables]
    )
    year = pc.year(dob).cast(pa.float64()).fill_null(np.nan).to_numpy()
    names = [name for name, _table in tables]
    rank = np.argsort(np.argsort(names))  # each source's place in name order
    sizes = [table.num_rows for _name, table in tables]
    return year_fits(year, np.repeat(rank, sizes))


def _match_keys(identifiers: pd.DataFrame, tokeniser: Tokeniser) -> pa.Table:
    """The token table of ``identifiers`` (which the caller lets go of afterwards)."""
    return match_keys(identifiers, tokeniser, identifiers["record_id"], identifiers["source"])
