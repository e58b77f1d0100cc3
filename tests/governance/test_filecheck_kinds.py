"""Only the allowed types leave, decided by content as well as by suffix."""

from __future__ import annotations

import gzip
import io
import pickle
import tarfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from nightingale.governance.filecheck import ALLOWED_TYPES, check_file
from nightingale.governance.filecheck.kinds import sniff
from tests.governance.filecheck_world import png_bytes, write

# The archives are parameters, so their bytes are part of the test ids: they carry a fixed
# timestamp, or two xdist workers collecting a second apart would see different tests.
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("rows.csv", FIXED_ZIP_TIME), "pid,age\nabc,34\n")
    return buffer.getvalue()


def tar_bytes() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = b"pid,age\nabc,34\n"
        info = tarfile.TarInfo("rows.csv")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("rows.zip", zip_bytes()),
        ("rows.tar", tar_bytes()),
        ("rows.csv.gz", gzipped(b"a,b\n1,2\n")),
        ("rows.tgz", gzipped(tar_bytes())),
        ("rows.7z", b"7z\xbc\xaf\x27\x1c\x00\x04"),
        ("rows.rar", b"Rar!\x1a\x07\x01\x00"),
        ("model.pkl", pickle.dumps({"a": 1})),
        ("rows.xlsx", zip_bytes()),
        ("rows.rds", gzipped(b"X\n\x00\x00\x00\x03")),
        ("rows.feather", b"ARROW1\x00\x00"),
        ("tool.exe", b"MZ\x90\x00\x03\x00"),
        ("notes.docx", zip_bytes()),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
    ],
)
def test_types_outside_the_list_are_blocked_with_the_allowed_types_named(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    verdict = check_file(path)
    assert verdict.outcome == "block"
    assert verdict.rules() == {"file-type"}
    assert ALLOWED_TYPES in verdict.findings[0].detail


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("table.csv", zip_bytes(), "a ZIP archive"),
        ("table.tsv", gzipped(b"a\tb\n"), "a gzip archive"),
        ("summary.txt", tar_bytes(), "a tar archive"),
        ("report.html", pickle.dumps([1, 2]), "a Python pickle"),
        ("table.csv", b"\x7fELF\x02\x01\x01", "an executable"),
        ("figure.svg", png_bytes(), "a PNG image"),
    ],
)
def test_content_decides_not_the_suffix(
    tmp_path: Path, name: str, content: bytes, said: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    verdict = check_file(path)
    assert verdict.outcome == "block"
    assert verdict.rules() == {"disguised-file"}
    assert said in verdict.findings[0].detail


def test_a_png_must_start_with_the_png_signature(tmp_path: Path) -> None:
    write(tmp_path, "plot.csv", "x,n\na,10\n")
    fake = write(tmp_path, "plot.png", "x,y\n1,2\n")
    assert check_file(fake).rules() == {"disguised-file"}


def test_a_parquet_file_must_be_parquet(tmp_path: Path) -> None:
    fake = write(tmp_path, "table.parquet", "age_band,n\n16-24,12\n")
    assert check_file(fake).rules() == {"disguised-file"}
    real = tmp_path / "real.parquet"
    pd.DataFrame({"age_band": ["16-24"], "n": [12]}).to_parquet(real)
    assert check_file(real).outcome == "pass"


def test_binary_bytes_in_a_text_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(b"a,b\n\x00\x01\x02\xff\xfe,3\n")
    assert check_file(path).rules() == {"disguised-file"}


def test_a_text_file_that_starts_like_a_magic_number_is_still_text() -> None:
    assert sniff(b"MZ_count,BZh\n1,2\n").binary_format is None
    assert sniff(b"MZ\x90\x00\x03\x00").binary_format == "an executable (Windows)"


def test_json_leaves_only_as_a_model_output(tmp_path: Path) -> None:
    rows = write(tmp_path, "rows.json", '[{"pid": "a", "age": 34}]')
    verdict = check_file(rows)
    assert verdict.outcome == "block"
    assert "model output" in verdict.findings[0].detail


def test_a_missing_file_is_an_error_that_names_it(tmp_path: Path) -> None:
    from nightingale.governance.errors import InvalidInput

    with pytest.raises(InvalidInput, match="nothing.csv: no such file"):
        check_file(tmp_path / "nothing.csv")
