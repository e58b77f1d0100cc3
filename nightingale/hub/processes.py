"""Every process of one server, so that stopping the server ends all of them.

A researcher's code can leave its server's session (``setsid``) or parent (a double
fork); such a process would otherwise outlive the server, and with it the release
mounts of its namespace and whatever it has read. Two mechanisms, both used when
available (docs/security.md):

- the PID namespace (:func:`nightingale.hub.isolation.wrap_command`): the server is the
  namespace's init, and when it dies the kernel kills every process left in the
  namespace. Nothing to configure, nothing to clean up; always used when isolating.
- a cgroup per server (this module): ``/sys/fs/cgroup/<controller>/<parent>/<user>``
  for each of the cgroup v1 ``freezer`` and ``pids`` controllers that is mounted and
  writable. The launch script joins it as root before dropping privileges, and the
  folders belong to root, so no process of the server can leave. It lets the spawner
  see what runs (``cgroup.procs``) and end it without races: :meth:`ServerCgroup.end`
  stops forks (``pids.max`` = 0), freezes the group, kills every member, thaws it so
  the kills land, waits until it is empty and removes the folders.

:func:`processes_of` is the last check: after a stop, no live process runs under the
person's uid. The spawner logs loudly if one does (it is never killed blindly, as the
uid could be reused by another hub on the machine).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("freezer", "pids")
"""cgroup v1 controllers used, in order: the freezer makes the kill race-free, the pids
controller stops forks and counts members."""

DEFAULT_PARENT = "nightingale"
"""The folder under each controller that holds one cgroup per server."""


def available_controllers(root: Path = CGROUP_ROOT) -> tuple[str, ...]:
    """The controllers of :data:`CONTROLLERS` mounted (cgroup v1) and writable here."""
    return tuple(
        name
        for name in CONTROLLERS
        if (root / name / "cgroup.procs").is_file() and os.access(root / name, os.W_OK)
    )


def _read_pids(path: Path) -> set[int]:
    try:
        return {int(line) for line in path.read_text().split()}
    except (FileNotFoundError, ProcessLookupError):
        return set()


def _write(path: Path, value: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.write_text(value)


@dataclass(frozen=True)
class ServerCgroup:
    """One server's cgroup: one folder per available controller (none without cgroups)."""

    folders: tuple[Path, ...]

    @classmethod
    def for_user(
        cls, username: str, *, parent: str = DEFAULT_PARENT, root: Path = CGROUP_ROOT
    ) -> ServerCgroup:
        """The cgroup for ``username``'s server (a name governance has already checked)."""
        for part in (username, parent):
            if not part or "/" in part or part in {".", ".."}:
                raise ValueError(f"refusing the cgroup name {part!r}")
        return cls(tuple(root / c / parent / username for c in available_controllers(root)))

    @property
    def enabled(self) -> bool:
        return bool(self.folders)

    def _controller(self, name: str) -> Path | None:
        return next((f for f in self.folders if f.parent.parent.name == name), None)

    def create(self) -> None:
        """Make the folders, first ending whatever a previous server left in them."""
        if any(folder.exists() for folder in self.folders):
            self.end()
        for folder in self.folders:
            folder.mkdir(parents=True, exist_ok=True)

    def join_lines(self) -> list[str]:
        """Shell lines for the launch script: the shell (and all it starts) joins the group."""
        return [f"echo 0 > {shlex.quote(str(f / 'cgroup.procs'))}" for f in self.folders]

    def members(self) -> set[int]:
        """Every process in the group (pids as the hub sees them)."""
        found: set[int] = set()
        for folder in self.folders:
            found |= _read_pids(folder / "cgroup.procs")
        return found

    def end(self, timeout: float = 10.0) -> set[int]:
        """Kill every process in the group and remove it; the pids still there (none, normally).

        With the freezer, nothing runs while it is being killed; with the pids controller,
        nothing new can be forked. A frozen process holds SIGKILL until thawed, so the
        group is thawed after each round of kills.
        """
        freezer, pids = self._controller("freezer"), self._controller("pids")
        if pids is not None:
            _write(pids / "pids.max", "0")
        deadline = time.monotonic() + timeout
        while True:
            if freezer is not None:
                _write(freezer / "freezer.state", "FROZEN")
            members = self.members()
            for pid in members:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if freezer is not None:
                _write(freezer / "freezer.state", "THAWED")
            if not members:
                break
            if time.monotonic() > deadline:
                return members
            time.sleep(0.05)
        for folder in self.folders:
            with contextlib.suppress(OSError):  # gone already, or busy: reported by members()
                folder.rmdir()
        return self.members()


def processes_of(uid: int, proc: Path = Path("/proc")) -> list[int]:
    """Live (not zombie) processes whose real or effective uid is ``uid``."""
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uids = fields.get("Uid", "").split()
        state = fields.get("State", "").strip()[:1]
        if state != "Z" and str(uid) in uids[:2]:
            found.append(int(entry.name))
    return sorted(found)


def namespace_init(helper_pid: int) -> int | None:
    """The first child of ``unshare --fork`` (pid ``helper_pid``): the namespace's init.

    Signals for the server go to it, not to ``unshare``, which ignores SIGTERM and SIGINT.
    """
    try:
        children = Path(f"/proc/{helper_pid}/task/{helper_pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None
