"""Researchers: their projects, drafting and submitting cohort requests, status, releases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from nightingale.governance import policy
from nightingale.governance.approvals import decisions_for
from nightingale.governance.datasets import list_datasets
from nightingale.governance.errors import InvalidInput
from nightingale.governance.facts import project_facts, request_facts
from nightingale.governance.models import LinkageRequest, Project
from nightingale.governance.projects import get_project, list_projects
from nightingale.governance.releases import list_releases
from nightingale.governance.requests import get_request, list_requests
from nightingale.operations import requests as request_operations
from nightingale.platform.settings import Settings
from nightingale.web.cohort_view import datasets_read, spec_view
from nightingale.web.dependencies import (
    RowId,
    Viewer,
    check_csrf,
    form_fields,
    get_session,
    get_settings,
    render,
    requires,
    unit_of,
)

router = APIRouter(prefix="/research", tags=["researchers"])
Researcher = Annotated[Viewer, Depends(requires(policy.Action.REQUEST_CREATE))]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
FormDep = Annotated[FormData, Depends(form_fields)]


def _my_projects(session: Session, viewer: Viewer) -> list[Project]:
    """The projects the policy lets the viewer see (a researcher: those they are on)."""
    return [
        p
        for p in list_projects(session)
        if viewer.allowed(policy.Action.PROJECT_VIEW, project_facts(p)).allowed
    ]


def _viewable_request(session: Session, viewer: Viewer, request_id: int) -> LinkageRequest:
    """The request, if the policy lets the viewer see it (its project's members, stewards)."""
    found = get_request(session, request_id)
    viewer.require(policy.Action.REQUEST_VIEW, request_facts(session, found))
    return found


@router.get("/", summary="My projects, requests and releases")
def projects_page(request: Request, viewer: Researcher, session: SessionDep) -> Any:
    projects = _my_projects(session, viewer)
    rows = [
        (
            project,
            list_requests(session, project=project.slug),
            list_releases(session, project=project.slug),
        )
        for project in projects
    ]
    return render(request, "research/projects.html", "My projects", viewer, rows=rows)


def _form(
    request: Request,
    viewer: Viewer,
    session: Session,
    project: Project,
    *,
    title: str = "",
    spec_text: str = "",
    justifications: dict[str, str] | None = None,
    problems: list[str] | None = None,
    revise_of: LinkageRequest | None = None,
) -> Any:
    known = [d.name for d in list_datasets(session)]
    wanted = [d for d in datasets_read(spec_text) if d in known] if spec_text else known
    return render(
        request,
        "research/request_form.html",
        f"Revise request {revise_of.id}" if revise_of else f"New cohort request for {project.slug}",
        viewer,
        status_code=422 if problems else 200,
        project=project,
        form_title=title,
        spec_text=spec_text,
        datasets=wanted or known,
        justifications=justifications or {},
        problems=problems or [],
        revise_of=revise_of,
    )


def _justifications(form: Any) -> dict[str, str]:
    return {
        str(key).removeprefix("why_"): str(value).strip()
        for key, value in form.items()
        if str(key).startswith("why_") and str(value).strip()
    }


@router.get("/requests/new", summary="Draft a cohort request")
def new_request(request: Request, viewer: Researcher, session: SessionDep, project: str) -> Any:
    found = get_project(session, project)
    viewer.require(policy.Action.PROJECT_VIEW, project_facts(found))
    return _form(request, viewer, session, found)


@router.post(
    "/requests",
    summary="Save a cohort request as a draft, or submit it (the spec is validated)",
    dependencies=[Depends(check_csrf)],
)
def post_request(
    request: Request,
    viewer: Researcher,
    session: SessionDep,
    form: FormDep,
    project: Annotated[str, Form()],
    title: Annotated[str, Form()],
    spec_text: Annotated[str, Form()],
    action: Annotated[str, Form()] = "submit",
) -> Any:
    justifications = _justifications(form)
    found = get_project(session, project)
    viewer.require(policy.Action.PROJECT_VIEW, project_facts(found))
    try:
        created = request_operations.create_request(
            unit_of(request, session, viewer),
            project=project,
            title=title,
            spec_text=spec_text,
            datasets=request_operations.dataset_needs(spec_text, justifications),
            submit=action == "submit",
        )
        session.commit()
    except InvalidInput as exc:
        return _form(
            request, viewer, session, found, title=title, spec_text=spec_text,
            justifications=justifications, problems=[str(exc)],
        )  # fmt: skip
    prefix = request.app.state.prefix
    return RedirectResponse(f"{prefix}/research/requests/{created.id}", status_code=303)


@router.post(
    "/requests/{request_id}/submit",
    summary="Submit a draft or revised request",
    dependencies=[Depends(check_csrf)],
)
def submit_draft(
    request: Request, request_id: RowId, viewer: Researcher, session: SessionDep
) -> Response:
    request_operations.submit_request(unit_of(request, session, viewer), request_id)
    session.commit()
    prefix = request.app.state.prefix
    return RedirectResponse(f"{prefix}/research/requests/{request_id}", status_code=303)


@router.get("/requests/{request_id}", summary="A request's status, decisions and releases")
def request_page(
    request: Request,
    request_id: RowId,
    viewer: Researcher,
    session: SessionDep,
    settings: SettingsDep,
) -> Any:
    found = _viewable_request(session, viewer, request_id)
    releases = [
        r for r in list_releases(session, project=found.project.slug) if r.request_id == found.id
    ]
    return render(
        request,
        "research/request.html",
        f"Request {found.id}: {found.title}",
        viewer,
        item=found,
        decisions=decisions_for(session, found.id),
        releases=releases,
        view=spec_view(found.spec_text, settings.data_root),
    )


@router.get("/requests/{request_id}/revise", summary="Change a draft or returned request")
def revise_form(
    request: Request, request_id: RowId, viewer: Researcher, session: SessionDep
) -> Any:
    item = _viewable_request(session, viewer, request_id)
    why = {row.dataset_name: row.justification for row in item.dataset_rows}
    return _form(
        request, viewer, session, item.project, title=item.title, spec_text=item.spec_text,
        justifications=why, revise_of=item,
    )  # fmt: skip


@router.post(
    "/requests/{request_id}/revise",
    summary="Save the revised spec and resubmit it (validated again)",
    dependencies=[Depends(check_csrf)],
)
def revise(
    request: Request,
    request_id: RowId,
    viewer: Researcher,
    session: SessionDep,
    form: FormDep,
    spec_text: Annotated[str, Form()],
) -> Any:
    item = _viewable_request(session, viewer, request_id)
    justifications = _justifications(form)
    try:
        request_operations.revise_request(
            unit_of(request, session, viewer),
            request_id,
            spec_text=spec_text,
            datasets=request_operations.dataset_needs(spec_text, justifications),
            submit=True,
        )
        session.commit()
    except InvalidInput as exc:
        return _form(
            request, viewer, session, item.project, title=item.title, spec_text=spec_text,
            justifications=justifications, problems=[str(exc)], revise_of=item,
        )  # fmt: skip
    prefix = request.app.state.prefix
    return RedirectResponse(f"{prefix}/research/requests/{request_id}", status_code=303)
