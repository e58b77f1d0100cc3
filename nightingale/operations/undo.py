"""Files that exist only if the transaction that registers them commits.

Ingest writes a dataset version's files and then registers the version in the database;
link writes a spine and then records the run. Files are written before the commit, so
when the transaction does not commit (the operation or a later step in the same unit
fails, the commit itself fails, or a governance refusal rolls the unit back) the files
must go, or the data root would hold a version or a spine that the database, and the
audit log, never took.

The undo belongs to the transaction, not to whoever opened it: :func:`undo_unless_committed`
hangs it on the session, so it runs for a unit opened by the CLI (:func:`open_unit`), by
the web service (its request's session) or by a notebook alike. It runs once the session's
outermost transaction ends without committing, and is dropped when it commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

_PENDING = "nightingale.undo_unless_committed"


def undo_unless_committed(session: Session, undo: Callable[[], None]) -> None:
    """Call ``undo`` if ``session``'s current (outermost) transaction does not commit.

    Undos run newest first. A failing undo is logged and does not hide the error that
    ended the transaction.
    """
    if session.get_transaction() is None:
        session.begin()
    pending: list[Callable[[], None]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_transaction_end", _ended)
    pending.append(undo)


def _committed(session: Session) -> None:
    # Fired for the outermost transaction only, before it ends: keep what it wrote.
    session.info[_PENDING].clear()


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint: the outer transaction decides
        return
    pending: list[Callable[[], None]] = session.info[_PENDING]
    while pending:
        undo = pending.pop()
        try:
            undo()
        except Exception:  # the transaction's own error matters more; say what was left
            log.exception("could not remove the files of an uncommitted operation")
