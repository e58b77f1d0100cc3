"""Clerical review as governance sees it: who may see a sampled pair, and every decision.

A link run keeps a clerical-review sample of its pairs in the identifier zone
(:mod:`nightingale.linkage.review`); showing a pair shows both records' identifiers, so
it is a governed action (``linkage_review.view``, audited ``linkage_review.viewed``),
and so is each decision (``linkage_review.decide``, audited ``linkage_review.decided``
or ``linkage_review.revised``). Only a data steward who also holds the linkage role may
take either (:mod:`.policy`); everyone else is refused and the refusal audited.

Governance never opens the identifier zone (it may not import linkage): the caller
(:mod:`nightingale.operations.review`) says whether the pair is in the run's sample.
Audit entries and the table name a pair by its key (sources and random record ids),
never by identifiers; a reviewer's note stays in the table and the entry says only
whether there is one, since a note could quote what the reviewer saw.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance.acting import acting
from nightingale.governance.errors import InvalidInput
from nightingale.governance.models import ReviewDecision
from nightingale.governance.policy import Action, ReviewFacts
from nightingale.governance.service import utcnow
from nightingale.platform.keystore import KeyStore

DECISIONS = ("match", "non-match", "unsure")


@dataclass(frozen=True)
class CurrentDecision:
    """A pair's decision as it stands: each reviewer's newest, and what they add up to."""

    pair_key: str
    by_reviewer: dict[str, str]

    @property
    def outcome(self) -> str:
        """``match`` / ``non-match`` when every reviewer's newest says so, else ``unsure``."""
        values = set(self.by_reviewer.values())
        return values.pop() if len(values) == 1 else "unsure"


def decisions_of(session: Session, run_id: str) -> list[ReviewDecision]:
    """Every decision on ``run_id``'s sample, oldest first (revisions included)."""
    query = (
        select(ReviewDecision).where(ReviewDecision.run_id == run_id).order_by(ReviewDecision.id)
    )
    return list(session.scalars(query))


def current_decisions(session: Session, run_id: str) -> dict[str, CurrentDecision]:
    """Per pair key, each reviewer's newest decision (a revision replaces the earlier)."""
    newest: dict[str, dict[str, str]] = {}
    for row in decisions_of(session, run_id):
        newest.setdefault(row.pair_key, {})[row.reviewer] = row.decision
    return {key: CurrentDecision(key, by) for key, by in newest.items()}


def _decided_by(session: Session, run_id: str, pair_key: str) -> dict[str, ReviewDecision]:
    rows = session.scalars(
        select(ReviewDecision)
        .where(ReviewDecision.run_id == run_id, ReviewDecision.pair_key == pair_key)
        .order_by(ReviewDecision.id)
    )
    return {row.reviewer: row for row in rows}


def review_facts(
    session: Session, run_id: str, pair_key: str, in_sample: bool, revising: bool = False
) -> ReviewFacts:
    """The policy's view of a decision asked for on ``pair_key`` of ``run_id``."""
    return ReviewFacts(
        run_id=run_id,
        pair_key=pair_key,
        in_sample=in_sample,
        decided_by=frozenset(_decided_by(session, run_id, pair_key)),
        revising=revising,
    )


def require_list(session: Session, keystore: KeyStore, by: str, run_id: str) -> None:
    """Refuse (audited) unless ``by`` may see ``run_id``'s review sample."""
    with acting(
        session, keystore, by, Action.LINKAGE_REVIEW_VIEW, object_type="link_run", object_id=run_id
    ):
        pass


def record_view(
    session: Session, keystore: KeyStore, by: str, run_id: str, pair_key: str, in_sample: bool
) -> None:
    """Refuse (audited) unless ``by`` may see the pair's identifiers; audit that they did."""
    facts = ReviewFacts(run_id, pair_key, in_sample)
    with acting(
        session,
        keystore,
        by,
        Action.LINKAGE_REVIEW_VIEW,
        facts,
        object_type="link_run",
        object_id=run_id,
    ) as who:
        who.audit("linkage_review.viewed", {"pair": pair_key})


def record_decision(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    run_id: str,
    pair_key: str,
    in_sample: bool,
    decision: str,
    note: str | None = None,
    revise: bool = False,
) -> ReviewDecision:
    """Record ``by``'s decision on a sampled pair (audited), or refuse (audited).

    A reviewer decides a pair once; ``revise`` records a changed decision as a new row
    (``revises_id`` the one it replaces) and a ``linkage_review.revised`` entry.
    """
    facts = review_facts(session, run_id, pair_key, in_sample, revise)
    with acting(
        session,
        keystore,
        by,
        Action.LINKAGE_REVIEW_DECIDE,
        facts,
        object_type="link_run",
        object_id=run_id,
    ) as who:
        if decision not in DECISIONS:
            who.refuse(
                f"decision {decision!r} is not one of {', '.join(DECISIONS)}", error=InvalidInput
            )
        earlier = _decided_by(session, run_id, pair_key).get(who.username) if revise else None
        row = ReviewDecision(
            run_id=run_id,
            pair_key=pair_key,
            decision=decision,
            reviewer=who.username,
            decided_at=utcnow(),
            note=(note or "").strip() or None,
            revises_id=earlier.id if earlier is not None else None,
        )
        session.add(row)
        session.flush()
        details: dict[str, object] = {
            "pair": pair_key,
            "decision": decision,
            "note": row.note is not None,
        }
        if earlier is not None:
            details["revises"] = earlier.id
            details["was"] = earlier.decision
        who.audit("linkage_review.revised" if revise else "linkage_review.decided", details)
        return row
