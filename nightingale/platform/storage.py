"""The data root on disk: its zones, atomic writes, Parquet and checksums.

Zones (see ARCHITECTURE.md)::

    nightingale.db                     governance + audit (SQLite default)
    keys/                              file keystore (0700 / 0600)
    quarantine/<ingest_id>/            rejected rows with reasons
    linkage/                           identifier zone (encrypted identifiers, tokens, spine)
    content/<dataset>/<version>/       content Parquet keyed by record_id
    projects/<project>/releases/<id>/  pseudonymised cohort releases
    projects/<project>/outputs/<id>/   airlock
    published/<result_id>/             released results (public)

Every write is atomic: data goes to a hidden temporary sibling, is fsynced, then renamed
over the target, and the folder is fsynced. A crash leaves the old state or the new one,
never a half-written file or release. Temporary names start with ``.tmp-`` so readers
and listings ignore them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from nightingale.platform.errors import ConfigurationError, NightingaleError

TEMP_PREFIX = ".tmp-"
MARKER_FILE = ".nightingale"
DATA_ROOT_FORMAT = 1


@dataclass(frozen=True)
class DataRoot:
    """Paths of the zones under one data root."""

    path: Path

    @property
    def marker(self) -> Path:
        return self.path / MARKER_FILE

    @property
    def keys(self) -> Path:
        return self.path / "keys"

    @property
    def quarantine(self) -> Path:
        return self.path / "quarantine"

    @property
    def linkage(self) -> Path:
        return self.path / "linkage"

    @property
    def content(self) -> Path:
        return self.path / "content"

    @property
    def projects(self) -> Path:
        return self.path / "projects"

    @property
    def published(self) -> Path:
        return self.path / "published"

    def zones(self) -> list[Path]:
        """Every zone folder, in the order ``init`` creates them."""
        return [
            self.keys,
            self.quarantine,
            self.linkage,
            self.content,
            self.projects,
            self.published,
        ]

    def content_version(self, dataset: str, version: str) -> Path:
        return self.content / dataset / version

    def releases(self, project: str) -> Path:
        return self.projects / project / "releases"

    def outputs(self, project: str) -> Path:
        return self.projects / project / "outputs"

    def read_marker(self) -> dict[str, Any]:
        """The data root's identity (format, instance id); raises if not Nightingale's."""
        try:
            data = json.loads(self.marker.read_text())
        except FileNotFoundError as exc:
            raise ConfigurationError(
                f"{self.path} is not a Nightingale data root (no {MARKER_FILE}); "
                "run 'nightingale init'"
            ) from exc
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"{self.marker} is unreadable: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != DATA_ROOT_FORMAT:
            raise ConfigurationError(
                f"{self.marker}: unsupported data root format {data!r}; expected format "
                f"{DATA_ROOT_FORMAT}"
            )
        return data


def fsync_directory(path: Path) -> None:
    """Make a rename inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temporary_sibling(target: Path) -> Path:
    return target.with_name(f"{TEMP_PREFIX}{target.name}-{uuid.uuid4().hex[:12]}")


def atomic_write_bytes(target: Path, data: bytes | memoryview, mode: int = 0o640) -> None:
    """Write ``data`` to ``target`` atomically (temp sibling, fsync, rename, fsync dir)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_sibling(target)
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(target.parent)


def atomic_write_text(target: Path, text: str, mode: int = 0o640) -> None:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    atomic_write_bytes(target, text.encode("utf-8"), mode)


def atomic_write_json(target: Path, value: Any, mode: int = 0o640) -> None:
    """Pretty, key-sorted JSON written atomically (stable bytes for checksums)."""
    atomic_write_text(target, json.dumps(value, indent=2, sort_keys=True, default=str) + "\n", mode)


def _fsync_tree(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(Path(folder) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_directory(Path(folder))


@contextlib.contextmanager
def atomic_directory(target: Path, replace: bool = False) -> Iterator[Path]:
    """Build a whole folder, then make it appear at ``target`` in one rename.

    Yields a hidden temporary folder to fill. On normal exit its files are fsynced and it
    is renamed to ``target``; on any exception it is removed and ``target`` is untouched.
    With ``replace=True`` an existing ``target`` is swapped out and removed afterwards;
    otherwise an existing ``target`` is an error (releases are immutable).
    """
    if target.exists() and not replace:
        raise NightingaleError(f"{target} already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_sibling(target)
    temporary.mkdir(mode=0o750)
    try:
        yield temporary
        _fsync_tree(temporary)
        if target.exists():
            retired = _temporary_sibling(target)
            os.replace(target, retired)
            os.replace(temporary, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(temporary, target)
        fsync_directory(target.parent)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes | memoryview) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def write_parquet(
    target: Path,
    frame: pd.DataFrame | pa.Table,
    compression: str = "zstd",
    use_dictionary: bool | list[str] = True,
    write_statistics: bool = True,
) -> str:
    """Write a frame or Arrow table as Parquet atomically; return its SHA-256.

    The defaults make small files that any reader can filter on; a file that is only
    ever read whole, by this code, may trade size for speed (no statistics, a faster
    ``compression``, ``use_dictionary`` only for the columns whose values repeat).
    """
    table = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        compression=compression,
        use_dictionary=use_dictionary,
        write_statistics=write_statistics,
    )
    data = memoryview(sink.getvalue())  # the written bytes, not a copy of them
    atomic_write_bytes(target, data)
    return sha256_bytes(data)


#: Pandas' text held in Arrow memory, as :func:`read_parquet` reads it with ``arrow_text``.
ARROW_TEXT = pd.ArrowDtype(pa.string())
_ARROW_TEXT = {pa.string(): ARROW_TEXT}


def read_parquet(
    source: Path,
    columns: list[str] | None = None,
    arrow_text: bool = False,
    threads: bool = True,
) -> pd.DataFrame:
    """Read Parquet into pandas, with a readable error for a missing or broken file.

    ``arrow_text`` keeps text columns in Arrow memory (``pd.ArrowDtype(pa.string())``)
    instead of making a Python string of every value: several times faster for a
    frame that is only looked up in, never written back as it is. ``threads=False``
    converts the columns to pandas one after another: faster for a frame of Python
    strings, whose conversion holds the GIL (threads only take turns at it).
    """
    mapper = _ARROW_TEXT.get if arrow_text else None
    try:
        table = pq.read_table(source, columns=columns)
        frame: pd.DataFrame = table.to_pandas(types_mapper=mapper, use_threads=threads)
    except FileNotFoundError as exc:
        raise NightingaleError(f"{source}: no such Parquet file") from exc
    except (pa.ArrowInvalid, OSError) as exc:
        raise NightingaleError(f"{source}: not readable as Parquet ({exc})") from exc
    return frame


def visible_entries(folder: Path) -> list[Path]:
    """A folder's entries without temporary files of unfinished writes, sorted by name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith(TEMP_PREFIX))
