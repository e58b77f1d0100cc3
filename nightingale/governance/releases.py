"""Releases: the cohort builder asks here first, and records here what it built.

The cohorts package builds releases; governance decides whether it may (:func:`may_build`
to ask the policy, :func:`require_build` to refuse with an audit entry; the latter also
holds the build to the approved round: the spec submitted, the datasets asked for),
whether a steward may let one be built below its k-anonymity target
(:func:`require_k_override`; a build below target without one is refused and audited by
:func:`refuse_below_k_target`), records the result (:func:`record_release`, which moves
the request to ``released`` and audits ``release.built``, and ``release.k_override`` with
the steward's reason when there was one), answers who may read which release
(:func:`may_access`, :func:`visible_releases`: the JupyterHub spawner mounts only these),
and revokes releases (:func:`revoke_release`, used by :mod:`.enforcement`).
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Collection
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance import rounds, states
from nightingale.governance.acting import Acting, acting
from nightingale.governance.agreements import coverage_problems
from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.facts import release_facts, request_facts
from nightingale.governance.models import LinkageRequest, Project, Release
from nightingale.governance.policy import Action, Decision, decide
from nightingale.governance.requests import get_request
from nightingale.governance.service import actor_of, lock_row, person, refuse, today, utcnow
from nightingale.platform.keystore import KeyStore

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def may_build(session: Session, request_id: int, actor: str, *, on: date | None = None) -> Decision:
    """May ``actor`` build request ``request_id`` now? (approved or released, project active,
    actor a steward or administrator who is not on the project). The policy's answer only:
    whether the spec and its datasets are the approved round's is :func:`require_build`'s
    check, which needs the spec the builder will build. Audits nothing."""
    request = get_request(session, request_id)
    return decide(
        actor_of(person(session, actor)),
        Action.REQUEST_BUILD,
        request_facts(session, request),
        today=on or today(),
    )


def _building(
    session: Session, keystore: KeyStore, request: LinkageRequest, actor: str
) -> AbstractContextManager[Acting]:
    return acting(
        session,
        keystore,
        actor,
        Action.REQUEST_BUILD,
        request_facts(session, request),
        object_type="request",
        object_id=str(request.id),
    )


def require_build(
    session: Session,
    keystore: KeyStore,
    request: LinkageRequest,
    actor: str,
    *,
    spec_text: str,
    reads: Collection[str],
    draws: Collection[str] = (),
) -> None:
    """Refuse (audited, :class:`PermissionDenied`) unless ``actor`` may build ``request`` now.

    Besides the policy (approved, project active, a steward or administrator not on the
    project), the spec to build, ``spec_text``, must be the one submitted in the approved
    round, and every dataset it reads (``reads``, as the cohort compiler says) must be in
    that round (:func:`.rounds.build_problems`). The builder calls this before it starts
    and :func:`record_release` checks again before recording, so a decision that changed
    during the build still counts. ``draws`` (the ``provider.table`` names the spec draws)
    must each be covered by a current data sharing agreement for the project's purpose.
    """
    with _building(session, keystore, request, actor) as who:
        problems = rounds.build_problems(session, request, spec_text=spec_text, reads=reads)
        problems += coverage_problems(session, request.project, draws)
        if problems:
            who.refuse("; ".join(problems))


def require_k_override(
    session: Session, keystore: KeyStore, request: LinkageRequest, actor: str, reason: str
) -> None:
    """Refuse (audited) unless ``actor`` is a steward who may override ``request``'s k target.

    The override needs a reason; it is recorded with the release by :func:`record_release`
    only if the release is in fact below its target.
    """
    with acting(
        session,
        keystore,
        actor,
        Action.RELEASE_K_OVERRIDE,
        request_facts(session, request),
        object_type="request",
        object_id=str(request.id),
    ) as who:
        if not reason.strip():
            who.refuse("an override of the k-anonymity target needs a reason", error=InvalidInput)


def refuse_below_k_target(
    session: Session, keystore: KeyStore, request: LinkageRequest, actor: str, why: str
) -> NoReturn:
    """Refuse a build whose release would be below its k target (nothing was written)."""
    refuse(
        session,
        keystore,
        actor=actor,
        action=str(Action.REQUEST_BUILD),
        object_type="request",
        object_id=str(request.id),
        reason=why,
    )


def record_release(
    session: Session,
    keystore: KeyStore,
    request_id: int,
    location: str,
    manifest_sha256: str,
    *,
    actor: str,
    spec_sha256: str,
    release_id: str | None = None,
    expires_on: date | None = None,
    details: dict[str, object] | None = None,
    k_override: str | None = None,
) -> Release:
    """Record a built release, move the request to ``released``, audit ``release.built``.

    ``location`` is the release folder (relative to the data root, e.g.
    ``projects/dfh-pilot/releases/<id>``); ``spec_sha256`` the hash of the spec it was
    built from (the manifest's), which must be the approved round's; ``expires_on``
    defaults to the project's end date. ``details`` (row counts, k-anonymity; no personal
    data) go into the audit entry. A rebuild of a released request records another release.
    ``k_override`` is the steward's reason for a release below its k-anonymity target
    (checked again here, recorded on the release, audited ``release.k_override``).
    """
    if not SHA256.match(manifest_sha256):
        raise InvalidInput(f"manifest checksum {manifest_sha256!r} is not a SHA-256 hex digest")
    request = lock_row(
        session, LinkageRequest, LinkageRequest.id, request_id, touch=LinkageRequest.updated_at
    )
    if request is None:
        raise NotFound(f"no linkage request {request_id}")
    if k_override is not None:
        require_k_override(session, keystore, request, actor, k_override)
    with _building(session, keystore, request, actor) as who:
        submitted = rounds.current_round(session, request)
        if submitted is None or submitted.spec_sha256 != spec_sha256:
            who.refuse(
                f"release of request {request_id} was built from spec sha256 "
                f"{spec_sha256[:12]}, not the spec approved in round {request.round}"
            )
        release = Release(
            release_id=release_id or uuid.uuid4().hex[:16],
            request=request,
            location=location,
            manifest_sha256=manifest_sha256,
            built_by=who.username,
            created_at=utcnow(),
            expires_on=expires_on or request.project.end_date,
            k_override_by=None if k_override is None else who.username,
            k_override_reason=k_override,
        )
        session.add(release)
        if request.status != "released":
            request.status = states.transition(
                "request", f"request {request_id}", request.status, "released"
            )
        request.updated_at = utcnow()
        session.flush()
        who.audit(
            "release.built",
            {
                "request": request_id,
                "project": request.project.slug,
                "location": location,
                "manifest_sha256": manifest_sha256,
                "spec_sha256": spec_sha256,
                "round": request.round,
                "expires_on": release.expires_on,
                **(details or {}),
            },
            object_type="release",
            object_id=release.release_id,
        )
        if k_override is not None:
            who.audit(
                "release.k_override",
                {"request": request_id, "reason": k_override, **(details or {})},
                object_type="release",
                object_id=release.release_id,
            )
        return release


def get_release(session: Session, release_id: str) -> Release:
    found = session.get(Release, release_id)
    if found is None:
        raise NotFound(f"no release {release_id!r}")
    return found


def list_releases(session: Session, project: str | None = None) -> list[Release]:
    query = select(Release).order_by(Release.created_at)
    if project is not None:
        query = query.join(LinkageRequest).join(Project).where(Project.slug == project)
    return list(session.scalars(query))


def may_access(
    session: Session, username: str, release_id: str, *, on: date | None = None
) -> Decision:
    """May ``username`` read release ``release_id`` now?"""
    release = get_release(session, release_id)
    return decide(
        actor_of(person(session, username)),
        Action.RELEASE_ACCESS,
        release_facts(session, release),
        today=on or today(),
    )


def visible_releases(session: Session, username: str, *, on: date | None = None) -> list[Release]:
    """Every release ``username`` may read now (what the workspace may mount)."""
    who = actor_of(person(session, username))
    day = on or today()
    return [
        r
        for r in list_releases(session)
        if decide(who, Action.RELEASE_ACCESS, release_facts(session, r), today=day).allowed
    ]


def revoke_release(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    release_id: str,
    reason: str,
    data_root: Path | None = None,
) -> Release:
    """Revoke a release and, given the data root, delete its files (both audited)."""
    release = get_release(session, release_id)
    with acting(
        session, keystore, by, Action.RELEASE_REVOKE, object_type="release", object_id=release_id
    ) as who:
        if release.revoked_at is None:
            release.revoked_at = utcnow()
            release.revoked_reason = reason
            who.audit("release.revoked", {"reason": reason})
        if data_root is not None and release.deleted_at is None:
            folder = (data_root / release.location).resolve()
            if not folder.is_relative_to(data_root.resolve()):
                raise InvalidInput(
                    f"release {release_id} points outside the data root; not deleted"
                )
            existed = folder.exists()
            shutil.rmtree(folder, ignore_errors=True)
            release.deleted_at = utcnow()
            who.audit("release.deleted", {"location": release.location, "existed": existed})
        session.flush()
        return release
