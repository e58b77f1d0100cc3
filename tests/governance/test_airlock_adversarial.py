"""A researcher trying to get row-level data or small cells out through the airlock.

Every case goes through the real submission and decision path (the operations every edge
calls: :func:`nightingale.operations.airlock.submit` and ``decide``) against a recorded
release of 200 people (three of them in the rare ``85+`` age band). Each must be refused at
submission, blocked, or sent to review with the reason named, and none may be released by
one output checker, whatever that checker does.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from nightingale.governance import audit, outputs
from nightingale.governance.errors import InvalidInput, PermissionDenied
from nightingale.governance.outputs import OutputFileSpec
from nightingale.governance.tables import build_table
from nightingale.operations import airlock
from nightingale.operations.unit import open_unit
from nightingale.platform.settings import Settings
from tests.governance.filecheck_world import png_bytes
from tests.workspace_world import World, build_world, pseudonym


@pytest.fixture
def world(settings: Settings) -> World:
    return build_world(settings)


@pytest.fixture
def release(world: World) -> str:
    return world.released()


def persons(world: World, release_id: str) -> pd.DataFrame:
    folder = world.settings.data_root / "projects/dfh-pilot/releases" / release_id
    return pd.read_parquet(folder / "persons.parquet")


def submit(world: World, release_id: str, *files: OutputFileSpec) -> dict[str, dict]:
    """Rita submits ``files``; each stored file's check by name, and the request's id."""
    with open_unit(world.settings, "rita") as work:
        output = airlock.submit(
            work, project="dfh-pilot", title="results", files=files, release=release_id
        )
        checks = {c["name"]: c for c in outputs.file_checks(output)}
        checks["_id"] = {"id": output.id}
    return checks


def rules(check: dict, severity: str) -> set[str]:
    return {f["rule"] for f in check["findings"] if f["severity"] == severity}


def one_checker_cannot_release(world: World, output_id: int) -> None:
    """Otto tries everything one checker can: the request is still not released."""
    for override in (False, True):
        try:
            with open_unit(world.settings, "otto") as work:
                airlock.decide(work, output_id, "approve", "looks fine to me", override=override)
        except PermissionDenied:
            continue
    with open_unit(world.settings, "reader") as work:
        output = outputs.get_output(work.session, output_id)
        assert output.status == "submitted"
        entries = audit.entries(work.session, object_type="output", object_id=str(output_id))
        assert "output.released" not in {e.action for e in entries}


def test_metadata_that_lies_about_small_cells_is_overruled_by_the_release(
    world: World, release: str, tmp_path: Path
) -> None:
    honest = build_table(persons(world, release), "age_band", "sex")
    lie = honest.to_json()
    for cell in lie["cells"]:  # "every cell has at least 50 people"
        cell["value"] = max(cell["value"], 50.0)
        cell["evidence"]["count"] = max(cell["evidence"]["count"], 50)
    path = tmp_path / "by_age.csv"
    path.write_text(honest.to_frame().to_csv())
    checks = submit(world, release, OutputFileSpec(path, "table", lie))
    check = checks["by_age.csv"]
    assert check["outcome"] == "block"
    assert "threshold" in rules(check, "block")  # recomputed from the release: 85+ is small
    assert "metadata-disagrees" in rules(check, "review")
    assert any(f["where"].startswith("cell (85+") for f in check["findings"])
    with (
        pytest.raises(PermissionDenied, match="blocked by the file check"),
        open_unit(world.settings, "otto") as work,
    ):
        airlock.decide(work, checks["_id"]["id"], "approve", "override", override=True)
    one_checker_cannot_release(world, checks["_id"]["id"])


def test_metadata_that_lies_about_a_safe_table_still_needs_two_checkers(
    world: World, release: str, tmp_path: Path
) -> None:
    honest = build_table(persons(world, release), "treated", "sex")
    lie = honest.to_json()
    lie["cells"][0]["evidence"]["count"] += 11
    path = tmp_path / "by_sex.csv"
    path.write_text(honest.to_frame().to_csv())
    checks = submit(world, release, OutputFileSpec(path, "table", lie))
    assert checks["by_sex.csv"]["outcome"] == "review"
    assert rules(checks["by_sex.csv"], "review") == {"metadata-disagrees"}
    one_checker_cannot_release(world, checks["_id"]["id"])


def test_a_renamed_pid_column_is_blocked_where_it_is(
    world: World, release: str, tmp_path: Path
) -> None:
    frame = persons(world, release).rename(columns={"pid": "household_ref"})
    path = tmp_path / "households.csv"
    frame[["household_ref", "sex"]].head(30).to_csv(path, index=False)
    checks = submit(world, release, OutputFileSpec(path, "table"))
    check = checks["households.csv"]
    assert check["outcome"] == "block" and "pseudonym" in rules(check, "block")
    assert {"rule": "pseudonym", "where": "line 2, column household_ref"}.items() <= next(
        f for f in check["findings"] if f["rule"] == "pseudonym"
    ).items()
    one_checker_cannot_release(world, checks["_id"]["id"])


def test_one_row_per_person_without_identifiers_is_blocked_as_row_level(
    world: World, release: str, tmp_path: Path
) -> None:
    path = tmp_path / "cohort.csv"
    persons(world, release).drop(columns=["pid"]).to_csv(path, index=False)
    checks = submit(world, release, OutputFileSpec(path, "table"))
    check = checks["cohort.csv"]
    assert check["outcome"] == "block" and "row-level" in rules(check, "block")
    one_checker_cannot_release(world, checks["_id"]["id"])


def test_small_cells_hidden_by_differencing_two_tables_need_review(
    world: World, release: str, tmp_path: Path
) -> None:
    people = persons(world, release)
    everyone, most = tmp_path / "all.csv", tmp_path / "under_85.csv"
    everyone.write_text(build_table(people, "treated", "sex").to_frame().to_csv())
    under_85 = people[people.age_band != "85+"]  # subtract: the three 85+ people by sex
    most.write_text(build_table(under_85, "treated", "sex").to_frame().to_csv())
    checks = submit(
        world, release, OutputFileSpec(everyone, "table"), OutputFileSpec(most, "table")
    )
    for name in ("all.csv", "under_85.csv"):
        assert checks[name]["outcome"] != "pass"
        assert "differencing" in rules(checks[name], "review")
    one_checker_cannot_release(world, checks["_id"]["id"])


def test_pseudonyms_in_a_figures_data_file_are_blocked(
    world: World, release: str, tmp_path: Path
) -> None:
    figure, data = tmp_path / "costs.png", tmp_path / "costs.csv"
    figure.write_bytes(png_bytes())
    people = persons(world, release)
    data.write_text(
        "label,cost\n" + "".join(f"{pid},{i * 10}\n" for i, pid in enumerate(people.pid[:15]))
    )
    checks = submit(world, release, OutputFileSpec(figure, "figure"), OutputFileSpec(data, "table"))
    assert checks["costs.csv"]["outcome"] == "block"
    assert "pseudonym" in rules(checks["costs.csv"], "block")
    assert checks["costs.png"]["outcome"] == "review" and "figure" in rules(
        checks["costs.png"], "review"
    )
    one_checker_cannot_release(world, checks["_id"]["id"])


def test_a_figure_without_its_data_file_is_blocked(
    world: World, release: str, tmp_path: Path
) -> None:
    figure = tmp_path / "plot.png"
    figure.write_bytes(png_bytes())
    checks = submit(world, release, OutputFileSpec(figure, "figure"))
    assert "figure-without-data" in rules(checks["plot.png"], "block")
    one_checker_cannot_release(world, checks["_id"]["id"])


def test_archives_are_refused_at_submission_even_renamed(
    world: World, release: str, tmp_path: Path
) -> None:
    archive = tmp_path / "everything.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("persons.csv", persons(world, release).to_csv(index=False))
    renamed = tmp_path / "summary.csv"
    renamed.write_bytes(archive.read_bytes())
    for path in (archive, renamed):
        with pytest.raises(InvalidInput, match=rf"refused: {path.name}: .*allowed: tables"):
            submit(world, release, OutputFileSpec(path, "other"))
    with open_unit(world.settings, "reader") as work:
        assert outputs.queue(work.session, None) == []


def test_a_notebook_printing_pseudonyms_is_blocked_as_its_html(
    world: World, release: str, tmp_path: Path
) -> None:
    book = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("persons.head()")
    shown = "".join(f"{pid}  F  35-44\n" for pid in persons(world, release).pid[:5])
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=shown)]
    book.cells = [cell]
    path = tmp_path / "analysis.ipynb"
    nbformat.write(book, str(path))
    checks = submit(world, release, OutputFileSpec(path, "other"))
    assert set(checks) == {"analysis.html", "_id"}
    assert checks["analysis.html"]["outcome"] == "block"
    assert {"pseudonym", "notebook"} <= {f["rule"] for f in checks["analysis.html"]["findings"]}
    one_checker_cannot_release(world, checks["_id"]["id"])


def test_a_pseudonym_of_another_projects_release_is_still_suspicious(
    world: World, release: str, tmp_path: Path
) -> None:
    """Per-project pseudonyms differ; one of another project's is pid-shaped: review."""
    path = tmp_path / "t.csv"
    path.write_text(f"ref,n\n{pseudonym('other-study', 1)},12\n")
    checks = submit(world, release, OutputFileSpec(path, "table"))
    assert "pseudonym-shaped" in rules(checks["t.csv"], "review")
    one_checker_cannot_release(world, checks["_id"]["id"])


def test_the_stored_results_name_the_release_and_every_finding(
    world: World, release: str, tmp_path: Path
) -> None:
    path = tmp_path / "cohort.csv"
    persons(world, release).drop(columns=["pid"]).to_csv(path, index=False)
    checks = submit(world, release, OutputFileSpec(path, "table"))
    output_id = checks["_id"]["id"]
    folder = world.settings.data_root / "projects/dfh-pilot/outputs" / str(output_id)
    stored = json.loads((folder / "sdc_results.json").read_text())
    assert stored["release"] == release
    (check,) = stored["files"]
    assert check["findings"] == checks["cohort.csv"]["findings"]
    with open_unit(world.settings, "reader") as work:
        assert outputs.get_output(work.session, output_id).release_id == release
