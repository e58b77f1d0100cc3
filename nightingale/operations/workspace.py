"""Workspace access: what one person may see in a workspace, as the governance policy decides.

The hub (its authenticator and spawner) and the web API (``/api/releases``) ask here and
decide nothing themselves. Everything is asked of :func:`nightingale.governance.policy.decide`:

- a project's workspace is open to someone exactly when the policy allows them
  ``workspace.open`` on it (a member, accredited, the project active);
- a release is mounted exactly when the policy allows them ``release.access`` (not
  revoked, not expired, request released, the person a member and accredited, the project
  active) and its files are still there, inside its project's releases folder (a
  location in the database pointing anywhere else is refused, never mounted);
- a login is checked by :func:`nightingale.governance.people.authenticate` (argon2),
  throttled per name and per source address (:mod:`nightingale.governance.throttle`).

The person is the unit's actor; a person who does not exist or is deactivated has no
access at all (``None``), so the hub logs them out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from nightingale.governance import facts, throttle
from nightingale.governance.models import Person, Project, ProjectMember, Release
from nightingale.governance.people import authenticate
from nightingale.governance.policy import Action, decide
from nightingale.governance.releases import visible_releases
from nightingale.governance.service import actor_of, today, utcnow
from nightingale.operations.unit import Unit
from nightingale.platform.contracts import ContractError, confined_release_folder
from nightingale.platform.storage import DataRoot

LOG = logging.getLogger(__name__)

WORKSPACE_ACTION = Action.WORKSPACE_OPEN
"""The policy's action for working in a project's workspace."""


@dataclass(frozen=True)
class VisibleRelease:
    """A release the person may read, and where it lives on disk."""

    project: str
    project_id: int
    release_id: str
    path: Path
    request_id: int
    created_at: datetime
    expires_on: date


@dataclass(frozen=True)
class WorkspaceAccess:
    """Everything the hub needs about one person, decided by the policy."""

    username: str
    person_id: int
    roles: frozenset[str]
    projects: dict[str, int] = field(default_factory=dict)
    """Slugs of the projects whose workspace is open to the person, with their ids."""
    releases: tuple[VisibleRelease, ...] = ()
    refusals: tuple[str, ...] = ()
    """Why each of the person's projects is closed to them (shown when spawning fails)."""

    @property
    def may_start_server(self) -> bool:
        return bool(self.projects)

    def refusal_message(self) -> str:
        """A sentence for the person: why their workspace cannot start."""
        if not self.refusals:
            return (
                f"{self.username} is not a member of any active project, so there is no "
                "workspace to start. Ask your project's PI or a data steward."
            )
        return "Your workspace cannot start: " + "; ".join(self.refusals) + "."

    def hub_groups(self) -> list[str]:
        """Roles and open projects as JupyterHub group names (``role:…``, ``project:…``)."""
        return sorted(
            [f"role:{role}" for role in self.roles] + [f"project:{p}" for p in self.projects]
        )

    def fingerprint(self) -> tuple[tuple[str, str], ...]:
        """What the server was started with; a change means access changed."""
        return tuple(sorted((r.project, r.release_id) for r in self.releases))


def _release_path(release: Release, data_root: Path) -> Path | None:
    """Where ``release`` lives, or None when its recorded location leaves its project's
    releases folder (a tampered row is never mounted; the hub logs the refusal)."""
    project = release.request.project.slug
    try:
        return confined_release_folder(DataRoot(data_root), project, release.location)
    except ContractError as exc:
        LOG.error("Release %s not offered to a workspace: %s", release.release_id, exc)
        return None


def workspace_access(unit: Unit, *, on: date | None = None) -> WorkspaceAccess | None:
    """The actor's open projects and readable releases on ``on`` (today).

    ``None`` when the actor is no person on this platform or has been deactivated.
    """
    person = unit.session.scalar(select(Person).where(Person.username == unit.actor))
    if person is None or not person.active:
        return None
    day = on or today()
    actor = actor_of(person)
    member_of = unit.session.scalars(
        select(Project)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(ProjectMember.person_id == person.id, ProjectMember.status == "active")
        .order_by(Project.slug)
    ).all()
    projects: dict[str, int] = {}
    refusals: list[str] = []
    for project in member_of:
        decision = decide(actor, WORKSPACE_ACTION, facts.project_facts(project), today=day)
        if decision.allowed:
            projects[project.slug] = project.id
        else:
            refusals.append(decision.reason)
    releases = tuple(
        VisibleRelease(
            project=release.request.project.slug,
            project_id=release.request.project_id,
            release_id=release.release_id,
            path=path,
            request_id=release.request_id,
            created_at=release.created_at,
            expires_on=release.expires_on,
        )
        for release in visible_releases(unit.session, person.username, on=day)
        if release.deleted_at is None and release.request.project.slug in projects
        if (path := _release_path(release, unit.settings.data_root)) is not None
    )
    return WorkspaceAccess(
        username=person.username,
        person_id=person.id,
        roles=person.roles,
        projects=projects,
        releases=releases,
        refusals=tuple(refusals),
    )


def readable_releases(unit: Unit, *, on: date | None = None) -> tuple[VisibleRelease, ...]:
    """The releases the actor may read now (what their workspace mounts), oldest first."""
    access = workspace_access(unit, on=on)
    return access.releases if access is not None else ()


def log_in(
    unit: Unit, password: str, *, source: str | None = None, now: datetime | None = None
) -> WorkspaceAccess | None:
    """Check the actor's password; their access, or ``None`` when the login fails.

    Throttled per name and per ``source`` address (:mod:`nightingale.governance.throttle`,
    counted in the governance database): while either is paused the password is not
    even checked. Blocking (argon2 and the database): the hub runs it in a thread.
    """
    moment = now or utcnow()
    attempt = throttle.Attempt.of(unit.keystore, unit.actor, source)
    if throttle.paused_for(unit.session, attempt, moment) > 0:
        LOG.warning("A login was refused while its name or source is paused")
        return None
    if authenticate(unit.session, unit.actor, password) is None:
        throttle.record_failure(unit.session, attempt, unit.governance.login_throttling, moment)
        return None
    throttle.record_success(unit.session, attempt)
    return workspace_access(unit)
