"""What one person may see in a workspace, as the governance policy decides it.

The hub plugins never decide anything themselves: they ask this module, which builds the
policy's facts from the governance tables and asks :func:`nightingale.governance.policy.decide`.

- A project's workspace is open to someone exactly when they could submit that project's
  outputs (:data:`WORKSPACE_ACTION`: a member, accredited, the project active).
- A release is mounted exactly when governance lists it among the person's visible
  releases (the policy's ``release.access``: not revoked, not expired, request released,
  the person a member and accredited, the project active).
- Passwords are checked by :func:`nightingale.governance.people.authenticate` (argon2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from nightingale.governance import facts
from nightingale.governance.models import Person, Project, ProjectMember
from nightingale.governance.people import authenticate
from nightingale.governance.policy import Action, decide
from nightingale.governance.releases import visible_releases
from nightingale.governance.service import actor_of
from nightingale.governance.service import today as service_today
from nightingale.platform.database import make_engine, session_scope
from nightingale.platform.settings import Settings, load_settings

WORKSPACE_ACTION = Action.OUTPUT_SUBMIT
"""Working in a project's workspace needs what submitting its outputs needs."""


@dataclass(frozen=True)
class VisibleRelease:
    """A release the person may read, and where it lives on disk."""

    project: str
    project_id: int
    release_id: str
    path: Path


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


def _release_path(location: str, data_root: Path) -> Path:
    path = Path(location)
    return path if path.is_absolute() else data_root / path


def workspace_access(
    session: Session, username: str, *, data_root: Path, today: date
) -> WorkspaceAccess | None:
    """The person's open projects and readable releases today; None for no such person."""
    person = session.scalar(select(Person).where(Person.username == username))
    if person is None:
        return None
    actor = actor_of(person)
    member_of = session.scalars(
        select(Project)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(ProjectMember.person_id == person.id)
        .order_by(Project.slug)
    ).all()
    projects: dict[str, int] = {}
    refusals: list[str] = []
    for project in member_of:
        decision = decide(actor, WORKSPACE_ACTION, facts.project_facts(project), today=today)
        if decision.allowed:
            projects[project.slug] = project.id
        else:
            refusals.append(decision.reason)
    releases = tuple(
        VisibleRelease(
            project=release.request.project.slug,
            project_id=release.request.project_id,
            release_id=release.release_id,
            path=_release_path(release.location, data_root),
        )
        for release in visible_releases(session, username, on=today)
        if release.deleted_at is None and release.request.project.slug in projects
    )
    return WorkspaceAccess(
        username=person.username,
        person_id=person.id,
        roles=person.roles,
        projects=projects,
        releases=releases,
        refusals=tuple(refusals),
    )


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return make_engine(url)


def settings_for(data_root: str) -> Settings:
    """Platform settings for a hub plugin: its ``data_root`` trait, else the usual sources."""
    return load_settings(data_root=Path(data_root) if data_root else None)


def check_login(settings: Settings, username: str, password: str) -> WorkspaceAccess | None:
    """Verify a login and return the person's access; None when the login fails.

    Blocking (argon2 and the database): the authenticator runs it in a thread.
    """
    with session_scope(_engine(settings.resolved_database_url)) as session:
        if authenticate(session, username, password) is None:
            return None
        return workspace_access(
            session, username, data_root=settings.data_root, today=service_today()
        )


def current_access(settings: Settings, username: str) -> WorkspaceAccess | None:
    """The person's access right now (None when they no longer exist or are deactivated)."""
    with session_scope(_engine(settings.resolved_database_url)) as session:
        person = session.scalar(select(Person).where(Person.username == username))
        if person is None or not person.active:
            return None
        return workspace_access(
            session, username, data_root=settings.data_root, today=service_today()
        )
