"""Chunked CSV writing into a folder that appears complete or not at all.

Files are opened on the first chunk (header written then) and appended to chunk by
chunk, so memory holds one chunk at a time. The whole region is written inside
:func:`nightingale.platform.storage.atomic_directory`: a crash leaves no partial region,
and ``manifest.json`` (row counts and SHA-256 of every file) is written last.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from nightingale.platform.storage import atomic_write_json, sha256_file

Column: TypeAlias = Any  # a pyarrow Array or a numpy array
_OPTIONS = pcsv.WriteOptions(include_header=False, quoting_style="none", batch_size=65_536)


def as_strings(values: Column) -> pa.Array:
    """A column as Arrow strings (None / null -> empty field)."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        array = values
    elif not isinstance(values, np.ndarray):
        raise TypeError(f"cannot write a {type(values).__name__} column")
    elif values.dtype.kind in "iub":
        array = pa.array(values.astype(np.int64) if values.dtype.kind == "b" else values)
    elif values.dtype.kind == "U":
        array = pa.array(values, type=pa.string())
    elif values.dtype.kind == "O":
        array = pa.array(values, type=pa.string(), from_pandas=False)
    else:
        raise TypeError(f"format {values.dtype} columns before writing them")
    if array.type != pa.string():
        array = pc.cast(array, pa.string())
    return array


class CsvFiles:
    """Append-only CSV files under one folder, one header each."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._handles: dict[str, IO[bytes]] = {}
        self._columns: dict[str, list[str]] = {}
        self.rows: dict[str, int] = {}

    def declare(self, relative: str, columns: list[str]) -> None:
        """Create a file with its header (so empty files still have one)."""
        if relative in self._handles:
            return
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("wb")
        handle.write((",".join(columns) + "\n").encode("utf-8"))
        self._handles[relative] = handle
        self._columns[relative] = columns
        self.rows[relative] = 0

    def append(
        self,
        relative: str,
        columns: dict[str, Column],
        order: npt.NDArray[np.int64] | None = None,
    ) -> None:
        """Append rows (optionally reordered by ``order``) to ``relative``."""
        names = list(columns)
        self.declare(relative, names)
        if names != self._columns[relative]:
            raise ValueError(f"{relative}: columns changed between chunks")
        table = pa.table({name: as_strings(values) for name, values in columns.items()})
        if order is not None:
            table = table.take(pa.array(order))
        if table.num_rows:
            pcsv.write_csv(table, self._handles[relative], _OPTIONS)
        self.rows[relative] += table.num_rows

    def close(self) -> None:
        for handle in self._handles.values():
            handle.flush()
            handle.close()
        self._handles.clear()

    def __enter__(self) -> CsvFiles:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def write_manifest(root: Path, rows: dict[str, int], extra: dict[str, Any]) -> None:
    """``manifest.json``: every file's row count and SHA-256, plus ``extra``."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != "manifest.json")
    entries = {
        str(p.relative_to(root)): {
            "sha256": sha256_file(p),
            **(
                {"rows": rows[str(p.relative_to(root))]} if str(p.relative_to(root)) in rows else {}
            ),
        }
        for p in files
    }
    atomic_write_json(root / "manifest.json", {**extra, "files": entries})
