"""A server's cgroup: every process it starts is a member, and ending the group ends them all."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nightingale.hub.processes import (
    CGROUP_ROOT,
    ServerCgroup,
    available_controllers,
    namespace_init,
    processes_of,
)

needs_cgroups = pytest.mark.skipif(
    os.geteuid() != 0 or not available_controllers(),
    reason="needs root and a writable cgroup v1 freezer or pids controller",
)


@pytest.fixture
def group() -> Iterator[ServerCgroup]:
    parent = f"nightingale-test-{os.getpid()}"
    cgroup = ServerCgroup.for_user("rita", parent=parent)
    cgroup.create()
    try:
        yield cgroup
    finally:
        cgroup.end()
        for controller in available_controllers():
            with contextlib.suppress(FileNotFoundError):
                (CGROUP_ROOT / controller / parent).rmdir()


def test_names_that_could_leave_the_parent_folder_are_refused() -> None:
    for name in ("..", "a/b", ""):
        with pytest.raises(ValueError, match="refusing"):
            ServerCgroup.for_user(name)


def test_without_cgroups_there_is_nothing_to_join(tmp_path: Path) -> None:
    cgroup = ServerCgroup.for_user("rita", root=tmp_path)
    assert not cgroup.enabled and cgroup.join_lines() == [] and cgroup.end() == set()


@needs_cgroups
def test_ending_the_group_ends_a_process_that_keeps_forking_and_escaping_its_session(
    group: ServerCgroup,
) -> None:
    # Joins the group as the launch script does, then forks setsid children in a loop.
    script = "\n".join([*group.join_lines(), "while :; do setsid sleep 1001 & sleep 0.01; done"])
    shell = subprocess.Popen(["/bin/sh", "-c", script])
    try:
        time.sleep(0.5)
        members = group.members()
        assert shell.pid in members and len(members) > 5
        assert group.end() == set()
        shell.wait(timeout=5)
        for pid in members:
            assert not Path(f"/proc/{pid}").exists() or _zombie(pid)
        assert not any(folder.exists() for folder in group.folders)
    finally:
        with contextlib.suppress(ProcessLookupError):
            shell.kill()


@needs_cgroups
def test_a_group_left_behind_is_ended_before_the_next_server_joins(group: ServerCgroup) -> None:
    script = "\n".join([*group.join_lines(), "exec sleep 1002"])
    left = subprocess.Popen(["/bin/sh", "-c", script])
    try:
        time.sleep(0.3)
        assert group.members() == {left.pid}
        group.create()
        assert left.wait(timeout=5) != 0
        assert group.members() == set() and all(f.is_dir() for f in group.folders)
    finally:
        with contextlib.suppress(ProcessLookupError):
            left.kill()


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return True


def test_processes_of_a_uid_and_the_init_of_a_namespace() -> None:
    child = subprocess.Popen(["sleep", "5"])
    try:
        assert child.pid in processes_of(os.getuid())
        assert namespace_init(os.getpid()) is not None
        assert namespace_init(child.pid) is None
    finally:
        child.kill()
        child.wait()
