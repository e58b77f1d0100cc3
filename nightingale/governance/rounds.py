"""Submission rounds: what a request was when it was submitted binds its approval and build.

A steward approves a *round*: the spec as it was submitted and the datasets it needs. So
that nothing decided can shift underneath the decision, each submission copies into the
round (:func:`open_round`):

- the SHA-256 of the spec text, re-checked before an approval counts and before a build
  (an operator who edits ``gov_requests.spec_text`` in the database gets a refusal, not a
  release of the edited spec);
- every dataset the request names *or its spec reads*, with the classification in force
  at submission, so the approvals needed follow from the spec itself (a spec reading
  ``health.*`` under a housing-only justification needs the two approvals of health data)
  and a later reclassification cannot lower them.

Governance does not read cohort specs (it never imports the cohorts package): the
request operation passes the datasets the cohort compiler says the spec reads, and the
builder passes them again at build time, when anything read but not in the approved
round is refused (:func:`build_problems`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance import audit
from nightingale.governance.models import (
    AuditEntry,
    Dataset,
    LinkageRequest,
    RequestRound,
    RoundDataset,
)
from nightingale.governance.service import utcnow

SPECIAL = "special_category"


def spec_digest(spec_text: str) -> str:
    """The SHA-256 of a spec text, as stored with the request and its rounds."""
    return hashlib.sha256(spec_text.encode()).hexdigest()


def unknown_datasets(session: Session, reads: Collection[str]) -> list[str]:
    """The datasets in ``reads`` governance has not registered (so cannot classify)."""
    known = set(session.scalars(select(Dataset.name)))
    return sorted(set(reads) - known)


def open_round(session: Session, request: LinkageRequest, reads: Collection[str]) -> RequestRound:
    """Record ``request``'s current round (its number already advanced) as submitted now.

    ``reads`` are the datasets its spec reads; each must be registered
    (:func:`unknown_datasets` first). The round holds those and the datasets the request
    names, each with its classification now and the request's justification (None when
    it gave none: the steward's page shows such a dataset as unjustified).
    """
    named = {row.dataset_name: row.justification for row in request.dataset_rows}
    chosen = set(named) | set(reads)
    classified = {
        d.name: d.classification
        for d in session.scalars(select(Dataset).where(Dataset.name.in_(chosen)))
    }
    opened = RequestRound(
        request_id=request.id,
        round=request.round,
        spec_sha256=spec_digest(request.spec_text),
        submitted_at=utcnow(),
        dataset_rows=[
            RoundDataset(
                dataset_name=name,
                classification=classified[name],
                justification=named.get(name),
                read_by_spec=name in reads,
            )
            for name in sorted(chosen)
        ],
    )
    session.add(opened)
    session.flush()
    return opened


def current_round(session: Session, request: LinkageRequest) -> RequestRound | None:
    """The round ``request`` is in (None for a draft never submitted)."""
    if request.round < 1:
        return None
    return session.get(RequestRound, (request.id, request.round))


def special_category(session: Session, request: LinkageRequest) -> bool:
    """Whether ``request`` involves special-category data, and so needs more approvals.

    True when any dataset of its current round was special category at submission or is
    now, or any dataset it names is now: the stricter of then and now, so a downgrade
    after submission never lowers the approvals needed and an upgrade raises them.
    """
    submitted = current_round(session, request)
    rows = submitted.dataset_rows if submitted is not None else []
    return any(r.classification == SPECIAL or r.dataset.special_category for r in rows) or any(
        row.dataset.special_category for row in request.dataset_rows
    )


def _audited_spec_sha256(session: Session, request_id: int, round_number: int) -> str | None:
    """The spec hash the audit log recorded when round ``round_number`` was submitted."""
    entries = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == "request.submitted",
            AuditEntry.object_type == "request",
            AuditEntry.object_id == str(request_id),
        )
        .order_by(AuditEntry.seq)
    )
    for entry in entries:
        details = audit.details_of(entry)
        if details.get("round") == round_number:
            found = details.get("spec_sha256")
            return str(found) if found is not None else None
    return None


def spec_problems(session: Session, request: LinkageRequest, spec_text: str) -> list[str]:
    """Why ``spec_text`` is not the spec ``request``'s current round submitted (empty if it is).

    Compared with the round's stored hash and with the hash the audit log (keyed, append
    only) recorded at submission, so editing the text, or the text and the round's hash
    together, in the database is caught.
    """
    label = f"request {request.id}"
    submitted = current_round(session, request)
    if submitted is None:
        return [f"{label} has no submission on record; it must be submitted (again)"]
    digest = spec_digest(spec_text)
    problems: list[str] = []
    if digest != submitted.spec_sha256:
        problems.append(
            f"{label}'s spec (sha256 {digest[:12]}) is not the spec submitted in round "
            f"{submitted.round} (sha256 {submitted.spec_sha256[:12]}): it was changed after "
            "submission"
        )
    audited = _audited_spec_sha256(session, request.id, submitted.round)
    if audited != digest:
        problems.append(
            f"{label}'s spec (sha256 {digest[:12]}) is not the spec the audit log recorded "
            f"for round {submitted.round} ({'sha256 ' + audited[:12] + '' if audited else 'none'})"
        )
    return problems


def build_problems(
    session: Session, request: LinkageRequest, *, spec_text: str, reads: Collection[str]
) -> list[str]:
    """Why the builder may not build ``spec_text`` for ``request`` (empty when it may).

    The spec must be the one submitted in the approved round, and every dataset it reads
    (``reads``, from the cohort compiler) must be one that round holds.
    """
    problems = spec_problems(session, request, spec_text)
    submitted = current_round(session, request)
    if submitted is not None:
        approved = {row.dataset_name for row in submitted.dataset_rows}
        missing = sorted(set(reads) - approved)
        if missing:
            problems.append(
                f"request {request.id}'s spec reads {', '.join(missing)}, which round "
                f"{submitted.round} did not ask for and no steward approved"
            )
    return problems
