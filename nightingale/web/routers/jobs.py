"""Analysis jobs in the browser: a project's jobs, and one job's provenance, outputs and log.

Members see their projects' jobs; output checkers and stewards see every job (the policy's
``job.view``), so a checker can read where an airlock file came from before deciding.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from nightingale.governance import policy
from nightingale.governance.facts import project_facts
from nightingale.governance.jobs import get_job, job_provenance, list_jobs
from nightingale.operations.jobs import read_log
from nightingale.web.dependencies import (
    RowId,
    Viewer,
    get_session,
    render,
    requires,
    unit_of,
)

router = APIRouter(prefix="/jobs", tags=["jobs"])
JobViewer = Annotated[Viewer, Depends(requires(policy.Action.JOB_VIEW))]
SessionDep = Annotated[Session, Depends(get_session)]


@router.get("/", summary="The analysis jobs of the projects you may see")
def jobs_page(request: Request, viewer: JobViewer, session: SessionDep) -> Any:
    shown = [
        job
        for job in list_jobs(session)
        if viewer.allowed(policy.Action.JOB_VIEW, project_facts(job.project)).allowed
    ]
    return render(request, "jobs/list.html", "Analysis jobs", viewer, jobs=shown)


@router.get("/{job_id}", summary="A job's provenance, outputs and log")
def job_page(request: Request, job_id: RowId, viewer: JobViewer, session: SessionDep) -> Any:
    job = get_job(session, job_id)
    viewer.require(policy.Action.JOB_VIEW, project_facts(job.project))
    return render(
        request,
        "jobs/job.html",
        f"Job {job.id}: {job.action} ({job.project.slug})",
        viewer,
        job=job,
        provenance=job_provenance(job),
        log=read_log(unit_of(request, session, viewer), job),
    )
