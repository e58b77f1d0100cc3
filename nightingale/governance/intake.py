"""Ingest and link as governed actions: who may bring data in, and under which agreement.

The operations (:mod:`nightingale.operations.linkage`) ask here before they write
anything: :func:`require_ingest` refuses (audited ``dataset.ingest.refused``) unless the
actor is a linkage officer and a current data sharing agreement with the provider covers
every table of the extract (:mod:`.agreements`); :func:`require_link` refuses unless the
actor is a linkage officer or an administrator. The decisions are the policy's
(``dataset.ingest``, ``linkage.link``).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from nightingale.governance.acting import acting
from nightingale.governance.agreements import uncovered_tables
from nightingale.governance.policy import Action, IntakeFacts
from nightingale.platform.keystore import KeyStore


def intake_facts(session: Session, provider: str, tables: Collection[str]) -> IntakeFacts:
    """The policy's view of an extract of ``provider`` with ``tables`` (file stems)."""
    return IntakeFacts(
        provider=provider,
        tables=tuple(sorted(set(tables))),
        uncovered=uncovered_tables(session, provider, tables),
    )


def require_ingest(
    session: Session, keystore: KeyStore, by: str, provider: str, tables: Collection[str]
) -> None:
    """Refuse (audited, :class:`~.errors.PermissionDenied`) unless ``by`` may ingest now."""
    facts = intake_facts(session, provider, tables)
    with acting(
        session,
        keystore,
        by,
        Action.DATASET_INGEST,
        facts,
        object_type="dataset",
        object_id=provider,
    ):
        pass


def require_link(session: Session, keystore: KeyStore, by: str) -> None:
    """Refuse (audited) unless ``by`` may run linkage (a linkage officer or administrator)."""
    with acting(session, keystore, by, Action.LINKAGE_RUN, object_type="linkage", object_id="run"):
        pass
