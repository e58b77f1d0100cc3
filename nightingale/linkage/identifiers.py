"""The identifier zone: sealed Parquet files only the linkage layer opens.

Layout (docs/developers.md)::

    linkage/identifiers/<provider>/<version>.bin   record_id + normalised identifiers
    linkage/keymaps/<provider>/<version>.bin       provider-local key -> record_id

Both are Parquet sealed with AES-256-GCM (:func:`nightingale.platform.encryption.seal`)
under a context per provider, so a file moved to another provider's folder does not
open. The key map exists so that event files (which carry only the local key) can be
attached to people records, and so that linkage quality can be measured against a
synthetic region's truth (which names local keys).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from nightingale.linkage.fields import VALIDATED_FIELDS
from nightingale.linkage.positions import positions, text
from nightingale.platform.encryption import open_sealed, seal
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import DataRoot, atomic_write_bytes


def identifiers_path(root: DataRoot, provider: str, version: str) -> Path:
    """Where a version's sealed identifiers live."""
    return root.linkage / "identifiers" / provider / f"{version}.bin"


def keymap_path(root: DataRoot, provider: str, version: str) -> Path:
    """Where a version's sealed local-key map lives."""
    return root.linkage / "keymaps" / provider / f"{version}.bin"


def write_sealed_table(path: Path, table: pa.Table, keystore: KeyStore, context: str) -> None:
    """Seal ``table`` as Parquet and write it atomically (mode 0600)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    atomic_write_bytes(path, seal(sink.getvalue().to_pybytes(), keystore, context), mode=0o600)


def read_sealed_table(path: Path, keystore: KeyStore, context: str) -> pa.Table:
    """Open a sealed Parquet file (raises IntegrityError when altered or the key is wrong)."""
    plain = open_sealed(path.read_bytes(), keystore, context, str(path))
    return pq.read_table(io.BytesIO(plain))


def identifier_context(provider: str) -> str:
    """Encryption context of a provider's identifier files."""
    return f"identifiers/{provider}"


def keymap_context(provider: str) -> str:
    """Encryption context of a provider's key maps."""
    return f"keymaps/{provider}"


def identifier_table(record_ids: list[str], normalised: pd.DataFrame) -> pa.Table:
    """The identifier zone's columns for normalised identifiers.

    ``date_of_birth`` is a date (null when invalid) so that readers such as the cohort
    builder can use it directly; an invalid date's text is kept in
    ``date_of_birth_invalid``. Other fields are text with ``<field>_valid`` flags.
    """
    valid_dob = normalised["date_of_birth_valid"]
    iso = normalised["date_of_birth"].where(valid_dob)
    columns: dict[str, pa.Array] = {"record_id": pa.array(record_ids, type=pa.string())}
    for name in normalised.columns:
        if name == "date_of_birth":
            as_date = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
            columns[name] = pa.array(as_date, from_pandas=True).cast(pa.date32())
            invalid = normalised[name].where(~valid_dob & (normalised[name] != ""))
            columns["date_of_birth_invalid"] = _text(invalid)
        elif name.endswith("_valid"):
            columns[name] = pa.array(normalised[name].to_numpy(dtype=bool), type=pa.bool_())
        else:
            columns[name] = _text(normalised[name].where(normalised[name] != ""))
    return pa.table(columns)


def normalised_frame(table: pa.Table) -> pd.DataFrame:
    """Back from the zone's columns to :func:`~.normalise.normalise_identifiers` form."""
    frame = pd.DataFrame(index=range(table.num_rows))
    for name in table.column_names:
        if name in ("record_id", "date_of_birth", "date_of_birth_invalid"):
            continue
        column = table.column(name).to_pandas()
        frame[name] = column.astype(bool) if name.endswith("_valid") else column.astype("string")
    dob = pd.Series(table.column("date_of_birth").cast(pa.string()).to_pandas(), dtype="string")
    invalid = pd.Series(table.column("date_of_birth_invalid").to_pandas(), dtype="string")
    frame["date_of_birth"] = dob.fillna(invalid).fillna("")
    for name in (
        "given_name",
        "family_name",
        "sex",
        "postcode",
        "address",
        "nhs_number",
        "ni_number",
    ):
        frame[name] = frame[name].fillna("") if name in frame else ""
    for name in VALIDATED_FIELDS:
        frame[f"{name}_valid"] = frame.get(f"{name}_valid", False)
    return frame


def _text(values: pd.Series) -> pa.Array:
    return pa.array(values.astype(object).where(values.notna(), None), type=pa.string())


def provider_keys(sources: Any, record_ids: Any, keymaps: dict[str, pa.Table]) -> pa.Array:
    """Each record's provider key (null where a key map lacks it), in record order.

    ``keymaps`` holds each provider's key map (``local_key``, ``record_id``): the
    provider's own key is the content that orders records for person ids, ranks them
    for the u sample and names them in a synthetic region's truth file.
    """
    if not keymaps:
        return pa.nulls(len(record_ids), pa.string())
    names = list(keymaps)

    def stacked(column: str) -> pa.Array:
        return pa.concat_arrays([text(keymaps[name].column(column)) for name in names])

    at = positions(
        sources,
        record_ids,
        pa.array(np.repeat(names, [keymaps[name].num_rows for name in names]), pa.string()),
        stacked("record_id"),
    )
    return stacked("local_key").take(pa.array(at, mask=at < 0))
