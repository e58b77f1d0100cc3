"""Jobs whose runner died are found and marked failed, never left ``running`` for ever.

The first test is the real thing: a job is run by a separate process with the isolated
runner, that process is killed (SIGKILL: no ``finally`` runs), and the reaper finds the
job by its runner's mark, ends the orphaned command and records the job failed. The
others pin the verdict on the marks a runner elsewhere (or none) leaves.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from nightingale.governance import audit, jobs
from nightingale.governance.audit_reconcile import differences
from nightingale.governance.service import utcnow
from nightingale.operations.job_liveness import (
    PROCESS_FILE,
    RUNNER_FILE,
    STALE_SECONDS,
    process_start,
    reap_dead_jobs,
    runner_verdict,
    this_process,
)
from nightingale.platform.settings import Settings
from tests.operations.jobs_world import commit_probe, lodge_plan, make_repository
from tests.workspace_world import World, build_world

REPOSITORY = Path(__file__).resolve().parents[2]
RUN_ONE_JOB = """\
import sys
from pathlib import Path

from nightingale.hub.jobs import IsolatedRunner
from nightingale.operations.jobs import run_job
from nightingale.platform.settings import Settings

settings = Settings.model_validate_json(sys.argv[1])
run_job(settings, "rita", project="dfh-pilot", action="probe", repository=Path(sys.argv[2]),
        runner=IsolatedRunner())
"""


def _wait_for(condition: object, what: str, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="isolated jobs need root (CI runs as root)",
)
def test_a_job_whose_runner_is_killed_is_marked_failed_and_its_command_ended(
    settings: Settings, tmp_path: Path
) -> None:
    world = build_world(settings)
    world.released("dfh-pilot", "rita")
    lodge_plan(world)
    repo = make_repository(tmp_path)
    commit_probe(repo, "import time\ntime.sleep(300)\n")
    runner = subprocess.Popen(
        [sys.executable, "-c", RUN_ONE_JOB, settings.model_dump_json(), str(repo)],
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )
    folder = settings.data_root / "projects" / "dfh-pilot" / "jobs" / "1"
    try:
        _wait_for(lambda: (folder / PROCESS_FILE).is_file(), "the job's command to start")
        with world.unit("otto") as unit:
            assert reap_dead_jobs(unit) == []  # its runner is alive: the job is left alone
            assert jobs.get_job(unit.session, 1).status == "running"
        command = json.loads((folder / PROCESS_FILE).read_text())["pid"]
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        assert process_start(command) is not None  # the command outlived its runner
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    with world.unit("otto") as unit:
        assert reap_dead_jobs(unit) == [1]
        job = jobs.get_job(unit.session, 1)
        assert job.status == "failed"
        assert f"process {runner.pid} on {socket.gethostname()}" in str(job.reason)
        assert "died before recording an outcome" in str(job.reason)
    assert process_start(command) is None  # the orphaned command was ended with it
    assert not (folder / "work").exists()
    assert json.loads((folder / "provenance.json").read_text())["status"] == "failed"
    with world.unit("ada") as unit:
        assert reap_dead_jobs(unit) == []  # reaped once
        assert differences(unit.session) == []
        assert audit.verify(unit.session, world.keystore).ok
        failed = audit.entries(unit.session, object_type="job", object_id="1")
        assert [e.action for e in failed] == ["job.running", "job.failed"]


def _mark(folder: Path, **changes: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    mark = folder / RUNNER_FILE
    mark.write_text(json.dumps({**this_process(), **changes}))
    return mark


def test_a_runner_on_this_machine_is_alive_while_its_process_is(tmp_path: Path) -> None:
    started = utcnow() - timedelta(hours=1)
    _mark(tmp_path)
    assert runner_verdict(tmp_path, started, utcnow()).reason is None
    # The same pid started at another time is another process (the pid was reused).
    _mark(tmp_path, process_start="1")
    assert "died before recording an outcome" in str(
        runner_verdict(tmp_path, started, utcnow()).reason
    )


def test_a_runner_elsewhere_is_dead_once_its_heartbeat_stops(tmp_path: Path) -> None:
    started = utcnow() - timedelta(hours=1)
    mark = _mark(tmp_path, host="another-node", pid=4242)
    assert runner_verdict(tmp_path, started, utcnow()).reason is None  # it just beat
    silent = time.time() - STALE_SECONDS - 5
    os.utime(mark, (silent, silent))
    reason = runner_verdict(tmp_path, started, utcnow()).reason
    assert reason is not None and "(process 4242 on another-node) stopped beating" in reason
    # A mark from before this machine's last boot is judged by its heartbeat as well.
    _mark(tmp_path, boot_id="an-earlier-boot")
    os.utime(mark, (silent, silent))
    assert runner_verdict(tmp_path, started, utcnow()).reason is not None


def test_a_job_no_runner_took_is_dead_after_the_grace_period(tmp_path: Path) -> None:
    now = utcnow()
    assert runner_verdict(tmp_path, now - timedelta(seconds=5), now).reason is None
    reason = runner_verdict(tmp_path, now - timedelta(seconds=STALE_SECONDS + 1), now).reason
    assert reason is not None and "no runner took the job" in reason


def test_a_world_without_running_jobs_reaps_nothing(settings: Settings) -> None:
    world: World = build_world(settings)
    with world.unit("ada") as unit:
        assert reap_dead_jobs(unit) == []
