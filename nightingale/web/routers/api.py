"""The JSON API the workspace client calls with the person's hub token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy.orm import Session

from nightingale.governance.releases import visible_releases
from nightingale.web.dependencies import Viewer, api_viewer, get_session

router = APIRouter(prefix="/api", tags=["api"])
ApiViewer = Annotated[Viewer, Depends(api_viewer)]
SessionDep = Annotated[Session, Depends(get_session)]


class Me(BaseModel):
    username: str
    display_name: str
    roles: list[str]


class ReleaseOut(BaseModel):
    release_id: str
    project: str
    request_id: int
    created_at: str
    expires_on: str


@router.get("/me", summary="Who the token belongs to")
def me(viewer: ApiViewer) -> Me:
    return Me(
        username=viewer.username,
        display_name=viewer.person.display_name,
        roles=sorted(viewer.actor.roles),
    )


@router.get("/releases", summary="Releases you may read now (the policy's release.access)")
def releases(viewer: ApiViewer, session: SessionDep) -> list[ReleaseOut]:
    return [
        ReleaseOut(
            release_id=r.release_id,
            project=r.request.project.slug,
            request_id=r.request_id,
            created_at=r.created_at.isoformat(),
            expires_on=r.expires_on.isoformat(),
        )
        for r in visible_releases(session, viewer.username)
    ]
