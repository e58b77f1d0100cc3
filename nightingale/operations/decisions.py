"""A data steward's decision on a linkage request, once for every edge.

``nightingale requests approve|reject|changes``, the steward's request page and the
demo's approval stage all call :func:`decide`, acting as the unit's actor with the
deployment's governance settings (how many approvals health data needs), so a decision
counts the same wherever it is taken. How far a request is, "approvals this round /
needed", is :func:`tally` (governance's :func:`~nightingale.governance.approvals.approval_tally`)
for every view.
"""

from __future__ import annotations

from nightingale.cohorts.catalogue import catalogue_for
from nightingale.cohorts.validation import validate_spec
from nightingale.governance import approvals
from nightingale.governance.approvals import DecisionOutcome, Tally
from nightingale.governance.models import LinkageRequest
from nightingale.governance.policy import RequestFacts
from nightingale.governance.requests import get_request
from nightingale.operations.intake import tables_drawn
from nightingale.operations.unit import Unit
from nightingale.platform.errors import NightingaleError

DECISIONS = tuple(approvals.DECISIONS)
"""What a steward may decide: approve, reject, or ask for changes."""


def decide(unit: Unit, request_id: int, decision: str, reason: str) -> DecisionOutcome:
    """Record the unit's actor's ``decision`` on a request, with a reason.

    An approval that completes the round's tally approves the request; one rejection
    rejects it; a request for changes returns it to the project. An approval is refused
    unless a current data sharing agreement covers every table the spec draws for the
    project's purpose.
    """
    return approvals.decide_request(
        unit.session,
        unit.keystore,
        request_id,
        unit.actor,
        decision,
        reason,
        settings=unit.governance,
        draws=_draws(unit, request_id) if decision == "approve" else (),
    )


def _draws(unit: Unit, request_id: int) -> list[str]:
    """The tables the request's spec draws ([] when it does not validate: the approval is
    then refused for that reason by the round's own checks)."""
    request = get_request(unit.session, request_id)
    try:
        spec = validate_spec(request.spec_text, f"request {request_id}", catalogue_for(unit.root))
    except NightingaleError:
        return []
    return tables_drawn(unit.root, spec)


def tally(unit: Unit, request: LinkageRequest, *, facts: RequestFacts | None = None) -> Tally:
    """Approvals of ``request``'s current round against how many this deployment needs."""
    return approvals.approval_tally(unit.session, request, unit.governance, facts=facts)
