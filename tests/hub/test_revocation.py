"""Revocation reaches every process of a workspace, and the copies it left in the home.

A researcher's server may start processes that leave its session (``setsid``) or its
parent (a double fork). Stopping the server must end them too: otherwise they keep the
release mounts (and whatever they read) after the access was withdrawn. And a release
copied into the persistent home must not outlive the release: on revocation such copies
move to a quarantine folder under the data root for a steward to review.

These tests run the real spawner, as root, against a real governance world (rita has a
release of dfh-pilot). The "server" is a small Python program standing in for
JupyterLab: it copies the release into the home, derives a subset of it, starts a
``setsid sleep`` and a double-forked ``sleep`` (both carrying a unique marker in their
command line), and then waits like a server does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from nightingale.governance.models import AuditEntry
from nightingale.governance.releases import revoke_release
from nightingale.hub.access import current_access
from nightingale.hub.processes import namespace_init
from nightingale.hub.runtime import HubPaths
from nightingale.hub.spawner import WorkspaceSpawner
from nightingale.platform.database import session_scope
from nightingale.platform.settings import Settings
from tests.workspace_world import World, build_world

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="isolated servers need root (CI runs as root)",
)
pytestmark = needs_root

MARK = f"1000.{os.getpid()}"
"""``sleep``'s argument, unique to this test run: how the test recognises its processes."""

RESEARCHER = f"""
import os, pathlib, shutil, signal, subprocess, sys, time
import pyarrow.parquet as pq
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # like a real server
home = pathlib.Path(os.environ["HOME"])
release = next((home / "releases" / "dfh-pilot").iterdir())
shutil.copy(release / "persons.parquet", home / "copy.parquet")
(home / "work").mkdir(exist_ok=True)
subset = pq.read_table(release / "persons.parquet").slice(10, 20).select(["pid", "treated"])
pq.write_table(subset, home / "work" / "subset.parquet")
(home / "notes.txt").write_text("my own notes")
subprocess.Popen(["setsid", "sleep", "{MARK}"])
if os.fork() == 0:
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{MARK}"])
    os._exit(0)
(home / "ready").write_text("ready")
while True:
    time.sleep(1)
"""


def _marked() -> list[int]:
    """Live processes whose command line carries this run's marker (never this process)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if MARK.encode() in (entry / "cmdline").read_bytes():
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
    return found


def _wait_until(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return bool(condition())  # type: ignore[operator]


@pytest.fixture
def world(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.delenv("NIGHTINGALE_HUB_UNISOLATED_DEV", raising=False)
    world = build_world(settings)
    world.released("dfh-pilot", by="rita")
    return world


CGROUP_PARENT = f"nightingale-test-{os.getpid()}"
"""Never the real hub's cgroups."""


def _spawner(world: World, code: str) -> WorkspaceSpawner:
    user = SimpleNamespace(name="rita", url="/user/rita/", escaped_name="rita")
    hub = SimpleNamespace(public_host="", api_url="http://127.0.0.1:8081/hub/api", base_url="/hub/")
    traits: dict[str, object] = {"cgroup_parent": CGROUP_PARENT}
    if "cgroup_parent" not in WorkspaceSpawner.class_trait_names():
        traits = {}  # the spawner before this change had no cgroups at all
    return WorkspaceSpawner(
        user=user,
        hub=hub,
        data_root=str(world.settings.data_root),
        cmd=[sys.executable, "-c", code],
        isolate=True,
        term_timeout=5,
        interrupt_timeout=5,
        log=logging.getLogger("tests.hub.revocation"),
        **traits,
    )


@pytest.fixture
def running(world: World) -> object:
    """Rita's isolated server, started by the real spawner, with its children running."""
    spawner = _spawner(world, RESEARCHER)
    parent = CGROUP_PARENT
    home = HubPaths(world.settings.data_root.resolve()).home("rita")
    asyncio.run(spawner.start())
    try:
        started = _wait_until(lambda: (home / "ready").exists(), 45)
        assert started, "the stand-in server never became ready"
        assert _wait_until(lambda: len(_marked()) >= 2, 10), "its children did not start"
        yield spawner
    finally:
        with contextlib.suppress(Exception):
            asyncio.run(spawner.stop(now=True))
        for pid in _marked():  # what an unfixed spawner leaves behind: ours to end
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for controller in ("freezer", "pids"):
            leftover = Path("/sys/fs/cgroup") / controller / parent
            assert not (leftover / "rita").exists(), "the server's cgroup was not removed"
            with contextlib.suppress(FileNotFoundError):
                leftover.rmdir()


def test_stopping_a_server_ends_the_processes_it_set_free(running: WorkspaceSpawner) -> None:
    asyncio.run(running.stop())
    assert _wait_until(lambda: not _marked(), 5), f"still running after stop: {_marked()}"


def test_revocation_ends_every_process_and_quarantines_the_copies(
    world: World, running: WorkspaceSpawner
) -> None:
    settings = world.settings
    access = current_access(settings, "rita")
    assert access is not None
    release_id = access.releases[0].release_id
    home = HubPaths(settings.data_root.resolve()).home("rita")
    with session_scope(world.engine) as session:
        revoke_release(session, world.keystore, by="sam", release_id=release_id, reason="test")

    status = asyncio.run(running.poll())

    assert status is not None, "the server kept running after revocation"
    assert _wait_until(lambda: not _marked(), 5), f"still running after revocation: {_marked()}"
    # The exact copy and the derived subset left the home; rita's own notes stayed.
    assert not (home / "copy.parquet").exists()
    assert not (home / "work" / "subset.parquet").exists()
    assert (home / "notes.txt").read_text() == "my own notes"
    quarantine = settings.data_root / "workspaces" / "quarantine" / "rita"
    held = sorted(p.relative_to(quarantine).parts[1:] for p in quarantine.rglob("*.parquet"))
    assert held == [("copy.parquet",), ("work", "subset.parquet")]
    (reasons,) = quarantine.glob("*/reasons.json")
    rules = {f["path"]: f["rule"] for f in json.loads(reasons.read_text())["files"]}
    assert rules == {"copy.parquet": "same content", "work/subset.parquet": "release pids"}
    with session_scope(world.engine) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "workspace.copies_quarantined")
        ).one()
    details = json.loads(entry.details)
    assert entry.object_id == "rita"
    # Counts, the release and where to look: never a file name or a value.
    assert details == {
        "releases": [release_id],
        "files": 2,
        "same_content": 1,
        "release_pids": 1,
        "folder": f"workspaces/quarantine/rita/{reasons.parent.name}",
    }


def test_copies_left_while_no_server_ran_leave_the_home_before_the_next_start(
    world: World, running: WorkspaceSpawner
) -> None:
    asyncio.run(running.stop())
    home = HubPaths(world.settings.data_root.resolve()).home("rita")
    access = current_access(world.settings, "rita")
    assert access is not None
    with session_scope(world.engine) as session:
        revoke_release(
            session, world.keystore, by="sam", release_id=access.releases[0].release_id,
            reason="test",
        )  # fmt: skip
    assert (home / "copy.parquet").exists()

    # The next server checks, before it starts, that the home holds no copy.
    probe = "import os, pathlib; print(sorted(os.listdir(os.environ['HOME'])))"
    later = _spawner(world, probe)
    asyncio.run(later.start())
    try:
        assert later.proc.wait(timeout=30) == 0
    finally:
        asyncio.run(later.stop(now=True))
    assert not (home / "copy.parquet").exists()
    assert not (home / "work" / "subset.parquet").exists()
    assert (home / "notes.txt").exists()


def test_a_server_that_died_on_its_own_takes_its_children_and_its_cgroup_with_it(
    running: WorkspaceSpawner,
) -> None:
    # As when the hub's process group is signalled: the server itself gets SIGTERM.
    init = namespace_init(running.pid)
    assert init is not None
    os.kill(init, signal.SIGTERM)
    assert _wait_until(lambda: not _marked(), 10), f"outlived their server: {_marked()}"
    assert asyncio.run(running.poll()) is not None
    asyncio.run(running.stop())
    for controller in ("freezer", "pids"):
        assert not (Path("/sys/fs/cgroup") / controller / CGROUP_PARENT / "rita").exists()
