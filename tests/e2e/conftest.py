"""End-to-end fixtures: PostgreSQL, the real hub (hub, proxy, service) and chromium.

Everything here is real: a throwaway PostgreSQL database holds the governance tables,
``HubProcess`` starts JupyterHub with configurable-http-proxy and the governance service
exactly as ``nightingale hub`` does, and Playwright drives Debian's chromium. Every
process is stopped in a finalizer. Screenshots of each step go to
``test-output/e2e/<test name>/``.

Outside CI a missing chromium or proxy skips these tests with the reason; with CI=true it
is a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from nightingale.hub.isolation import can_isolate
from nightingale.hub.launcher import PROXY, HubProcess, free_port
from nightingale.hub.processes import CGROUP_ROOT, available_controllers
from nightingale.platform.settings import Settings
from tests.workspace_world import PASSWORD, World, build_world, populate

CHROMIUM = "/usr/bin/chromium"
# Playwright adds --headless and a fresh temporary profile (--user-data-dir) itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Enough people for about 60 pilot tenants per arm: a table by arm and sex is then safe,
# while one by arm and IMD quintile has small cells the airlock must block. (The release
# is below the pilot's k-anonymity target: the scenario builds it with a steward's override.)
REGION_PEOPLE = 3500
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def world(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A fresh, populated data root whose governance database is a new PostgreSQL database.

    Module-scoped: the scenarios of one module share one hub (starting it is the slow part).
    """
    tmp_path = tmp_path_factory.mktemp("e2e")
    _require(PROXY.exists(), "configurable-http-proxy is not installed (make proxy)")
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    settings = Settings(data_root=tmp_path / "var", database_url=f"{postgres_server}/{name}")
    built = build_world(settings)
    # A real region, ingested and linked, so the scenario's releases come from the builder.
    populate(settings, people=REGION_PEOPLE)
    try:
        yield built
    finally:
        built.engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def hub(world: World) -> Iterator[HubProcess]:
    """The hub, proxy and governance service on free ports; stopped afterwards.

    Its servers go in a cgroup folder of their own (removed afterwards): another xdist
    worker's hub has users of the same names, and each hub ends everything in
    ``<parent>/<user>`` when that user's server stops. It re-checks access every second
    (the default is 10 s) so revocations are seen at once.
    """
    parent = f"nightingale-test-{uuid.uuid4().hex[:12]}"
    process = HubProcess(
        world.settings.data_root,
        port=free_port(),
        database_url=world.settings.database_url,
        # As root (CI) servers are isolated; elsewhere the test region is synthetic and
        # the development flag must be set explicitly or every spawn is refused.
        unisolated_dev=not can_isolate(),
        cgroup_parent=parent,
        poll_seconds=1,
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()
        for controller in available_controllers():  # cgroup folders go with rmdir only
            with contextlib.suppress(OSError):
                for user in (CGROUP_ROOT / controller / parent).iterdir():
                    if user.is_dir():
                        user.rmdir()
                (CGROUP_ROOT / controller / parent).rmdir()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless chromium (Debian's), closed afterwards."""
    _require(shutil.which("chromium") is not None or Path(CHROMIUM).exists(), "no chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        try:
            yield launched
        finally:
            launched.close()


class Screens:
    """Numbered screenshots of one test's steps."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self.count = 0

    def take(self, page: object, name: str) -> None:
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)  # type: ignore[attr-defined]


@pytest.fixture
def screens(request: pytest.FixtureRequest) -> Screens:
    return Screens(OUTPUT / request.node.name)


def log_in(browser: object, hub: HubProcess, username: str) -> object:
    """A new browser context logged in to the hub as ``username``; returns its page."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", username)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(f"{hub.service_url}**")
    return page
