"""``nightingale outputs`` at the edge: ``check-file`` prints the file check's verdict,
``submit --release`` names the release the files are checked against, ``show`` shows the
checker the findings and where the metadata disagrees.

Real components: an initialised data root with the workspace world's people, projects and
a recorded release, the console script's entry point, the real file check.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nightingale.cli import main
from nightingale.governance.filecheck import check_file
from nightingale.governance.tables import build_table
from nightingale.platform.settings import Settings
from tests.workspace_world import World, build_world, pseudonym


@pytest.fixture
def world(settings: Settings) -> World:
    return build_world(settings)


def cli(capsys: pytest.CaptureFixture[str], settings: Settings, *args: str) -> tuple[int, str, str]:
    """Run the console script in-process; (exit code, stdout, stderr as one line)."""
    try:
        main(["--data-root", str(settings.data_root), *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, " ".join(captured.err.split())


def persons(world: World, release_id: str) -> pd.DataFrame:
    folder = world.settings.data_root / "projects/dfh-pilot/releases" / release_id
    return pd.read_parquet(folder / "persons.parquet")


def test_check_file_json_is_exactly_the_file_verdict(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "counts.csv"
    path.write_text("age_band,F,M\n16-24,40,52\n85+,3,12\n")
    code, out, _ = cli(capsys, world.settings, "outputs", "check-file", str(path), "--json")
    assert code == 0
    printed = json.loads(out)
    assert printed == check_file(path).as_dict()
    assert list(printed) == ["file", "outcome", "findings", "cells"]
    assert printed["outcome"] == "block"
    assert {"rule": "threshold", "where": "line 3, column F",
            "detail": "a count of 3 is below the minimum of 10"} in printed["findings"]  # fmt: skip
    assert all(set(f) == {"rule", "where", "detail"} for f in printed["findings"])


def test_check_file_against_a_release_hunts_its_pseudonyms(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release_id = world.released()
    path = tmp_path / "households.csv"
    path.write_text(f"household_ref,n\n{pseudonym('dfh-pilot', 7)},12\n")
    args = ("outputs", "check-file", str(path), "--release", release_id, "--json")
    code, out, _ = cli(capsys, world.settings, *args)
    printed = json.loads(out)
    assert code == 0 and printed["outcome"] == "block"
    hits = [f for f in printed["findings"] if f["rule"] == "pseudonym"]
    assert [f["where"] for f in hits] == ["line 2, column household_ref"]
    assert pseudonym("dfh-pilot", 7) not in json.dumps(hits)  # where it is, not what it is
    code, out, _ = cli(capsys, world.settings, "outputs", "check-file", str(path))
    assert "pseudonym-shaped" in out  # without the release: only its shape


def test_check_file_recomputes_a_table_from_its_metadata_and_the_release(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release_id = world.released()
    table = build_table(persons(world, release_id), "treated", "sex")
    path = tmp_path / "by_sex.csv"
    path.write_text(table.to_frame().to_csv())
    path.with_name("by_sex.csv.sdc.json").write_text(json.dumps(table.to_json()))
    args = ("outputs", "check-file", str(path), "--release", release_id, "--json")
    printed = json.loads(cli(capsys, world.settings, *args)[1])
    assert printed["outcome"] == "pass"
    assert [f["rule"] for f in printed["findings"]] == ["recomputed"]
    assert {(c["row"], c["column"]) for c in printed["cells"]} == {
        ("0", "F"), ("0", "M"), ("1", "F"), ("1", "M"),
    }  # fmt: skip


def test_check_file_without_json_says_what_blocks(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "rows.zip"
    archive.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    code, out, _ = cli(capsys, world.settings, "outputs", "check-file", str(archive))
    assert code == 0
    printed = " ".join(out.split())
    assert "rows.zip: block" in printed and "file-type" in printed and "allowed:" in printed


def test_submit_checks_against_the_named_release_and_show_lists_the_findings(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release_id = world.released()
    table = build_table(persons(world, release_id), "treated", "sex")
    claim = table.to_json()
    claim["cells"][0]["evidence"]["count"] += 5  # the metadata says more than the release
    path = tmp_path / "by_sex.csv"
    path.write_text(table.to_frame().to_csv())
    path.with_name("by_sex.csv.sdc.json").write_text(json.dumps(claim))
    submit = ("outputs", "submit", str(path), "--as", "rita", "--project", "dfh-pilot")
    code, out, err = cli(capsys, world.settings, *submit, "--title", "t", "--release", release_id)
    assert code == 0, err
    assert f"against release {release_id}" in " ".join(out.split())
    code, out, _ = cli(capsys, world.settings, "outputs", "show", "1")
    shown = " ".join(out.split())
    assert f"checked against release {release_id}" in shown
    assert "(0 of 2 approvals)" in shown
    assert "approval needs --override" in shown
    assert "the metadata disagrees with by_sex.csv" in shown
    assert "review metadata-disagrees at cell (0, F)" in shown
    code, _, err = cli(capsys, world.settings, "outputs", "approve", "1", "--as", "otto",
                       "--reason", "fine")  # fmt: skip
    assert code == 3 and "metadata disagrees with by_sex.csv" in err


def test_a_release_of_another_project_is_refused_at_submission(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    theirs = world.released("other-study", by="ray")
    path = tmp_path / "t.csv"
    path.write_text("band,n\n35-44,120\n")
    code, _, err = cli(capsys, world.settings, "outputs", "submit", str(path), "--as", "rita",
                       "--project", "dfh-pilot", "--title", "t", "--release", theirs)  # fmt: skip
    assert code == 6
    assert f"release {theirs} is not a release of project dfh-pilot" in err
