"""``link``: link the newest dataset version of every provider into a new spine.

Reads each provider's sealed identifiers, derives keyed match keys
(:mod:`.matchkeys`), links them with Splink (:mod:`.engine`), writes the run's folder
(:mod:`.spine`) with its quality report (:mod:`.report`), and records the run in the
database (the caller's session; the CLI audits in the same transaction).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from sqlalchemy.orm import Session

from nightingale.linkage.backend import LinkBackend
from nightingale.linkage.engine import LinkOptions, run_splink
from nightingale.linkage.evaluation import pairwise_metrics, partner_recall, read_truth
from nightingale.linkage.identifiers import (
    identifier_context,
    identifiers_path,
    keymap_context,
    keymap_path,
    normalised_frame,
    read_sealed_table,
)
from nightingale.linkage.matchkeys import match_keys
from nightingale.linkage.report import age_band, build_report, render_html
from nightingale.linkage.schemas import providers
from nightingale.linkage.spine import write_run
from nightingale.linkage.tables import LinkRun, latest_version
from nightingale.linkage.tokens import Tokeniser
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import DataRoot


@dataclass(frozen=True)
class LinkSummary:
    """What a run produced, for the CLI and the audit entry (no personal data)."""

    run_id: str
    folder: Path
    key_id: str
    versions: dict[str, str]
    counts: dict[str, int]
    metrics: dict[str, Any]


def new_run_id() -> str:
    """A sortable, unique run id."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def _load(
    session: Session, root: DataRoot, keystore: KeyStore
) -> tuple[pd.DataFrame, dict[str, str]]:
    frames, versions = [], {}
    for name in sorted(providers()):
        rows = latest_version(session, name)
        if not rows:
            continue
        version = rows[0].version_id
        versions[name] = version
        table = read_sealed_table(
            identifiers_path(root, name, version), keystore, identifier_context(name)
        )
        frame = normalised_frame(table)
        frame.insert(0, "record_id", table.column("record_id").to_pylist())
        frame.insert(0, "source", name)
        frames.append(frame)
    if not frames:
        raise NightingaleError("nothing to link: ingest at least one provider's people file first")
    return pd.concat(frames, ignore_index=True), versions


def _truth_columns(
    spine: pd.DataFrame,
    truth_path: Path,
    root: DataRoot,
    keystore: KeyStore,
    versions: dict[str, str],
) -> pd.DataFrame:
    truth = read_truth(truth_path)
    maps = []
    for name, version in versions.items():
        keymap = read_sealed_table(keymap_path(root, name, version), keystore, keymap_context(name))
        maps.append(keymap.to_pandas().assign(provider=name))
    keys = pd.concat(maps, ignore_index=True).merge(
        truth, on=["provider", "local_key"], how="inner"
    )
    joined = spine.merge(
        keys.rename(columns={"provider": "source"})[["source", "record_id", "truth_person"]],
        on=["source", "record_id"],
        how="inner",
    )
    return joined


def link(
    session: Session,
    root: DataRoot,
    keystore: KeyStore,
    connection: duckdb.DuckDBPyConnection | LinkBackend,
    options: LinkOptions | None = None,
    truth_path: Path | None = None,
) -> LinkSummary:
    """Link everything ingested; write and switch to a new spine; record the run.

    ``connection`` is a DuckDB connection or a :class:`.backend.LinkBackend` (Spark).
    """
    options = options or LinkOptions()
    identifiers, versions = _load(session, root, keystore)
    tokeniser = Tokeniser.from_keystore(keystore)
    table = match_keys(identifiers, tokeniser, identifiers["record_id"], identifiers["source"])
    result = run_splink(table, tokeniser, connection, options)
    run_id = new_run_id()
    persons = result.persons.rename(columns={"source_dataset": "source", "unique_id": "record_id"})
    spine = identifiers[["source", "record_id"]].merge(
        persons, on=["source", "record_id"], how="left"
    )
    spine["link_run_id"] = run_id
    records = spine.assign(
        age_band=age_band(
            identifiers["date_of_birth"].where(identifiers["date_of_birth_valid"]), date.today()
        ),
        sex=identifiers["sex"].replace("", "unknown"),
        postcode_area=identifiers["postcode"]
        .where(identifiers["postcode_valid"], "")
        .str.extract(r"^([A-Z]+)")[0]
        .fillna("unknown"),
    )
    measured = None
    if truth_path is not None:
        joined = _truth_columns(spine, truth_path, root, keystore, versions)
        measured = pairwise_metrics(joined)
        found = partner_recall(joined)
        records = records.merge(
            joined[["source", "record_id"]].assign(partner_found=found.to_numpy()),
            on=["source", "record_id"],
            how="left",
        )
    report = build_report(run_id, tokeniser.key_id, result, records, measured, options.seed)
    folder = write_run(root, run_id, spine, result.model_json, report, render_html(report))
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
    return LinkSummary(run_id, folder, tokeniser.key_id, versions, result.counts, metrics)
