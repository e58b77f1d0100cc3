"""The job runner: one pipeline action, isolated, on one machine.

A job runs as root builds it, in new namespaces (``unshare``):

- **network**: a new network namespace with only a loopback interface, down: nothing
  can be reached, not even the platform's own services;
- **mount**: ``/home`` is an empty tmpfs holding only ``/home/job``, the job's fresh
  working folder (its code at the recorded commit, and the outputs of the actions it
  needs); the release, when the action needs it, is bind-mounted **read-only** at
  ``/home/job/release``; ``/tmp`` is a private tmpfs (the interpreter's folders that
  lie under ``/tmp``, a checkout's ``.venv`` say, bound back into it); a folder other
  users cannot enter above the interpreter (a pyenv under ``/root``) is hidden, its
  prefix bound back;
- **pid**: the job is pid 1's child in its own pid namespace (``--kill-child``), so
  when the runner ends it on a timeout, every process it started ends with it;
- **privileges**: the command runs as the person's uid (the hub's ``UID_BASE + id``)
  with the project's group (which reads the release, as in a workspace), no
  capabilities, ``no_new_privs``, with an environment of a few known variables;
- **limits** (rlimits, inherited by everything the job starts): CPU seconds, address
  space, processes of that uid, the largest file it may write, open files; and a wall
  clock limit after which the runner kills the job.

Without root there is no isolation; :func:`runner_for` then refuses unless the
development flag :data:`UNISOLATED_JOBS_DEV_FLAG` is set, as the hub does for servers.
"""

from __future__ import annotations

import os
import resource
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from nightingale.hub.isolation import (
    PROJECT_GID_BASE,
    UID_BASE,
    hidden_ancestor,
    interpreter_prefix,
    share_release_with_group,
)
from nightingale.operations.job_liveness import PROCESS_FILE, mark_process
from nightingale.operations.jobs import JobRunner, Limits, RunOutcome, Sandbox
from nightingale.platform.errors import NightingaleError

JOB_HOME = Path("/home/job")
UNISOLATED_JOBS_DEV_FLAG = "NIGHTINGALE_JOBS_UNISOLATED_DEV"
"""Set to ``1`` to run jobs without isolation where the runner is not root: development
only (the job can then reach the network and read what the platform's user can)."""


def job_environment(home: Path) -> dict[str, str]:
    """The only variables a job sees: no tokens, no database URL, no data root."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",  # noqa: S108 - a private tmpfs inside the job's namespace
        "MPLCONFIGDIR": "/tmp",  # noqa: S108 - the same private tmpfs
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NIGHTINGALE_JOB_RELEASE": str(home / "release"),
    }


TMP = Path("/tmp")  # noqa: S108 - the folder the job's private tmpfs covers


def kept_under_tmp(folders: Sequence[Path]) -> list[Path]:
    """The folders (outermost first, no repeats) that the job's private ``/tmp`` would
    hide and that must stay visible: the interpreter's, when it lives under ``/tmp``."""
    kept: list[Path] = []
    for folder in sorted(set(folders), key=lambda f: len(f.parts)):
        under = folder.is_relative_to(TMP) and folder != TMP
        if under and not any(folder.is_relative_to(k) for k in kept):
            kept.append(folder)
    return kept


def job_script(
    sandbox: Sandbox,
    *,
    staging: Path,
    prefix: Path | None = None,
    environment: Path | None = None,
) -> str:
    """The ``sh -c`` script that builds the job's view of the disk and drops privileges.

    ``prefix`` is the interpreter's real prefix and ``environment`` its virtual
    environment (``sys.prefix``): both must stay visible to the job. The private
    ``/tmp`` is built in ``staging`` and moved over ``/tmp`` last, so the folders under
    ``/tmp`` that the job needs can be bound into it first (``staging`` may itself lie
    under ``/tmp``, in a test; the runner removes it afterwards).
    """
    q = shlex.quote
    uid = UID_BASE + sandbox.person_id
    prefix = prefix or interpreter_prefix()
    environment = environment or Path(sys.prefix)
    hidden = hidden_ancestor(prefix)
    kept = kept_under_tmp([prefix, environment])
    pinned: list[tuple[Path, Path]] = [(sandbox.work, staging / "work")]
    if sandbox.release is not None:
        pinned.append((sandbox.release, staging / "release"))
    if hidden is not None:
        pinned.append((prefix, staging / "prefix"))
    pinned += [(folder, staging / f"kept-{i}") for i, folder in enumerate(kept)]
    lines = ["set -eu"]
    for source, pin in pinned:
        lines += [f"mkdir -p {q(str(pin))}", f"mount --bind {q(str(source))} {q(str(pin))}"]
    lines += [
        "mount -t tmpfs -o mode=0755,size=1m nightingale-jobs /home",
        f"mkdir -p {q(str(JOB_HOME))}",
        f"mount --bind {q(str(staging / 'work'))} {q(str(JOB_HOME))}",
    ]
    if sandbox.release is not None:
        target = JOB_HOME / "release"
        lines += [
            f"mount --bind {q(str(staging / 'release'))} {q(str(target))}",
            f"mount -o remount,bind,ro {q(str(target))}",
        ]
    if hidden is not None:
        lines += [
            f"mount -t tmpfs -o mode=0755,size=1m nightingale-hidden {q(str(hidden))}",
            f"mkdir -p {q(str(prefix))}",
            f"mount --bind {q(str(staging / 'prefix'))} {q(str(prefix))}",
        ]
    private_tmp = staging / "tmp"
    lines += [
        f"mkdir -p {q(str(private_tmp))}",
        f"mount -t tmpfs -o mode=1777,size=512m nightingale-tmp {q(str(private_tmp))}",
    ]
    for i, folder in enumerate(kept):
        inside = private_tmp / folder.relative_to(TMP)
        lines += [
            f"mkdir -p {q(str(inside))}",
            f"mount --bind {q(str(staging / f'kept-{i}'))} {q(str(inside))}",
            f"mount -o remount,bind,ro {q(str(inside))}",
        ]
    lines += [f"umount {q(str(pin))}" for _source, pin in pinned]
    lines += [f"rmdir {' '.join(q(str(pin)) for _source, pin in pinned)}"]
    lines += [f"mount --move {q(str(private_tmp))} {q(str(TMP))}"]
    environment_variables = " ".join(
        q(f"{k}={v}") for k, v in sorted(job_environment(JOB_HOME).items())
    )
    lines += [
        f"cd {q(str(JOB_HOME))}",
        f"exec setpriv --reuid={uid} --regid={uid} "
        f"--groups={uid},{PROJECT_GID_BASE + sandbox.project_id} "
        "--inh-caps=-all --bounding-set=-all --no-new-privs -- "
        f'/usr/bin/env -i {environment_variables} "$@"',
    ]
    return "\n".join(lines)


def job_command(script: str, command: list[str]) -> list[str]:
    """``command`` run by ``script`` in new network, mount and pid namespaces."""
    return [
        "unshare",
        "--net",
        "--mount",
        "--pid",
        "--fork",
        "--kill-child",
        "--mount-proc",
        "--propagation",
        "private",
        "--",
        "/bin/sh",
        "-c",
        script,
        "nightingale-job",
        *command,
    ]


def interpreter_command(command: list[str]) -> list[str]:
    """The action's command with ``python`` as the platform's own interpreter."""
    return [sys.executable, *command[1:]] if command[:1] == ["python"] else list(command)


def _limit(limits: Limits) -> None:
    """Set the rlimits in the child before it execs (inherited by everything it starts)."""
    memory = limits.memory_mb * 1024 * 1024
    size = limits.file_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CPU, (limits.seconds, limits.seconds))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def _wait(
    argv: list[str], sandbox: Sandbox, cwd: Path, env: Mapping[str, str] | None
) -> RunOutcome:
    started = time.monotonic()
    with sandbox.log.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - argv built here, never through a shell
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            preexec_fn=lambda: _limit(sandbox.limits),  # rlimits only, before exec
            start_new_session=True,
        )
        # The command's process group outlives a runner that dies: mark it, so the job
        # reaper can end it (operations.job_liveness).
        mark = sandbox.log.parent / PROCESS_FILE
        mark_process(mark, process.pid)
        try:
            code = process.wait(timeout=sandbox.limits.seconds)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            code = process.wait()
            timed_out = True
        finally:
            mark.unlink(missing_ok=True)
    return RunOutcome(exit_code=code, timed_out=timed_out, seconds=time.monotonic() - started)


class IsolatedRunner:
    """Runs a job in its own namespaces as the person's uid (needs root)."""

    def run(self, sandbox: Sandbox) -> RunOutcome:
        uid = UID_BASE + sandbox.person_id
        _chown_tree(sandbox.work, uid, uid)
        release_mountpoint = sandbox.work / "release"
        if sandbox.release is not None:
            release_mountpoint.mkdir(exist_ok=True)
            os.chown(release_mountpoint, 0, 0)
            # Readable through the project's group, never writable, as in a workspace.
            share_release_with_group(sandbox.release, PROJECT_GID_BASE + sandbox.project_id)
        staging = sandbox.log.parent / "staging"
        staging.mkdir(mode=0o700, exist_ok=True)
        script = job_script(sandbox, staging=staging)
        argv = job_command(script, interpreter_command(sandbox.command))
        try:
            return _wait(argv, sandbox, sandbox.log.parent, {"PATH": "/usr/sbin:/usr/bin:/bin"})
        finally:
            # The job's private /tmp was built here and moved away; the namespace could
            # not remove the folders when they lie under the /tmp it covered.
            for folder in (staging / "tmp", staging):
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
            _chown_tree(sandbox.work, 0, 0)
            if release_mountpoint.is_dir() and not any(release_mountpoint.iterdir()):
                release_mountpoint.rmdir()


class UnisolatedRunner:
    """Development only: runs the command directly, with rlimits and a clean environment.

    The release is linked (not mounted) at ``release``, the network is reachable and the
    job runs as the platform's own user: never with real data.
    """

    def run(self, sandbox: Sandbox) -> RunOutcome:
        link = sandbox.work / "release"
        if sandbox.release is not None and not link.exists():
            link.symlink_to(sandbox.release, target_is_directory=True)
        try:
            env = job_environment(sandbox.work)
            return _wait(interpreter_command(sandbox.command), sandbox, sandbox.work, env)
        finally:
            if link.is_symlink():
                link.unlink()


def _chown_tree(folder: Path, uid: int, gid: int) -> None:
    for parent, dirs, files in os.walk(folder):
        os.lchown(parent, uid, gid)
        for name in (*dirs, *files):
            os.lchown(os.path.join(parent, name), uid, gid)


def runner_for(environ: Mapping[str, str] | None = None) -> JobRunner:
    """The isolated runner as root; the unisolated one only with the development flag."""
    if os.geteuid() == 0:
        return IsolatedRunner()
    values = os.environ if environ is None else environ
    if values.get(UNISOLATED_JOBS_DEV_FLAG, "") == "1":
        return UnisolatedRunner()
    raise NightingaleError(
        "jobs run isolated (no network, the release read-only, their own uid), which needs "
        f"root; run as root, or set {UNISOLATED_JOBS_DEV_FLAG}=1 on a development machine "
        "with no real data"
    )
