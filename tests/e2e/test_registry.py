"""The public registry in a real browser: open the static site from disk and follow links.

Debian's chromium driven by Playwright, as the other end-to-end tests; the site is the
one ``nightingale registry export`` writes from a real governance database
(:mod:`tests.operations.published_world`). No server: the site must work from files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nightingale.cli.governance import governance_unit
from nightingale.operations.registry import export_registry
from tests.e2e.conftest import Screens
from tests.operations import published_world

pytestmark = pytest.mark.e2e  # a real chromium (no hub): -m "not e2e" leaves it out too


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("registry")
    settings = published_world.build(root / "var", root)
    with governance_unit(settings) as work:
        return export_registry(work, root / "site").folder


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page with scripts switched off: the registry must not need them."""
    context = browser.new_context(
        viewport={"width": 1200, "height": 900}, java_script_enabled=False
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_reader_follows_the_registry_from_project_to_plan_to_result(
    site: Path, page: Any, screens: Screens
) -> None:
    page.goto((site / "index.html").as_uri())
    assert page.title().startswith("Projects, plans and results")
    screens.take(page, "index")

    page.click("text=Designed-for-health homes pilot evaluation")
    assert page.url.endswith("/projects/dfh-pilot.html")
    assert page.locator("dt", has_text="Lay summary").count() == 1
    assert "Defines the cohort" in page.inner_text("main")
    screens.take(page, "project")

    page.click('a[href$="plans/dfh-pilot/dfh-pilot.html"]')
    assert page.url.endswith("/plans/dfh-pilot/dfh-pilot.html")
    assert published_world.AMENDMENT in page.inner_text("table")
    screens.take(page, "plan")
    plan_page = page.url
    page.click('a[href="dfh-pilot-r1.yaml"]')
    assert "seed: 2027" in page.content()
    page.goto(plan_page)

    page.click('main a[href$="projects/dfh-pilot.html"]')
    page.click("text=Designed-for-health homes: cost-effectiveness")
    assert page.url.endswith(f"/results/{published_world.RESULT}.html")
    body = page.inner_text("body")
    assert "CHEERS 2022 checklist" in body and "0 to be completed by the evaluator" in body
    assert "was lodged with governance on" in body
    screens.take(page, "result")

    page.click("text=Nightingale public registry")
    assert page.url.endswith("/index.html")
