"""``nightingale retention run``: delete what the retention schedules say has expired.

A run lists what is due first and, only with ``apply``, deletes it:

- a provider's dataset versions older than its rule (never its newest version, which
  the spine in force and the next build read), from the content zone, the identifier
  zone (sealed identifiers and key map) and the quarantine, each audited
  ``dataset_version.deleted``;
- a project's releases older than its rule, revoked and their folder deleted from the
  projects zone (governance's ``release.revoked`` and ``release.deleted`` entries).

Only an administrator runs retention (the policy's ``retention.run``), dry run or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from nightingale.governance import releases, retention
from nightingale.governance.service import as_utc, utcnow
from nightingale.linkage.retention import expire_version, stored_versions
from nightingale.operations.unit import Unit


@dataclass(frozen=True)
class Due:
    """One thing a retention run deletes: what, which, and since when it is due."""

    kind: str
    """``dataset_version`` or ``release``."""
    owner: str
    """The provider or the project."""
    object_id: str
    created_at: datetime
    keep_days: int


def due(unit: Unit, now: datetime | None = None) -> list[Due]:
    """Everything past its retention, provider versions first, oldest first."""
    moment = now or utcnow()
    found: list[Due] = []
    for rule in retention.list_rules(unit.session):
        cutoff = moment - timedelta(days=rule.keep_days)
        if rule.scope == "provider":
            for version in stored_versions(unit.session, rule.name):
                if not version.newest and as_utc(version.created_at) < cutoff:
                    found.append(
                        Due(
                            "dataset_version",
                            rule.name,
                            version.version_id,
                            version.created_at,
                            rule.keep_days,
                        )
                    )
        else:
            for release in releases.list_releases(unit.session, rule.name):
                if release.deleted_at is None and as_utc(release.created_at) < cutoff:
                    found.append(
                        Due(
                            "release",
                            rule.name,
                            release.release_id,
                            release.created_at,
                            rule.keep_days,
                        )
                    )
    return found


def run(unit: Unit, *, apply: bool = False, now: datetime | None = None) -> list[Due]:
    """What is due (deleted from every zone, each audited, when ``apply``)."""
    retention.require_run(unit.session, unit.keystore, unit.actor, apply=apply)
    found = due(unit, now)
    if not apply:
        return found
    for item in found:
        if item.kind == "dataset_version":
            expire_version(unit.session, unit.root, item.owner, item.object_id)
            unit.audit(
                "dataset_version.deleted",
                "dataset_version",
                f"{item.owner}/{item.object_id}",
                {"provider": item.owner, "reason": f"retention: kept {item.keep_days} days"},
            )
        else:
            releases.revoke_release(
                unit.session,
                unit.keystore,
                by=unit.actor,
                release_id=item.object_id,
                reason=f"retention: kept {item.keep_days} days",
                data_root=unit.root.path,
            )
    return found
