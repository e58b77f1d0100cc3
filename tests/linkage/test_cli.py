"""The commands: summaries, exit codes, audit entries, and link-files' CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import text

from nightingale.cli import main
from nightingale.cli.governance_demo import intake_ready
from nightingale.operations.unit import open_unit
from tests.linkage.conftest import Platform
from tests.linkage.test_link_files import LEFT, MAPPING, RIGHT, _write


def _run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _officer(platform: Platform) -> str:
    """A linkage officer, with an agreement covering each provider (ingest is governed)."""
    with open_unit(platform.settings, "setup") as unit:
        return intake_ready(unit.session, unit.keystore)


def test_ingest_prints_a_summary_and_audits_the_version(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(platform.settings.data_root)
    officer = _officer(platform)
    files = [str(platform.extract("housing", n)) for n in ("property_reports.csv", "tenancies.csv")]
    assert _run(["--data-root", root, "ingest", "housing", *files, "--as", officer]) == 0
    out = capsys.readouterr().out
    assert "tenancies.csv: 8 rows, 8 accepted, 0 quarantined" in out
    assert _run(["--data-root", root, "ingest", "housing", *files, "--as", officer]) == 0
    assert "no-op" in capsys.readouterr().out
    with platform.engine.connect() as connection:
        query = text("select action, details from audit_log where action like 'dataset.ing%'")
        actions = connection.execute(query).all()
    assert [a for a, _ in actions] == ["dataset.ingested"]
    assert "ASHWORTH" not in actions[0][1] and "Ashworth" not in actions[0][1]


def test_an_unusable_file_exits_non_zero_naming_the_file(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = platform.region / "claimants.csv"
    broken.write_bytes(platform.extract("employment", "claimants.csv").read_bytes()[:-4])
    root, officer = str(platform.settings.data_root), _officer(platform)
    status = _run(["--data-root", root, "ingest", "employment", str(broken), "--as", officer])
    assert status != 0
    assert "claimants.csv: truncated" in capsys.readouterr().err


def test_link_files_writes_one_row_per_input_row(tmp_path: Path) -> None:
    left, right = _write(tmp_path / "left.csv", LEFT), _write(tmp_path / "right.csv", RIGHT)
    out = tmp_path / "spine.csv"
    maps = [arg for item in MAPPING for arg in ("--map", item)]
    argv = ["link-files", str(left), str(right), "--id-column", "id", *maps]
    assert _run([*argv, "--date-format", "%d.%m.%Y", "--out", str(out)]) == 0
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["file", "record_id", "person_id"]
    assert len(rows) == len(LEFT) + len(RIGHT)
