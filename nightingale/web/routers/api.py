"""The JSON API the workspace client calls with the person's hub token."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from pydantic import BaseModel, TypeAdapter
from sqlalchemy.orm import Session

from nightingale.governance.facts import output_facts
from nightingale.governance.models import OutputRequest
from nightingale.governance.outputs import OutputFileSpec, file_checks, get_output
from nightingale.governance.policy import Action
from nightingale.operations import airlock
from nightingale.operations.workspace import VisibleRelease, readable_releases
from nightingale.platform.database import session_scope
from nightingale.web.access_cache import AccessCache
from nightingale.web.dependencies import (
    RowId,
    Viewer,
    access_stamp,
    api_csrf,
    api_viewer,
    get_access_cache,
    get_session,
    unit_of,
)
from nightingale.web.uploads import FileMetadata, check_uploads, parse_metadata

router = APIRouter(prefix="/api", tags=["api"])
ApiViewer = Annotated[Viewer, Depends(api_viewer)]
SessionDep = Annotated[Session, Depends(get_session)]
CacheDep = Annotated[AccessCache, Depends(get_access_cache)]


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
async def me(viewer: ApiViewer) -> Me:
    # async: the viewer is already known, there is nothing to wait for.
    return Me(
        username=viewer.username,
        display_name=viewer.person.display_name,
        roles=sorted(viewer.actor.roles),
    )


_RELEASES_JSON = TypeAdapter(list[ReleaseOut])


@router.get(
    "/releases",
    summary="Releases you may read now (the policy's release.access)",
    response_model=list[ReleaseOut],
)
async def releases(request: Request, viewer: ApiViewer, cache: CacheDep) -> Response:
    """Kept as the JSON bytes themselves, per person and state of governance: a notebook
    asking again while nothing changed gets them from the event loop, with no thread, no
    session and no serialising."""

    def look_up() -> bytes:
        with session_scope(request.app.state.engine) as session:
            readable = readable_releases(unit_of(request, session, viewer))
        return _RELEASES_JSON.dump_json([_release_out(r) for r in readable])

    body = await cache.answer(access_stamp(request), ("releases", viewer.username), look_up)
    return Response(body, media_type="application/json")


def _release_out(release: VisibleRelease) -> ReleaseOut:
    return ReleaseOut(
        release_id=release.release_id,
        project=release.project,
        request_id=release.request_id,
        created_at=release.created_at.isoformat(),
        expires_on=release.expires_on.isoformat(),
    )


class FindingOut(BaseModel):
    """One finding of the file check (the shape ``outputs check-file --json`` prints)."""

    rule: str
    where: str
    detail: str


class FileOutcome(BaseModel):
    name: str
    outcome: str
    """The file check's verdict: pass, review or block."""
    findings: list[FindingOut]
    flagged: list[str]
    """Findings and cells that did not pass, in words (what a notebook prints)."""


class OutputOut(BaseModel):
    id: int
    project: str
    title: str
    status: str
    release: str | None
    """The release the files were checked against (None: the project had none)."""
    files: list[FileOutcome]
    decisions: list[str]


def _output_out(output: OutputRequest) -> OutputOut:
    files = []
    for check in file_checks(output):
        findings = list(check.get("findings", []))
        flagged = [
            f"{f.get('rule')} at {f.get('where')}: {f.get('detail')}"
            for f in findings
            if f.get("severity") != "pass"
        ] + [
            f"{c.get('row')} × {c.get('column')}: {'; '.join(c.get('reasons', []))}"
            for c in check.get("cells", [])
            if c.get("outcome") != "pass"
        ]
        files.append(
            FileOutcome(
                name=check["name"],
                outcome=check["outcome"],
                findings=[
                    FindingOut(rule=f["rule"], where=f["where"], detail=f["detail"])
                    for f in findings
                ],
                flagged=flagged,
            )
        )
    return OutputOut(
        id=output.id,
        project=output.project.slug,
        title=output.title,
        status=output.status,
        release=output.release_id,
        files=files,
        decisions=[f"{d.decision}: {d.reason}" for d in output.decisions],
    )


@router.post(
    "/outputs",
    summary="Submit files to the airlock (multipart; each file checked)",
    dependencies=[Depends(api_csrf)],
)
def submit(
    request: Request,
    viewer: ApiViewer,
    session: SessionDep,
    project: Annotated[str, Form()],
    title: Annotated[str, Form()],
    files: Annotated[list[UploadFile], File()],
    metadata: Annotated[str, Form(description="JSON: {file name: {kind, sdc}}")] = "{}",
    release: Annotated[
        str | None,
        Form(description="The release the outputs come from (default: the project's newest)"),
    ] = None,
) -> OutputOut:
    described = parse_metadata(request.scope, viewer.username, metadata)
    limit = unit_of(request, session, viewer).governance.output_max_file_bytes
    names = check_uploads(request.scope, viewer.username, files, described, limit)
    with tempfile.TemporaryDirectory(prefix="nightingale-upload-") as folder:
        specs = []
        for name, upload in zip(names, files, strict=True):
            path = Path(folder) / name
            path.write_bytes(upload.file.read())
            about = described.get(name) or FileMetadata()
            specs.append(OutputFileSpec(path=path, kind=about.kind, sdc=about.sdc))
        output = airlock.submit(
            unit_of(request, session, viewer),
            project=project,
            title=title,
            files=specs,
            release=release or None,
        )
        session.commit()
    return _output_out(output)


@router.get("/outputs/{output_id}", summary="An output request's checks and decisions")
def output_status(output_id: RowId, viewer: ApiViewer, session: SessionDep) -> OutputOut:
    output = get_output(session, output_id)
    viewer.require(Action.OUTPUT_VIEW, output_facts(output))
    return _output_out(output)
