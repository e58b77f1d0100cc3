"""What a person may see in a workspace, as the hub asks the workspace operation.

The hub decides nothing itself and reaches governance only through the operation: its
modules import operations and platform, never governance (the last test checks that).
"""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path
from types import SimpleNamespace

from nightingale.governance.people import deactivate
from nightingale.governance.releases import revoke_release
from nightingale.hub.access import current_access
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


HUB = Path(__file__).resolve().parents[2] / "nightingale" / "hub"
HUB_MAY_IMPORT = frozenset({"hub", "operations", "platform"})


def test_the_hub_imports_operations_and_platform_but_never_governance() -> None:
    imported: set[tuple[str, str]] = set()
    for module in sorted(HUB.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            imported.update(
                (module.name, name.split(".")[1])
                for name in names
                if name.startswith("nightingale.")
            )
    assert {
        (module, package) for module, package in imported if package not in HUB_MAY_IMPORT
    } == set()
    assert ("access.py", "operations") in imported
