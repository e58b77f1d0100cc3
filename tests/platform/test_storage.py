"""Storage: atomic files and folders, Parquet, checksums."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from nightingale.platform import storage
from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import (
    atomic_directory,
    atomic_write_bytes,
    read_parquet,
    sha256_file,
    visible_entries,
    write_parquet,
)


def test_atomic_write_replaces_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "file.bin"
    atomic_write_bytes(target, b"old")
    atomic_write_bytes(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]


def test_a_crash_between_write_and_rename_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file.bin"
    atomic_write_bytes(target, b"old")

    def crash(*_args: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert visible_entries(tmp_path) == [target]


def test_a_crash_before_the_first_rename_leaves_nothing_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "replace", lambda *_: (_ for _ in ()).throw(OSError("power cut")))
    with pytest.raises(OSError):
        atomic_write_bytes(tmp_path / "file.bin", b"new")
    assert list(tmp_path.iterdir()) == []


def test_an_atomic_directory_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    release = tmp_path / "releases" / "r1"
    with pytest.raises(RuntimeError), atomic_directory(release) as building:
        (building / "part-1.parquet").write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert not release.exists()
    assert list((tmp_path / "releases").iterdir()) == []

    with atomic_directory(release) as building:
        (building / "part-1.parquet").write_bytes(b"whole")
        assert not release.exists(), "nothing is visible until the block ends"
    assert (release / "part-1.parquet").read_bytes() == b"whole"


def test_an_existing_directory_is_never_overwritten_unless_asked(tmp_path: Path) -> None:
    target = tmp_path / "r1"
    with atomic_directory(target) as building:
        (building / "v").write_text("1")
    with pytest.raises(NightingaleError, match="already exists"), atomic_directory(target):
        pass
    with atomic_directory(target, replace=True) as building:
        (building / "v").write_text("2")
    assert (target / "v").read_text() == "2"
    assert visible_entries(tmp_path) == [target]


def test_parquet_round_trips_and_reports_its_checksum(tmp_path: Path) -> None:
    frame = pd.DataFrame({"record_id": ["r1", "r2"], "value": [1.5, None]})
    target = tmp_path / "t.parquet"
    checksum = write_parquet(target, frame)
    assert checksum == sha256_file(target)
    pd.testing.assert_frame_equal(read_parquet(target), frame)


def test_parquet_text_can_be_read_into_arrow_backed_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame({"record_id": ["r1", None], "value": [1, 2]})
    target = tmp_path / "t.parquet"
    write_parquet(target, frame)
    read = read_parquet(target, arrow_text=True)
    assert read["record_id"].dtype == pd.ArrowDtype(pa.string())
    assert read["record_id"].iloc[0] == "r1"
    assert read["record_id"].isna().tolist() == [False, True]
    assert read["value"].tolist() == [1, 2]


def test_a_broken_parquet_file_gives_a_readable_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(NightingaleError, match="broken.parquet: not readable as Parquet"):
        read_parquet(broken)
    with pytest.raises(NightingaleError, match="no such Parquet file"):
        read_parquet(tmp_path / "missing.parquet")


def test_the_data_root_names_every_zone(tmp_path: Path) -> None:
    root = storage.DataRoot(tmp_path)
    assert [z.name for z in root.zones()] == [
        "keys",
        "quarantine",
        "linkage",
        "content",
        "projects",
        "published",
    ]
    assert root.releases("dfh") == tmp_path / "projects" / "dfh" / "releases"
