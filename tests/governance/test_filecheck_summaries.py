"""Text and HTML summaries, and notebooks (checked as their rendered HTML)."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import nbformat
import pytest

from nightingale.governance.filecheck import check_file, render_notebook
from tests.governance.filecheck_world import release, write


def test_a_plain_summary_passes(tmp_path: Path) -> None:
    path = write(tmp_path, "summary.md", "# Results\n\nCosts fell by 12% (95% CI 4% to 19%).\n")
    assert check_file(path).outcome == "pass"


def test_text_summaries_are_hunted_line_by_line(tmp_path: Path) -> None:
    evidence = release(40)
    pid = evidence.persons.pid.iloc[0]
    text = (
        f"Results\nThe outlier {pid.upper()} was removed.\nShe lives at LS6 2AB.\nLS6 2 is fine.\n"
    )
    verdict = check_file(write(tmp_path, "summary.txt", text), release=evidence)
    assert verdict.outcome == "block"
    assert [(f.rule, f.where) for f in verdict.findings] == [
        ("pseudonym", "line 2"),
        ("postcode", "line 3"),
    ]


def test_long_prose_is_not_free_text(tmp_path: Path) -> None:
    path = write(tmp_path, "summary.txt", "A long paragraph of findings. " * 40 + "\n")
    assert check_file(path).outcome == "pass"


def test_html_text_comments_and_attributes_are_hunted(tmp_path: Path) -> None:
    evidence = release(40)
    a, b, c = evidence.persons.pid[:3]
    html = (
        "<html><head><style>p { color: red }</style></head><body>\n"
        f"<p>Removed {a}</p>\n"
        f"<!-- {b} -->\n"
        f'<p title="{c}">ok</p>\n'
        "</body></html>\n"
    )
    verdict = check_file(write(tmp_path, "report.html", html), release=evidence)
    assert [f.where for f in verdict.findings if f.rule == "pseudonym"] == [
        "line 2",
        "line 3",
        "line 4",
    ]


def test_styles_and_scripts_are_hunted_only_for_identifiers(tmp_path: Path) -> None:
    html = "<style>.a { content: '2020-01-01 LS6 2AB' }</style><p>fine</p>"
    assert check_file(write(tmp_path, "report.html", html)).outcome == "pass"


def test_an_html_table_of_one_row_per_person_is_row_level(tmp_path: Path) -> None:
    rows = "".join(f"<tr><td>{i}</td><td>{100 + i * 3.7:.1f}</td></tr>\n" for i in range(150))
    html = f"<table>\n<tr><th>i</th><th>cost</th></tr>\n{rows}</table>"
    verdict = check_file(write(tmp_path, "report.html", html))
    assert verdict.outcome == "block"
    assert "row-level" in verdict.rules()


def test_html_table_cells_are_located_and_long_text_in_them_blocks(tmp_path: Path) -> None:
    note = "patient reported " * 20
    html = (
        f"<table>\n<tr><th>arm</th><th>note</th></tr>\n<tr><td>t</td><td>{note}</td></tr>\n</table>"
    )
    verdict = check_file(write(tmp_path, "report.html", html))
    assert [(f.rule, f.where) for f in verdict.findings] == [("free-text", "line 3, column note")]


def test_embedded_images_need_the_checkers_eyes(tmp_path: Path) -> None:
    html = '<p>plot</p>\n<img src="data:image/png;base64,iVBORw0KGgo=">\n'
    verdict = check_file(write(tmp_path, "report.html", html))
    assert verdict.outcome == "review"
    assert [f.where for f in verdict.findings if f.rule == "embedded-image"] == ["line 2"]


def notebook(folder: Path, output: str) -> Path:
    book = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("frame.head()")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    book.cells = [nbformat.v4.new_markdown_cell("# Analysis"), cell]
    path = folder / "analysis.ipynb"
    nbformat.write(book, str(path))
    return path


def test_a_notebook_is_checked_as_its_rendered_html(tmp_path: Path) -> None:
    evidence = release(40)
    path = notebook(tmp_path, f"{evidence.persons.pid.iloc[5]}  F  85+\n")
    verdict = check_file(path, release=evidence)
    assert verdict.outcome == "block"
    assert {"notebook", "pseudonym"} <= verdict.rules()
    assert "<html" in render_notebook(path).lower()


def test_a_clean_notebook_still_needs_review_as_html(tmp_path: Path) -> None:
    verdict = check_file(notebook(tmp_path, "mean cost 81.2\n"))
    assert verdict.outcome == "review"
    assert verdict.rules() == {"notebook"}


def test_without_nbconvert_a_notebook_is_refused_with_a_way_forward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = notebook(tmp_path, "mean cost 81.2\n")
    real_import = builtins.__import__

    def no_nbconvert(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("nbconvert"):
            raise ImportError("nbconvert is not installed")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_nbconvert)
    verdict = check_file(path)
    assert verdict.outcome == "block"
    assert "submit the notebook as HTML" in verdict.findings[0].detail


def test_a_broken_notebook_is_refused(tmp_path: Path) -> None:
    verdict = check_file(write(tmp_path, "analysis.ipynb", "{not json"))
    assert verdict.rules() == {"notebook-not-rendered"}
