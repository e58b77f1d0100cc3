"""Identity from JupyterHub: OAuth for browsers, the person's hub token for API calls.

The service never sees a password. A browser without a session is sent to the hub's
OAuth authorize endpoint (code flow with ``state`` and PKCE); the callback exchanges the
code for a hub token, which is kept in an HttpOnly, SameSite=Lax cookie scoped to the
service's prefix. A notebook sends its own ``$JUPYTERHUB_API_TOKEN`` in the
``Authorization: token …`` header. Either way the hub tells us whose token it is and
whether it carries ``access:services!service=governance``; the hub's answer is cached
for a minute by :class:`jupyterhub.services.auth.HubOAuth`, and requests with the same
token that arrive while the hub is being asked share that one question.

Form posts carry a CSRF token derived from the session (HMAC with the service's own API
token), so another site cannot make a logged-in steward approve something.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from jupyterhub.services.auth import HubOAuth

SESSION_COOKIE = "nightingale-session"
STATE_COOKIE = "nightingale-oauth-state"


@dataclass(frozen=True)
class HubIdentity:
    """Who the hub says a token belongs to."""

    username: str
    token: str


class HubGate:
    """The service's side of the hub's OAuth, around :class:`HubOAuth`."""

    def __init__(self, oauth: HubOAuth | None = None) -> None:
        self.oauth = oauth if oauth is not None else HubOAuth(cache_max_age=60)
        self._checking: dict[str, asyncio.Future[HubIdentity | None]] = {}
        """The hub checks in flight, by token."""

    @property
    def prefix(self) -> str:
        """The service's URL prefix, e.g. ``/services/governance/``."""
        return str(self.oauth.base_url)

    async def identify(self, token: str) -> HubIdentity | None:
        """The owner of ``token`` if the hub knows it and it may use this service.

        Requests arriving with the same token while the hub is being asked wait for that
        one answer instead of each asking the hub (fifty notebook calls at once were fifty
        hub API calls); the answer itself is kept for a minute by :class:`HubOAuth`.
        """
        if not token:
            return None
        check = self._checking.get(token)
        if check is None:
            # A task of its own: a caller that goes away does not cancel the others' answer.
            check = asyncio.ensure_future(self._ask_hub(token))
            self._checking[token] = check
            check.add_done_callback(lambda done: self._forget(token, done))
        return await asyncio.shield(check)

    def _forget(self, token: str, check: asyncio.Future[HubIdentity | None]) -> None:
        if self._checking.get(token) is check:
            del self._checking[token]

    async def _ask_hub(self, token: str) -> HubIdentity | None:
        model: dict[str, Any] | None = await self.oauth.user_for_token(token, sync=False)
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
