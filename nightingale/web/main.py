"""The FastAPI application: routers per area under the service's prefix, hub OAuth, errors.

``create_app`` builds the app from settings so tests can run it on a temporary data root
with FastAPI's TestClient; ``python -m nightingale.web`` runs it as the hub-managed
service (see :mod:`nightingale.web.__main__`). Its sizes (threads, connections, the
access cache) are a :class:`.ServiceTuning`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import TimeoutError as PoolTimeout

from nightingale.governance.audit_anchor import HeadFile, keep_head_file
from nightingale.governance.errors import (
    GovernanceError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from nightingale.governance.settings import governance_settings
from nightingale.platform.bootstrap import keystore_for
from nightingale.platform.database import make_engine
from nightingale.platform.errors import NightingaleError
from nightingale.platform.settings import Settings
from nightingale.web.access_cache import AccessCache
from nightingale.web.auth import SESSION_COOKIE, STATE_COOKIE, HubGate
from nightingale.web.dependencies import TEMPLATES, LoginRequired
from nightingale.web.headers import SecurityHeaders, docs_router
from nightingale.web.limits import BodyLimit
from nightingale.web.rejections import UNKNOWN_ACTOR, audit_rejection
from nightingale.web.routers.airlock import router as airlock_router
from nightingale.web.routers.api import router as api_router
from nightingale.web.routers.audit import router as audit_router
from nightingale.web.routers.home import router as home_router
from nightingale.web.routers.jobs import router as jobs_router
from nightingale.web.routers.publishing import router as publishing_router
from nightingale.web.routers.research import router as research_router
from nightingale.web.routers.review import router as review_router
from nightingale.web.routers.steward import router as steward_router
from nightingale.web.stamp import StampReader
from nightingale.web.tuning import ServiceTuning

ROUTERS = (
    home_router,
    research_router,
    steward_router,
    review_router,
    airlock_router,
    jobs_router,
    publishing_router,
    audit_router,
)

DEFAULT_PREFIX = "/services/governance"
STATUS_FOR: dict[type[Exception], int] = {
    PermissionDenied: 403,
    NotFound: 404,
    InvalidTransition: 409,
    InvalidInput: 422,
}


def _status(exc: Exception) -> int:
    for kind, status in STATUS_FOR.items():
        if isinstance(exc, kind):
            return status
    return 400


def _wants_json(request: Request, prefix: str) -> bool:
    return request.url.path.startswith(f"{prefix}/api/") or "text/html" not in request.headers.get(
        "accept", ""
    )


def _cookie_options(request: Request, prefix: str) -> dict[str, Any]:
    return {
        "path": f"{prefix}/",
        "httponly": True,
        "samesite": "lax",
        "secure": request.url.scheme == "https",
    }


def _auth_router(prefix: str) -> APIRouter:
    router = APIRouter(tags=["auth"], include_in_schema=False)

    @router.get("/oauth_callback")
    async def oauth_callback(request: Request, code: str = "", state: str = "") -> Response:
        """Finish the hub's OAuth: check the state, swap the code for a token, set the cookie."""
        gate: HubGate = request.app.state.gate
        expected = request.cookies.get(STATE_COOKIE, "")
        if not code or not state or state != expected:
            raise HTTPException(403, "the login could not be verified; please log in again")
        token, next_url = await gate.finish_login(code, state)
        if not next_url.startswith(f"{prefix}/"):
            next_url = f"{prefix}/"
        response = RedirectResponse(next_url, status_code=303)
        response.delete_cookie(STATE_COOKIE, path=f"{prefix}/")
        response.set_cookie(SESSION_COOKIE, token, **_cookie_options(request, prefix))
        return response

    @router.get("/logout")
    async def logout(request: Request) -> Response:
        """Forget the service session and log out of the hub too."""
        response = RedirectResponse("/hub/logout", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=f"{prefix}/")
        return response

    return router


def _guard(app: FastAPI, settings: Settings) -> None:
    """Security headers on every answer; every request body capped (413, audited)."""
    cap = governance_settings(settings).output_max_request_bytes
    app.add_middleware(BodyLimit, max_bytes=cap)
    app.add_middleware(SecurityHeaders)


def create_app(
    settings: Settings,
    gate: HubGate | None = None,
    prefix: str = DEFAULT_PREFIX,
    tuning: ServiceTuning | None = None,
) -> FastAPI:
    """The service for ``settings``' data root and database."""
    prefix = "/" + prefix.strip("/")
    tuning = tuning or ServiceTuning()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The routes' database work runs in this pool; the connection pool matches it.
        anyio.to_thread.current_default_thread_limiter().total_tokens = tuning.threads
        yield
        _app.state.stamps.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Nightingale governance service",
        description="Requests, approvals, the airlock, publishing and the audit log.",
        version="1",
        openapi_url=f"{prefix}/openapi.json",
        docs_url=None,  # served from local, pinned files by .headers.docs_router
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.prefix = prefix
    app.state.gate = gate if gate is not None else HubGate()
    app.state.tuning = tuning
    url = settings.resolved_database_url
    app.state.engine = make_engine(url, **tuning.pool_options(url))
    app.state.access_cache = AccessCache(app.state.engine, tuning.access_cache_seconds)
    app.state.stamps = StampReader(app.state.access_cache)
    app.state.keystore = keystore_for(settings)
    # Every request that audits advances the signed head file under the data root.
    keep_head_file(app.state.engine, HeadFile.under(settings.data_root))
    _guard(app, settings)
    # The API first: notebooks call it most, and routes are matched in order.
    app.include_router(api_router, prefix=prefix)
    static = Path(__file__).resolve().parent / "static"
    app.mount(f"{prefix}/static", StaticFiles(directory=static), name="static")
    app.include_router(_auth_router(prefix), prefix=prefix)
    app.include_router(docs_router(prefix, f"{prefix}/openapi.json"), prefix=prefix)
    for router in ROUTERS:
        app.include_router(router, prefix=prefix)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        url, state = request.app.state.gate.start_login(exc.next_url)
        response = RedirectResponse(url, status_code=303)
        options = _cookie_options(request, prefix) | {"max_age": 600}
        response.set_cookie(STATE_COOKIE, state, **options)
        return response

    def _error(request: Request, status: int, message: str) -> Response:
        if _wants_json(request, prefix):
            return JSONResponse({"detail": message}, status_code=status)
        return TEMPLATES.TemplateResponse(
            request,
            "error.html",
            {"title": f"Not possible ({status})", "prefix": prefix, "message": message},
            status_code=status,
        )

    @app.exception_handler(GovernanceError)
    async def governance_error(request: Request, exc: GovernanceError) -> Response:
        return _error(request, _status(exc), str(exc))

    @app.exception_handler(NightingaleError)
    async def nightingale_error(request: Request, exc: NightingaleError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(PoolTimeout)
    async def busy(request: Request, exc: PoolTimeout) -> Response:
        response = _error(request, 503, "the service is busy; please try again in a moment")
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        fields = sorted({".".join(str(p) for p in e.get("loc", ())) for e in exc.errors()})
        reason = f"invalid fields: {', '.join(fields)}"[:300]
        await asyncio.to_thread(
            audit_rejection, request.scope, actor=UNKNOWN_ACTOR, status=422, reason=reason
        )
        return _error(request, 422, f"the request is not valid ({reason})")

    return app
