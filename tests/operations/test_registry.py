"""The public registry: approved projects, lodged plans and published results, naming no one.

Real components: the data root of :mod:`tests.operations.published_world` (real
governance, airlock and publishing calls) and the real export.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from nightingale.cli.governance import governance_unit
from nightingale.operations.registry import export_registry
from nightingale.platform.settings import Settings
from nightingale.platform.storage import sha256_file
from tests.operations import published_world


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("registry")
    settings = published_world.build(root / "var", root)
    with governance_unit(settings) as work:
        done = export_registry(work, root / "site")
    assert (done.projects, done.plans, done.results, done.skipped) == (1, 1, 1, [])
    return done.folder


def pages(site: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in site.rglob("*") if p.suffix == ".html"}


def test_the_site_is_plain_html_and_css_with_no_scripts(site: Path) -> None:
    assert {p.suffix for p in site.rglob("*") if p.is_file()} == {".html", ".css", ".yaml"}
    for path, html in pages(site).items():
        assert "<script" not in html.lower() and "javascript:" not in html.lower(), path
        assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_every_link_points_at_a_page_of_the_site(site: Path) -> None:
    for path, html in pages(site).items():
        for target in re.findall(r'href="([^"#]+)"', html):
            assert (path.parent / target).resolve().is_file(), f"{path}: {target}"


def test_approved_projects_are_shown_with_their_data_and_dates_and_drafts_are_not(
    site: Path,
) -> None:
    index = (site / "index.html").read_text()
    assert "Designed-for-health homes pilot evaluation" in index
    assert published_world.DRAFT not in "".join(pages(site).values())
    project = (site / "projects" / "dfh-pilot.html").read_text()
    for expected in ("Lay summary", "Evidence for councils", "Purpose", "Approved", "health"):
        assert expected in project
    assert "Defines the cohort" in project and "admissions" in project  # why, and what


def test_the_plan_page_lists_the_amendment_and_the_files_hash_to_their_sha256(
    site: Path,
) -> None:
    page = (site / "plans" / "dfh-pilot" / "dfh-pilot.html").read_text()
    assert "amendment 1" in page and published_world.AMENDMENT in page
    for revision in (0, 1):
        file = site / "plans" / "dfh-pilot" / f"dfh-pilot-r{revision}.yaml"
        assert sha256_file(file) in page


def test_published_results_are_there_without_anyones_name(site: Path) -> None:
    report = (site / "results" / f"{published_world.RESULT}.html").read_text()
    assert "CHEERS 2022" in report and "an output checker" in report
    assert "was lodged with governance on" in report and "Amendment" in report
    text = "".join(pages(site).values())
    for name in published_world.NAMES:
        assert not re.search(rf"\b{name}\b", text), name


def test_exporting_again_replaces_the_site(site: Path, tmp_path: Path) -> None:
    stale = site / "results" / "withdrawn.html"
    stale.write_text("old")
    settings_root = site.parent / "var"
    settings = Settings(data_root=settings_root, governance=published_world.CHEAP)
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    with governance_unit(settings) as work:
        export_registry(work, copy)
    assert not (copy / "results" / "withdrawn.html").exists()
    stale.unlink()
