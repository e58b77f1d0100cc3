"""Analysis jobs as governance sees them: who ran what, on which data, producing which files.

A job is one run of one action of a project's pipeline. :func:`start_job` asks the
policy (``job.run``: a member, accredited, the project active), picks the release the
action reads (the newest one the person may access) and the jobs whose outputs it needs,
checks the plan the action names against the project's lodged plans (a plan whose text
is not a lodged version is refused: the outputs would claim a plan nobody fixed), and
records the job ``running`` with its provenance; :func:`finish_job` records the
outcome and every declared file the job produced, with its checksum. Both are audited
(``job.running``, ``job.succeeded``, ``job.failed``), which the audit replay checks.

The airlock side: :func:`releasable_outputs` says which of a job's files may be
submitted (``moderately_sensitive`` ones of a succeeded job, unchanged since the job
wrote them); :func:`record_sources` ties the airlock's copies to them, and
:func:`provenance_of` gives each file's provenance (commit, release, pipeline and plan
hashes, job id, and which lodged plan version the plan is) to whoever publishes it.
:func:`refuse_unproduced` is the refusal when a deployment takes only job outputs
(``[governance] require_job_outputs``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from nightingale.governance import audit, states
from nightingale.governance.acting import acting
from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.facts import project_facts
from nightingale.governance.models import (
    Job,
    JobOutput,
    LodgedPlan,
    OutputRequest,
    OutputSource,
    Release,
)
from nightingale.governance.policy import Action
from nightingale.governance.projects import get_project
from nightingale.governance.releases import visible_releases
from nightingale.governance.service import as_utc, lock_row, refuse, utcnow
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import sha256_file

RELEASABLE = "moderately_sensitive"


@dataclass(frozen=True)
class JobRequest:
    """What the platform read from the repository for one run of one action."""

    project: str
    action: str
    commit: str
    dirty: bool
    repository: str
    pipeline_sha256: str
    plan_sha256: str | None
    command: str
    needs_release: bool
    needed_actions: tuple[str, ...]
    plan_path: str | None = None
    """Where the plan is in the repository (for messages; its hash is ``plan_sha256``)."""


@dataclass(frozen=True)
class ProducedFile:
    """A declared output the job wrote: its label, path, sensitivity and checksum."""

    name: str
    path: str
    level: str
    sha256: str
    size: int


def get_job(session: Session, job_id: int) -> Job:
    found = session.get(Job, job_id)
    if found is None:
        raise NotFound(f"no job {job_id}")
    return found


def list_jobs(session: Session, project: str | None = None) -> list[Job]:
    """Jobs, newest first (of one project when named)."""
    query = select(Job).order_by(Job.id.desc())
    if project is not None:
        query = query.where(Job.project_id == get_project(session, project).id)
    return list(session.scalars(query))


def latest_succeeded(session: Session, project_id: int, action: str) -> Job | None:
    return session.scalar(
        select(Job)
        .where(Job.project_id == project_id, Job.action == action, Job.status == "succeeded")
        .order_by(Job.id.desc())
        .limit(1)
    )


def _newest_release(session: Session, username: str, project: str) -> Release | None:
    mine = [r for r in visible_releases(session, username) if r.request.project.slug == project]
    return max(mine, key=lambda r: as_utc(r.created_at), default=None)


def _lodged_versions(session: Session, project_id: int) -> list[LodgedPlan]:
    return list(
        session.scalars(
            select(LodgedPlan)
            .where(LodgedPlan.project_id == project_id)
            .order_by(LodgedPlan.plan_name, LodgedPlan.revision)
        )
    )


def _require_lodged(session: Session, project_id: int, request: JobRequest) -> None:
    """Refuse a job whose plan is not, word for word, a version the project lodged."""
    if request.plan_sha256 is None:
        return
    versions = _lodged_versions(session, project_id)
    if any(v.sha256 == request.plan_sha256 for v in versions):
        return
    lodged = "; ".join(
        f"{v.plan_name} revision {v.revision} ({v.sha256[:12]}...)" for v in versions
    )
    raise InvalidInput(
        f"action {request.action} names the plan {request.plan_path or '(unnamed)'} "
        f"(SHA-256 {request.plan_sha256[:12]}...) at commit {request.commit[:12]}, which is "
        f"not a plan lodged for project {request.project} "
        f"({'lodged: ' + lodged if lodged else 'none is lodged'}); the job's outputs would "
        "claim a plan nobody fixed. Commit the lodged text, or lodge the change first "
        f"('nightingale plans amend {request.project} PLAN.yaml --reason WHY')"
    )


def plan_check(job: Job) -> dict[str, Any] | None:
    """Which lodged version the job's plan is, and whether it is still the current one.

    None when the action names no plan. A job can only start against a lodged version;
    one amended since is ``superseded`` (the report says so), never silently current.
    """
    if job.plan_sha256 is None:
        return None
    session = object_session(job)
    versions = [] if session is None else _lodged_versions(session, job.project_id)
    matching = [v for v in versions if v.sha256 == job.plan_sha256]
    if not matching:
        return {"status": "not lodged"}
    version = matching[-1]
    latest = max(
        (v for v in versions if v.plan_name == version.plan_name), key=lambda v: v.revision
    )
    check: dict[str, Any] = {
        "status": "lodged" if latest.revision == version.revision else "superseded",
        "plan_name": version.plan_name,
        "plan_version": version.plan_version,
        "revision": version.revision,
        "lodged_at": as_utc(version.lodged_at).isoformat(),
    }
    if latest.revision != version.revision:
        check["superseded_by"] = {
            "revision": latest.revision,
            "plan_version": latest.plan_version,
            "lodged_at": as_utc(latest.lodged_at).isoformat(),
        }
    return check


def start_job(session: Session, keystore: KeyStore, *, by: str, request: JobRequest) -> Job:
    """Record a job ``running`` for ``by``, if the policy lets them run jobs for the project.

    Refused (audited) when the action needs the release and none is readable, needs an
    action that has not yet succeeded, or names a plan whose text the project has not
    lodged.
    """
    project = get_project(session, request.project)
    with acting(
        session,
        keystore,
        by,
        Action.JOB_RUN,
        project_facts(project),
        object_type="project",
        object_id=request.project,
    ) as who:
        _require_lodged(session, project.id, request)
        release = None
        if request.needs_release:
            release = _newest_release(session, by, request.project)
            if release is None:
                raise InvalidInput(
                    f"action {request.action} needs the release, and project "
                    f"{request.project} has none {by} may read"
                )
        inputs: list[int] = []
        for needed in request.needed_actions:
            done = latest_succeeded(session, project.id, needed)
            if done is None:
                raise InvalidInput(
                    f"action {request.action} needs {needed}, which has no successful job "
                    f"yet: run 'nightingale jobs run {request.project} {needed}' first"
                )
            inputs.append(done.id)
        job = Job(
            project=project,
            requester=who.person,
            action=request.action,
            status="running",
            commit=request.commit,
            dirty=request.dirty,
            repository=request.repository,
            pipeline_sha256=request.pipeline_sha256,
            plan_sha256=request.plan_sha256,
            release=release,
            inputs_json=json.dumps(inputs),
            command=request.command,
            location="",
            started_at=utcnow(),
        )
        session.add(job)
        session.flush()
        job.location = f"projects/{request.project}/jobs/{job.id}"
        who.audit(
            "job.running",
            {
                "project": request.project,
                "action": request.action,
                "commit": request.commit,
                "dirty": request.dirty,
                "release": job.release_id,
                "pipeline_sha256": request.pipeline_sha256,
                "plan_sha256": request.plan_sha256,
                "inputs": inputs,
            },
            object_type="job",
            object_id=str(job.id),
        )
        return job


def finish_job(
    session: Session,
    keystore: KeyStore,
    *,
    job_id: int,
    exit_code: int | None,
    produced: Sequence[ProducedFile],
    reason: str | None = None,
) -> Job:
    """Record a running job's end: succeeded (exit 0, every output there) or failed, why."""
    job = lock_row(session, Job, Job.id, job_id, touch=Job.status)
    if job is None:
        raise NotFound(f"no job {job_id}")
    target = "succeeded" if exit_code == 0 and reason is None else "failed"
    job.status = states.transition("job", f"job {job_id}", job.status, target)
    job.exit_code = exit_code
    job.reason = reason
    job.finished_at = utcnow()
    if target == "succeeded":
        for item in produced:
            job.outputs.append(
                JobOutput(
                    name=item.name,
                    path=item.path,
                    level=item.level,
                    sha256=item.sha256,
                    size=item.size,
                )
            )
    session.flush()
    audit.record(
        session,
        keystore,
        actor=job.requester.username,
        action=f"job.{target}",
        object_type="job",
        object_id=str(job_id),
        details={
            "exit_code": exit_code,
            "reason": reason,
            "outputs": {o.path: o.sha256 for o in job.outputs},
        },
    )
    return job


def job_inputs(job: Job) -> list[int]:
    inputs: list[int] = json.loads(job.inputs_json or "[]")
    return inputs


def job_provenance(job: Job) -> dict[str, Any]:
    """Where a job's outputs came from, as every copy of them states it."""
    return {
        "job_id": job.id,
        "project": job.project.slug,
        "action": job.action,
        "commit": job.commit,
        "dirty": job.dirty,
        "release_id": job.release_id,
        "pipeline_sha256": job.pipeline_sha256,
        "plan_sha256": job.plan_sha256,
        "plan": plan_check(job),
        "inputs": job_inputs(job),
        "started_at": as_utc(job.started_at).isoformat(),
    }


def releasable_outputs(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    job_id: int,
    paths: Sequence[str],
    data_root: Path,
) -> list[tuple[JobOutput, Path]]:
    """The job's files at ``paths`` that may go to the airlock, with where they are.

    Refused (audited as ``output.submit``) unless the job succeeded, each path is one of
    its ``moderately_sensitive`` outputs, and each file is as the job left it.
    """
    job = get_job(session, job_id)
    project = job.project.slug

    def no(reason: str) -> NoReturn:
        refuse(
            session,
            keystore,
            actor=by,
            action=str(Action.OUTPUT_SUBMIT),
            object_type="project",
            object_id=project,
            reason=reason,
            error=InvalidInput,
        )

    if job.status != "succeeded":
        no(f"job {job_id} is {job.status}; only a succeeded job's outputs may be submitted")
    if not paths:
        no("name at least one output of the job to submit")
    by_path = {o.path: o for o in job.outputs}
    chosen: list[tuple[JobOutput, Path]] = []
    for path in paths:
        output = by_path.get(path)
        if output is None:
            no(f"{path} is not an output of job {job_id} ({', '.join(sorted(by_path))})")
        if output.level != RELEASABLE:
            no(f"{path} is {output.level}; only {RELEASABLE} outputs may be requested for release")
        file = data_root / job.location / "outputs" / output.path
        if not file.is_file() or sha256_file(file) != output.sha256:
            no(f"{path} changed or vanished after job {job_id} wrote it")
        chosen.append((output, file))
    return chosen


def refuse_unproduced(
    session: Session, keystore: KeyStore, *, by: str, project: str, names: Sequence[str]
) -> None:
    """Refuse (audited) files that no job produced, where the deployment requires jobs."""
    refuse(
        session,
        keystore,
        actor=by,
        action=str(Action.OUTPUT_SUBMIT),
        object_type="project",
        object_id=project,
        reason=f"{', '.join(names) or 'these files'}: this platform takes only the outputs of "
        "analysis jobs to the airlock; run the analysis with 'nightingale jobs run' and "
        "submit its outputs with 'nightingale jobs submit'",
        error=InvalidInput,
    )


def record_sources(
    session: Session, output: OutputRequest, chosen: Sequence[tuple[JobOutput, Path]]
) -> None:
    """Tie each airlock file of ``output`` to the job output it was submitted from."""
    for job_output, file in chosen:
        session.add(
            OutputSource(output_id=output.id, file_name=file.name, job_output_id=job_output.id)
        )
    session.flush()


def provenance_of(session: Session, output_id: int) -> dict[str, dict[str, Any]]:
    """Each file of an airlock request that came from a job: the job's provenance."""
    rows = session.scalars(select(OutputSource).where(OutputSource.output_id == output_id))
    return {
        row.file_name: {
            **job_provenance(row.job_output.job),
            "output": row.job_output.path,
            "sha256": row.job_output.sha256,
        }
        for row in rows
    }
