"""Jobs whose runner died: found by their runner's mark and heartbeat, and marked failed.

A job is recorded ``running`` before its command starts and ``succeeded``/``failed`` by
the process that ran it. If that process dies (killed, out of memory, the machine
restarted) nobody records the end, and the job would stay ``running`` for ever. So the
process running a job leaves a mark in the job's folder (which only the platform
writes), ``runner.json``: its host, the machine's boot id, its pid and the pid's start
time (so a pid reused by another process is not taken for the runner), and it touches
the file every :data:`HEARTBEAT_SECONDS` while the job runs. The runner of the isolated
command writes ``process.json`` beside it: the command's process group, which outlives
a killed runner (it runs in a session of its own).

:func:`reap_dead_jobs` looks at every ``running`` job and marks it failed, audited as
``job.failed`` with the reason, when

- its runner ran on this machine since its last boot and that process is gone, or
- its runner ran elsewhere (or before a reboot) and has not beaten for
  :data:`STALE_SECONDS`, or
- no runner left a mark within :data:`STALE_SECONDS` of the job's start;

an orphaned command of a dead runner on this machine is killed first (its whole process
group, checked by start time), then the scratch is removed as at any end of a job.
``nightingale jobs reap`` runs it, and so do ``jobs run``, ``jobs list`` and ``jobs show``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from nightingale.governance.models import Job
from nightingale.governance.service import as_utc, utcnow
from nightingale.operations.unit import Unit
from nightingale.platform.storage import atomic_write_json

RUNNER_FILE = "runner.json"
PROCESS_FILE = "process.json"
HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 120.0
"""A runner silent this long is dead: twelve missed heartbeats."""


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_start(pid: int) -> str | None:
    """The start time (clock ticks since boot) of process ``pid``; None if there is none
    (or only its zombie, waiting for a parent to collect its exit status)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):  # field 3: the state
        return None
    return fields[19]  # field 22: starttime


def this_process() -> dict[str, Any]:
    """The mark of the calling process: where it runs and which process it is."""
    pid = os.getpid()
    return {
        "host": socket.gethostname(),
        "boot_id": _boot_id(),
        "pid": pid,
        "process_start": process_start(pid),
    }


def mark_process(path: Path, pid: int) -> None:
    """Record process ``pid`` of this machine (a job's command) at ``path``."""
    atomic_write_json(
        path,
        {
            "host": socket.gethostname(),
            "boot_id": _boot_id(),
            "pid": pid,
            "process_start": process_start(pid),
        },
    )


@contextmanager
def heartbeat(folder: Path, every: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """Mark ``folder`` as run by this process, and keep touching the mark until the end."""
    mark = folder / RUNNER_FILE
    atomic_write_json(mark, this_process())
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                os.utime(mark)
            except OSError:
                return

    thread = threading.Thread(target=beat, name=f"heartbeat {folder.name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _read(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _here(mark: dict[str, Any]) -> bool:
    """Whether ``mark`` names a process of this machine since its last boot."""
    return mark.get("host") == socket.gethostname() and mark.get("boot_id") == _boot_id()


def _alive_here(mark: dict[str, Any]) -> bool:
    pid = mark.get("pid")
    return isinstance(pid, int) and process_start(pid) == mark.get("process_start")


@dataclass(frozen=True)
class Verdict:
    """Why a running job's runner is taken for dead (``None`` reason: it is alive)."""

    reason: str | None


def runner_verdict(
    folder: Path, started_at: datetime, now: datetime, stale: float = STALE_SECONDS
) -> Verdict:
    """Whether the runner of the job in ``folder`` (started at ``started_at``) is gone."""
    mark_path = folder / RUNNER_FILE
    mark = _read(mark_path)
    if mark is None:
        waited = (now - as_utc(started_at)).total_seconds()
        if waited < stale:
            return Verdict(None)  # between being recorded and its runner preparing it
        return Verdict(f"no runner took the job ({waited:.0f} s after it started)")
    if _here(mark):
        if _alive_here(mark):
            return Verdict(None)
        return Verdict(
            f"its runner (process {mark.get('pid')} on {mark.get('host')}) died before "
            "recording an outcome"
        )
    try:
        silent = now.timestamp() - mark_path.stat().st_mtime
    except OSError:
        silent = stale
    if silent < stale:
        return Verdict(None)
    return Verdict(
        f"its runner (process {mark.get('pid')} on {mark.get('host')}) stopped beating "
        f"{silent:.0f} s ago"
    )


def _kill_orphan(folder: Path) -> None:
    """End a dead runner's command if it still runs here (its whole process group)."""
    mark = _read(folder / PROCESS_FILE)
    if mark is None or not _here(mark) or not _alive_here(mark):
        return
    try:
        os.killpg(int(mark["pid"]), signal.SIGKILL)
    except ProcessLookupError:
        return
    for _ in range(50):  # the group leader is reaped by init: wait until it is gone
        if process_start(int(mark["pid"])) is None:
            return
        time.sleep(0.1)


def reap_dead_jobs(unit: Unit, stale: float = STALE_SECONDS) -> list[int]:
    """Mark failed every ``running`` job whose runner is gone; return their ids."""
    from nightingale.operations.jobs import finish

    now = utcnow()
    running = unit.session.scalars(select(Job).where(Job.status == "running").order_by(Job.id))
    reaped: list[int] = []
    for job in list(running):
        folder = unit.root.path / job.location
        verdict = runner_verdict(folder, job.started_at, now, stale)
        if verdict.reason is None:
            continue
        _kill_orphan(folder)
        finish(unit, job.id, None, reason=verdict.reason)
        reaped.append(job.id)
    return reaped
