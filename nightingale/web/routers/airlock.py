"""Output checkers: the airlock queue, each output with its file check (findings, and cells
in place), and the decision (approve, return for changes, or reject) with a comment.

The decision is :func:`nightingale.operations.airlock.decide`, as for ``nightingale outputs
approve``: a blocked file cannot be approved; a file that needs review (including one whose
metadata disagrees with it) needs the override and a reason; an approval that completes
the tally (two different checkers by default) releases the files.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from nightingale.governance import output_gate, outputs, policy
from nightingale.governance.facts import output_facts
from nightingale.governance.service import today
from nightingale.operations import airlock
from nightingale.web.check_view import file_views
from nightingale.web.dependencies import (
    RowId,
    Viewer,
    check_csrf,
    get_session,
    render,
    requires,
    unit_of,
)

router = APIRouter(prefix="/airlock", tags=["output checkers"])
Checker = Annotated[Viewer, Depends(requires(policy.Action.OUTPUT_CHECK))]
SessionDep = Annotated[Session, Depends(get_session)]
DECISIONS = {"approve": "Approve", "return": "Return for changes", "reject": "Reject"}
"""Approving releases the files once enough different checkers have approved."""


@router.get("/", summary="Output requests in the airlock")
def queue(request: Request, viewer: Checker, session: SessionDep) -> Any:
    everything = outputs.queue(session, status=None)
    waiting = [o for o in everything if o.status == "submitted"]
    done = [o for o in reversed(everything) if o.status != "submitted"][:50]
    governance = unit_of(request, session, viewer).governance
    tallies = {o.id: outputs.output_tally(o, governance) for o in waiting}
    return render(
        request,
        "airlock/queue.html",
        "Airlock",
        viewer,
        waiting=waiting,
        done=done,
        tallies=tallies,
    )


@router.get("/{output_id}", summary="One output request with every cell's automatic check")
def output_page(request: Request, output_id: RowId, viewer: Checker, session: SessionDep) -> Any:
    item = outputs.get_output(session, output_id)
    governance = unit_of(request, session, viewer).governance
    facts = output_facts(item, governance.output_approvals)
    decision = policy.decide(viewer.actor, policy.Action.OUTPUT_CHECK, facts, today=today())
    return render(
        request,
        "airlock/output.html",
        f"Output request {item.id}: {item.title}",
        viewer,
        item=item,
        files=file_views(outputs.file_checks(item)),
        tally=outputs.output_tally(item, governance),
        approvers=[d.checker.display_name for d in outputs.approvals_of(item)],
        gate=output_gate.gate_of(item),
        decision=decision,
        labels=DECISIONS,
    )


@router.post(
    "/{output_id}/decision",
    summary="Approve (and release), return or reject, with a comment",
    dependencies=[Depends(check_csrf)],
)
def decide(
    request: Request,
    output_id: RowId,
    viewer: Checker,
    session: SessionDep,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    override: Annotated[bool, Form()] = False,
) -> Response:
    if decision not in DECISIONS:
        raise HTTPException(422, f"unknown decision {decision!r}")
    airlock.decide(
        unit_of(request, session, viewer), output_id, decision, reason, override=override
    )
    session.commit()
    prefix = request.app.state.prefix
    return RedirectResponse(f"{prefix}/airlock/{output_id}", status_code=303)
