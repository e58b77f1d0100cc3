"""People: accounts, roles, accreditation and password checks.

Only an administrator manages people, except for the very first account of a fresh
platform, which must be an administrator and is audited as created by ``bootstrap``.
The hub's authenticator and the web service use :func:`authenticate` and :func:`actor`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nightingale.governance import audit
from nightingale.governance.errors import InvalidInput
from nightingale.governance.models import ROLES, Person, PersonRole
from nightingale.governance.passwords import check_password, hash_password
from nightingale.governance.policy import Action, Actor
from nightingale.governance.service import acting, actor_of, guard, refuse, utcnow
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


def _authorise_admin(session: Session, keystore: KeyStore, by: str | None, target: str) -> str:
    """The acting administrator's username, or ``bootstrap`` for a platform's first person."""
    if by is None:
        if session.scalar(select(func.count()).select_from(Person)):
            refuse(
                session,
                keystore,
                actor="anonymous",
                action=str(Action.PERSON_MANAGE),
                object_type="person",
                object_id=target,
                reason="people can only be managed by an administrator (give --as)",
            )
        return BOOTSTRAP
    admin = acting(session, keystore, by, Action.PERSON_MANAGE, "person", target)
    guard(
        session,
        keystore,
        actor_of(admin),
        Action.PERSON_MANAGE,
        None,
        object_type="person",
        object_id=target,
    )
    return admin.username


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
    actor_name = _authorise_admin(session, keystore, by, username)
    if actor_name == BOOTSTRAP and "administrator" not in chosen:
        raise InvalidInput("the first person on a platform must be an administrator")
    if session.scalar(select(Person).where(Person.username == username)) is not None:
        raise InvalidInput(f"a person called {username!r} already exists")
    new = Person(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password, hashing) if password else None,
        accreditation_expires=accreditation_expires,
        active=True,
        created_at=utcnow(),
        role_rows=[PersonRole(role=r) for r in chosen],
    )
    session.add(new)
    session.flush()
    audit.record(
        session,
        keystore,
        actor=actor_name,
        action="person.created",
        object_type="person",
        object_id=username,
        details={"roles": chosen, "accreditation_expires": accreditation_expires},
    )
    return new


def set_roles(
    session: Session, keystore: KeyStore, *, by: str, username: str, roles: Iterable[str]
) -> Person:
    """Replace a person's roles."""
    chosen = _check_roles(roles)
    _authorise_admin(session, keystore, by, username)
    target = person(session, username)
    before = sorted(target.roles)
    target.role_rows = [PersonRole(role=r) for r in chosen]
    session.flush()
    audit.record(
        session,
        keystore,
        actor=by,
        action="person.roles_changed",
        object_type="person",
        object_id=username,
        details={"before": before, "after": chosen},
    )
    return target


def set_accreditation(
    session: Session, keystore: KeyStore, *, by: str, username: str, expires: date | None
) -> Person:
    """Record (or withdraw, with ``None``) a researcher's accreditation expiry date."""
    _authorise_admin(session, keystore, by, username)
    target = person(session, username)
    target.accreditation_expires = expires
    audit.record(
        session,
        keystore,
        actor=by,
        action="person.accreditation_set",
        object_type="person",
        object_id=username,
        details={"expires": expires},
    )
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
    if by != username:
        _authorise_admin(session, keystore, by, username)
    target = person(session, username)
    target.password_hash = hash_password(password, hashing)
    audit.record(
        session,
        keystore,
        actor=by,
        action="person.password_set",
        object_type="person",
        object_id=username,
        details={},
    )


def deactivate(session: Session, keystore: KeyStore, *, by: str, username: str) -> Person:
    """Stop someone acting on the platform; their history stays."""
    _authorise_admin(session, keystore, by, username)
    target = person(session, username)
    target.active = False
    audit.record(
        session,
        keystore,
        actor=by,
        action="person.deactivated",
        object_type="person",
        object_id=username,
        details={},
    )
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
