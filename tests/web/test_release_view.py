"""The steward's request page shows each release's row counts and k from its manifest.

The page once read ``row_counts`` while the builder writes ``rows``, so it never showed
them; both now go through the typed manifest contract.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from nightingale.governance.releases import list_releases
from nightingale.platform.database import session_scope
from nightingale.web.release_view import release_summaries
from tests.web.conftest import PREFIX, SignIn
from tests.workspace_world import World

HTML = {"accept": "text/html"}


def test_the_steward_release_page_shows_persons_and_panel_rows(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    request_id = world.submitted_request()
    world.approve(request_id)
    release_id = world.release(request_id, "dfh-pilot", rows=200)
    signed_in("sam")
    page = client.get(f"{PREFIX}/steward/requests/{request_id}", headers=HTML).text
    assert f"Release <code>{release_id}</code>" in page
    assert "200 persons, 0 person-periods" in page
    assert "k-anonymity over the quasi-identifiers\n    <strong>1</strong>" in page


def test_a_release_whose_folder_is_gone_shows_nothing_recorded(world: World) -> None:
    request_id = world.submitted_request()
    world.approve(request_id)
    world.release(request_id, "dfh-pilot")
    with session_scope(world.engine) as session:
        (release,) = list_releases(session, project="dfh-pilot")
        session.expunge(release)
    folder = Path(world.settings.data_root) / release.location
    (folder / "manifest.json").unlink()
    (summary,) = release_summaries(world.settings.data_root, [release])
    assert summary.manifest is None
    assert summary.k_anonymity is None and summary.row_counts is None
