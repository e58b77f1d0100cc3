"""Stewards and administrators: the audit log and whether its hash chain verifies."""

from __future__ import annotations

from collections import deque
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from nightingale.governance import audit as chain
from nightingale.governance import policy
from nightingale.platform.keystore import KeyStore
from nightingale.web.dependencies import Viewer, get_keystore, get_session, render, requires

router = APIRouter(prefix="/audit", tags=["audit"])
Reader = Annotated[Viewer, Depends(requires(policy.Action.AUDIT_READ))]
SHOWN = 200


@router.get("/", summary="The newest audit entries and the chain's verification status")
def audit_page(
    request: Request,
    viewer: Reader,
    session: Annotated[Session, Depends(get_session)],
    keystore: Annotated[KeyStore, Depends(get_keystore)],
    action: str = "",
) -> Any:
    verified = chain.verify(session, keystore) if viewer.may(policy.Action.AUDIT_VERIFY) else None
    newest = deque(chain.entries(session, action_prefix=action or None), maxlen=SHOWN)
    rows = [(entry, chain.details_of(entry)) for entry in reversed(newest)]
    return render(
        request, "audit.html", "Audit log", viewer, verified=verified, rows=rows, action=action
    )
