"""Evaluators publish approved results bundles; the public results registry lists them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance.models import PublishedResult
from nightingale.web.dependencies import get_session, render

router = APIRouter(tags=["publishing"])
SessionDep = Annotated[Session, Depends(get_session)]


@router.get("/registry", summary="The public results registry (no login needed)")
def registry(request: Request, session: SessionDep) -> Any:
    results = session.scalars(
        select(PublishedResult).order_by(PublishedResult.created_at.desc())
    ).all()
    return render(request, "registry.html", "Results registry", None, results=results)
