"""Find a build's inputs in the data root: the spine in force and each content table.

Layout (docs/developers.md): ``linkage/spine/current.json`` names the spine run;
``content/<provider>/<version>/<table>.parquet`` holds content keyed by ``record_id``;
``linkage/identifiers/<provider>/<version>.bin`` holds sealed identifiers. The newest
version of each provider (by name; versions are time-ordered ids) is used and recorded in
the manifest.

``linkage.demographics`` is the only input taken from the identifier zone: the sealed
files are opened in memory and reduced to ``source``, ``record_id``, ``date_of_birth``
and ``sex`` (names, postcodes and national numbers are dropped before anything else sees
them); the compiler only ever releases an age band and sex from it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from nightingale.cohorts.engines import Source
from nightingale.platform.encryption import open_sealed
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import DataRoot, visible_entries

DEMOGRAPHICS = "linkage.demographics"
DEMOGRAPHIC_FIELDS = ("date_of_birth", "sex")


class MissingInputError(NightingaleError):
    """A zone the build needs is not there (not ingested or not linked yet)."""


@dataclass(frozen=True)
class BuildInputs:
    """Everything a build reads, and the versions the manifest records."""

    spine: Source
    spine_run: str
    tables: dict[str, Source]
    versions: dict[str, str] = field(default_factory=dict)


def current_spine(root: DataRoot) -> tuple[str, Path]:
    """The spine run in force and its Parquet file."""
    pointer = root.linkage / "spine" / "current.json"
    try:
        run_id = json.loads(pointer.read_text())["run_id"]
    except FileNotFoundError as exc:
        raise MissingInputError(f"{pointer}: no spine yet; run 'nightingale link' first") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MissingInputError(f"{pointer}: unreadable spine pointer ({exc})") from exc
    path = root.linkage / "spine" / str(run_id) / "spine.parquet"
    if not path.is_file():
        raise MissingInputError(f"{path}: the current spine run {run_id} has no spine.parquet")
    return str(run_id), path


def latest_version(root: DataRoot, provider: str) -> str:
    """The newest content version of ``provider``."""
    versions = [p.name for p in visible_entries(root.content / provider) if p.is_dir()]
    if not versions:
        raise MissingInputError(
            f"{root.content / provider}: no content for provider {provider!r}; ingest it first"
        )
    return versions[-1]


def demographics(root: DataRoot, keystore: KeyStore, versions: dict[str, str]) -> pa.Table:
    """Date of birth and sex per identifier record, from the sealed identifier zone."""
    parts = []
    for provider, version in sorted(versions.items()):
        path = root.linkage / "identifiers" / provider / f"{version}.bin"
        if not path.is_file():
            continue
        plain = open_sealed(path.read_bytes(), keystore, f"identifiers/{provider}", str(path))
        table = pq.read_table(io.BytesIO(plain))
        columns = {"record_id": table["record_id"].cast(pa.string())}
        for name in DEMOGRAPHIC_FIELDS:
            present = name in table.column_names
            values = table[name] if present else pa.nulls(table.num_rows, pa.string())
            columns[name] = pc.cast(values, pa.string()) if name == "sex" else values
        part = pa.table(columns)
        parts.append(part.append_column("source", pa.array([provider] * part.num_rows)))
    if not parts:
        raise MissingInputError(f"{root.linkage / 'identifiers'}: no identifier records")
    return pa.concat_tables(parts, promote_options="permissive")


def locate_inputs(root: DataRoot, keystore: KeyStore, tables: Iterable[str]) -> BuildInputs:
    """The spine and the newest version of every table in ``tables`` (``provider.table``)."""
    run_id, spine = current_spine(root)
    wanted = list(tables)
    providers = sorted(
        {t.split(".")[0] for t in wanted if t != DEMOGRAPHICS}
        | ({p.name for p in visible_entries(root.content)} if DEMOGRAPHICS in wanted else set())
    )
    versions = {provider: latest_version(root, provider) for provider in providers}
    sources: dict[str, Source] = {}
    for table in wanted:
        if table == DEMOGRAPHICS:
            sources[table] = demographics(root, keystore, versions)
            continue
        provider, name = table.split(".")
        path = root.content_version(provider, versions[provider]) / f"{name}.parquet"
        if not path.is_file():
            raise MissingInputError(f"{path}: content table {table} is missing")
        sources[table] = path
    return BuildInputs(spine=spine, spine_run=run_id, tables=sources, versions=versions)
