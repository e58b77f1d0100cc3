"""A researcher trying to get row-level data or small cells past the file check.

Every case is a whole request checked with :func:`check_files`, the way the airlock will
call it; each must be blocked or sent to review with the reason named, and none may pass.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat

from nightingale.governance.filecheck import FileVerdict, ReleaseEvidence, check_files
from nightingale.governance.tables import build_table
from tests.governance.filecheck_world import release, write


def stopped(verdict: FileVerdict, rule: str, outcome: str = "block") -> None:
    """The verdict is (at least) ``outcome`` and names ``rule``."""
    assert verdict.outcome != "pass", verdict.as_dict()
    if outcome == "block":
        assert verdict.outcome == "block", verdict.as_dict()
    assert rule in verdict.rules(), verdict.as_dict()


def test_metadata_lying_about_counts(tmp_path: Path) -> None:
    evidence = release()
    honest = build_table(evidence.persons, "age_band", "sex")
    path = tmp_path / "counts.csv"
    path.write_text(honest.to_frame().to_csv())
    lie = honest.to_json()
    for cell in lie["cells"]:
        cell["evidence"]["count"] = max(cell["evidence"]["count"], 50)
        cell["value"] = max(cell["value"], 50.0)
    for given in (evidence, None):
        (verdict,) = check_files([path], release=given, declared={"counts.csv": lie})
        stopped(verdict, "metadata-disagrees")
        stopped(verdict, "threshold")


def test_a_renamed_pid_column(tmp_path: Path) -> None:
    evidence = release(120)
    frame = evidence.persons.rename(columns={"pid": "household_ref"})[["household_ref", "sex"]]
    path = tmp_path / "households.csv"
    frame.to_csv(path, index=False)
    (verdict,) = check_files([path], release=evidence)
    stopped(verdict, "pseudonym")
    assert any(f.where == "line 2, column household_ref" for f in verdict.findings)
    parquet = tmp_path / "households.parquet"
    frame.to_parquet(parquet)
    (verdict,) = check_files([parquet], release=evidence)
    stopped(verdict, "pseudonym")


def test_pids_cut_into_another_string(tmp_path: Path) -> None:
    evidence = release(30)
    labels = [f"grp-{pid.upper()}-x" for pid in evidence.persons.pid[:12]]
    path = write(tmp_path, "groups.csv", "group,n\n" + "".join(f"{g},12\n" for g in labels))
    (verdict,) = check_files([path], release=evidence)
    stopped(verdict, "pseudonym")


def test_one_row_per_person_without_identifiers(tmp_path: Path) -> None:
    evidence = release(300)
    path = tmp_path / "table.csv"
    evidence.persons.drop(columns=["pid"]).to_csv(path, index=False)
    (verdict,) = check_files([path], release=evidence)
    stopped(verdict, "row-level")
    (verdict,) = check_files([path])  # no release named: the distinct costs give it away
    stopped(verdict, "row-level")


def test_small_cells_hidden_by_differencing_two_tables(tmp_path: Path) -> None:
    people = release().persons
    adults = people[people.age_band != "85+"]
    # the second table leaves out three people: every cell of both tables is large, but
    # subtracting one from the other gives a cell of three
    fewer = adults.drop(adults.index[adults.age_band == "16-24"][:3])
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(build_table(adults, "age_band", "sex").to_frame().to_csv())
    b.write_text(build_table(fewer, "age_band", "sex").to_frame().to_csv())
    first, second = check_files([a, b])
    for verdict in (first, second):
        stopped(verdict, "differencing", outcome="review")
        assert verdict.rules() == {"differencing"}


def test_pids_in_a_figures_data_file_and_in_the_svg(tmp_path: Path) -> None:
    evidence = release(80)
    outliers = list(evidence.persons.pid[:2])
    data = write(
        tmp_path,
        "costs.csv",
        "who,cost\n" + "".join(f"{p},{900 + i}\n" for i, p in enumerate(outliers)),
    )
    figure, axes = plt.subplots()
    axes.scatter([1, 2], [900, 901])
    for i, pid in enumerate(outliers):
        axes.annotate(pid, (i + 1, 900 + i))
    svg = tmp_path / "costs.svg"
    figure.savefig(svg)
    plt.close(figure)
    figure_verdict, data_verdict = check_files([svg, data], release=evidence)
    stopped(data_verdict, "pseudonym")
    stopped(figure_verdict, "pseudonym")


def test_an_archive_renamed_csv(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("persons.csv", "pid,dob\nabc,1980-03-15\n")
    path = tmp_path / "summary_counts.csv"
    path.write_bytes(buffer.getvalue())
    (verdict,) = check_files([path])
    stopped(verdict, "disguised-file")
    assert "ZIP archive" in verdict.findings[0].detail


def test_a_notebook_with_outputs(tmp_path: Path) -> None:
    evidence = release(40)
    book = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("release.persons.head()")
    printed = evidence.persons.head().to_string()
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    book.cells = [cell]
    path = tmp_path / "analysis.ipynb"
    nbformat.write(book, str(path))
    (verdict,) = check_files([path], release=evidence)
    stopped(verdict, "pseudonym")
    stopped(verdict, "notebook")


def test_dates_of_birth_postcodes_and_notes_in_an_export(tmp_path: Path) -> None:
    note = "Seen at home; patient disclosed " + "details " * 30
    path = write(
        tmp_path,
        "extract.csv",
        f"date_of_birth,area,note,n\n15/03/1980,LS6 2AB,{note},12\n",
    )
    (verdict,) = check_files([path])
    for rule in ("date-of-birth", "postcode", "free-text"):
        stopped(verdict, rule)
    assert {f.where for f in verdict.findings if f.rule != "free-text"} == {
        "line 2, column date_of_birth",
        "line 2, column area",
    }


def test_a_table_that_claims_to_be_a_model(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "age_band,n\n16-24,40\n")
    declared = {"kind": "model", "model": "ols", "nobs": 400, "residual_dof": 398}
    (verdict,) = check_files([path], declared={"t.csv": declared})
    stopped(verdict, "metadata-disagrees", outcome="review")


def test_pids_of_another_release_still_look_like_pseudonyms(tmp_path: Path) -> None:
    other = ReleaseEvidence("r2", release(50, seed=99).persons)
    mine = release(50)
    path = tmp_path / "rows.csv"
    mine.persons.to_csv(path, index=False)
    (verdict,) = check_files([path], release=other)
    stopped(verdict, "row-level")
    stopped(verdict, "pseudonym-shaped", outcome="review")
