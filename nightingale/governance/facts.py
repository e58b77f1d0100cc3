"""Turn rows into the frozen facts the policy decides on."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nightingale.governance import rounds
from nightingale.governance.models import (
    Approval,
    DatasetDowngrade,
    LinkageRequest,
    OutputRequest,
    Person,
    Project,
    Release,
)
from nightingale.governance.policy import (
    DowngradeFacts,
    MembershipFacts,
    OutputFacts,
    PlatformFacts,
    ProjectFacts,
    ReleaseFacts,
    RequestFacts,
)
from nightingale.governance.settings import GovernanceSettings


def platform_facts(session: Session) -> PlatformFacts:
    return PlatformFacts(people=int(session.scalar(select(func.count()).select_from(Person)) or 0))


def project_facts(project: Project) -> ProjectFacts:
    return ProjectFacts(
        slug=project.slug,
        status=project.status,
        pi=project.pi.username,
        members=project.member_usernames | {project.pi.username},
        end_date=project.end_date,
        pending=project.pending_usernames,
    )


def membership_facts(project: Project, username: str) -> MembershipFacts:
    """``username``'s membership of ``project`` (``none`` when they are not on it)."""
    status = next((m.status for m in project.member_rows if m.person.username == username), "none")
    return MembershipFacts(project=project_facts(project), member=username, status=status)


def request_facts(session: Session, request: LinkageRequest) -> RequestFacts:
    decided = session.scalars(
        select(Person.username)
        .join(Approval, Approval.steward_id == Person.id)
        .where(Approval.request_id == request.id, Approval.round == request.round)
    )
    return RequestFacts(
        id=request.id,
        status=request.status,
        project=project_facts(request.project),
        requester=request.requester.username,
        special_category=rounds.special_category(session, request),
        decided_this_round=frozenset(decided),
    )


def release_facts(session: Session, release: Release) -> ReleaseFacts:
    return ReleaseFacts(
        release_id=release.release_id,
        request=request_facts(session, release.request),
        revoked=release.revoked_at is not None,
        expires_on=release.expires_on,
    )


def output_facts(output: OutputRequest, approvals_needed: int | None = None) -> OutputFacts:
    """The policy's view of an output request; ``approvals_needed`` defaults to the
    governance default (``GovernanceSettings.output_approvals``)."""
    decisions = output.decisions
    return OutputFacts(
        id=output.id,
        status=output.status,
        project=project_facts(output.project),
        submitter=output.submitter.username,
        decided_this_round=frozenset(d.checker.username for d in decisions),
        approvers=frozenset(d.checker.username for d in decisions if d.decision == "approve"),
        approvals_needed=(
            GovernanceSettings().output_approvals if approvals_needed is None else approvals_needed
        ),
    )


def downgrade_facts(downgrade: DatasetDowngrade, current: str) -> DowngradeFacts:
    """A downgrade proposal, with its dataset's classification ``current``ly in force."""
    return DowngradeFacts(
        id=downgrade.id,
        dataset=downgrade.dataset_name,
        status=downgrade.status,
        proposed_by=downgrade.proposer.username,
        before=downgrade.from_classification,
        current=current,
    )
