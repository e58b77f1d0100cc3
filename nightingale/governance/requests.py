"""Linkage requests: a project's cohort spec, the datasets and variables it needs, and why.

The cohort spec is YAML text owned by the cohorts package; governance does not import
cohorts (dependencies point one way). It checks the text is a YAML mapping and, when the
caller passes ``validate_spec`` (the CLI and web service pass the cohorts validator), the
problems it reports. A malformed spec, an unknown dataset, a missing justification or a
request by a non-member is refused with the reason and the refusal is audited.

Submitting opens a round (:mod:`.rounds`) from the datasets the caller says the spec reads
(the request operation asks the cohort compiler): what stewards decide and the builder
may build is the round, not the request's current text or what it names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance import rounds, states
from nightingale.governance.acting import Acting, acting
from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.facts import project_facts, request_facts
from nightingale.governance.models import (
    Dataset,
    LinkageRequest,
    Project,
    RequestDataset,
    RequestVariable,
)
from nightingale.governance.policy import Action
from nightingale.governance.projects import get_project
from nightingale.governance.service import utcnow
from nightingale.platform.keystore import KeyStore

SpecValidator = Callable[[str], list[str]]


@dataclass(frozen=True)
class DatasetNeed:
    """One dataset a request asks for: why, and which variables (each with why)."""

    dataset: str
    justification: str
    variables: Mapping[str, str] = field(default_factory=dict)


def spec_problems(spec_text: str, validate_spec: SpecValidator | None = None) -> list[str]:
    """Why ``spec_text`` cannot be a cohort spec (empty when it can)."""
    try:
        parsed = yaml.safe_load(spec_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return [f"the cohort spec is not valid YAML{where}: {getattr(exc, 'problem', exc)}"]
    if not isinstance(parsed, dict):
        return [f"the cohort spec must be a YAML mapping, not {type(parsed).__name__}"]
    return list(validate_spec(spec_text)) if validate_spec else []


def _need_problems(session: Session, needs: Sequence[DatasetNeed]) -> list[str]:
    if not needs:
        return ["a request must name at least one dataset"]
    problems: list[str] = []
    known = set(session.scalars(select(Dataset.name)))
    for need in needs:
        if need.dataset not in known:
            problems.append(
                f"unknown dataset {need.dataset!r} (known: {', '.join(sorted(known)) or 'none'})"
            )
        if not need.justification.strip():
            problems.append(f"dataset {need.dataset}: a justification is required")
        problems.extend(
            f"variable {need.dataset}.{name}: a justification is required"
            for name, why in need.variables.items()
            if not why.strip()
        )
    return problems


def get_request(session: Session, request_id: int) -> LinkageRequest:
    found = session.get(LinkageRequest, request_id)
    if found is None:
        raise NotFound(f"no linkage request {request_id}")
    return found


def list_requests(
    session: Session, *, status: str | None = None, project: str | None = None
) -> list[LinkageRequest]:
    query = select(LinkageRequest).order_by(LinkageRequest.id)
    if status is not None:
        query = query.where(LinkageRequest.status == status)
    if project is not None:
        query = query.join(Project).where(Project.slug == project)
    return list(session.scalars(query))


def _check_input(
    session: Session,
    who: Acting,
    spec_text: str,
    needs: Sequence[DatasetNeed],
    validate_spec: SpecValidator | None,
    *,
    object_id: str,
) -> None:
    problems = spec_problems(spec_text, validate_spec) + _need_problems(session, needs)
    if problems:
        who.refuse(
            "; ".join(problems), error=InvalidInput, object_type="request", object_id=object_id
        )


def _set_needs(session: Session, request: LinkageRequest, needs: Sequence[DatasetNeed]) -> None:
    """Replace the request's datasets and variables (old rows go first: the unit of work
    would otherwise insert the new rows before deleting the old and trip the unique keys)."""
    if request.dataset_rows or request.variable_rows:
        request.dataset_rows.clear()
        request.variable_rows.clear()
        session.flush()
    request.dataset_rows = [
        RequestDataset(dataset_name=n.dataset, justification=n.justification) for n in needs
    ]
    request.variable_rows = [
        RequestVariable(dataset_name=n.dataset, variable=name, justification=why)
        for n in needs
        for name, why in n.variables.items()
    ]


def _on_request(
    session: Session, keystore: KeyStore, by: str, action: Action, request: LinkageRequest
) -> AbstractContextManager[Acting]:
    """``by`` takes ``action`` on ``request`` (asked of the policy, refusals audited)."""
    return acting(
        session,
        keystore,
        by,
        action,
        request_facts(session, request),
        object_type="request",
        object_id=str(request.id),
    )


def create_request(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    project: str,
    title: str,
    spec_text: str,
    datasets: Sequence[DatasetNeed],
    validate_spec: SpecValidator | None = None,
) -> LinkageRequest:
    """A project member drafts a request; refused (and audited) when anything is wrong."""
    found = get_project(session, project)
    with acting(
        session,
        keystore,
        by,
        Action.REQUEST_CREATE,
        project_facts(found),
        object_type="project",
        object_id=project,
    ) as who:
        _check_input(session, who, spec_text, datasets, validate_spec, object_id=f"{project}/new")
        now = utcnow()
        request = LinkageRequest(
            project=found,
            requester=who.person,
            title=title.strip() or f"{project} cohort",
            spec_text=spec_text,
            spec_sha256=hashlib.sha256(spec_text.encode()).hexdigest(),
            status="draft",
            round=0,
            created_at=now,
            updated_at=now,
        )
        _set_needs(session, request, datasets)
        session.add(request)
        session.flush()
        who.audit(
            "request.created",
            {
                "project": project,
                "spec_sha256": request.spec_sha256,
                "datasets": sorted(n.dataset for n in datasets),
                "variables": sum(len(n.variables) for n in datasets),
            },
            object_type="request",
            object_id=str(request.id),
        )
        return request


def revise_request(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    request_id: int,
    spec_text: str,
    datasets: Sequence[DatasetNeed],
    validate_spec: SpecValidator | None = None,
) -> LinkageRequest:
    """Change a draft (or a request returned for changes) before (re)submitting it."""
    request = get_request(session, request_id)
    with _on_request(session, keystore, by, Action.REQUEST_SUBMIT, request) as who:
        _check_input(session, who, spec_text, datasets, validate_spec, object_id=str(request_id))
        request.spec_text = spec_text
        request.spec_sha256 = hashlib.sha256(spec_text.encode()).hexdigest()
        _set_needs(session, request, datasets)
        request.updated_at = utcnow()
        session.flush()
        who.audit("request.revised", {"spec_sha256": request.spec_sha256})
        return request


def submit_request(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    request_id: int,
    reads: Collection[str],
    validate_spec: SpecValidator | None = None,
) -> LinkageRequest:
    """Send a draft (or revised) request to the stewards; starts a new approval round.

    ``reads`` are the datasets the spec reads, as the cohort compiler says (the request
    operation passes them; governance cannot read a spec). The round records them with
    the datasets the request names, each as classified now (:mod:`.rounds`), and the
    approvals it needs follow from all of them. A spec reading a dataset governance has
    not registered is refused: it could not be classified.
    """
    request = get_request(session, request_id)
    with _on_request(session, keystore, by, Action.REQUEST_SUBMIT, request) as who:
        problems = spec_problems(request.spec_text, validate_spec)
        problems.extend(
            f"the spec reads the dataset {name!r}, which is not registered (register and "
            "classify it first)"
            for name in rounds.unknown_datasets(session, reads)
        )
        if problems:
            who.refuse("; ".join(problems), error=InvalidInput)
        before = request.status
        request.status = states.transition("request", f"request {request_id}", before, "submitted")
        request.round += 1
        request.spec_sha256 = rounds.spec_digest(request.spec_text)
        request.updated_at = utcnow()
        submitted = rounds.open_round(session, request, reads)
        rows = submitted.dataset_rows
        who.audit(
            "request.submitted",
            {
                "from": before,
                "round": request.round,
                "spec_sha256": submitted.spec_sha256,
                "datasets": {row.dataset_name: row.classification for row in rows},
                "reads": sorted(row.dataset_name for row in rows if row.read_by_spec),
                "unjustified": sorted(row.dataset_name for row in rows if not row.justification),
            },
        )
        return request


def withdraw_request(
    session: Session, keystore: KeyStore, *, by: str, request_id: int, reason: str
) -> LinkageRequest:
    """A project member withdraws a request; its releases should then be revoked."""
    request = get_request(session, request_id)
    with _on_request(session, keystore, by, Action.REQUEST_WITHDRAW, request) as who:
        before = request.status
        request.status = states.transition("request", f"request {request_id}", before, "withdrawn")
        request.updated_at = utcnow()
        who.audit("request.withdrawn", {"from": before, "reason": reason})
        return request
