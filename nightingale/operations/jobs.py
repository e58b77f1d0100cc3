"""Analysis jobs as operations: run one action of a project's pipeline, record what it made.

A job reads its code from a git repository at one commit (a dirty tree is refused unless
the development flag ``allow_dirty`` says otherwise, and then recorded as dirty), so the
outputs can be reproduced by anyone with the repository. :func:`run_job` does it in
three steps, never holding a database transaction open while the job runs:

1. :func:`start` (one unit): the policy's ``job.run``, the plan the action names checked
   against the project's lodged plans, the release and input jobs chosen, the job
   recorded ``running`` with its provenance and audited;
2. the code exported at the commit into a fresh working folder
   (``projects/<project>/jobs/<id>/work``), the needed actions' outputs copied in, and the
   command run by a :class:`JobRunner` (the edges give one: ``nightingale.hub.jobs``
   isolates it: no network, the release read-only, its own uid, limits) while this
   process beats a heartbeat in the job's folder (``job_liveness``: a runner that dies
   leaves a job that :func:`~nightingale.operations.job_liveness.reap_dead_jobs` marks
   failed);
3. :func:`finish` (another unit): every declared output checked (a regular file inside
   the folder, never a link) and moved to ``outputs/``, the scratch removed, the outcome
   and checksums recorded and audited, ``provenance.json`` written beside them.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine

from nightingale.governance import jobs as governance_jobs
from nightingale.governance.models import Job
from nightingale.operations.job_liveness import heartbeat, reap_dead_jobs
from nightingale.operations.pipeline import (
    PIPELINE_FILE,
    Pipeline,
    PipelineError,
    parse_pipeline,
    sha256_text,
)
from nightingale.operations.unit import Unit, open_unit
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import KeyStore
from nightingale.platform.settings import Settings
from nightingale.platform.storage import atomic_write_json, sha256_file


@dataclass(frozen=True)
class Limits:
    """What one job may use: wall-clock and CPU seconds, memory, processes, file size."""

    seconds: int = 3600
    memory_mb: int = 4096
    processes: int = 256
    file_mb: int = 2048


@dataclass(frozen=True)
class Sandbox:
    """What a runner runs: the command, in ``work``, with the release (or none)."""

    job_id: int
    person_id: int
    project_id: int
    work: Path
    release: Path | None
    command: list[str]
    log: Path
    limits: Limits


@dataclass(frozen=True)
class RunOutcome:
    exit_code: int
    timed_out: bool
    seconds: float


class JobRunner(Protocol):
    """Runs a sandbox to its end (``nightingale.hub.jobs`` has the isolated one)."""

    def run(self, sandbox: Sandbox) -> RunOutcome: ...


class JobError(NightingaleError):
    """A job that cannot start: the repository, its commit or its pipeline."""


@dataclass(frozen=True)
class Checkout:
    """A repository at one commit: what the job will run and what it records."""

    repository: Path
    commit: str
    dirty: bool

    def read(self, path: str) -> bytes:
        """A file of the commit (of the working tree when dirty runs are allowed)."""
        if self.dirty:
            file = self.repository / path
            if not file.is_file():
                raise JobError(f"{file}: no such file")
            return file.read_bytes()
        return _git(self.repository, "show", f"{self.commit}:{path}").stdout

    def export(self, target: Path) -> None:
        """The code at the commit (or the working tree, without .git) into ``target``."""
        if self.dirty:
            shutil.copytree(
                self.repository,
                target,
                dirs_exist_ok=True,
                symlinks=True,
                ignore=shutil.ignore_patterns(".git"),
            )
            return
        archive = _git(self.repository, "archive", "--format=tar", self.commit).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")


def _git(repository: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    argv = ["git", "-c", f"safe.directory={repository}", "-C", str(repository), *args]
    try:
        return subprocess.run(argv, capture_output=True, check=True)  # noqa: S603
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        raise JobError(
            f"{repository}: git {args[0]} failed ({detail.decode(errors='replace').strip()})"
        ) from exc


def checkout(repository: Path, *, allow_dirty: bool = False) -> Checkout:
    """The repository's HEAD commit; a tree with uncommitted changes is refused unless
    ``allow_dirty`` (development: the run is then recorded as dirty)."""
    repository = repository.resolve()
    commit = _git(repository, "rev-parse", "HEAD").stdout.decode().strip()
    changes = _git(repository, "status", "--porcelain").stdout.decode().strip()
    if changes and not allow_dirty:
        first = changes.splitlines()[0]
        raise JobError(
            f"{repository}: uncommitted changes ({first} ...); commit them so the job's "
            "code can be named by its commit (--allow-dirty on a development machine only)"
        )
    return Checkout(repository, commit, bool(changes))


def read_pipeline(source: Checkout) -> tuple[Pipeline, str]:
    """The commit's ``project.yaml`` and its SHA-256."""
    try:
        text = source.read(PIPELINE_FILE)
    except JobError as exc:
        raise PipelineError(
            f"{source.repository}: no {PIPELINE_FILE} at {source.commit[:12]}"
        ) from exc
    return parse_pipeline(text.decode("utf-8"), f"{source.repository.name}/{PIPELINE_FILE}"), (
        sha256_text(text)
    )


def start(unit: Unit, *, project: str, action: str, source: Checkout) -> Job:
    """Record a job of ``action`` as ``running`` (policy, release, inputs, provenance)."""
    pipeline, pipeline_sha256 = read_pipeline(source)
    step = pipeline.action(action)
    plan_sha256 = sha256_text(source.read(step.plan)) if step.plan else None
    return governance_jobs.start_job(
        unit.session,
        unit.keystore,
        by=unit.actor,
        request=governance_jobs.JobRequest(
            project=project,
            action=action,
            commit=source.commit,
            dirty=source.dirty,
            repository=str(source.repository),
            pipeline_sha256=pipeline_sha256,
            plan_sha256=plan_sha256,
            command=step.run,
            needs_release=step.needs_release,
            needed_actions=tuple(step.needed_actions),
            plan_path=step.plan,
        ),
    )


def _regular_file_inside(work: Path, relative: str) -> Path | None:
    """``work/relative`` if it is a regular file reached through no link, else None.

    The job owned the folder: a declared output that is a symlink (to the keystore, say)
    or reached through one must never be followed by the platform.
    """
    current = work
    for part in Path(relative).parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(mode):
            return None
    info = os.lstat(current)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        return None
    return current


def collect(
    pipeline: Pipeline, action: str, folder: Path
) -> tuple[list[governance_jobs.ProducedFile], list[str]]:
    """Move the action's declared outputs from ``work/`` to ``outputs/``; say what is missing."""
    produced: list[governance_jobs.ProducedFile] = []
    missing: list[str] = []
    for path, (label, level) in sorted(pipeline.action(action).outputs.by_path().items()):
        found = _regular_file_inside(folder / "work", path)
        if found is None:
            missing.append(path)
            continue
        target = folder / "outputs" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found, target)
        target.chmod(0o440)
        produced.append(
            governance_jobs.ProducedFile(
                label, path, level, sha256_file(target), target.stat().st_size
            )
        )
    return produced, missing


def prepare(unit: Unit, job: Job, source: Checkout) -> Path:
    """The job's fresh working folder: the code at the commit and its inputs' outputs."""
    folder = unit.root.path / job.location
    work = folder / "work"
    work.mkdir(parents=True, mode=0o700)
    folder.chmod(0o700)
    source.export(work)
    for input_id in governance_jobs.job_inputs(job):
        needed = governance_jobs.get_job(unit.session, input_id)
        for output in needed.outputs:
            target = work / output.path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(unit.root.path / needed.location / "outputs" / output.path, target)
    return folder


def _recorded_pipeline(job: Job) -> Pipeline:
    """The pipeline the job was started with, read again from the repository (never from
    the working folder, which the job could rewrite) and checked against its hash."""
    source = Checkout(Path(job.repository), job.commit, job.dirty)
    pipeline, sha256 = read_pipeline(source)
    if sha256 != job.pipeline_sha256:
        raise JobError(f"{PIPELINE_FILE} of job {job.id} changed while it ran")
    return pipeline


def finish(
    unit: Unit, job_id: int, outcome: RunOutcome | None, *, reason: str | None = None
) -> Job:
    """Record the end of a job: its outputs (moved out of the scratch) or why it failed."""
    job = governance_jobs.get_job(unit.session, job_id)
    folder = unit.root.path / job.location
    produced: list[governance_jobs.ProducedFile] = []
    if outcome is not None and reason is None:
        if outcome.timed_out:
            reason = f"stopped after the time limit ({outcome.seconds:.0f} s)"
        elif outcome.exit_code != 0:
            reason = f"the command exited with status {outcome.exit_code}; see the log"
        else:
            pipeline = _recorded_pipeline(job)
            produced, missing = collect(pipeline, job.action, folder)
            if missing:
                reason = (
                    f"declared outputs not written (or not regular files): {', '.join(missing)}"
                )
    if (folder / "work").exists():
        shutil.rmtree(folder / "work")
    exit_code = None if outcome is None else outcome.exit_code
    finished = governance_jobs.finish_job(
        unit.session,
        unit.keystore,
        job_id=job_id,
        exit_code=exit_code,
        produced=produced,
        reason=reason,
    )
    if folder.is_dir():
        atomic_write_json(
            folder / "provenance.json",
            {
                **governance_jobs.job_provenance(finished),
                "status": finished.status,
                "reason": finished.reason,
                "outputs": {
                    o.path: {"level": o.level, "sha256": o.sha256} for o in finished.outputs
                },
            },
        )
    return finished


def run_job(
    settings: Settings,
    actor: str,
    *,
    project: str,
    action: str,
    repository: Path,
    runner: JobRunner,
    allow_dirty: bool = False,
    limits: Limits | None = None,
    engine: Engine | None = None,
    keystore: KeyStore | None = None,
) -> int:
    """Run ``action`` of the pipeline in ``repository`` for ``project`` as ``actor``.

    Returns the job's id whatever its outcome (``jobs show`` says it); a job refused
    before it starts raises the refusal.
    """
    source = checkout(repository, allow_dirty=allow_dirty)
    with open_unit(settings, actor, engine=engine, keystore=keystore) as unit:
        reap_dead_jobs(unit)  # a dead run of a needed action must not look running
    with open_unit(settings, actor, engine=engine, keystore=keystore) as unit:
        job = start(unit, project=project, action=action, source=source)
        job_id, person_id, project_id = job.id, job.requester.id, job.project.id
        command = read_pipeline(source)[0].action(action).command
        release = unit.root.path / job.release.location if job.release is not None else None
    with open_unit(settings, actor, engine=engine, keystore=keystore) as unit:
        job = governance_jobs.get_job(unit.session, job_id)
        try:
            folder = prepare(unit, job, source)
        except (OSError, NightingaleError, tarfile.TarError) as exc:
            finish(unit, job_id, None, reason=f"could not prepare the working folder: {exc}")
            return job_id
    sandbox = Sandbox(
        job_id=job_id,
        person_id=person_id,
        project_id=project_id,
        work=folder / "work",
        release=release,
        command=command,
        log=folder / "job.log",
        limits=limits or Limits(),
    )
    try:
        with heartbeat(folder):  # so a runner that dies is found (job_liveness)
            outcome: RunOutcome | None = runner.run(sandbox)
        reason = None
    except OSError as exc:
        outcome, reason = None, f"the runner failed: {exc}"
    with open_unit(settings, actor, engine=engine, keystore=keystore) as unit:
        finish(unit, job_id, outcome, reason=reason)
    return job_id


def read_log(unit: Unit, job: Job, *, limit: int = 200_000) -> str:
    """The job's log (its last ``limit`` characters)."""
    log = unit.root.path / job.location / "job.log"
    if not log.is_file():
        return ""
    text = log.read_text(encoding="utf-8", errors="replace")
    return text[-limit:]
