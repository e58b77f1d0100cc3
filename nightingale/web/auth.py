"""Identity from JupyterHub: OAuth for browsers, the person's hub token for API calls.

The service never sees a password. A browser without a session is sent to the hub's
OAuth authorize endpoint (code flow with ``state`` and PKCE); the callback exchanges the
code for a hub token, which is kept in an HttpOnly, SameSite=Lax cookie scoped to the
service's prefix. A notebook sends its own ``$JUPYTERHUB_API_TOKEN`` in the
``Authorization: token …`` header. Either way the hub tells us whose token it is and
whether it carries ``access:services!service=governance``; the hub's answer is kept for
a minute (as :class:`jupyterhub.services.auth.HubOAuth`'s cache did), and requests with
the same token that arrive while the hub is being asked share that one question.

Form posts carry a CSRF token derived from the session (HMAC with the service's own API
token), so another site cannot make a logged-in steward approve something.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from jupyterhub.services.auth import HubOAuth

SESSION_COOKIE = "nightingale-session"
TOKEN_CHECK_SECONDS = 60.0
"""How long the hub's answer about a token is reused (as HubOAuth's cache did)."""
MAX_TOKENS = 10_000
"""Answers kept at most; past it they are all dropped (each costs one hub call again)."""
STATE_COOKIE = "nightingale-oauth-state"


@dataclass(frozen=True)
class HubIdentity:
    """Who the hub says a token belongs to."""

    username: str
    token: str


class HubGate:
    """The service's side of the hub's OAuth, around :class:`HubOAuth`."""

    def __init__(
        self,
        oauth: HubOAuth | None = None,
        *,
        max_age: float = TOKEN_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.oauth = oauth if oauth is not None else HubOAuth(cache_max_age=max_age)
        self.max_age = max_age
        self._clock = clock
        self._known: dict[str, tuple[float, HubIdentity | None]] = {}
        """The hub's answers by the token's SHA-256, with when the question was asked."""
        self._checking: dict[str, asyncio.Future[HubIdentity | None]] = {}
        """The hub checks in flight, by the token's SHA-256."""

    @property
    def prefix(self) -> str:
        """The service's URL prefix, e.g. ``/services/governance/``."""
        return str(self.oauth.base_url)

    async def identify(self, token: str) -> HubIdentity | None:
        """The owner of ``token`` if the hub knows it and it may use this service.

        The hub is asked once per token per ``max_age`` seconds (a minute, as
        :class:`HubOAuth`'s own cache did; its answer was reused as long before), and
        requests arriving with the same token while it is being asked wait for that one
        answer instead of each asking (fifty notebook calls at once were fifty hub calls).
        """
        if not token:
            return None
        key = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
        known = self._known.get(key)
        if known is not None and self._clock() - known[0] < self.max_age:
            return known[1]
        check = self._checking.get(key)
        if check is None:
            # A task of its own: a caller that goes away does not cancel the others' answer.
            check = asyncio.ensure_future(self._ask_hub(key, token))
            self._checking[key] = check
            check.add_done_callback(lambda done: self._forget(key, done))
        return await asyncio.shield(check)

    def _forget(self, key: str, check: asyncio.Future[HubIdentity | None]) -> None:
        if self._checking.get(key) is check:
            del self._checking[key]

    async def _ask_hub(self, key: str, token: str) -> HubIdentity | None:
        asked = self._clock()  # the answer's age counts from the question
        identity = await self._identity_from_hub(token)
        if len(self._known) >= MAX_TOKENS:
            self._known.clear()
        self._known[key] = (asked, identity)
        return identity

    async def _identity_from_hub(self, token: str) -> HubIdentity | None:
        model: dict[str, Any] | None = await self.oauth.user_for_token(
            token, use_cache=False, sync=False
        )
        if not model or model.get("kind", "user") != "user":
            return None
        if not self.oauth.check_scopes(self.oauth.access_scopes, model):
            return None
        return HubIdentity(username=str(model["name"]), token=token)

    def start_login(self, next_url: str) -> tuple[str, str]:
        """The hub authorize URL to redirect to, and the state to keep in a cookie."""
        verifier, challenge, method = self.oauth.generate_pkce_code_challenge()
        state = self.oauth.generate_state(next_url, code_verifier=verifier)
        query = urlencode(
            {"state": state, "code_challenge": challenge, "code_challenge_method": method}
        )
        return f"{self.oauth.login_url}&{query}", state

    async def finish_login(self, code: str, state: str) -> tuple[str, str]:
        """Exchange the code (with the PKCE verifier) for a hub token; return it and next."""
        verifier = self.oauth.get_code_verifier(state)
        next_url = str(self.oauth.get_next_url(state))
        self.oauth.clear_oauth_state(state)
        token = await self.oauth.token_for_code(code, code_verifier=verifier, sync=False)
        return str(token), next_url

    def csrf_token(self, session_token: str) -> str:
        """The CSRF token forms must echo back for this session."""
        key = str(self.oauth.api_token).encode()
        return hmac.new(key, session_token.encode(), hashlib.sha256).hexdigest()[:40]

    def csrf_ok(self, session_token: str, submitted: str) -> bool:
        return hmac.compare_digest(self.csrf_token(session_token), submitted)
