"""The opening every governance action shares: who acts, may they, and the refusal if not.

Each action used to begin with the same four steps: find the acting person (an unknown
name is an audited refusal), build the policy's facts, ask the policy, and on refusal roll
back, commit an audited ``<action>.refused`` entry and raise. :func:`acting` does them once::

    project = get_project(session, slug)
    with acting(session, keystore, by, Action.PROJECT_EDIT, project_facts(project),
                object_type="project", object_id=slug) as who:
        ...                      # the change itself
        who.audit("project.member_added", {"member": username})

Inside the block a refusal is the same whatever raised it: :meth:`Acting.refuse` for a
reason of the action's own, and any :class:`~.errors.GovernanceError` raised by what the
block calls (a malformed input, a transition the state machine does not allow, a person
who does not exist) is audited as ``<action>.refused`` with its message, after the block's
changes are rolled back, and raised again unchanged. A refusal already audited (by
:meth:`Acting.refuse`, or by an action called inside the block) is not audited twice.
Row locks, where an action needs one, are taken before the facts are read
(:func:`.service.lock_row`), so the policy decides on the row as it is now.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

from sqlalchemy.orm import Session

from nightingale.governance import audit
from nightingale.governance.errors import GovernanceError, PermissionDenied
from nightingale.governance.models import Person
from nightingale.governance.policy import Action, Actor, Target, decide
from nightingale.governance.service import (
    acting_person,
    actor_of,
    record_refusal,
    refuse,
    today,
)
from nightingale.platform.keystore import KeyStore


@dataclass(frozen=True)
class Acting:
    """The person taking one governance action on one object, and how to record it."""

    session: Session
    keystore: KeyStore
    person: Person
    action: Action
    object_type: str
    object_id: str

    @property
    def username(self) -> str:
        return self.person.username

    @property
    def actor(self) -> Actor:
        """The policy's view of the acting person."""
        return actor_of(self.person)

    def refuse(
        self,
        reason: str,
        *,
        error: type[GovernanceError] = PermissionDenied,
        object_type: str | None = None,
        object_id: str | None = None,
    ) -> NoReturn:
        """Refuse the action for ``reason``: roll back, audit ``<action>.refused``, raise."""
        refuse(
            self.session,
            self.keystore,
            actor=self.username,
            action=str(self.action),
            object_type=object_type or self.object_type,
            object_id=object_id or self.object_id,
            reason=reason,
            error=error,
        )

    def audit(
        self,
        action: str,
        details: dict[str, Any],
        *,
        object_type: str | None = None,
        object_id: str | None = None,
    ) -> None:
        """Record what the action did, by the acting person, in the action's transaction."""
        audit.record(
            self.session,
            self.keystore,
            actor=self.username,
            action=action,
            object_type=object_type or self.object_type,
            object_id=object_id or self.object_id,
            details=details,
        )


@contextmanager
def acting(
    session: Session,
    keystore: KeyStore,
    username: str,
    action: Action,
    target: Target = None,
    *,
    object_type: str,
    object_id: str,
    on: date | None = None,
) -> Iterator[Acting]:
    """``username`` takes ``action`` on ``target`` (the policy's facts) if the policy allows.

    Refused (audited, raised) when there is no such person or the policy says no; inside
    the block every governance error is an audited refusal of ``action`` (see the module).
    ``on`` is the day the policy decides for (today unless given).
    """
    who = Acting(
        session,
        keystore,
        acting_person(session, keystore, username, action, object_type, object_id),
        action,
        object_type,
        object_id,
    )
    decision = decide(who.actor, action, target, today=on or today())
    if not decision.allowed:
        who.refuse(decision.reason)
    try:
        yield who
    except GovernanceError as exc:
        if not exc.audited:
            record_refusal(
                session,
                keystore,
                actor=who.username,
                action=str(action),
                object_type=object_type,
                object_id=object_id,
                reason=str(exc).removeprefix("refused: "),
            )
            exc.audited = True
        raise
