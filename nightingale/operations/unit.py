"""A unit of work: one transaction, who is acting, and what every operation needs.

Every operation runs inside one :class:`Unit`: a database session (committed when the
``with`` block ends normally, rolled back otherwise), the keystore, the data root, the
platform settings with their governance and SDC sections already validated, and the
actor's name. Audit entries written through :meth:`Unit.audit` land in the same
transaction as the change they describe, so a change is never committed without its
entry, whoever (CLI, web, hub, a notebook's Python) called the operation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nightingale.governance import audit, audit_anchor
from nightingale.governance.audit_anchor import HeadFile
from nightingale.governance.settings import (
    GovernanceSettings,
    SdcSettings,
    governance_settings,
    sdc_settings,
)
from nightingale.platform import database
from nightingale.platform.bootstrap import keystore_for
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import KeyStore
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot


class NotInitialised(NightingaleError):
    """The data root or the database has not been set up by ``nightingale init``."""


@dataclass
class Unit:
    """Everything one operation needs, for one transaction."""

    settings: Settings
    actor: str
    session: Session
    keystore: KeyStore
    root: DataRoot = field(init=False)
    governance: GovernanceSettings = field(init=False)
    sdc: SdcSettings = field(init=False)

    def __post_init__(self) -> None:
        self.root = DataRoot(self.settings.data_root)
        self.governance = governance_settings(self.settings)
        self.sdc = sdc_settings(self.settings)
        # Every commit that audits advances the signed head file under the data root.
        audit_anchor.keep_head_file(self.session.get_bind(), HeadFile.under(self.root.path))

    def audit(self, action: str, object_type: str, object_id: str, details: dict[str, Any]) -> None:
        """Append an entry to the audit chain in this unit's transaction.

        ``details`` holds counts, ids and checksums only, never personal data.
        """
        audit.record(
            self.session,
            self.keystore,
            actor=self.actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details=details,
        )


@contextmanager
def open_unit(
    settings: Settings,
    actor: str,
    *,
    engine: Engine | None = None,
    keystore: KeyStore | None = None,
) -> Iterator[Unit]:
    """Open one unit of work for ``actor``; commit when the block ends without error.

    Long-running services pass their own ``engine`` and ``keystore`` (one pool, one
    keystore for the process); commands let the unit make and dispose of an engine.
    """
    owned = engine is None
    bound = database.make_engine(settings.resolved_database_url) if engine is None else engine
    try:
        if owned and not database.is_up_to_date(bound):
            raise NotInitialised(
                "the database is not initialised or not migrated; run 'nightingale init'"
            )
        with database.session_scope(bound) as session:
            yield Unit(settings, actor, session, keystore or keystore_for(settings))
    finally:
        if owned:
            bound.dispose()
