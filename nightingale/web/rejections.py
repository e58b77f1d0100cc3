"""Bad requests answer 4xx, never 500, and each refusal is audited (``request.rejected``).

A request the service refuses before any governance action runs (a body over the size
cap, an upload named ``..``, metadata that is not the documented shape, a cookie call
without its CSRF token, a form missing a field) is recorded in the audit log in its own
transaction: the request's own unit of work rolls back. The entry holds the method, the
route, the status and a fixed reason phrase; never a value from the request (a file name
or a field's content could be personal data).
"""

from __future__ import annotations

from typing import Any, NoReturn

from fastapi import HTTPException
from starlette.types import Scope

from nightingale.governance import audit
from nightingale.platform.database import session_scope

ACTION = "request.rejected"
OBJECT_TYPE = "http"
"""Not a governance object: ``audit verify``'s replay leaves these entries alone."""
UNKNOWN_ACTOR = "anonymous"


def audit_rejection(scope: Scope, *, actor: str, status: int, reason: str) -> None:
    """Append ``request.rejected`` for the request in ``scope`` (its own transaction)."""
    app: Any = scope["app"]
    path = str(scope.get("path", ""))
    with session_scope(app.state.engine) as session:
        audit.record(
            session,
            app.state.keystore,
            actor=actor,
            action=ACTION,
            object_type=OBJECT_TYPE,
            object_id=path[:200],
            details={"method": scope.get("method", ""), "status": status, "reason": reason},
        )


def reject(scope: Scope, *, actor: str, status: int, reason: str, detail: str) -> NoReturn:
    """Audit the refusal (``reason``: a fixed phrase) and answer ``status`` with ``detail``."""
    audit_rejection(scope, actor=actor, status=status, reason=reason)
    raise HTTPException(status, detail)
