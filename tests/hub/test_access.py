"""What a person may see in a workspace, as the hub asks the workspace operation.

The hub decides nothing itself and reaches governance only through the operation: its
modules import operations and platform, never governance (the last test checks that).
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

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


def _login(auth: GovernanceAuthenticator, name: str, password: str, source: str) -> object:
    handler = SimpleNamespace(request=SimpleNamespace(remote_ip=source))
    return asyncio.run(auth.authenticate(handler, {"username": name, "password": password}))


THROTTLE = json.dumps(
    {"login_throttling": {"name_failures": 3, "source_failures": 4, "first_pause_seconds": 600}}
)


def test_the_login_throttle_is_per_name_and_per_source_and_outlives_the_hub(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failures counted by one hub are seen by a fresh authenticator in another process."""
    monkeypatch.setenv("NIGHTINGALE_GOVERNANCE", THROTTLE)
    build_world(settings)
    first = GovernanceAuthenticator(data_root=str(settings.data_root))
    for i in range(3):  # guessing rita's password from three addresses
        assert _login(first, "rita", "wrong password!", f"198.51.100.{i}") is None
    for name in ("ray", "sam", "otto", "owen"):  # spraying four names from one address
        assert _login(first, name, "wrong password!", "192.0.2.66") is None
    # A restarted hub: a fresh interpreter, its own engine and authenticator objects.
    script = (
        "import asyncio, json, sys\n"
        "from types import SimpleNamespace as NS\n"
        "from nightingale.hub.authenticator import GovernanceAuthenticator\n"
        "auth = GovernanceAuthenticator(data_root=sys.argv[1])\n"
        "def go(name, source):\n"
        "    h = NS(request=NS(remote_ip=source))\n"
        "    r = asyncio.run(auth.authenticate(h, {'username': name, 'password': sys.argv[2]}))\n"
        "    return r is not None\n"
        "print(json.dumps([go('rita', '203.0.113.5'), go('ada', '192.0.2.66'),\n"
        "                  go('ada', '203.0.113.5')]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", script, str(settings.data_root), PASSWORD],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    rita_elsewhere, ada_from_spraying_address, ada_elsewhere = json.loads(done.stdout)
    assert not rita_elsewhere, "rita's name is paused whatever the address"
    assert not ada_from_spraying_address, "the spraying address is paused for every name"
    assert ada_elsewhere, "ada from another address logs in"
