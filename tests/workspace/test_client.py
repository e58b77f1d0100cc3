"""The notebook client: what is mounted, loading it, and tables checked as the airlock will."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import write_parquet
from nightingale.workspace import client as ws


@pytest.fixture
def mounted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two releases of one project and one of another, as the spawner mounts them."""
    for project, release, created, rows in (
        ("dfh-pilot", "r-old", "2026-01-01", 5),
        ("dfh-pilot", "r-new", "2026-06-01", 40),
        ("other-study", "r-x", "2026-07-01", 3),
    ):
        folder = tmp_path / "releases" / project / release
        folder.mkdir(parents=True)
        write_parquet(
            folder / "persons.parquet",
            pd.DataFrame(
                {"pid": [f"{i:04x}" for i in range(rows)], "treated": [i % 2 for i in range(rows)]}
            ),
        )
        (folder / "manifest.json").write_text(json.dumps({"created_at": created}))
    monkeypatch.setenv("NIGHTINGALE_RELEASES_DIR", str(tmp_path / "releases"))
    monkeypatch.setenv("NIGHTINGALE_PROJECT", "dfh-pilot")
    return tmp_path / "releases"


def test_the_newest_release_of_the_workspaces_project_is_loaded_by_default(mounted: Path) -> None:
    assert [r.release_id for r in ws.releases("dfh-pilot")] == ["r-old", "r-new"]
    assert len(ws.load("persons")) == 40
    assert len(ws.load("persons", release="r-old")) == 5


def test_a_missing_table_or_release_is_explained(mounted: Path) -> None:
    with pytest.raises(NightingaleError, match="has no table 'panel' \\(it has: persons\\)"):
        ws.load("panel")
    with pytest.raises(NightingaleError, match="no release nope is mounted"):
        ws.load("persons", release="nope")


def test_show_marks_the_cells_the_airlock_will_fail(mounted: Path) -> None:
    persons = ws.load("persons").assign(band=lambda f: ["85+"] * 3 + ["35-44"] * (len(f) - 3))
    shown = ws.show(ws.table(persons, "treated", "band"))
    assert shown.loc["0", ("outcome", "85+")] == "fail"  # two people
    assert shown.loc["1", ("outcome", "85+")] == "fail"  # one person
    assert set(shown["outcome"]["35-44"]) == {"pass"}  # 18 and 19 people


def test_submitting_outside_a_workspace_says_so(
    mounted: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NIGHTINGALE_SERVICE_URL", raising=False)
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    with pytest.raises(NightingaleError, match="inside a Nightingale workspace"):
        ws.submit("t", {"a.txt": b"x"})
