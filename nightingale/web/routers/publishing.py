"""Evaluators publish released outputs as a result; the public registry lists results.

The registry pages need no login: what is published has passed the airlock and an
evaluator's decision to publish, and is meant for the public. Publishing is
:func:`nightingale.operations.airlock.publish`, as for ``nightingale outputs publish``.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from nightingale.governance import outputs, policy, publishing
from nightingale.governance.models import PublishedResult
from nightingale.operations import airlock, cheers
from nightingale.platform.settings import Settings
from nightingale.web.dependencies import (
    Viewer,
    check_csrf,
    form_fields,
    get_session,
    get_settings,
    render,
    requires,
    unit_of,
)

router = APIRouter(tags=["publishing"])
Evaluator = Annotated[Viewer, Depends(requires(policy.Action.RESULT_PUBLISH))]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
PREVIEW_ROWS = 50
REPORT = "report.html"
"""The evaluator's report, when the published bundle has one."""
REPORT_POLICY = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"


CHEERS_FIELD = "cheers-"
"""Form fields ``cheers-<item>``: the evaluator's CHEERS 2022 items (as ``cheers template``)."""


def _cheers_items() -> list[dict[str, Any]]:
    from nightingale.analyses.economics.cheers import EVALUATOR_ITEMS, ITEMS

    return [
        {"item": n, "topic": ITEMS[n][1], "asks": asks, "field": f"{CHEERS_FIELD}{n}"}
        for n, asks in EVALUATOR_ITEMS.items()
    ]


@router.get("/publish/", summary="Choose released outputs to publish as one result")
def publish_form(request: Request, viewer: Evaluator, session: SessionDep) -> Any:
    released = outputs.queue(session, status="released")
    return render(
        request,
        "publish.html",
        "Publish a result",
        viewer,
        released=released,
        cheers_items=_cheers_items(),
    )


@router.post("/publish/", summary="Publish released outputs", dependencies=[Depends(check_csrf)])
def publish(
    request: Request,
    viewer: Evaluator,
    session: SessionDep,
    form: Annotated[FormData, Depends(form_fields)],
    title: Annotated[str, Form()],
    result_id: Annotated[str, Form()] = "",
) -> Response:
    chosen = [int(str(v)) for v in form.getlist("output") if str(v).isdigit()]
    answers = {
        key.removeprefix(CHEERS_FIELD): str(value)
        for key, value in form.items()
        if key.startswith(CHEERS_FIELD)
    }
    result = airlock.publish(
        unit_of(request, session, viewer),
        title=title,
        output_ids=chosen,
        result_id=result_id.strip() or None,
        cheers_answers=cheers.parse_answers(answers, "the publish form"),
    )
    session.commit()
    prefix = request.app.state.prefix
    return RedirectResponse(f"{prefix}/registry/{result.result_id}", status_code=303)


@router.get("/registry", summary="The public results registry (no login needed)")
def registry(request: Request, session: SessionDep) -> Any:
    results = list(reversed(publishing.list_results(session)))
    return render(request, "registry.html", "Results registry", None, results=results)


def _published(
    session: Session, settings: Settings, result_id: str
) -> tuple[PublishedResult, Path]:
    result = session.get(PublishedResult, result_id)
    if result is None:
        raise HTTPException(404, f"no published result {result_id!r}")
    return result, settings.data_root / result.location


def _preview(path: Path) -> list[list[str]] | None:
    if path.suffix != ".csv":
        return None
    with path.open(newline="") as handle:
        return [row for _, row in zip(range(PREVIEW_ROWS + 1), csv.reader(handle), strict=False)]


def _json_preview(path: Path) -> str | None:
    if path.suffix != ".json":
        return None
    try:
        return json.dumps(json.loads(path.read_text()), indent=2)[:4000]
    except ValueError:
        return None


@router.get("/registry/{result_id}", summary="One published result (public)")
def result_page(
    request: Request, result_id: str, session: SessionDep, settings: SettingsDep
) -> Any:
    result, folder = _published(session, settings, result_id)
    manifest = json.loads((folder / "manifest.json").read_text())
    files = [
        {"name": name, "sha256": digest, "table": _preview(folder / name),
         "json": _json_preview(folder / name)}
        for name, digest in sorted(manifest.get("files", {}).items())
    ]  # fmt: skip
    report = REPORT if (folder / REPORT).is_file() else None
    return render(
        request,
        "result.html",
        result.title,
        None,
        result=result,
        manifest=manifest,
        files=files,
        report=report,
    )


@router.get("/registry/{result_id}/files/{name}", summary="Download a published file (public)")
def result_file(result_id: str, name: str, session: SessionDep, settings: SettingsDep) -> Response:
    _result, folder = _published(session, settings, result_id)
    if not SAFE_NAME.match(name) or not (folder / name).is_file():
        raise HTTPException(404, f"result {result_id} has no file {name!r}")
    if name.endswith(".html"):
        # Reports are shown in the browser, sandboxed: no scripts, no access to this origin.
        return FileResponse(
            folder / name,
            media_type="text/html",
            headers={"Content-Security-Policy": REPORT_POLICY},
        )
    return FileResponse(folder / name, filename=name)
