"""In the browser: a linkage steward reviews a pair; a plain steward cannot open it.

The real hub, proxy and governance service over PostgreSQL, and chromium. A small
synthetic region is linked by the linkage officer; ``rhea`` (a data steward who also
holds the linkage role) opens the clerical review of the spine in force, opens a pair,
sees both records side by side, decides **Match** and finds the estimates after review
on the run page; ``sam`` (a plain steward) is refused the pair page.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from nightingale.governance import people
from nightingale.hub.launcher import HubProcess
from nightingale.platform.database import session_scope
from nightingale.platform.settings import Settings
from tests.e2e.conftest import Screens, log_in
from tests.workspace_world import CHEAP, PASSWORD, World, build_world, populate

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]
REVIEWER = "rhea"


@pytest.fixture(scope="module")
def world(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The usual world with a linkage steward, over a small linked region."""
    tmp_path = tmp_path_factory.mktemp("e2e-review")
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    settings = Settings(data_root=tmp_path / "var", database_url=f"{postgres_server}/{name}")
    built = build_world(settings)
    with session_scope(built.engine) as session:
        people.create_person(
            session, built.keystore, by="ada", username=REVIEWER, display_name="Rhea Reviewer",
            roles=["data_steward", "linkage_officer"], password=PASSWORD, hashing=CHEAP,
        )  # fmt: skip
    populate(settings, people=300)
    try:
        yield built
    finally:
        built.engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_linkage_steward_reviews_a_pair_and_a_plain_steward_cannot(
    hub: HubProcess, browser: object, screens: Screens
) -> None:
    page = log_in(browser, hub, REVIEWER)
    page.click("text=Clerical review")  # type: ignore[attr-defined]
    page.wait_for_selector("#review-estimates")  # type: ignore[attr-defined]
    screens.take(page, "sample")
    assert "No decisions yet" in page.inner_text("#review-estimates")  # type: ignore[attr-defined]
    page.click("td a[href*='/review/pairs/'] >> nth=0")  # type: ignore[attr-defined]
    page.wait_for_selector("#pair-identifiers")  # type: ignore[attr-defined]
    pair_url = page.url  # type: ignore[attr-defined]
    screens.take(page, "pair")
    assert "NHS number" in page.inner_text("#pair-identifiers")  # type: ignore[attr-defined]
    page.click("button[value='match']")  # type: ignore[attr-defined]
    page.wait_for_selector("#estimates-after")  # type: ignore[attr-defined]
    screens.take(page, "after-review")
    assert "1 decided pairs" in page.inner_text("#estimates-after")  # type: ignore[attr-defined]
    assert "1 of" in page.inner_text("#review-progress")  # type: ignore[attr-defined]

    plain = log_in(browser, hub, "sam")
    response = plain.goto(pair_url)  # type: ignore[attr-defined]
    screens.take(plain, "plain-steward-refused")
    assert response.status == 403
    assert plain.query_selector("#pair-identifiers") is None  # type: ignore[attr-defined]
