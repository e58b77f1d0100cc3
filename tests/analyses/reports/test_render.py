"""The HTML report: CHEERS items never hidden, figures inline, tables escaped and labelled."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from nightingale.analyses.economics.cheers import ITEMS, checklist
from nightingale.analyses.reports.render import ApprovedFile, ReportInput, render_report
from nightingale.analyses.results import figure_to_png


def approved(
    tmp_path: Path, name: str, content: bytes | str, outcome: str = "pass"
) -> ApprovedFile:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return ApprovedFile(path, 7, outcome, "approved by otto: fine")


def tiny_png() -> bytes:
    figure = Figure(figsize=(1, 1))
    figure.subplots().plot([0, 1], [0, 1])
    return figure_to_png(figure)


def render(files: list[ApprovedFile]) -> str:
    return render_report(ReportInput("dfh-pilot-r1", "Pilot", "eve", "2026-11-28", files))


def test_every_cheers_item_appears_even_when_the_analysis_filled_none(tmp_path: Path) -> None:
    html = render([approved(tmp_path, "7-economics_increments.csv", "quantity,estimate\nICER,1\n")])
    for _, topic in ITEMS.values():
        assert topic.replace(",", "") in html.replace(",", "")
    assert "28 to be completed by the evaluator" in re.sub(r"\s+", " ", html)


def test_filled_cheers_items_and_not_applicable_ones_are_shown(tmp_path: Path) -> None:
    rows = checklist({8: "NHS and PSS"}, {19: "no distributional analysis"})
    cheers = approved(tmp_path, "7-economics_cheers.csv", pd.DataFrame(rows).to_csv(index=False))
    html = render([cheers])
    assert "NHS and PSS" in html and "no distributional analysis" in html
    assert "1 items reported, 1 not applicable" in re.sub(r"\s+", " ", html)


def test_figures_are_embedded_and_the_ce_plane_comes_first(tmp_path: Path) -> None:
    png = tiny_png()
    files = [
        approved(tmp_path, "3-balance_love_plot.png", png, "review"),
        approved(tmp_path, "7-economics_ceac.png", png, "review"),
        approved(tmp_path, "7-economics_ce_plane.png", png, "review"),
    ]
    html = render(files)
    assert html.count("data:image/png;base64,") == 3
    order = [
        html.index(f'id="figure-{name}"')
        for name in ("economics_ce_plane", "economics_ceac", "balance_love_plot")
    ]
    assert order == sorted(order)
    # Nothing fetched from elsewhere (links within the page only).
    assert not re.search(r'(src|href)="(?!data:|#)', html)


def test_tables_carry_their_sdc_outcome_and_cells_are_escaped(tmp_path: Path) -> None:
    table = approved(
        tmp_path, "7-economics_scenarios.csv", "analysis,n\n<script>x</script>,12\n", "review"
    )
    html = render([table])
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert "SDC review" in html and "approved by otto: fine" in html


def test_a_figure_and_a_table_of_the_same_name_get_distinct_ids(tmp_path: Path) -> None:
    files = [
        approved(tmp_path, "7-economics_ceac.png", tiny_png(), "review"),
        approved(tmp_path, "7-economics_ceac.csv", "threshold,p\n0,0.1\n"),
    ]
    ids = re.findall(r'id="([^"]+)"', render(files))
    assert len(ids) == len(set(ids))
    shown = [i for i in ids if i.startswith(("figure-", "table-"))]
    assert shown == ["figure-economics_ceac", "table-economics_ceac"]


def test_within_study_and_lifetime_results_have_their_own_section(tmp_path: Path) -> None:
    table = (
        "quantity,horizon_within_study,horizon_lifetime,within_study,lifetime\n"
        "ICER (cost per QALY),24 months,to age 100,28650.1,26201.9\n"
    )
    html = render([approved(tmp_path, "12-economics_within_study_and_lifetime.csv", table)])
    section = html.split('id="within-study-and-lifetime"')[1].split("</section>")[0]
    assert "Within the study and over a lifetime" in section
    assert "28,650.1" in section and "26,201.9" in section


def test_without_the_lifetime_table_there_is_no_lifetime_section(tmp_path: Path) -> None:
    html = render([approved(tmp_path, "3-economics_ceac.csv", "threshold\n0\n")])
    assert "within-study-and-lifetime" not in html


def test_each_output_says_where_it_came_from(tmp_path: Path) -> None:
    from nightingale.analyses.reports.render import Provenance

    job = Provenance(
        job_id=12,
        action="counts",
        commit="a" * 40,
        dirty=False,
        release_id="r1-dfh-pilot",
        pipeline_sha256="b" * 64,
        plan_sha256="c" * 64,
        plan="dfh-pilot version 1.0.0 (revision 0), lodged with governance 2026-11-01 09:00 "
        "UTC; amended since: revision 1 of 2026-11-20 10:00 UTC",
        plan_current=False,
        output="output/counts.csv",
        started_at="2026-11-28 10:00 UTC",
    )
    from_job = approved(tmp_path, "7-counts.csv", "sex,n\nF,10\nM,12\n")
    from_job = ApprovedFile(from_job.path, 7, "pass", "approved by otto: fine", job)
    from_notebook = approved(tmp_path, "8-balance.csv", "variable,smd\nage,0.01\n")
    html = render([from_job, from_notebook])
    section = html[html.index('id="provenance"') :]
    job_block = section[section.index('id="provenance-7-counts.csv"') :]
    job_block = job_block[: job_block.index("</section>")]
    for stated in ("a" * 40, "r1-dfh-pilot", "b" * 64, "c" * 64, "output/counts.csv"):
        assert stated in job_block
    assert "analysis job</th><td>12" in job_block.replace("Analysis job", "analysis job")
    assert '<span class="flag">dfh-pilot version 1.0.0 (revision 0)' in job_block
    notebook = section[section.index('id="provenance-8-balance.csv"') :]
    assert "not produced by an analysis job" in notebook[: notebook.index("</section>")]
    # Each table links to its block.
    assert (
        'href="#provenance-7-counts.csv">produced by analysis job 12 at commit aaaaaaaaaaaa' in html
    )
    assert 'href="#provenance-8-balance.csv">no analysis job recorded' in html


def test_the_linkage_sensitivity_table_has_its_own_section_saying_how_to_read_it(
    tmp_path: Path,
) -> None:
    rows = (
        "outcome,scale,analysis,threshold,chosen,estimate,ci_low,ci_high,shift,lowest,highest,"
        "spread\n"
        "emergency_admissions,rate_ratio,doubly_robust,-2,False,0.81,0.7,0.94,0.02,0.78,0.81,0.03\n"
        "emergency_admissions,rate_ratio,doubly_robust,0,True,0.79,0.68,0.92,0,0.78,0.81,0.03\n"
    )
    html = render([approved(tmp_path, "9-linkage_sensitivity.csv", rows)])
    section = html[html.index('id="linkage-sensitivity"') :]
    section = section[: section.index("</section>")]
    assert "Linkage sensitivity" in section and "spread" in section
    assert "0.79" in section and "output request 7" in section
