"""Pseudonyms that last: a project's pseudonym key is pinned at its first release.

Without a pin, a project's pids would follow the keystore's *current* ``pseudonym`` key,
and rotating that key would silently give every person a new pid in the project's next
release, breaking the joins a researcher makes between releases. So the first release
of a project records the key it was made with (:func:`pin_first_key`), and every later
build uses :func:`pinned_key` whatever the keystore's current version is.

Moving a project to a new key is a *re-key* (:func:`record_rekey`, the policy's
``key.manage``, administrators only): the operation writes an explicit old->new pid map
into the project's zone, and governance supersedes the pin with the new key and the
map's location and checksum, audited ``pseudonym.rekeyed``. Rotating the master key
(:func:`record_rotation`, audited ``key.rotated``) re-keys nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance.acting import acting
from nightingale.governance.errors import InvalidInput
from nightingale.governance.models import Project, ProjectKey
from nightingale.governance.policy import Action
from nightingale.governance.projects import get_project
from nightingale.governance.service import utcnow
from nightingale.platform.keystore import KeyStore


def current_pin(session: Session, project: str) -> ProjectKey | None:
    """The pin in force for ``project`` (None before its first release)."""
    found = get_project(session, project)
    return session.scalar(
        select(ProjectKey).where(
            ProjectKey.project_id == found.id, ProjectKey.superseded_at.is_(None)
        )
    )


def pinned_key(session: Session, project: str) -> str | None:
    """The pseudonym key id ``project``'s releases are made with (None: not pinned yet)."""
    pin = current_pin(session, project)
    return None if pin is None else pin.key_id


def key_history(session: Session, project: str) -> list[ProjectKey]:
    found = get_project(session, project)
    query = select(ProjectKey).where(ProjectKey.project_id == found.id).order_by(ProjectKey.id)
    return list(session.scalars(query))


def pin_first_key(
    session: Session,
    keystore: KeyStore,
    *,
    project: Project,
    key_id: str,
    release_id: str,
    actor: str,
) -> ProjectKey:
    """Pin ``key_id`` for ``project`` at its first release (audited ``pseudonym.pinned``).

    Called in the build's transaction after the release is recorded; a project already
    pinned keeps its pin (and must have been built with it).
    """
    pin = current_pin(session, project.slug)
    if pin is not None:
        if pin.key_id != key_id:
            raise InvalidInput(
                f"release {release_id} of {project.slug} was made with {key_id}, not the "
                f"pinned {pin.key_id}"
            )
        return pin
    pin = ProjectKey(
        project_id=project.id,
        key_id=key_id,
        pinned_at=utcnow(),
        pinned_by=actor,
        first_release=release_id,
    )
    session.add(pin)
    session.flush()
    from nightingale.governance import audit

    audit.record(
        session,
        keystore,
        actor=actor,
        action="pseudonym.pinned",
        object_type="pseudonym",
        object_id=project.slug,
        details={"key_id": key_id, "release": release_id},
    )
    return pin


def require_key_manage(session: Session, keystore: KeyStore, by: str, what: str) -> None:
    """Refuse (audited) unless ``by`` may rotate keys or re-key projects (administrators)."""
    with acting(session, keystore, by, Action.KEY_MANAGE, object_type="key", object_id=what):
        pass


def record_rotation(
    session: Session, keystore: KeyStore, *, by: str, purpose: str, key_id: str
) -> None:
    """Audit a master-key rotation (``key.rotated``); projects keep their pins."""
    with acting(
        session, keystore, by, Action.KEY_MANAGE, object_type="key", object_id=purpose
    ) as who:
        who.audit("key.rotated", {"purpose": purpose, "key_id": key_id})


def record_rekey(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    project: str,
    new_key_id: str,
    pid_map: str,
    pid_map_sha256: str,
    pairs: int,
) -> ProjectKey:
    """Move ``project`` to ``new_key_id`` with its pid map (audited ``pseudonym.rekeyed``)."""
    found = get_project(session, project)
    with acting(
        session, keystore, by, Action.KEY_MANAGE, object_type="pseudonym", object_id=project
    ) as who:
        old = current_pin(session, project)
        if old is None:
            raise InvalidInput(
                f"project {project} has no release yet; its first release pins the current key"
            )
        if old.key_id == new_key_id:
            raise InvalidInput(
                f"project {project} already uses {new_key_id}; rotate the pseudonym key first "
                "(nightingale keys rotate pseudonym)"
            )
        old.superseded_at = utcnow()
        pin = ProjectKey(
            project_id=found.id,
            key_id=new_key_id,
            pinned_at=utcnow(),
            pinned_by=who.username,
            pid_map=pid_map,
            pid_map_sha256=pid_map_sha256,
        )
        session.add(pin)
        session.flush()
        who.audit(
            "pseudonym.rekeyed",
            {
                "from": old.key_id,
                "to": new_key_id,
                "pid_map": pid_map,
                "pid_map_sha256": pid_map_sha256,
                "pairs": pairs,
            },
        )
        return pin
