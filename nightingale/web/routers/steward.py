"""Data stewards: the request queue, the request page, approve / reject / request changes.

Both pages show how far a request is with :func:`nightingale.operations.decisions.tally`
(approvals this round, not every decision), and a decision is
:func:`nightingale.operations.decisions.decide`, as for ``nightingale requests approve``.
The request page lists the datasets of the round being decided (:mod:`.governance.rounds`):
every dataset the request names *and* every one its spec reads, with the classification
at submission, so a dataset read without a justification is shown as such, not dropped.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from nightingale.governance import policy, projects, rounds
from nightingale.governance.approvals import decisions_for
from nightingale.governance.facts import membership_facts, request_facts
from nightingale.governance.releases import list_releases
from nightingale.governance.requests import get_request, list_requests
from nightingale.governance.service import today
from nightingale.operations import decisions
from nightingale.operations.linkage_quality import guild_for_request, report_page
from nightingale.platform.settings import Settings
from nightingale.web.cohort_view import k_anonymity_estimate, spec_view
from nightingale.web.decision_form import DecisionForm, chosen
from nightingale.web.dependencies import (
    RowId,
    Viewer,
    check_csrf,
    get_session,
    get_settings,
    render,
    requires,
    unit_of,
)
from nightingale.web.linkage_view import latest_report
from nightingale.web.release_view import release_summaries

router = APIRouter(prefix="/steward", tags=["stewards"])
Steward = Annotated[Viewer, Depends(requires(policy.Action.REQUEST_DECIDE))]
ReportReader = Annotated[Viewer, Depends(requires(policy.Action.LINKAGE_REPORT_READ))]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MemberDecider = Annotated[
    Viewer,
    Depends(requires(policy.Action.PROJECT_MEMBER_APPROVE, policy.Action.PROJECT_MEMBER_REFUSE)),
]
DECISION_LABELS = {"approve": "Approve", "changes": "Request changes", "reject": "Reject"}
MEMBER_LABELS = {"approve": "Approve", "refuse": "Refuse"}
Slug = Annotated[str, Path(min_length=1, max_length=64, description="A project's id.")]
Username = Annotated[str, Path(min_length=1, max_length=64, description="A person's username.")]


@router.get("/requests", summary="Requests waiting for a steward decision")
def queue(request: Request, viewer: Steward, session: SessionDep) -> Any:
    work = unit_of(request, session, viewer)
    rows = []
    for item in list_requests(session):
        if item.status not in ("submitted", "approved", "changes_requested"):
            continue
        facts = request_facts(session, item)
        decision = policy.decide(viewer.actor, policy.Action.REQUEST_DECIDE, facts, today=today())
        rows.append(
            {
                "item": item,
                "tally": decisions.tally(work, item, facts=facts),
                "special": facts.special_category,
                "decision": decision,
            }
        )
    return render(request, "steward/queue.html", "Request queue", viewer, rows=rows)


@router.get("/requests/{request_id}", summary="Everything a steward needs to decide")
def request_page(
    request: Request, request_id: RowId, viewer: Steward, session: SessionDep, settings: SettingsDep
) -> Any:
    item = get_request(session, request_id)
    facts = request_facts(session, item)
    decision = policy.decide(viewer.actor, policy.Action.REQUEST_DECIDE, facts, today=today())
    releases = [r for r in list_releases(session) if r.request_id == item.id]
    work = unit_of(request, session, viewer)
    estimate, estimate_problem = k_anonymity_estimate(work, item.spec_text)
    return render(
        request,
        "steward/request.html",
        f"Request {item.id}: {item.title}",
        viewer,
        item=item,
        facts=facts,
        submitted=rounds.current_round(session, item),
        spec_changed=rounds.spec_problems(session, item, item.spec_text) if item.round else [],
        tally=decisions.tally(work, item, facts=facts),
        decision=decision,
        decisions=decisions_for(session, item.id),
        view=spec_view(item.spec_text, settings.data_root),
        releases=release_summaries(settings.data_root, releases),
        report=latest_report(settings.data_root),
        guild=guild_for_request(work, item),
        estimate=estimate,
        estimate_problem=estimate_problem,
        form=DecisionForm(
            f"{request.app.state.prefix}/steward/requests/{item.id}/decision",
            DECISION_LABELS,
            hint="recorded in the audit log and shown to the project",
            danger="reject",
            secondary="changes",
        ),
    )


@router.post(
    "/requests/{request_id}/decision",
    summary="Approve, reject or request changes, with a reason",
    dependencies=[Depends(check_csrf)],
)
def decide(
    request: Request,
    request_id: RowId,
    viewer: Steward,
    session: SessionDep,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    decisions.decide(
        unit_of(request, session, viewer), request_id, chosen(decision, DECISION_LABELS), reason
    )
    session.commit()
    prefix = request.app.state.prefix
    return RedirectResponse(f"{prefix}/steward/requests/{request_id}", status_code=303)


@router.get("/linkage-report", summary="The newest linkage quality report (HTML)")
def linkage_report(
    request: Request, viewer: ReportReader, session: SessionDep, settings: SettingsDep
) -> Response:
    report = latest_report(settings.data_root)
    if report is None or report.html_path is None:
        raise HTTPException(404, "no linkage quality report has been written yet")
    page = report_page(unit_of(request, session, viewer), report.json_path)
    if page is not None:  # re-rendered at the deployment's SDC threshold
        return HTMLResponse(page)
    return FileResponse(report.html_path, media_type="text/html")


@router.get("/members", summary="People added to approved projects, waiting for a steward")
def pending_members(request: Request, viewer: MemberDecider, session: SessionDep) -> Any:
    prefix = request.app.state.prefix
    groups = []
    for project, waiting in projects.pending_members(session):
        names = {m.person.username: m.person.display_name for m in project.member_rows}
        rows = []
        for username in waiting:
            facts = membership_facts(project, username)
            rows.append(
                {
                    "username": username,
                    "name": names[username],
                    "decision": policy.decide(
                        viewer.actor, policy.Action.PROJECT_MEMBER_APPROVE, facts, today=today()
                    ),
                    "form": DecisionForm(
                        f"{prefix}/steward/projects/{project.slug}/members/{username}/decision",
                        MEMBER_LABELS,
                        hint="needed to refuse; recorded in the audit log",
                        required=False,
                        rows=2,
                        danger="refuse",
                        suffix=f"-{project.slug}-{username}",
                    ),
                }
            )
        groups.append({"project": project, "rows": rows})
    return render(
        request, "steward/members.html", "Members waiting for a steward", viewer, groups=groups
    )


@router.post(
    "/projects/{slug}/members/{username}/decision",
    summary="Approve or refuse (with a reason) a member added after the project's approval",
    dependencies=[Depends(check_csrf)],
)
def decide_member(
    request: Request,
    slug: Slug,
    username: Username,
    viewer: MemberDecider,
    session: SessionDep,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    work = unit_of(request, session, viewer)
    if chosen(decision, MEMBER_LABELS) == "approve":
        projects.approve_member(
            work.session, work.keystore, by=viewer.username, slug=slug, username=username
        )
    else:
        projects.refuse_member(
            work.session,
            work.keystore,
            by=viewer.username,
            slug=slug,
            username=username,
            reason=reason,
        )
    session.commit()
    return RedirectResponse(f"{request.app.state.prefix}/steward/members", status_code=303)
