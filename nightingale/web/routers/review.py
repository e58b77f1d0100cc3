"""Clerical review pages: a link run's sample by stratum, and one pair side by side.

For data stewards who also hold the linkage role (the policy's ``linkage_review.*``):
the run page lists the sample by stratum with progress and shows the estimates and
their intervals before and after review; the pair page shows both records' identifiers
(opened in the identifier zone for that request only, audited, never cached or logged)
with the comparison levels and the weight, and match / non-match / unsure buttons.
Everything is :mod:`nightingale.operations.review`, as for ``nightingale linkage review``;
a plain steward reaches the pages' door (the role list) and is refused there (403,
audited).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from nightingale.governance import policy
from nightingale.linkage.review import SHOWN_FIELDS
from nightingale.linkage.spine import current_run
from nightingale.operations import review
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot
from nightingale.web.decision_form import DecisionForm, chosen
from nightingale.web.dependencies import (
    Viewer,
    check_csrf,
    get_session,
    get_settings,
    render,
    requires,
    unit_of,
)

router = APIRouter(prefix="/steward/linkage", tags=["stewards"])
Reviewer = Annotated[Viewer, Depends(requires(policy.Action.LINKAGE_REVIEW_VIEW))]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
DECISIONS = {"match": "Match", "non-match": "Non-match", "unsure": "Unsure"}
FIELD_LABELS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "postcode": "Postcode",
    "nhs_number": "NHS number",
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.get("/review", summary="Clerical review of the spine in force")
def review_current(request: Request, viewer: Reviewer, settings: SettingsDep) -> Response:
    run_id = current_run(DataRoot(settings.data_root))
    if run_id is None:
        raise HTTPException(404, "no link run yet")
    prefix = request.app.state.prefix
    return RedirectResponse(f"{prefix}/steward/linkage/{run_id}/review", status_code=303)


@router.get("/{run_id}/review", summary="A link run's review sample by stratum, with estimates")
def review_run(request: Request, run_id: str, viewer: Reviewer, session: SessionDep) -> Any:
    unit = unit_of(request, session, viewer)
    strata = review.sample(unit, run_id)
    before, after = review.report_estimates(unit, run_id)
    return render(
        request,
        "steward/review_run.html",
        f"Clerical review of link run {run_id}",
        viewer,
        run_id=run_id,
        strata=strata,
        total=sum(len(s.rows) for s in strata),
        decided=sum(s.decided for s in strata),
        before=before,
        after=after,
    )


@router.get("/{run_id}/review/pairs/{pair_key}", summary="One sampled pair side by side")
def review_pair(
    request: Request, run_id: str, pair_key: str, viewer: Reviewer, session: SessionDep
) -> Any:
    unit = unit_of(request, session, viewer)
    view = review.show(unit, run_id, pair_key)
    session.commit()  # the view's audit entry, before anything is shown
    mine = [d for d in view.decisions if d.reviewer == viewer.username]
    response = render(
        request,
        "steward/review_pair.html",
        f"Pair {pair_key}",
        viewer,
        run_id=run_id,
        view=view,
        fields=[(FIELD_LABELS[name], name) for name in SHOWN_FIELDS],
        mine=mine[-1] if mine else None,
        form=DecisionForm(
            f"{request.app.state.prefix}/steward/linkage/{run_id}/review/pairs/"
            f"{quote(view.pair_key, safe='/')}/decision",
            DECISIONS,
            field="note",
            field_label="Note",
            hint="optional; kept with the decision, not in the audit log",
            required=False,
            rows=2,
            danger="non-match",
            secondary="unsure",
            hidden={"revise": "1"} if mine else {},
        ),
    )
    response.headers.update(NO_STORE)
    return response


@router.post(
    "/{run_id}/review/pairs/{pair_key}/decision",
    summary="Match, non-match or unsure, with an optional note",
    dependencies=[Depends(check_csrf)],
)
def review_decide(
    request: Request,
    run_id: str,
    pair_key: str,
    viewer: Reviewer,
    session: SessionDep,
    decision: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    revise: Annotated[str, Form()] = "",
) -> Response:
    review.decide(
        unit_of(request, session, viewer),
        run_id,
        pair_key,
        chosen(decision, DECISIONS),
        note,
        revise=bool(revise),
    )
    session.commit()
    prefix = request.app.state.prefix
    return RedirectResponse(f"{prefix}/steward/linkage/{run_id}/review", status_code=303)
