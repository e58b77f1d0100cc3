"""Area deprivation for the GUILD tables: each record's IMD quintile, from its postcode.

The linkage zone holds postcodes, not deprivation. An area's deprivation is public
reference data (in England, the ONS postcode directory's LSOA joined to the IMD 2019
deciles), so a deployment installs a lookup ``postcode,imd_decile`` into
``linkage/reference/postcode_imd.csv`` (:func:`install_area_lookup`; ``nightingale link
--imd-lookup FILE``; the synthetic region writes its own as
``reference/postcode_imd.csv``). A record's IMD quintile is then that of its valid
postcode (deciles 1-2 are quintile 1, the most deprived), ``unknown`` when the postcode
is missing, invalid or not in the lookup. Without a lookup there is no IMD column and
the GUILD tables go without it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from nightingale.linkage.normalise.postcodes import normalise_postcode
from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import DataRoot, atomic_write_text

LOOKUP_FILE = "postcode_imd.csv"
COLUMNS = ("postcode", "imd_decile")
QUINTILES = ("1", "2", "3", "4", "5", "unknown")


def lookup_path(root: DataRoot) -> Path:
    """Where the installed postcode-to-IMD lookup lives in the linkage zone."""
    return root.linkage / "reference" / LOOKUP_FILE


def read_lookup(path: Path) -> dict[str, int]:
    """Normalised postcode -> IMD decile; an error names the file, line and field."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise NightingaleError(f"{path}: cannot read the IMD lookup ({exc})") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise NightingaleError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
    deciles: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        postcode, valid = normalise_postcode(row["postcode"])
        if not valid:
            raise NightingaleError(f"{path}: line {line}, field postcode: not a valid postcode")
        try:
            decile = int(row["imd_decile"])
        except (TypeError, ValueError):
            decile = 0
        if not 1 <= decile <= 10:
            raise NightingaleError(f"{path}: line {line}, field imd_decile: not a decile 1-10")
        deciles[postcode] = decile
    return deciles


def install_area_lookup(root: DataRoot, source: Path) -> Path:
    """Check ``source`` and install it (normalised, atomically) as the zone's lookup."""
    deciles = read_lookup(source)
    lines = ["postcode,imd_decile", *(f"{p},{d}" for p, d in sorted(deciles.items()))]
    target = lookup_path(root)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write_text(target, "\n".join(lines) + "\n")
    return target


def _valid_postcodes(table: pa.Table) -> pa.Array:
    if "postcode" not in table.column_names or "postcode_valid" not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    postcode = table.column("postcode").combine_chunks().cast(pa.string())
    valid = table.column("postcode_valid").combine_chunks().fill_null(False)
    return pc.if_else(valid, postcode, pa.scalar(None, pa.string()))


def imd_quintiles(root: DataRoot, tables: list[tuple[str, pa.Table]]) -> pd.Series | None:
    """Each record's IMD quintile (``1``..``5``, ``unknown``), in the order of ``tables``'
    rows one after another; None when no lookup is installed."""
    path = lookup_path(root)
    if not path.is_file():
        return None
    deciles = read_lookup(path)
    keys = pa.array(list(deciles), type=pa.string())
    values = np.array([(d + 1) // 2 - 1 for d in deciles.values()], dtype=np.int8)
    codes = []
    for _name, table in tables:
        found = pc.index_in(_valid_postcodes(table), value_set=keys)
        where = found.to_numpy(zero_copy_only=False)
        known = ~np.isnan(where.astype(float))
        part = np.full(len(where), len(QUINTILES) - 1, dtype=np.int8)
        part[known] = values[where[known].astype(np.intp)]
        codes.append(part)
    merged = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int8)
    return pd.Series(pd.Categorical.from_codes(merged, categories=pd.Index(QUINTILES)))
