"""Retention schedules: how long dataset versions and releases are kept.

A rule is set per provider (its dataset versions: content, sealed identifiers, key maps
and quarantine) or per project (its releases), in days from when the version was
ingested or the release built. Stewards and administrators set rules
(``retention.manage``); only an administrator runs retention (``retention.run``), and a
run first shows what it would delete. The deleting itself is the operation's
(:mod:`nightingale.operations.retention`), which audits each deletion.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance.acting import acting
from nightingale.governance.errors import InvalidInput
from nightingale.governance.models import RetentionRule
from nightingale.governance.policy import Action
from nightingale.governance.service import utcnow
from nightingale.platform.keystore import KeyStore

SCOPES = ("provider", "project")


def set_rule(
    session: Session, keystore: KeyStore, *, by: str, scope: str, name: str, keep_days: int
) -> RetentionRule:
    """Keep ``scope`` ``name``'s versions or releases ``keep_days`` days (audited)."""
    with acting(
        session,
        keystore,
        by,
        Action.RETENTION_MANAGE,
        object_type="retention",
        object_id=f"{scope}/{name}",
    ) as who:
        if scope not in SCOPES:
            raise InvalidInput(f"retention scope {scope!r} is not one of {', '.join(SCOPES)}")
        if keep_days < 1:
            raise InvalidInput(f"retention of {scope} {name}: keep at least 1 day")
        rule = session.get(RetentionRule, (scope, name))
        before = None if rule is None else rule.keep_days
        if rule is None:
            rule = RetentionRule(scope=scope, name=name, keep_days=keep_days)
            session.add(rule)
        rule.keep_days = keep_days
        rule.set_by = who.username
        rule.set_at = utcnow()
        session.flush()
        who.audit("retention.set", {"keep_days": keep_days, "before": before})
        return rule


def list_rules(session: Session) -> list[RetentionRule]:
    return list(
        session.scalars(select(RetentionRule).order_by(RetentionRule.scope, RetentionRule.name))
    )


def require_run(session: Session, keystore: KeyStore, by: str, *, apply: bool) -> None:
    """Refuse (audited) unless ``by`` may run retention (an administrator)."""
    with acting(
        session,
        keystore,
        by,
        Action.RETENTION_RUN,
        object_type="retention",
        object_id="apply" if apply else "dry-run",
    ):
        pass
