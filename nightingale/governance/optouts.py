"""The national data opt-out, as governance sees it: who loaded which list, when.

The list itself (NHS numbers) never leaves the identifier zone: linkage keeps it as
keyed tokens (:mod:`nightingale.linkage.optout`). Governance records each load's count
and checksum, audited ``optout.loaded``; only a linkage officer loads one
(``optout.load``). Builds remove opted-out people's health data from research releases
and count them in the manifest (``opted_out_removed``) and the ``release.built`` entry.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance.acting import acting
from nightingale.governance.models import OptOutLoad
from nightingale.governance.policy import Action
from nightingale.governance.service import utcnow
from nightingale.platform.keystore import KeyStore


def require_load(session: Session, keystore: KeyStore, by: str, provider: str) -> None:
    """Refuse (audited) unless ``by`` may load the opt-out list (a linkage officer)."""
    with acting(
        session, keystore, by, Action.OPTOUT_LOAD, object_type="optout", object_id=provider
    ):
        pass


def record_load(
    session: Session, keystore: KeyStore, *, by: str, provider: str, entries: int, sha256: str
) -> OptOutLoad:
    """Record a load of ``provider``'s opt-out list (counts and checksum only; audited)."""
    with acting(
        session, keystore, by, Action.OPTOUT_LOAD, object_type="optout", object_id=provider
    ) as who:
        load = OptOutLoad(
            provider=provider,
            entries=entries,
            sha256=sha256,
            loaded_by=who.username,
            loaded_at=utcnow(),
        )
        session.add(load)
        session.flush()
        who.audit("optout.loaded", {"entries": entries, "sha256": sha256})
        return load


def latest_load(session: Session, provider: str) -> OptOutLoad | None:
    query = select(OptOutLoad).where(OptOutLoad.provider == provider).order_by(OptOutLoad.id.desc())
    return session.scalars(query).first()
