"""The hub's way in to workspace access: settings, one engine per database, one unit per ask.

The hub plugins decide nothing themselves: :func:`check_login` and :func:`current_access`
open a unit of work for the person and call the workspace operation
(:mod:`nightingale.operations.workspace`), which asks the governance policy. The hub
imports operations and platform only, never governance.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine

from nightingale.operations.release_copies import QuarantineReport, quarantine_withdrawn_copies
from nightingale.operations.unit import open_unit
from nightingale.operations.workspace import (
    VisibleRelease,
    WorkspaceAccess,
    log_in,
    workspace_access,
)
from nightingale.platform.database import make_engine
from nightingale.platform.settings import Settings, load_settings

__all__ = [
    "VisibleRelease",
    "WorkspaceAccess",
    "check_login",
    "current_access",
    "quarantine_copies",
    "settings_for",
]

HUB_ACTOR = "hub"
"""The audit log's actor for what the hub does on its own (quarantining copies)."""


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return make_engine(url)


def settings_for(data_root: str) -> Settings:
    """Platform settings for a hub plugin: its ``data_root`` trait, else the usual sources."""
    return load_settings(data_root=Path(data_root) if data_root else None)


def check_login(
    settings: Settings, username: str, password: str, source: str | None = None
) -> WorkspaceAccess | None:
    """Verify a login and return the person's access; None when the login fails or the
    name or ``source`` address is paused (the throttle lives in the governance database).

    Blocking (argon2 and the database): the authenticator runs it in a thread.
    """
    with open_unit(settings, username, engine=_engine(settings.resolved_database_url)) as unit:
        return log_in(unit, password, source=source)


def current_access(settings: Settings, username: str) -> WorkspaceAccess | None:
    """The person's access right now (None when they no longer exist or are deactivated)."""
    with open_unit(settings, username, engine=_engine(settings.resolved_database_url)) as unit:
        return workspace_access(unit)


def quarantine_copies(
    settings: Settings, username: str, home: Path, still_readable: frozenset[str]
) -> QuarantineReport:
    """Move copies of releases withdrawn from ``username`` out of their home (audited)."""
    with open_unit(settings, HUB_ACTOR, engine=_engine(settings.resolved_database_url)) as unit:
        return quarantine_withdrawn_copies(unit, username, home, still_readable)
