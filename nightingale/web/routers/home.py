"""The start page everyone lands on after logging in to the hub."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nightingale.governance.models import LinkageRequest, OutputRequest
from nightingale.web.dependencies import Viewer, get_session, page_viewer, render

router = APIRouter(tags=["start"])


@router.get("/", summary="Start page: what you can do, by role")
def start(
    request: Request,
    viewer: Annotated[Viewer, Depends(page_viewer)],
    session: Annotated[Session, Depends(get_session)],
) -> Any:
    def waiting(model: type[LinkageRequest] | type[OutputRequest]) -> int:
        query = select(func.count()).select_from(model).where(model.status == "submitted")
        return int(session.scalar(query) or 0)

    counts = {"requests": waiting(LinkageRequest), "outputs": waiting(OutputRequest)}
    return render(
        request, "home.html", f"Welcome, {viewer.person.display_name}", viewer, counts=counts
    )
