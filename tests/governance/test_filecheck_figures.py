"""Figures: each needs its data file; the text a figure carries is hunted."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from nightingale.governance.filecheck import check_file, check_files
from tests.governance.filecheck_world import png_bytes, release, write


def plot(folder: Path, name: str, title: str = "costs by arm") -> Path:
    figure, axes = plt.subplots()
    axes.bar(["c", "t"], [120, 135])
    axes.set_title(title)
    path = folder / name
    figure.savefig(path)
    plt.close(figure)
    return path


def test_a_figure_without_its_data_file_is_blocked(tmp_path: Path) -> None:
    figure = plot(tmp_path, "costs.png")
    verdict = check_files([figure])[0]
    assert verdict.outcome == "block"
    (finding,) = [f for f in verdict.findings if f.rule == "figure-without-data"]
    assert finding.detail.startswith("figure without its data file")
    assert "costs.csv" in finding.detail


def test_a_figure_with_its_data_file_needs_only_the_checkers_eyes(tmp_path: Path) -> None:
    figure = plot(tmp_path, "costs.svg")
    data = write(tmp_path, "costs.csv", "arm,n\nc,120\nt,135\n")
    figure_verdict, data_verdict = check_files([figure, data])
    assert figure_verdict.outcome == "review"
    assert figure_verdict.rules() == {"figure"}
    assert data_verdict.outcome == "pass"


def test_standalone_a_figure_finds_its_data_file_beside_it(tmp_path: Path) -> None:
    figure = plot(tmp_path, "costs.png")
    assert "figure-without-data" in check_file(figure).rules()
    write(tmp_path, "costs.tsv", "arm\tn\nc\t120\n")
    assert "figure-without-data" not in check_file(figure).rules()


def test_a_data_file_with_another_name_does_not_count(tmp_path: Path) -> None:
    figure = plot(tmp_path, "costs.png")
    other = write(tmp_path, "other.csv", "arm,n\nc,120\n")
    assert "figure-without-data" in check_files([figure, other])[0].rules()


def test_pseudonyms_in_png_text_chunks_of_every_kind_are_found(tmp_path: Path) -> None:
    evidence = release(40)
    pids = list(evidence.persons.pid[:3])
    path = tmp_path / "plot.png"
    path.write_bytes(
        png_bytes(text={"Title": pids[0]}, ztext={"Comment": pids[1]}, itext={"XML": pids[2]})
    )
    write(tmp_path, "plot.csv", "arm,n\nc,120\n")
    verdict = check_file(path, release=evidence)
    assert verdict.outcome == "block"
    assert sorted(f.where for f in verdict.findings if f.rule == "pseudonym") == [
        "PNG text chunk 'Comment'",
        "PNG text chunk 'Title'",
        "PNG text chunk 'XML'",
    ]


def test_bytes_after_the_png_end_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "plot.png"
    path.write_bytes(png_bytes() + b"PK\x03\x04 a zip appended to the image")
    write(tmp_path, "plot.csv", "arm,n\nc,120\n")
    assert "hidden-data" in check_file(path).rules()


def test_pseudonyms_in_an_svg_are_found_in_text_attributes_and_comments(tmp_path: Path) -> None:
    evidence = release(40)
    a, b, c = evidence.persons.pid[:3]
    figure = plot(tmp_path, "plot.svg", title=f"outlier {a}")
    svg = figure.read_text().replace("<svg ", f'<!-- {b} -->\n<svg data-who="{c}" ', 1)
    figure.write_text(svg)
    write(tmp_path, "plot.csv", "arm,n\nc,120\n")
    verdict = check_file(figure, release=evidence)
    assert verdict.outcome == "block"
    assert len([f for f in verdict.findings if f.rule == "pseudonym"]) == 3


def test_an_svg_that_is_not_svg_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "plot.svg", "pid,age\nabc,34\n")
    assert check_file(path).rules() == {"disguised-file"}


def test_a_matplotlib_svgs_creation_date_is_not_a_persons_date(tmp_path: Path) -> None:
    figure = plot(tmp_path, "plot.svg")
    write(tmp_path, "plot.csv", "arm,n\nc,120\n")
    assert "full-date" not in check_file(figure).rules()
