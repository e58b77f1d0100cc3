"""Log people in against the governance database; their roles and projects become groups.

One machine has no identity provider, so the hub checks the argon2 password hashes the
governance package keeps (:mod:`nightingale.governance.passwords`). The governance
database stays the one source of truth: at every login, and again before every spawn and
every ``auth_refresh_age`` seconds, the person's roles and open projects are read back
and returned as hub groups (``role:data_steward``, ``project:dfh-pilot``), which the hub
applies because :attr:`manage_groups` is on. A deactivated or deleted person is logged
out at the next refresh.

In production an OAuthenticator against the institution's identity provider (with MFA)
replaces the password check; the group mapping stays the same.

Nobody becomes a hub administrator through this authenticator: a hub admin can open any
user's server, which would bypass the release policy.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyterhub.auth import Authenticator
from traitlets import Bool, Unicode, default

from nightingale.hub.access import check_login, current_access, settings_for


def _source_of(handler: Any) -> str | None:
    """The client's address as the hub saw it (behind the proxy: its X-Forwarded-For)."""
    request = getattr(handler, "request", None)
    address = getattr(request, "remote_ip", None)
    return str(address) if address else None


class GovernanceAuthenticator(Authenticator):  # type: ignore[misc]
    """Password login checked against the governance database's argon2 hashes."""

    data_root = Unicode(
        "",
        help="Nightingale data root; empty means $NIGHTINGALE_DATA_ROOT or ./var.",
    ).tag(config=True)

    @default("manage_groups")
    def _manage_groups(self) -> bool:
        return True

    @default("refresh_pre_spawn")
    def _refresh_pre_spawn(self) -> bool:
        return True

    @default("auth_refresh_age")
    def _auth_refresh_age(self) -> int:
        return 60

    @default("any_allow_config")
    def _any_allow_config(self) -> bool:
        # check_allowed below is the allow rule: governance decides who may log in.
        return True

    @default("enable_auth_state")
    def _enable_auth_state(self) -> bool:
        return False

    reveal_reason = Bool(
        False, help="Never say whether the name or the password was wrong (kept False)."
    ).tag(config=True)

    async def authenticate(self, handler: Any, data: dict[str, str]) -> dict[str, Any] | None:
        """Check the password (argon2, in a thread); return the name and groups or None.

        Failed logins are counted per name and per source address in the governance
        database (``[governance.login_throttling]``), so a restart or a second hub
        process does not reset them; while either is paused the login fails.
        """
        username = self.normalize_username(data.get("username", ""))
        password = data.get("password", "")
        if not username or not password:
            return None
        settings = settings_for(self.data_root)
        source = _source_of(handler)
        access = await asyncio.to_thread(check_login, settings, username, password, source)
        if access is None:
            self.log.warning("Failed login for a Nightingale account")
            return None
        return {"name": access.username, "groups": access.hub_groups(), "admin": False}

    def check_allowed(self, username: str, authentication: dict[str, Any] | None = None) -> bool:
        """Whoever passed :meth:`authenticate` is allowed; governance already decided."""
        return authentication is not None

    async def refresh_user(self, user: Any, handler: Any = None) -> dict[str, Any] | bool:
        """Re-read roles and projects; ``False`` (log in again) if the person is gone."""
        settings = settings_for(self.data_root)
        access = await asyncio.to_thread(current_access, settings, user.name)
        if access is None:
            return False
        return {"name": access.username, "groups": access.hub_groups(), "admin": False}
