"""Expiry: what ``nightingale governance enforce`` does, from cron or by hand.

A project past its end date expires; the requests of an expired or closed project
expire; every release of such a project, and every release past its own expiry date, is
revoked and its files deleted. Each step is audited, and running it again changes
nothing (idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance import states
from nightingale.governance.acting import acting
from nightingale.governance.models import LinkageRequest, Project, Release
from nightingale.governance.policy import Action
from nightingale.governance.releases import revoke_release
from nightingale.governance.service import today, utcnow
from nightingale.platform.keystore import KeyStore

ENDED = frozenset({"expired", "closed"})
FINAL_REQUESTS = frozenset({"rejected", "withdrawn", "expired"})


@dataclass
class EnforcementReport:
    """What one run changed (empty lists: nothing was due)."""

    expired_projects: list[str] = field(default_factory=list)
    expired_requests: list[int] = field(default_factory=list)
    revoked_releases: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.expired_projects or self.expired_requests or self.revoked_releases)


def enforce(
    session: Session, keystore: KeyStore, *, by: str, data_root: Path, on: date | None = None
) -> EnforcementReport:
    """Expire what is past its date and revoke and delete the releases that must go."""
    day = on or today()
    with acting(
        session,
        keystore,
        by,
        Action.GOVERNANCE_ENFORCE,
        object_type="platform",
        object_id="expiry",
        on=day,
    ) as who:
        report = EnforcementReport()
        for project in session.scalars(select(Project).order_by(Project.slug)):
            if project.status in {"approved", "active"} and project.end_date < day:
                before = project.status
                project.status = states.transition(
                    "project", f"project {project.slug}", before, "expired"
                )
                report.expired_projects.append(project.slug)
                who.audit(
                    "project.expired",
                    {"from": before, "end_date": project.end_date},
                    object_type="project",
                    object_id=project.slug,
                )
        ended = select(Project.id).where(Project.status.in_(ENDED))
        for request in session.scalars(
            select(LinkageRequest).where(
                LinkageRequest.project_id.in_(ended), LinkageRequest.status.not_in(FINAL_REQUESTS)
            )
        ):
            before = request.status
            request.status = states.transition(
                "request", f"request {request.id}", before, "expired"
            )
            request.updated_at = utcnow()
            report.expired_requests.append(request.id)
            who.audit(
                "request.expired",
                {"from": before},
                object_type="request",
                object_id=str(request.id),
            )
        session.flush()
        for release in session.scalars(select(Release).where(Release.deleted_at.is_(None))):
            project_ended = release.request.project.status in ENDED
            if project_ended or release.expires_on < day:
                why = (
                    "project ended" if project_ended else f"release expired on {release.expires_on}"
                )
                revoke_release(
                    session,
                    keystore,
                    by=by,
                    release_id=release.release_id,
                    reason=why,
                    data_root=data_root,
                )
                report.revoked_releases.append(release.release_id)
        return report
