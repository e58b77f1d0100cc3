"""What a person may see in a workspace, as the governance policy decides it."""

from __future__ import annotations

import asyncio
from datetime import date
from types import SimpleNamespace

from nightingale.governance.people import deactivate
from nightingale.governance.releases import revoke_release
from nightingale.hub.access import current_access, workspace_access
from nightingale.hub.authenticator import GovernanceAuthenticator
from nightingale.platform.database import session_scope
from nightingale.platform.settings import Settings
from tests.workspace_world import PASSWORD, build_world


def test_a_member_sees_only_her_projects_releases(settings: Settings) -> None:
    world = build_world(settings)
    mine = world.released("dfh-pilot", by="rita")
    world.released("other-study", by="ray")
    access = current_access(settings, "rita")
    assert access is not None and access.may_start_server
    assert [r.release_id for r in access.releases] == [mine]
    assert access.releases[0].path == settings.data_root / "projects/dfh-pilot/releases" / mine
    assert access.hub_groups() == ["project:dfh-pilot", "role:researcher"]


def test_without_an_active_project_the_refusal_says_why(settings: Settings) -> None:
    build_world(settings)
    access = current_access(settings, "nora")
    assert access is not None and not access.may_start_server
    assert "not a member of any active project" in access.refusal_message()


def test_a_revoked_release_disappears_from_the_workspace(settings: Settings) -> None:
    world = build_world(settings)
    release_id = world.released()
    with session_scope(world.engine) as session:
        revoke_release(session, world.keystore, by="sam", release_id=release_id, reason="test")
    access = current_access(settings, "rita")
    assert access is not None and access.releases == () and access.may_start_server


def test_an_expired_accreditation_closes_the_workspace_with_the_policys_reason(
    settings: Settings,
) -> None:
    world = build_world(settings)
    with session_scope(world.engine) as session:
        later = workspace_access(
            session, "rita", data_root=settings.data_root, today=date(2100, 1, 1)
        )
    assert later is not None and not later.may_start_server
    assert "accreditation expired" in later.refusal_message()


def test_the_authenticator_checks_argon2_and_returns_roles_and_projects_as_groups(
    settings: Settings,
) -> None:
    build_world(settings)
    auth = GovernanceAuthenticator(data_root=str(settings.data_root))
    good = asyncio.run(auth.authenticate(None, {"username": "rita", "password": PASSWORD}))
    assert good == {
        "name": "rita",
        "groups": ["project:dfh-pilot", "role:researcher"],
        "admin": False,
    }
    assert asyncio.run(auth.authenticate(None, {"username": "rita", "password": "wrong!"})) is None
    assert (
        asyncio.run(auth.authenticate(None, {"username": "nobody", "password": PASSWORD})) is None
    )
    assert auth.check_allowed("rita", good) and not auth.check_allowed("rita", None)


def test_a_deactivated_person_is_logged_out_at_the_next_refresh(settings: Settings) -> None:
    world = build_world(settings)
    auth = GovernanceAuthenticator(data_root=str(settings.data_root))
    rita = SimpleNamespace(name="rita")
    assert asyncio.run(auth.refresh_user(rita))
    with session_scope(world.engine) as session:
        deactivate(session, world.keystore, by="ada", username="rita")
    assert asyncio.run(auth.refresh_user(rita)) is False
