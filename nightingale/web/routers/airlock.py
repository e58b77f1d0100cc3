"""Output checkers: the airlock queue, each output with its automatic checks cell by cell."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance import policy
from nightingale.governance.models import OutputRequest
from nightingale.web.dependencies import Viewer, get_session, render, requires

router = APIRouter(prefix="/airlock", tags=["output checkers"])
Checker = Annotated[Viewer, Depends(requires(policy.Action.OUTPUT_CHECK))]
SessionDep = Annotated[Session, Depends(get_session)]


@router.get("/", summary="Output requests waiting in the airlock")
def queue(request: Request, viewer: Checker, session: SessionDep) -> Any:
    outputs = session.scalars(select(OutputRequest).order_by(OutputRequest.id.desc())).all()
    return render(request, "airlock/queue.html", "Airlock", viewer, outputs=outputs)
