"""Projects: the *safe project* of the Five Safes.

A project states its purpose, public benefit, lawful basis and ethics reference; its PI
is a member from the start. It moves draft -> submitted -> approved (by a steward who is
not on it) -> active, and ends closed or expired (:mod:`.enforcement`). Data moves only
for approved or active projects, and never after the project's end date (see
:mod:`.policy`, which checks the date itself). Members added after approval wait for a
steward (``pending``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance import states
from nightingale.governance.acting import Acting, acting
from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.facts import membership_facts, project_facts
from nightingale.governance.models import Person, Project, ProjectMember
from nightingale.governance.policy import Action, decide, membership_needs_approval
from nightingale.governance.service import actor_of, person, today, utcnow
from nightingale.platform.keystore import KeyStore

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,62}[a-z0-9]$")
#: The kinds of purpose a project declares; a data sharing agreement lists the kinds it
#: allows (:func:`.agreements.coverage_problems` matches them by name).
PURPOSE_CODES = ("research", "service_evaluation", "clinical_audit", "planning", "public_health")


def get_project(session: Session, slug: str) -> Project:
    found = session.scalar(select(Project).where(Project.slug == slug))
    if found is None:
        raise NotFound(f"no project called {slug!r}")
    return found


def _researcher(who: Acting, username: str, role: str) -> Person:
    """``username``, if the policy lets them join a project (a researcher), else refused."""
    joining = person(who.session, username)
    decision = decide(actor_of(joining), Action.PROJECT_JOIN, None, today=today())
    if not decision.allowed:
        who.refuse(f"{username} cannot be {role}: {decision.reason}", error=InvalidInput)
    return joining


def list_projects(session: Session, status: str | None = None) -> list[Project]:
    query = select(Project).order_by(Project.slug)
    if status is not None:
        query = query.where(Project.status == status)
    return list(session.scalars(query))


def create_project(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    slug: str,
    title: str,
    purpose: str,
    public_benefit: str,
    lawful_basis: str,
    ethics_reference: str,
    pi: str,
    start_date: date,
    end_date: date,
    purpose_code: str = "research",
) -> Project:
    """Create a draft project with ``pi`` as principal investigator and first member.

    ``purpose_code`` (one of :data:`PURPOSE_CODES`) is what data sharing agreements are
    checked against; ``purpose`` is the free-text statement a steward reads.
    """
    if not SLUG.match(slug):
        raise InvalidInput(f"project id {slug!r} must be 3-64 lower-case letters, digits and -")
    if purpose_code not in PURPOSE_CODES:
        raise InvalidInput(
            f"project {slug}: purpose code {purpose_code!r} is not one of "
            f"{', '.join(PURPOSE_CODES)}"
        )
    blank = [
        name
        for name, value in (
            ("title", title),
            ("purpose", purpose),
            ("public benefit", public_benefit),
            ("lawful basis", lawful_basis),
            ("ethics reference", ethics_reference),
        )
        if not value.strip()
    ]
    if blank:
        raise InvalidInput(f"project {slug}: {', '.join(blank)} must not be empty")
    if end_date <= start_date:
        raise InvalidInput(f"project {slug}: end date {end_date} is not after start {start_date}")
    with acting(
        session, keystore, by, Action.PROJECT_CREATE, object_type="project", object_id=slug
    ) as who:
        lead = _researcher(who, pi, "the PI")
        if session.scalar(select(Project).where(Project.slug == slug)) is not None:
            raise InvalidInput(f"a project called {slug!r} already exists")
        project = Project(
            slug=slug,
            title=title,
            purpose=purpose,
            public_benefit=public_benefit,
            lawful_basis=lawful_basis,
            ethics_reference=ethics_reference,
            purpose_code=purpose_code,
            pi=lead,
            status="draft",
            start_date=start_date,
            end_date=end_date,
            created_at=utcnow(),
            member_rows=[ProjectMember(person=lead)],
        )
        session.add(project)
        session.flush()
        who.audit(
            "project.created",
            {"pi": pi, "start": start_date, "end": end_date, "purpose_code": purpose_code},
        )
        return project


def add_member(
    session: Session, keystore: KeyStore, *, by: str, slug: str, username: str
) -> Project:
    """Add a researcher (or an evaluator) to a project (by its PI or an administrator).

    Before the project is approved the new member is in at once: the steward approving
    the project sees them. Afterwards (approved or active) the membership is *pending*
    until a steward off the project approves it (:func:`approve_member`); a pending member
    has no access to anything of the project's.
    """
    project = get_project(session, slug)
    facts = project_facts(project)
    with acting(
        session,
        keystore,
        by,
        Action.PROJECT_MEMBER_ADD,
        facts,
        object_type="project",
        object_id=slug,
    ) as who:
        member = _researcher(who, username, "a project member")
        if username not in project.member_usernames | project.pending_usernames:
            status = "pending" if membership_needs_approval(facts) else "active"
            project.member_rows.append(ProjectMember(person=member, status=status))
            session.flush()
            who.audit("project.member_added", {"member": username, "status": status})
        return project


def approve_member(
    session: Session, keystore: KeyStore, *, by: str, slug: str, username: str
) -> Project:
    """A steward off the project lets in a member the PI added after its approval."""

    def admit(project: Project, row: ProjectMember) -> None:
        row.status = "active"

    return _decide_member(
        session,
        keystore,
        by,
        slug,
        username,
        Action.PROJECT_MEMBER_APPROVE,
        admit,
        "project.member_approved",
        {"member": username},
    )


def refuse_member(
    session: Session, keystore: KeyStore, *, by: str, slug: str, username: str, reason: str
) -> Project:
    """A steward off the project turns away a member the PI added after its approval.

    The pending membership row goes (the PI may add them again later, which asks a
    steward again); the refusal and its reason stay in the audit log
    (``project.member_refused``).
    """
    if not reason.strip():
        raise InvalidInput(f"refusing {username}'s membership of {slug} needs a reason")

    def turn_away(project: Project, row: ProjectMember) -> None:
        project.member_rows.remove(row)

    return _decide_member(
        session,
        keystore,
        by,
        slug,
        username,
        Action.PROJECT_MEMBER_REFUSE,
        turn_away,
        "project.member_refused",
        {"member": username, "reason": reason},
    )


def _decide_member(
    session: Session,
    keystore: KeyStore,
    by: str,
    slug: str,
    username: str,
    action: Action,
    apply: Callable[[Project, ProjectMember], None],
    event: str,
    detail: dict[str, str],
) -> Project:
    """One steward decision on a pending member: asked of the policy, applied, audited."""
    project = get_project(session, slug)
    with acting(
        session,
        keystore,
        by,
        action,
        membership_facts(project, username),
        object_type="project",
        object_id=slug,
    ) as who:
        row = next(m for m in project.member_rows if m.person.username == username)
        apply(project, row)
        session.flush()
        who.audit(event, detail)
        return project


def pending_members(session: Session) -> list[tuple[Project, list[str]]]:
    """Projects with members waiting for a steward, and who waits (by username)."""
    return [
        (project, sorted(project.pending_usernames))
        for project in list_projects(session)
        if project.pending_usernames
    ]


def _move(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    slug: str,
    action: Action,
    target: str,
    reason: str = "",
) -> Project:
    project = get_project(session, slug)
    with acting(
        session, keystore, by, action, project_facts(project), object_type="project", object_id=slug
    ) as who:
        before = project.status
        project.status = states.transition("project", f"project {slug}", before, target)
        who.audit(f"project.{target}", {"from": before, "reason": reason})
        return project


def submit_project(session: Session, keystore: KeyStore, *, by: str, slug: str) -> Project:
    """The PI submits a draft project for a steward's approval."""
    return _move(
        session, keystore, by=by, slug=slug, action=Action.PROJECT_SUBMIT, target="submitted"
    )


def approve_project(
    session: Session, keystore: KeyStore, *, by: str, slug: str, reason: str
) -> Project:
    """A steward who is not on the project approves it."""
    if not reason.strip():
        raise InvalidInput("an approval needs a reason")
    return _move(
        session,
        keystore,
        by=by,
        slug=slug,
        action=Action.PROJECT_APPROVE,
        target="approved",
        reason=reason,
    )


def activate_project(session: Session, keystore: KeyStore, *, by: str, slug: str) -> Project:
    """Open an approved project's workspaces (a steward or administrator not on it)."""
    return _move(
        session, keystore, by=by, slug=slug, action=Action.PROJECT_ACTIVATE, target="active"
    )


def close_project(
    session: Session, keystore: KeyStore, *, by: str, slug: str, reason: str
) -> Project:
    """Close a project early; its releases should then be revoked by ``enforce``."""
    return _move(
        session,
        keystore,
        by=by,
        slug=slug,
        action=Action.PROJECT_CLOSE,
        target="closed",
        reason=reason,
    )
