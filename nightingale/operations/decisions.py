"""A data steward's decision on a linkage request, once for every edge.

``nightingale requests approve|reject|changes``, the steward's request page and the
demo's approval stage all call :func:`decide`, acting as the unit's actor with the
deployment's governance settings (how many approvals health data needs), so a decision
counts the same wherever it is taken. How far a request is, "approvals this round /
needed", is :func:`tally` (governance's :func:`~nightingale.governance.approvals.approval_tally`)
for every view.
"""

from __future__ import annotations

from nightingale.governance import approvals
from nightingale.governance.approvals import DecisionOutcome, Tally
from nightingale.governance.models import LinkageRequest
from nightingale.governance.policy import RequestFacts
from nightingale.operations.unit import Unit

DECISIONS = tuple(approvals.DECISIONS)
"""What a steward may decide: approve, reject, or ask for changes."""


def decide(unit: Unit, request_id: int, decision: str, reason: str) -> DecisionOutcome:
    """Record the unit's actor's ``decision`` on a request, with a reason.

    An approval that completes the round's tally approves the request; one rejection
    rejects it; a request for changes returns it to the project.
    """
    return approvals.decide_request(
        unit.session,
        unit.keystore,
        request_id,
        unit.actor,
        decision,
        reason,
        settings=unit.governance,
    )


def tally(unit: Unit, request: LinkageRequest, *, facts: RequestFacts | None = None) -> Tally:
    """Approvals of ``request``'s current round against how many this deployment needs."""
    return approvals.approval_tally(unit.session, request, unit.governance, facts=facts)
