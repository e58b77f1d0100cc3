"""People: accounts, roles, accreditation and password checks.

Only an administrator manages people, except for the very first account of a fresh
platform, which must be an administrator and is audited as created by ``bootstrap``, and
a person's own password, which they may set themself (the policy's ``person.bootstrap``
and ``person.credentials``).
The hub's authenticator and the web service use :func:`authenticate` and :func:`actor`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance import audit
from nightingale.governance.acting import Acting, acting
from nightingale.governance.errors import InvalidInput
from nightingale.governance.facts import platform_facts
from nightingale.governance.models import ROLES, Person, PersonRole
from nightingale.governance.passwords import check_password, hash_password
from nightingale.governance.policy import ANONYMOUS, Action, Actor, PersonFacts, decide, roles_for
from nightingale.governance.service import actor_of, refuse, today, utcnow
from nightingale.governance.service import person as person
from nightingale.governance.settings import PasswordHashing
from nightingale.platform.keystore import KeyStore

USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")
BOOTSTRAP = "bootstrap"


def _check_roles(roles: Iterable[str]) -> list[str]:
    chosen = sorted(set(roles))
    unknown = [r for r in chosen if r not in ROLES]
    if unknown:
        raise InvalidInput(f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    if not chosen:
        raise InvalidInput("a person needs at least one role")
    return chosen


def _bootstrap(session: Session, keystore: KeyStore, username: str) -> None:
    """Refuse (audited) unless this is a fresh platform's first person, whom no one creates."""
    decision = decide(ANONYMOUS, Action.PERSON_BOOTSTRAP, platform_facts(session), today=today())
    if not decision.allowed:
        refuse(
            session,
            keystore,
            actor=ANONYMOUS.username,
            action=str(Action.PERSON_MANAGE),
            object_type="person",
            object_id=username,
            reason=decision.reason,
        )


def _managing(
    session: Session, keystore: KeyStore, by: str, username: str
) -> AbstractContextManager[Acting]:
    """``by`` manages person ``username``: an administrator, or refused and audited."""
    return acting(
        session, keystore, by, Action.PERSON_MANAGE, object_type="person", object_id=username
    )


def create_person(
    session: Session,
    keystore: KeyStore,
    *,
    by: str | None,
    username: str,
    display_name: str,
    roles: Iterable[str],
    accreditation_expires: date | None = None,
    password: str | None = None,
    hashing: PasswordHashing | None = None,
) -> Person:
    """Add a person. ``by`` is the administrator; ``None`` only for the first (admin) account."""
    chosen = _check_roles(roles)
    if not USERNAME.match(username):
        raise InvalidInput(
            f"username {username!r} must be 2-64 characters: lower-case letters, digits, . _ -"
        )
    new = Person(
        username=username,
        display_name=display_name,
        accreditation_expires=accreditation_expires,
        active=True,
        role_rows=[PersonRole(role=r) for r in chosen],
    )
    if by is None:
        _bootstrap(session, keystore, username)
        if roles_for(Action.PERSON_MANAGE).isdisjoint(chosen):
            raise InvalidInput("the first person on a platform must be an administrator")
        return _add(session, keystore, BOOTSTRAP, new, password, hashing)
    with _managing(session, keystore, by, username) as who:
        return _add(session, keystore, who.username, new, password, hashing)


def _add(
    session: Session,
    keystore: KeyStore,
    by: str,
    new: Person,
    password: str | None,
    hashing: PasswordHashing | None,
) -> Person:
    if session.scalar(select(Person).where(Person.username == new.username)) is not None:
        raise InvalidInput(f"a person called {new.username!r} already exists")
    new.password_hash = hash_password(password, hashing) if password else None
    new.created_at = utcnow()
    session.add(new)
    session.flush()
    audit.record(
        session,
        keystore,
        actor=by,
        action="person.created",
        object_type="person",
        object_id=new.username,
        details={"roles": sorted(new.roles), "accreditation_expires": new.accreditation_expires},
    )
    return new


def set_roles(
    session: Session, keystore: KeyStore, *, by: str, username: str, roles: Iterable[str]
) -> Person:
    """Replace a person's roles."""
    chosen = _check_roles(roles)
    with _managing(session, keystore, by, username) as who:
        target = person(session, username)
        before = sorted(target.roles)
        target.role_rows = [PersonRole(role=r) for r in chosen]
        session.flush()
        who.audit("person.roles_changed", {"before": before, "after": chosen})
        return target


def set_accreditation(
    session: Session, keystore: KeyStore, *, by: str, username: str, expires: date | None
) -> Person:
    """Record (or withdraw, with ``None``) a researcher's accreditation expiry date."""
    with _managing(session, keystore, by, username) as who:
        target = person(session, username)
        target.accreditation_expires = expires
        who.audit("person.accreditation_set", {"expires": expires})
        return target


def set_password(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    username: str,
    password: str,
    hashing: PasswordHashing | None = None,
) -> None:
    """Set a password (by an administrator, or by the person themself)."""
    with acting(
        session,
        keystore,
        by,
        Action.PERSON_CREDENTIALS,
        PersonFacts(username),
        object_type="person",
        object_id=username,
    ) as who:
        target = person(session, username)
        target.password_hash = hash_password(password, hashing)
        who.audit("person.password_set", {})


def deactivate(session: Session, keystore: KeyStore, *, by: str, username: str) -> Person:
    """Stop someone acting on the platform; their history stays."""
    with _managing(session, keystore, by, username) as who:
        target = person(session, username)
        target.active = False
        who.audit("person.deactivated", {})
        return target


def authenticate(session: Session, username: str, password: str) -> Person | None:
    """The active person whose password this is, else ``None`` (never says which part failed)."""
    found = session.scalar(select(Person).where(Person.username == username))
    if found is None or not found.active:
        check_password(None, password)
        return None
    return found if check_password(found.password_hash, password) else None


def actor(session: Session, username: str) -> Actor:
    """The policy's view of ``username`` (roles, accreditation, active)."""
    return actor_of(person(session, username))


def list_people(session: Session) -> list[Person]:
    return list(session.scalars(select(Person).order_by(Person.username)))
