"""Lodged analysis plans: a project's plan fixed with governance before outcomes are seen.

An evaluation is credible when its plan was fixed before anyone saw the outcomes. The PI
lodges the plan (:func:`lodge_plan`): its text and SHA-256 go into ``gov_analysis_plans``
and the audit chain (``plan.lodged``, with the time), and from then on a release carrying
outcome variables may be built for the project (:func:`require_plan_for_outcomes`, which
the build operation asks; the policy's ``request.build_outcomes`` says why not). A
changed plan is never lodged again silently: a different text under a lodged name is
refused, and the PI amends instead (:func:`amend_plan`, with a reason), which adds a
revision and a ``plan.amended`` entry that reports and the public registry list with
their dates.

Governance stores plans as text; it does not read them (the analyses package validates a
plan; :mod:`nightingale.operations.plans` parses it before lodging).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance.acting import Acting, acting
from nightingale.governance.errors import InvalidInput, InvalidTransition
from nightingale.governance.facts import project_facts, request_facts
from nightingale.governance.models import LinkageRequest, LodgedPlan, Project
from nightingale.governance.policy import Action, OutcomeBuildFacts
from nightingale.governance.projects import get_project
from nightingale.governance.service import as_utc, utcnow
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import sha256_bytes

PLAN_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

__all__ = [
    "PlanVersion",
    "amend_plan",
    "lodge_plan",
    "plan_history",
    "require_plan_for_outcomes",
]


@dataclass(frozen=True)
class PlanVersion:
    """One lodged version of a plan, as reports and the registry show it (no names)."""

    plan_name: str
    revision: int
    plan_version: str
    sha256: str
    lodged_at: datetime
    reason: str
    text: str

    @property
    def amendment(self) -> bool:
        return self.revision > 0


def _versions(session: Session, project: Project, plan_name: str | None = None) -> list[LodgedPlan]:
    query = select(LodgedPlan).where(LodgedPlan.project_id == project.id)
    if plan_name is not None:
        query = query.where(LodgedPlan.plan_name == plan_name)
    return list(session.scalars(query.order_by(LodgedPlan.plan_name, LodgedPlan.revision)))


def _check(plan_name: str, plan_version: str, text: str) -> None:
    if not PLAN_NAME.match(plan_name):
        raise InvalidInput(
            f"plan name {plan_name!r} must be 1-64 lower-case letters, digits, '.', '_' or '-'"
        )
    if not plan_version.strip() or len(plan_version) > 32:
        raise InvalidInput(f"plan {plan_name}: version {plan_version!r} must be 1-32 characters")
    if not text.strip():
        raise InvalidInput(f"plan {plan_name} is empty")


def _add(
    who: Acting,
    project: Project,
    plan_name: str,
    plan_version: str,
    text: str,
    *,
    revision: int,
    reason: str,
) -> LodgedPlan:
    row = LodgedPlan(
        project_id=project.id,
        plan_name=plan_name,
        revision=revision,
        plan_version=plan_version,
        sha256=sha256_bytes(text.encode("utf-8")),
        text=text,
        reason=reason,
        lodged_by_id=who.person.id,
        lodged_at=utcnow(),
    )
    who.session.add(row)
    who.session.flush()
    return row


def lodge_plan(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    project: str,
    plan_name: str,
    plan_version: str,
    text: str,
) -> LodgedPlan:
    """The PI lodges a plan; lodging the same text again returns the version on record.

    Refused (audited) when a *different* text is already lodged under ``plan_name``: a
    change after lodging is an amendment (:func:`amend_plan`), never a silent new lodging.
    """
    found = get_project(session, project)
    with acting(
        session,
        keystore,
        by,
        Action.PLAN_LODGE,
        project_facts(found),
        object_type="plan",
        object_id=f"{project}/{plan_name}",
    ) as who:
        _check(plan_name, plan_version, text)
        history = _versions(session, found, plan_name)
        digest = sha256_bytes(text.encode("utf-8"))
        if history:
            latest = history[-1]
            if latest.sha256 == digest:
                return latest
            raise InvalidTransition(
                f"plan {plan_name} of project {project} was lodged on "
                f"{as_utc(history[0].lodged_at):%Y-%m-%d %H:%M} UTC (SHA-256 "
                f"{latest.sha256[:12]}...); this text differs, so it is an amendment: "
                f"nightingale plans amend {project} PLAN.yaml --reason WHY"
            )
        row = _add(who, found, plan_name, plan_version, text, revision=0, reason="")
        who.audit(
            "plan.lodged",
            {"project": project, "sha256": row.sha256, "version": plan_version, "revision": 0},
        )
        return row


def amend_plan(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    project: str,
    plan_name: str,
    plan_version: str,
    text: str,
    reason: str,
) -> LodgedPlan:
    """The PI lodges a changed plan as an amendment of a lodged one, saying why."""
    found = get_project(session, project)
    with acting(
        session,
        keystore,
        by,
        Action.PLAN_AMEND,
        project_facts(found),
        object_type="plan",
        object_id=f"{project}/{plan_name}",
    ) as who:
        _check(plan_name, plan_version, text)
        if not reason.strip():
            raise InvalidInput(f"an amendment of plan {plan_name} needs a reason")
        history = _versions(session, found, plan_name)
        if not history:
            raise InvalidTransition(
                f"plan {plan_name} of project {project} has not been lodged; lodge it first "
                f"(nightingale plans lodge {project} PLAN.yaml)"
            )
        previous = history[-1]
        digest = sha256_bytes(text.encode("utf-8"))
        if previous.sha256 == digest:
            raise InvalidInput(
                f"plan {plan_name} of project {project} is unchanged since revision "
                f"{previous.revision}; nothing to amend"
            )
        revision = previous.revision + 1
        row = _add(who, found, plan_name, plan_version, text, revision=revision, reason=reason)
        who.audit(
            "plan.amended",
            {
                "project": project,
                "sha256": row.sha256,
                "previous_sha256": previous.sha256,
                "version": plan_version,
                "revision": revision,
                "reason": reason,
            },
        )
        return row


def plan_history(session: Session, project: str) -> list[PlanVersion]:
    """Every version of every plan the project lodged, by plan name and revision."""
    return [
        PlanVersion(
            plan_name=row.plan_name,
            revision=row.revision,
            plan_version=row.plan_version,
            sha256=row.sha256,
            lodged_at=as_utc(row.lodged_at),
            reason=row.reason,
            text=row.text,
        )
        for row in _versions(session, get_project(session, project))
    ]


def require_plan_for_outcomes(
    session: Session,
    keystore: KeyStore,
    request: LinkageRequest,
    actor: str,
    outcomes: Sequence[str],
) -> None:
    """Refuse (audited, :class:`PermissionDenied`) a build of ``request`` whose release
    would carry ``outcomes`` while its project has no lodged plan."""
    lodged = sorted({row.plan_name for row in _versions(session, request.project)})
    facts = OutcomeBuildFacts(request_facts(session, request), tuple(outcomes), tuple(lodged))
    with acting(
        session,
        keystore,
        actor,
        Action.REQUEST_BUILD_OUTCOMES,
        facts,
        object_type="request",
        object_id=str(request.id),
    ):
        pass
