"""Data sharing agreements: what each provider lets the platform hold, and what for.

A provider sends data under an agreement naming its tables, the purposes they may be
used for (``research``, ``service_evaluation``, ...), the legal basis, and the period it
runs. Two gates read it:

- *intake*: an extract is ingested only when a current agreement with its provider
  covers each of its tables (:func:`uncovered_tables`, decided by the policy's
  ``dataset.ingest``, :mod:`.intake`);
- *release*: a request is approved and built only when every table its spec draws is
  covered by a current agreement for the project's purpose (:func:`coverage_problems`,
  checked by :mod:`.approvals` and :mod:`.releases` when the operation passes the
  tables the compiler says the spec draws).

Recording and ending agreements is the policy's ``agreement.manage`` (stewards and
administrators); both are audited. Agreements are never deleted: ending one early keeps
its history, and an expired one simply stops being current.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance.acting import acting
from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.models import Agreement, Project
from nightingale.governance.policy import Action
from nightingale.governance.projects import PURPOSE_CODES
from nightingale.governance.service import today, utcnow
from nightingale.platform.keystore import KeyStore

EVERY_TABLE = "*"
_NAME = re.compile(r"^(\*|[a-z][a-z0-9_]*)$")


def _names(values: Sequence[str], what: str) -> str:
    cleaned = sorted({v.strip() for v in values if v.strip()})
    if not cleaned:
        raise InvalidInput(f"an agreement needs at least one {what}")
    bad = [v for v in cleaned if not _NAME.match(v)]
    if bad:
        raise InvalidInput(
            f"{what} {', '.join(bad)}: use lower-case names (letters, digits, _) or '*'"
        )
    return ",".join(cleaned)


def add_agreement(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    reference: str,
    provider: str,
    tables: Sequence[str],
    purposes: Sequence[str],
    legal_basis: str,
    starts_on: date,
    expires_on: date,
) -> Agreement:
    """Record a data sharing agreement (audited ``agreement.recorded``)."""
    with acting(
        session,
        keystore,
        by,
        Action.AGREEMENT_MANAGE,
        object_type="agreement",
        object_id=reference,
    ) as who:
        if not reference.strip():
            raise InvalidInput("an agreement needs a reference")
        if not legal_basis.strip():
            raise InvalidInput(f"agreement {reference}: the legal basis must not be empty")
        if expires_on < starts_on:
            raise InvalidInput(
                f"agreement {reference}: expires {expires_on}, before it starts {starts_on}"
            )
        from nightingale.governance.datasets import get_dataset

        get_dataset(session, provider)
        purpose_names = _names(purposes, "purpose")
        unknown = sorted(set(purpose_names.split(",")) - set(PURPOSE_CODES))
        if unknown:
            # A purpose no project can declare would never cover anything: a typo.
            raise InvalidInput(
                f"agreement {reference}: purpose {', '.join(unknown)} is not one of "
                f"{', '.join(PURPOSE_CODES)} (the purpose codes projects declare)"
            )
        if session.scalar(select(Agreement).where(Agreement.reference == reference)):
            raise InvalidInput(f"an agreement with reference {reference!r} already exists")
        agreement = Agreement(
            reference=reference,
            provider=provider,
            tables=_names(tables, "table"),
            purposes=purpose_names,
            legal_basis=legal_basis,
            starts_on=starts_on,
            expires_on=expires_on,
            recorded_by=who.username,
            recorded_at=utcnow(),
        )
        session.add(agreement)
        session.flush()
        who.audit(
            "agreement.recorded",
            {
                "provider": provider,
                "tables": list(agreement.table_names),
                "purposes": list(agreement.purpose_names),
                "legal_basis": legal_basis,
                "starts_on": starts_on,
                "expires_on": expires_on,
            },
        )
        return agreement


def end_agreement(
    session: Session, keystore: KeyStore, *, by: str, reference: str, reason: str
) -> Agreement:
    """End an agreement early (audited ``agreement.ended``); nothing new comes in under it."""
    agreement = get_agreement(session, reference)
    with acting(
        session,
        keystore,
        by,
        Action.AGREEMENT_MANAGE,
        object_type="agreement",
        object_id=reference,
    ) as who:
        if not reason.strip():
            raise InvalidInput(f"ending agreement {reference} needs a reason")
        if agreement.ended_at is not None:
            raise InvalidInput(
                f"agreement {reference} already ended on {agreement.ended_at:%Y-%m-%d}"
            )
        agreement.ended_at = utcnow()
        agreement.ended_reason = reason
        session.flush()
        who.audit("agreement.ended", {"provider": agreement.provider, "reason": reason})
        return agreement


def get_agreement(session: Session, reference: str) -> Agreement:
    found = session.scalar(select(Agreement).where(Agreement.reference == reference))
    if found is None:
        raise NotFound(f"no data sharing agreement {reference!r}")
    return found


def list_agreements(session: Session, provider: str | None = None) -> list[Agreement]:
    """Every agreement (current or not), by provider then start."""
    query = select(Agreement).order_by(Agreement.provider, Agreement.starts_on, Agreement.id)
    if provider is not None:
        query = query.where(Agreement.provider == provider)
    return list(session.scalars(query))


def is_current(agreement: Agreement, day: date) -> bool:
    """Whether ``agreement`` is in force on ``day`` (started, not expired, not ended)."""
    ended = agreement.ended_at is not None and agreement.ended_at.date() <= day
    return agreement.starts_on <= day <= agreement.expires_on and not ended


def current_agreements(
    session: Session, provider: str, *, on: date | None = None
) -> list[Agreement]:
    day = on or today()
    return [a for a in list_agreements(session, provider) if is_current(a, day)]


def _covers(agreement: Agreement, table: str) -> bool:
    return EVERY_TABLE in agreement.table_names or table in agreement.table_names


def uncovered_tables(
    session: Session, provider: str, tables: Collection[str], *, on: date | None = None
) -> tuple[str, ...]:
    """The tables of ``provider`` no current agreement covers (for any purpose)."""
    current = current_agreements(session, provider, on=on)
    return tuple(sorted(t for t in set(tables) if not any(_covers(a, t) for a in current)))


def coverage_problems(
    session: Session, project: Project, draws: Collection[str], *, on: date | None = None
) -> list[str]:
    """Why ``project`` may not draw ``draws`` (``provider.table`` names); empty when it may.

    Each table needs a current agreement with its provider that covers it for the
    project's purpose (``project.purpose_code``).
    """
    day = on or today()
    purpose = project.purpose_code
    problems = []
    for name in sorted(set(draws)):
        provider, _, table = name.partition(".")
        current = current_agreements(session, provider, on=day)
        if not any(_covers(a, table) and purpose in a.purpose_names for a in current):
            problems.append(
                f"{name}: no current data sharing agreement with {provider} covers it for "
                f"the purpose {purpose!r} of project {project.slug}"
            )
    return problems
