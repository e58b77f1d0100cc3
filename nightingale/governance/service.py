"""What every governance action shares: the clock, look-ups, row locks and audited refusals.

A refused action must leave a trace even though the action itself changes nothing, so
:func:`refuse` rolls the session's transaction back (discarding anything the action had
begun), commits a ``<action>.refused`` audit entry on its own, and raises. That is why each
governance action should run in its own unit of work (one CLI command, one web request).

Actions open with :func:`nightingale.governance.acting.acting`, which does the look-up, the
policy question and the refusal in one place. :func:`acting_person` and :func:`guard` are
that opening's older, separate steps, still used by :mod:`.outputs`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, NoReturn, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from nightingale.governance import audit
from nightingale.governance.errors import GovernanceError, NotFound, PermissionDenied
from nightingale.governance.models import Person
from nightingale.governance.policy import Action, Actor, Target, decide
from nightingale.platform.keystore import KeyStore

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utcnow().date()


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def person(session: Session, username: str) -> Person:
    """The person called ``username``; :class:`NotFound` when there is none."""
    found = session.scalar(select(Person).where(Person.username == username))
    if found is None:
        raise NotFound(f"no person called {username!r}")
    return found


def actor_of(found: Person) -> Actor:
    """The policy's view of a person."""
    return Actor(
        username=found.username,
        roles=found.roles,
        active=found.active,
        accreditation_expires=found.accreditation_expires,
    )


def lock_row(
    session: Session,
    model: type[T],
    key: InstrumentedAttribute[Any],
    value: object,
    touch: InstrumentedAttribute[Any],
) -> T | None:
    """Lock one row for the rest of the transaction and return it freshly read.

    The no-op UPDATE of ``touch`` takes PostgreSQL's row lock and SQLite's write lock, so a
    concurrent action on the same row waits and then sees this one's result.
    """
    condition: ColumnElement[bool] = key == value
    session.execute(update(model).where(condition).values({touch.key: touch}))
    query = select(model).where(condition).with_for_update(of=model)
    return session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()


def record_refusal(
    session: Session,
    keystore: KeyStore,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    reason: str,
) -> None:
    """Discard the action's changes and commit an audited ``<action>.refused`` on its own."""
    session.rollback()
    audit.record(
        session,
        keystore,
        actor=actor,
        action=f"{action}.refused",
        object_type=object_type,
        object_id=object_id,
        details={"reason": reason},
    )
    session.commit()


def refuse(
    session: Session,
    keystore: KeyStore,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    reason: str,
    error: type[GovernanceError] = PermissionDenied,
) -> NoReturn:
    """Discard the action's changes, commit an audited refusal, raise ``error(reason)``."""
    record_refusal(
        session,
        keystore,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
    )
    refused = error(f"refused: {reason}")
    refused.audited = True
    raise refused


def guard(
    session: Session,
    keystore: KeyStore,
    actor: Actor,
    action: Action,
    target: Target,
    *,
    object_type: str,
    object_id: str,
    on: date | None = None,
) -> None:
    """Ask the policy; on refusal, audit it and raise :class:`PermissionDenied`."""
    decision = decide(actor, action, target, today=on or today())
    if not decision.allowed:
        refuse(
            session,
            keystore,
            actor=actor.username,
            action=str(action),
            object_type=object_type,
            object_id=object_id,
            reason=decision.reason,
        )


def acting_person(
    session: Session,
    keystore: KeyStore,
    username: str,
    action: Action,
    object_type: str,
    object_id: str,
) -> Person:
    """The acting person; an unknown username is refused and audited like any refusal."""
    try:
        return person(session, username)
    except NotFound:
        refuse(
            session,
            keystore,
            actor=username,
            action=str(action),
            object_type=object_type,
            object_id=object_id,
            reason=f"no person called {username!r}",
            error=NotFound,
        )


acting = acting_person
"""The old name of :func:`acting_person`, for :mod:`.outputs` until it opens with
:func:`nightingale.governance.acting.acting`."""
