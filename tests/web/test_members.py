"""The steward's page of members waiting to join approved projects: approve or refuse."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from nightingale.governance import audit, projects
from tests.web.conftest import PREFIX, SignIn, csrf_of
from tests.workspace_world import World

HTML = {"accept": "text/html"}
PAGE = f"{PREFIX}/steward/members"
DECISION = f"{PREFIX}/steward/projects/dfh-pilot/members/nora/decision"


def _nora_waits(world: World) -> None:
    """Rita (the pilot's PI) adds Nora after the project's approval: Nora waits."""
    with world.unit("rita") as unit:
        projects.add_member(
            unit.session, unit.keystore, by="rita", slug="dfh-pilot", username="nora"
        )


def _state(world: World) -> tuple[frozenset[str], frozenset[str]]:
    with world.unit("ada") as unit:
        project = projects.get_project(unit.session, "dfh-pilot")
        return project.member_usernames, project.pending_usernames


def test_a_steward_sees_who_waits_per_project_with_approve_and_refuse(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    signed_in("sam")
    empty = client.get(PAGE, headers=HTML)
    assert empty.status_code == 200 and 'id="no-pending-members"' in empty.text
    _nora_waits(world)
    page = client.get(PAGE, headers=HTML).text
    assert 'id="member-dfh-pilot-nora"' in page and "Nora Unaccredited (nora)" in page
    assert f'action="{DECISION}"' in page
    assert 'value="approve"' in page and 'value="refuse"' in page
    assert "other-study" not in page  # nobody waits there
    assert "Pending members" in client.get(f"{PREFIX}/", headers=HTML).text


def test_refusing_needs_a_reason_and_is_audited(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    _nora_waits(world)
    signed_in("sam")
    form = {"csrf": csrf_of(client, "sam"), "decision": "refuse", "reason": ""}
    bare = client.post(DECISION, data=form)
    assert bare.status_code == 422 and "needs a reason" in bare.text
    assert _state(world)[1] == {"nora"}
    done = client.post(DECISION, data={**form, "reason": "not on the ethics approval"})
    assert done.status_code == 303 and done.headers["location"] == PAGE
    members, pending = _state(world)
    assert "nora" not in members and not pending
    with world.unit("ada") as unit:
        refused = [
            audit.details_of(e)
            for e in audit.entries(unit.session, action_prefix="project.member_refused")
        ]
    assert refused == [{"member": "nora", "reason": "not on the ethics approval"}]
    assert 'id="no-pending-members"' in client.get(PAGE, headers=HTML).text


def test_approving_lets_the_member_in(client: TestClient, signed_in: SignIn, world: World) -> None:
    _nora_waits(world)
    signed_in("sasha")
    form = {"csrf": csrf_of(client, "sasha"), "decision": "approve"}
    assert client.post(DECISION, data=form).status_code == 303
    members, pending = _state(world)
    assert "nora" in members and not pending
    again = client.post(DECISION, data=form)  # nothing pending any more
    assert again.status_code == 403 and "membership of dfh-pilot is active" in again.text


def test_an_unknown_decision_or_a_missing_token_is_refused(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    _nora_waits(world)
    signed_in("sam")
    odd = client.post(DECISION, data={"csrf": csrf_of(client, "sam"), "decision": "maybe"})
    assert odd.status_code == 422 and "unknown decision 'maybe'" in odd.text
    assert client.post(DECISION, data={"decision": "approve"}).status_code == 400
    assert _state(world)[1] == {"nora"}


@pytest.mark.parametrize("who", ["rita", "nora", "otto", "eve", "ada"])
def test_only_stewards_open_the_page_or_decide(
    client: TestClient, signed_in: SignIn, world: World, who: str
) -> None:
    _nora_waits(world)
    signed_in(who)
    page = client.get(PAGE, headers=HTML)
    assert page.status_code == 403 and "data_steward" in page.text
    form = {"csrf": csrf_of(client, who), "decision": "approve"}
    assert client.post(DECISION, data=form).status_code == 403
    assert _state(world)[1] == {"nora"}
    assert "Pending members" not in client.get(f"{PREFIX}/", headers=HTML).text
