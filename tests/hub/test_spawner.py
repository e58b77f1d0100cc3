"""The one-machine spawner fails closed: no isolation, no server (unless a developer says so).

A server the hub cannot isolate would run as the platform's own user and could read the
keys, the identifier zone, the hub's cookie secret and the database. These tests start
the real spawner against a real governance world (rita has an open project and a
release, so the policy would let her in); the server command is a harmless
``python -c pass`` so nothing listens.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
from types import SimpleNamespace

import pytest
from tornado import web

from nightingale.hub import isolation
from nightingale.hub.access import current_access
from nightingale.hub.runtime import HubPaths
from nightingale.hub.spawner import WorkspaceSpawner
from nightingale.platform.settings import Settings
from tests.workspace_world import build_world

HARMLESS = [sys.executable, "-c", "pass"]
FLAG = "NIGHTINGALE_HUB_UNISOLATED_DEV"  # the documented name (docs/security.md)


def _spawner(settings: Settings, **traits: object) -> WorkspaceSpawner:
    user = SimpleNamespace(name="rita", url="/user/rita/", escaped_name="rita")
    hub = SimpleNamespace(public_host="", api_url="http://127.0.0.1:8081/hub/api", base_url="/hub/")
    return WorkspaceSpawner(
        user=user,
        hub=hub,
        data_root=str(settings.data_root),
        cmd=HARMLESS,
        log=logging.getLogger("tests.hub.spawner"),
        **traits,
    )


@pytest.fixture
def world_with_release(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv(FLAG, raising=False)
    world = build_world(settings)
    world.released("dfh-pilot", by="rita")
    return settings


def test_without_isolation_and_without_the_flag_no_server_starts(
    world_with_release: Settings,
) -> None:
    spawner = _spawner(world_with_release, isolate=False)
    with pytest.raises(web.HTTPError) as refused:
        asyncio.run(spawner.start())
    assert refused.value.status_code == 503
    assert "cannot isolate" in refused.value.jupyterhub_message  # type: ignore[attr-defined]
    assert getattr(spawner, "proc", None) is None
    home = HubPaths(world_with_release.data_root.resolve()).home("rita")
    assert not home.exists(), "nothing is prepared for a server that must not start"


def test_a_hub_told_to_isolate_without_root_refuses_too(
    world_with_release: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(isolation, "can_isolate", lambda: False)
    spawner = _spawner(world_with_release, isolate=True, allow_unisolated=True)
    with pytest.raises(web.HTTPError, match="cannot isolate"):
        asyncio.run(spawner.start())


def test_the_flag_is_off_unless_it_is_exactly_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isolation.UNISOLATED_DEV_FLAG == FLAG
    for value in ("", "0", "true", "yes", " 1"):
        assert not isolation.unisolated_dev_allowed({FLAG: value})
    assert isolation.unisolated_dev_allowed({FLAG: "1"})
    monkeypatch.setenv(FLAG, "1")
    assert isolation.unisolated_dev_allowed()


def test_with_the_development_flag_an_unisolated_server_starts_with_a_loud_warning(
    world_with_release: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(FLAG, "1")
    spawner = _spawner(world_with_release, isolate=False)
    assert spawner.allow_unisolated is True
    with caplog.at_level(logging.WARNING, logger="tests.hub.spawner"):
        asyncio.run(spawner.start())
    try:
        assert spawner.proc.wait(timeout=30) == 0
    finally:
        asyncio.run(spawner.stop(now=True))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("UNISOLATED DEVELOPMENT MODE" in w for w in warnings), warnings


def test_the_spawner_never_shares_or_chmods_a_release_path_outside_the_releases_folder(
    world_with_release: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever hands it the access, the spawner confines release paths itself."""
    root = world_with_release.data_root.resolve()
    access = current_access(world_with_release, "rita")
    assert access is not None and len(access.releases) == 1
    (good,) = access.releases
    keys = root / "keys"
    tampered = dataclasses.replace(
        access,
        releases=(good, dataclasses.replace(good, release_id="evil", path=keys)),
    )
    spawner = _spawner(world_with_release, isolate=False)
    with caplog.at_level(logging.ERROR, logger="tests.hub.spawner"):
        confined = spawner._confined(tampered)
    assert [r.release_id for r in confined.releases] == [good.release_id]
    assert any("Not mounting release evil" in r.getMessage() for r in caplog.records)
    modes = {p: p.stat().st_mode for p in keys.iterdir()}
    home = HubPaths(root).home("rita")
    home.mkdir(parents=True)
    spawner._command_shared(confined, home)
    assert {p: p.stat().st_mode for p in keys.iterdir()} == modes
    assert not (home / "releases" / "dfh-pilot" / "evil").exists()
