"""The JSON API the workspace client calls with the person's hub token."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from pydantic import BaseModel
from sqlalchemy.orm import Session

from nightingale.governance.facts import output_facts
from nightingale.governance.models import OutputRequest
from nightingale.governance.outputs import OutputFileSpec, file_checks, get_output
from nightingale.governance.policy import Action
from nightingale.operations import airlock
from nightingale.operations.workspace import readable_releases
from nightingale.web.dependencies import Viewer, api_viewer, get_session, unit_of

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
def releases(request: Request, viewer: ApiViewer, session: SessionDep) -> list[ReleaseOut]:
    return [
        ReleaseOut(
            release_id=r.release_id,
            project=r.project,
            request_id=r.request_id,
            created_at=r.created_at.isoformat(),
            expires_on=r.expires_on.isoformat(),
        )
        for r in readable_releases(unit_of(request, session, viewer))
    ]


class FileOutcome(BaseModel):
    name: str
    outcome: str
    flagged: list[str]
    """Cells that did not pass, as ``row × column: reasons``."""


class OutputOut(BaseModel):
    id: int
    project: str
    title: str
    status: str
    files: list[FileOutcome]
    decisions: list[str]


def _output_out(output: OutputRequest) -> OutputOut:
    files = []
    for check in file_checks(output):
        flagged = [
            f"{c.get('row')} × {c.get('column')}: {'; '.join(c.get('reasons', []))}"
            for c in check.get("cells", [])
            if c.get("outcome") != "pass"
        ]
        files.append(FileOutcome(name=check["name"], outcome=check["outcome"], flagged=flagged))
    return OutputOut(
        id=output.id,
        project=output.project.slug,
        title=output.title,
        status=output.status,
        files=files,
        decisions=[f"{d.decision}: {d.reason}" for d in output.decisions],
    )


@router.post("/outputs", summary="Submit files to the airlock (multipart; checked cell by cell)")
async def submit(
    request: Request,
    viewer: ApiViewer,
    session: SessionDep,
    project: Annotated[str, Form()],
    title: Annotated[str, Form()],
    files: Annotated[list[UploadFile], File()],
    metadata: Annotated[str, Form(description="JSON: {file name: {kind, sdc}}")] = "{}",
) -> OutputOut:
    try:
        described = json.loads(metadata)
    except ValueError as exc:
        raise HTTPException(422, f"metadata is not JSON: {exc}") from exc
    with tempfile.TemporaryDirectory(prefix="nightingale-upload-") as folder:
        specs = []
        for upload in files:
            name = Path(upload.filename or "").name
            if not name:
                raise HTTPException(422, "every file needs a name")
            path = Path(folder) / name
            path.write_bytes(await upload.read())
            about = described.get(name, {})
            specs.append(
                OutputFileSpec(path=path, kind=about.get("kind", "other"), sdc=about.get("sdc"))
            )
        output = airlock.submit(
            unit_of(request, session, viewer), project=project, title=title, files=specs
        )
        session.commit()
    return _output_out(output)


@router.get("/outputs/{output_id}", summary="An output request's checks and decisions")
def output_status(output_id: int, viewer: ApiViewer, session: SessionDep) -> OutputOut:
    output = get_output(session, output_id)
    viewer.require(Action.OUTPUT_VIEW, output_facts(output))
    return _output_out(output)
