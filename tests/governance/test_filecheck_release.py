"""What the check knows of a release, read from the release folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.filecheck import load_release
from nightingale.platform.storage import DataRoot, write_parquet
from tests.governance.filecheck_world import panel, persons


def release_folder(root: Path, people: pd.DataFrame, with_panel: bool = True) -> Path:
    folder = DataRoot(root).releases("dfh-pilot") / "r1"
    folder.mkdir(parents=True)
    write_parquet(folder / "persons.parquet", people)
    if with_panel:
        write_parquet(folder / "panel.parquet", panel(people))
    (folder / "manifest.json").write_text(json.dumps({"release_id": "r1", "format": 1}))
    return folder


def test_a_release_folder_gives_frames_person_count_and_pids(tmp_path: Path) -> None:
    people = persons(50)
    release_folder(tmp_path, people)
    evidence = load_release(tmp_path, "dfh-pilot", "r1")
    assert evidence.person_count == 50
    assert evidence.panel is not None and len(evidence.panel) == 150
    assert set(evidence.hunted) == set(people.pid)
    assert set(evidence.hunted.values()) == {"a pseudonym (pid)"}
    assert evidence.manifest["release_id"] == "r1"


def test_a_release_without_a_panel_is_fine(tmp_path: Path) -> None:
    release_folder(tmp_path, persons(10), with_panel=False)
    assert load_release(DataRoot(tmp_path), "dfh-pilot", "r1").frames().keys() == {"persons"}


def test_record_ids_are_hunted_too_and_short_values_are_not(tmp_path: Path) -> None:
    people = persons(5).assign(source_record_id=[f"{i:016x}" for i in range(5)])
    people.loc[0, "pid"] = "p1"
    release_folder(tmp_path, people)
    hunted = load_release(tmp_path, "dfh-pilot", "r1").hunted
    assert "p1" not in hunted
    assert hunted[f"{3:016x}"] == "a record id"


def test_a_missing_release_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="release r9 of project dfh-pilot"):
        load_release(tmp_path, "dfh-pilot", "r9")


@pytest.mark.parametrize(("project", "release_id"), [("../x", "r1"), ("p", "../../keys")])
def test_unsafe_names_are_refused(tmp_path: Path, project: str, release_id: str) -> None:
    with pytest.raises(InvalidInput, match="not a safe folder name"):
        load_release(tmp_path, project, release_id)


def test_a_record_id_in_an_output_is_blocked(tmp_path: Path) -> None:
    from nightingale.governance.filecheck import check_file

    people = persons(50).assign(source_record_id=[f"{i:016x}" for i in range(50)])
    release_folder(tmp_path, people)
    evidence = load_release(tmp_path, "dfh-pilot", "r1")
    output = tmp_path / "t.csv"
    output.write_text(f"ref,n\nrec{3:016x},12\n")
    verdict = check_file(output, release=evidence)
    assert verdict.outcome == "block"
    assert [(f.rule, f.where) for f in verdict.findings] == [("record-id", "line 2, column ref")]
