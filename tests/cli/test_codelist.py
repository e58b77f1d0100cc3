"""``nightingale codelist check``: malformed and unknown codes named with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.cli import main

SHIPPED = Path(__file__).parents[2] / "nightingale" / "cohorts" / "examples" / "codelists"


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        main(["codelist", "check", *args])
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, " ".join((captured.out + captured.err).split())


@pytest.mark.parametrize(
    "name", ["respiratory-admissions.csv", "asthma-admissions.csv", "falls.csv"]
)
def test_the_shipped_codelists_are_well_formed_and_known(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, out = _check(capsys, str(SHIPPED / name), "--system", "icd10")
    assert code == 0, out
    assert "0 malformed, 0 unknown" in out


@pytest.mark.parametrize(
    ("system", "text", "expected"),
    [
        ("icd10", "code\nJ45\nK99\nJ4\n", ["unknown {f}:3: 'K99'", "malformed {f}:4: 'J4'"]),
        (
            "opcs4",
            "code\nW37.1\nI01\nW3712\n",
            ["unknown {f}:3: 'I01'", "malformed {f}:4: 'W3712'"],
        ),
        (
            "snomedct",
            "code\n195967001\n195967002\n0195967001\n73211009\n123456120\n",
            [
                "malformed {f}:3: '195967002' fails the SNOMED CT check digit",
                "malformed {f}:4: '0195967001'",
                "unknown {f}:5: '73211009' is not in the shipped SNOMED CT reference",
                "malformed {f}:6: '123456120' is not a concept id",
            ],
        ),
    ],
)
def test_problems_are_reported_with_file_and_line_and_fail_the_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, system: str, text: str, expected: list[str]
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(text)
    code, out = _check(capsys, str(path), "--system", system)
    assert code == 1
    for line in expected:
        assert line.format(f=path) in out
    assert "not ok" in out


def test_a_named_code_column_is_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "opencodelists.csv"
    path.write_text("snomedcode,term\n195967001,Asthma\n")
    assert _check(capsys, str(path), "--system", "snomedct")[0] == 1  # no 'code' column
    code, out = _check(capsys, str(path), "--system", "snomedct", "--column", "snomedcode")
    assert code == 0 and "1 snomedct codes (exact match)" in out
