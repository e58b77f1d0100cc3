"""Steward decisions on linkage requests: approve, reject, or ask for changes.

A request is approved when enough *different* stewards, none on the project and none the
requester, have approved the current submission round: ``ordinary_approvals`` (1) by
default, ``special_category_approvals`` (2) when any dataset of the round is special
category (health). The round's datasets are those the request names *and those its spec
reads*, classified as at submission or now, whichever is stricter (:mod:`.rounds`): a
spec reading health data under a housing-only justification, or a health dataset
reclassified after submission, still needs two. An approval counts only for the spec
that was submitted: one whose text has changed since is refused.
One rejection rejects; one request for changes returns it to the project, and its next
submission starts a fresh round in which earlier approvals no longer count.

Two stewards deciding at the same moment are serialised by a lock on the request row, so
exactly one of them moves the request to approved and the audit chain stays linear.

How far a request is, "approvals this round / needed", is :func:`approval_tally` and
nothing else: the decision itself, the stewards' queue and request page, and the CLI's
list all ask it, so a rejection or a request for changes is never counted as an approval.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nightingale.governance import rounds, states
from nightingale.governance.acting import acting
from nightingale.governance.agreements import coverage_problems
from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.facts import request_facts
from nightingale.governance.models import Approval, LinkageRequest
from nightingale.governance.policy import Action, RequestFacts
from nightingale.governance.service import lock_row, utcnow
from nightingale.governance.settings import GovernanceSettings
from nightingale.platform.keystore import KeyStore

DECISIONS = {"approve": "approved", "reject": "rejected", "changes": "changes_requested"}


@dataclass(frozen=True)
class Tally:
    """Approvals counted so far against the number the rules require."""

    approvals: int
    needed: int

    @property
    def complete(self) -> bool:
        """Whether enough approvals are in for the decision to take effect."""
        return self.approvals >= self.needed

    def __str__(self) -> str:
        return f"{self.approvals} of {self.needed}"


@dataclass(frozen=True)
class DecisionOutcome:
    """What one steward's decision did to the request."""

    request_id: int
    decision: str
    status: str
    approvals: int
    needed: int

    @property
    def final(self) -> bool:
        """Whether this decision moved the request out of ``submitted``."""
        return self.status != "submitted"


def approvals_needed(facts: RequestFacts, settings: GovernanceSettings | None = None) -> int:
    """How many different stewards must approve this request's current round."""
    chosen = settings or GovernanceSettings()
    if facts.special_category:
        return chosen.special_category_approvals
    return chosen.ordinary_approvals


def _approvals_this_round(session: Session, request: LinkageRequest) -> int:
    """Approvals (not rejections, not requests for changes) in the request's current round."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Approval)
            .where(
                Approval.request_id == request.id,
                Approval.round == request.round,
                Approval.decision == "approve",
            )
        )
        or 0
    )


def approval_tally(
    session: Session,
    request: LinkageRequest,
    settings: GovernanceSettings | None = None,
    *,
    facts: RequestFacts | None = None,
) -> Tally:
    """Steward approvals of ``request``'s current round, against how many it needs.

    Pass ``facts`` when the caller already built them for the policy (one query fewer).
    """
    needed = approvals_needed(facts or request_facts(session, request), settings)
    return Tally(_approvals_this_round(session, request), needed)


def decide_request(
    session: Session,
    keystore: KeyStore,
    request_id: int,
    steward_username: str,
    decision: str,
    reason: str,
    *,
    settings: GovernanceSettings | None = None,
    draws: Collection[str] | None = None,
) -> DecisionOutcome:
    """Record one steward's ``decision`` (approve, reject, changes) with a reason.

    ``draws`` (``provider.table`` names the spec draws, as the cohort compiler says; the
    operation passes them) must each be covered by a current data sharing agreement for
    the project's purpose, or an approval is refused (:mod:`.agreements`).
    """
    if decision not in DECISIONS:
        raise InvalidInput(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
    request = lock_row(
        session, LinkageRequest, LinkageRequest.id, request_id, touch=LinkageRequest.updated_at
    )
    if request is None:
        raise NotFound(f"no linkage request {request_id}")
    facts = request_facts(session, request)
    with acting(
        session,
        keystore,
        steward_username,
        Action.REQUEST_DECIDE,
        facts,
        object_type="request",
        object_id=str(request_id),
    ) as who:
        if not reason.strip():
            raise InvalidInput(f"a decision on request {request_id} needs a reason")
        changed = rounds.spec_problems(session, request, request.spec_text)
        if decision == "approve" and changed:
            who.refuse("; ".join(changed))  # what would be approved is not what was submitted
        uncovered = coverage_problems(session, request.project, draws or ())
        if decision == "approve" and uncovered:
            who.refuse("; ".join(uncovered))
        session.add(
            Approval(
                request_id=request.id,
                round=request.round,
                steward=who.person,
                decision=decision,
                reason=reason,
                decided_at=utcnow(),
            )
        )
        session.flush()
        tally = approval_tally(session, request, settings, facts=facts)
        approved, needed = tally.approvals, tally.needed
        who.audit(
            f"approval.{decision}",
            {"round": request.round, "approvals": approved, "needed": needed, "reason": reason},
        )
        target = DECISIONS[decision]
        if decision == "approve" and not tally.complete:
            target = request.status
        if target != request.status:
            before = request.status
            request.status = states.transition("request", f"request {request_id}", before, target)
            request.updated_at = utcnow()
            who.audit(
                f"request.{target}",
                {
                    "round": request.round,
                    "approvals": approved,
                    "needed": needed,
                    "special_category": facts.special_category,
                },
            )
        return DecisionOutcome(request.id, decision, request.status, approved, needed)


def approve(
    session: Session,
    keystore: KeyStore,
    request_id: int,
    steward_username: str,
    reason: str,
    *,
    settings: GovernanceSettings | None = None,
) -> DecisionOutcome:
    """A steward approves; the request is approved once enough stewards have."""
    return decide_request(
        session, keystore, request_id, steward_username, "approve", reason, settings=settings
    )


def reject(
    session: Session,
    keystore: KeyStore,
    request_id: int,
    steward_username: str,
    reason: str,
    *,
    settings: GovernanceSettings | None = None,
) -> DecisionOutcome:
    """A steward rejects; the request is rejected (final)."""
    return decide_request(
        session, keystore, request_id, steward_username, "reject", reason, settings=settings
    )


def request_changes(
    session: Session,
    keystore: KeyStore,
    request_id: int,
    steward_username: str,
    reason: str,
    *,
    settings: GovernanceSettings | None = None,
) -> DecisionOutcome:
    """A steward returns the request to the project with what must change."""
    return decide_request(
        session, keystore, request_id, steward_username, "changes", reason, settings=settings
    )


def decisions_for(session: Session, request_id: int) -> list[Approval]:
    """Every steward decision on a request, oldest first."""
    return list(
        session.scalars(
            select(Approval).where(Approval.request_id == request_id).order_by(Approval.id)
        )
    )
