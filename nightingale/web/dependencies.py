"""What every route shares: settings, a database session, the keystore, who is asking.

Two ways in, both through the hub (:mod:`.auth`):

- :func:`browser_identity` for pages: the session cookie, or a redirect to the hub's
  OAuth login (:class:`LoginRequired`, turned into a redirect by :mod:`.main`);
- :func:`api_identity` for the JSON API: ``Authorization: token <hub token>`` (what the
  workspace client sends), or the browser session; 401 otherwise.

:class:`Viewer` is the person behind either, with the policy's view of them. Whether a
person may use an area is :func:`requires`, which asks :func:`policy.roles_for`; whether
they may see one object there is :meth:`Viewer.require`, which asks :func:`policy.require`
(a refusal is a 403 with the policy's reason).

The API's viewer is kept for a moment in the service's :class:`.AccessCache` (notebooks
call the API often) and answered on the event loop while nothing changed (:mod:`.stamp`);
the pages' viewer is looked up afresh for every page.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Path, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from nightingale.governance import policy
from nightingale.governance.errors import NotFound
from nightingale.governance.models import Person
from nightingale.governance.people import person as find_person
from nightingale.governance.service import actor_of, today
from nightingale.operations.unit import Unit
from nightingale.platform.database import session_scope
from nightingale.platform.keystore import KeyStore
from nightingale.platform.settings import Settings
from nightingale.web.access_cache import AccessCache, Stamp
from nightingale.web.auth import SESSION_COOKIE, HubGate, HubIdentity
from nightingale.web.rejections import reject
from nightingale.web.stamp import StampReader

TEMPLATES = Jinja2Templates(directory=str(FilePath(__file__).resolve().parent / "templates"))
MAX_ID = 2**31 - 1
"""The largest row id a path may name (a bigger number is no row, and no database integer)."""
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="A row id (1 to 2^31-1).")]


class LoginRequired(Exception):
    """A page was asked for without a session: send the browser to the hub's login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


# The getters are ``async`` only so that FastAPI calls them on the event loop rather than
# sending each through the thread pool: they do no work.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_gate(request: Request) -> HubGate:
    gate: HubGate = request.app.state.gate
    return gate


async def get_keystore(request: Request) -> KeyStore:
    keystore: KeyStore = request.app.state.keystore
    return keystore


async def get_access_cache(request: Request) -> AccessCache:
    cache: AccessCache = request.app.state.access_cache
    return cache


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed on success, rolled back on error."""
    engine: Engine = request.app.state.engine
    with session_scope(engine) as session:
        yield session


async def browser_identity(
    request: Request, gate: Annotated[HubGate, Depends(get_gate)]
) -> HubIdentity:
    identity = await gate.identify(request.cookies.get(SESSION_COOKIE, ""))
    if identity is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise LoginRequired(request.url.path + query)
    return identity


def bearer_token(request: Request) -> str:
    """The hub token in ``Authorization: token|bearer …`` (a notebook's), or ``""``."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() in ("token", "bearer") else ""


async def api_identity(
    request: Request, gate: Annotated[HubGate, Depends(get_gate)]
) -> HubIdentity:
    token = bearer_token(request) or request.cookies.get(SESSION_COOKIE, "")
    identity = await gate.identify(token.strip())
    if identity is None:
        raise HTTPException(
            status_code=401,
            detail="send your hub token: 'Authorization: token $JUPYTERHUB_API_TOKEN'",
        )
    return identity


@dataclass(frozen=True)
class Viewer:
    """The person behind a request, as the policy sees them."""

    person: Person
    actor: policy.Actor
    csrf: str

    @property
    def username(self) -> str:
        return self.person.username

    def may(self, action: policy.Action) -> bool:
        """Whether one of the person's roles may take ``action`` at all (the policy's list)."""
        return policy.needs_no_role(action) or not self.actor.roles.isdisjoint(
            policy.roles_for(action)
        )

    def allowed(self, action: policy.Action, target: policy.Target = None) -> policy.Decision:
        """The policy's decision on the person taking ``action`` on ``target`` today."""
        return policy.decide(self.actor, action, target, today=today())

    def require(self, action: policy.Action, target: policy.Target = None) -> None:
        """Refuse (:class:`PermissionDenied`, a 403) unless the policy allows ``action``."""
        policy.require(self.actor, action, target, today=today())


def _viewer(session: Session, gate: HubGate, identity: HubIdentity) -> Viewer:
    try:
        found = find_person(session, identity.username)
    except NotFound as exc:
        raise HTTPException(403, f"{identity.username} has no Nightingale account") from exc
    if not found.active:
        raise HTTPException(403, f"{identity.username}'s account is deactivated")
    return Viewer(person=found, actor=actor_of(found), csrf=gate.csrf_token(identity.token))


def page_viewer(
    session: Annotated[Session, Depends(get_session)],
    gate: Annotated[HubGate, Depends(get_gate)],
    identity: Annotated[HubIdentity, Depends(browser_identity)],
) -> Viewer:
    return _viewer(session, gate, identity)


async def get_stamps(request: Request) -> StampReader:
    stamps: StampReader = request.app.state.stamps
    return stamps


async def api_viewer(
    request: Request,
    gate: Annotated[HubGate, Depends(get_gate)],
    identity: Annotated[HubIdentity, Depends(api_identity)],
    cache: Annotated[AccessCache, Depends(get_access_cache)],
    stamps: Annotated[StampReader, Depends(get_stamps)],
) -> Viewer:
    """The person behind an API call, from the access cache when nothing has changed.

    On the event loop: a cached answer needs no session and no thread, and one
    thread-pool trip per request is what a request under load waits for. Only a miss
    (a first call, or governance changed) looks the person up, in the thread pool. The
    state of governance it was checked against is kept for the route (:func:`access_stamp`).
    """
    stamp = request.state.access_stamp = await stamps.read()
    key = ("viewer", identity.username)

    def look_up() -> Viewer:
        with session_scope(request.app.state.engine) as session:
            found = _viewer(session, gate, identity)
            # Shared with later requests: no longer tied to a session.
            session.expunge(found.person)
            return found

    cached = await cache.answer(stamp, key, look_up)
    return replace(cached, csrf=gate.csrf_token(identity.token))


def access_stamp(request: Request) -> Stamp:
    """The state of governance :func:`api_viewer` checked its answer against."""
    stamp: Stamp = request.state.access_stamp
    return stamp


def unit_of(request: Request, session: Session, viewer: Viewer) -> Unit:
    """The request's unit of work, acting as the viewer (the route's session commits it)."""
    state = request.app.state
    return Unit(state.settings, viewer.username, session, state.keystore)


def requires(*actions: policy.Action) -> Callable[..., Viewer]:
    """A page dependency: the viewer, if one of their roles may take one of ``actions``."""

    def dependency(viewer: Annotated[Viewer, Depends(page_viewer)]) -> Viewer:
        if not any(viewer.may(action) for action in actions):
            needed = " or ".join(sorted({r for a in actions for r in policy.roles_for(a)}))
            raise HTTPException(403, f"this page is for people with the role {needed}")
        return viewer

    return dependency


async def form_fields(request: Request) -> FormData:
    """The posted form, for a route that reads fields by prefix (``why_…``, ``cheers-…``).

    Parsed here, on the event loop, so that the route itself can be a plain ``def`` whose
    database work runs in the thread pool instead of blocking every other request.
    """
    return await request.form()


def check_csrf(
    request: Request,
    viewer: Annotated[Viewer, Depends(page_viewer)],
    csrf: Annotated[str, Form()] = "",
) -> None:
    """Refuse (400, audited) a form post whose CSRF token is not this session's."""
    if not csrf or not hmac.compare_digest(csrf, viewer.csrf):
        reject(
            request.scope,
            actor=viewer.username,
            status=400,
            reason="form post without the session's CSRF token",
            detail="this form has expired; reload the page and try again",
        )


CSRF_HEADER = "X-CSRF-Token"


def api_csrf(request: Request, viewer: Annotated[Viewer, Depends(api_viewer)]) -> None:
    """A state-changing API call made with the browser's cookie must carry the session's
    CSRF token in ``X-CSRF-Token`` (another site can make a browser send the cookie, but
    not that header); refused 403 and audited. A call with a hub token in the
    ``Authorization`` header (a notebook's) is exempt: no browser adds that by itself."""
    if bearer_token(request):
        return
    submitted = request.headers.get(CSRF_HEADER, "")
    if not submitted or not hmac.compare_digest(submitted, viewer.csrf):
        reject(
            request.scope,
            actor=viewer.username,
            status=403,
            reason="cookie call without the session's CSRF token",
            detail=f"a call with the browser session needs its CSRF token in {CSRF_HEADER}; "
            "notebooks send 'Authorization: token $JUPYTERHUB_API_TOKEN' instead",
        )


def render(
    request: Request,
    template: str,
    title: str,
    viewer: Viewer | None = None,
    status_code: int = 200,
    **context: Any,
) -> Any:
    """A page from ``templates/`` with the shared layout's context."""
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "title": title,
            "prefix": request.app.state.prefix,
            "viewer": viewer,
            "actions": policy.Action,
            **context,
        },
        status_code=status_code,
    )
