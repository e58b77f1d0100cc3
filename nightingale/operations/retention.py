"""``nightingale retention run``: delete what the retention schedules say has expired.

A run lists what is due first and, only with ``apply``, deletes it:

- a provider's dataset versions older than its rule (never its newest version, which
  the spine in force and the next build read), from the content zone, the identifier
  zone (sealed identifiers and key map) and the quarantine, each audited
  ``dataset_version.deleted``;
- with them, the link runs made from those versions (their tokens, fingerprints, pairs
  and person ids), found by each run's ``linkage.run`` audit entry, which names the
  versions it linked; never the spine in force. Each is audited ``link_run.deleted``;
- a project's releases older than its rule, revoked and their folder deleted from the
  projects zone (governance's ``release.revoked`` and ``release.deleted`` entries).

Only an administrator runs retention (the policy's ``retention.run``), dry run or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from nightingale.governance import audit, releases, retention
from nightingale.governance.service import as_utc, utcnow
from nightingale.linkage.retention import expire_run, expire_version, stored_versions
from nightingale.linkage.spine import current_run, spine_folder
from nightingale.linkage.tables import LinkRun
from nightingale.operations.unit import Unit


@dataclass(frozen=True)
class Due:
    """One thing a retention run deletes: what, which, and since when it is due."""

    kind: str
    """``dataset_version``, ``link_run`` or ``release``."""
    owner: str
    """The provider or the project."""
    object_id: str
    created_at: datetime
    keep_days: int


def _kept_runs(unit: Unit) -> dict[str, tuple[datetime, dict[str, str]]]:
    """Each link run whose folder is kept, but the spine in force: when it ran and the
    provider versions it linked (from its ``linkage.run`` audit entry)."""
    in_force = current_run(unit.root)
    created = {row.run_id: row.created_at for row in unit.session.scalars(select(LinkRun))}
    runs = {}
    for entry in audit.entries(unit.session, action_prefix="linkage.run"):
        run_id = entry.object_id
        if run_id == in_force or run_id not in created:
            continue
        if spine_folder(unit.root, run_id).is_dir():
            versions = audit.details_of(entry).get("versions") or {}
            runs[run_id] = (created[run_id], {str(k): str(v) for k, v in versions.items()})
    return runs


def due(unit: Unit, now: datetime | None = None) -> list[Due]:
    """Everything past its retention, provider versions first (each followed by the link
    runs made from it), oldest first."""
    moment = now or utcnow()
    found: list[Due] = []
    runs = _kept_runs(unit)
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
                    for run_id, (ran, versions) in sorted(runs.items()):
                        if versions.get(rule.name) == version.version_id:
                            found.append(Due("link_run", rule.name, run_id, ran, rule.keep_days))
                            del runs[run_id]  # listed once, under the first version due
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
        elif item.kind == "link_run":
            expire_run(unit.root, item.object_id)
            unit.audit(
                "link_run.deleted",
                "link_run",
                item.object_id,
                {
                    "provider": item.owner,
                    "reason": f"retention: made from a {item.owner} version kept "
                    f"{item.keep_days} days",
                },
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
