"""THE one place that decides whether an actor may take an action on a target.

Every governance function asks :func:`require` (or :func:`decide`) before it changes
anything, and nothing else in the platform makes permission decisions: the CLI, the web
service and the JupyterHub spawner all ask here. Decisions are pure functions of small
frozen *facts* (who the actor is, what state the target is in, who is on the project),
so the whole matrix (every role x every action x the relevant states) is tested without
a database; :mod:`.facts` builds the facts from the tables.

The rules, in the words of the Five Safes:

- *safe people*: data access (requests, releases, outputs) needs a researcher with an
  unexpired accreditation who is a member of the project;
- *safe projects*: data moves only for an approved or active project, releases are read
  only while it is active and the release is neither revoked nor expired;
- *separation of duties*: nobody decides on, builds, checks or releases anything for a
  project they are a member of, and nobody decides on their own request or output;
- *two pairs of eyes*: a steward may decide a submission round once; the number of
  approvals needed (two for special-category data) is counted in :mod:`.approvals`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from nightingale.governance.errors import PermissionDenied


class Action(StrEnum):
    """Everything someone can ask governance to do."""

    PERSON_MANAGE = "person.manage"
    DATASET_MANAGE = "dataset.manage"
    PROJECT_CREATE = "project.create"
    PROJECT_EDIT = "project.edit"
    PROJECT_SUBMIT = "project.submit"
    PROJECT_APPROVE = "project.approve"
    PROJECT_ACTIVATE = "project.activate"
    PROJECT_CLOSE = "project.close"
    REQUEST_CREATE = "request.create"
    REQUEST_SUBMIT = "request.submit"
    REQUEST_WITHDRAW = "request.withdraw"
    REQUEST_DECIDE = "request.decide"
    REQUEST_BUILD = "request.build"
    RELEASE_ACCESS = "release.access"
    RELEASE_REVOKE = "release.revoke"
    OUTPUT_SUBMIT = "output.submit"
    OUTPUT_WITHDRAW = "output.withdraw"
    OUTPUT_CHECK = "output.check"
    OUTPUT_RELEASE = "output.release"
    RESULT_PUBLISH = "result.publish"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    GOVERNANCE_ENFORCE = "governance.enforce"


@dataclass(frozen=True)
class Actor:
    """Who is asking."""

    username: str
    roles: frozenset[str]
    active: bool = True
    accreditation_expires: date | None = None

    def accredited_on(self, day: date) -> bool:
        return self.accreditation_expires is not None and self.accreditation_expires >= day


@dataclass(frozen=True)
class ProjectFacts:
    slug: str
    status: str
    pi: str
    members: frozenset[str]


@dataclass(frozen=True)
class RequestFacts:
    id: int
    status: str
    project: ProjectFacts
    requester: str
    special_category: bool = False
    decided_this_round: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ReleaseFacts:
    release_id: str
    request: RequestFacts
    revoked: bool
    expires_on: date


@dataclass(frozen=True)
class OutputFacts:
    id: int
    status: str
    project: ProjectFacts
    submitter: str


@dataclass(frozen=True)
class PublishFacts:
    outputs: tuple[OutputFacts, ...]


Target = ProjectFacts | RequestFacts | ReleaseFacts | OutputFacts | PublishFacts | None


@dataclass(frozen=True)
class Decision:
    """Whether the action is allowed, and the reason either way (shown to people)."""

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = "allowed"


@dataclass(frozen=True)
class _Rule:
    roles: frozenset[str]
    check: Callable[[Actor, Target, date], str | None] = field(default=lambda a, t, d: None)


# -- small checks: each returns None when satisfied, else the reason -------------------------


def _accredited(actor: Actor, today: date) -> str | None:
    if actor.accreditation_expires is None:
        return f"{actor.username} has no researcher accreditation"
    if not actor.accredited_on(today):
        return f"{actor.username}'s accreditation expired on {actor.accreditation_expires}"
    return None


def _member(actor: Actor, project: ProjectFacts) -> str | None:
    if actor.username not in project.members:
        return f"{actor.username} is not a member of project {project.slug}"
    return None


def _not_member(actor: Actor, project: ProjectFacts, what: str) -> str | None:
    if actor.username in project.members or actor.username == project.pi:
        return (
            f"{actor.username} is a member of project {project.slug} and may not {what} "
            "(separation of duties)"
        )
    return None


def _state(kind: str, label: str, status: str, allowed: frozenset[str]) -> str | None:
    if status not in allowed:
        return f"{kind} {label} is {status}; this needs it to be {' or '.join(sorted(allowed))}"
    return None


def _first(*reasons: str | None) -> str | None:
    return next((r for r in reasons if r is not None), None)


def _target(target: Target, kind: type, action: Action) -> object:
    if not isinstance(target, kind):
        raise TypeError(f"{action} needs {kind.__name__}, got {type(target).__name__}")
    return target


LIVE_PROJECT = frozenset({"approved", "active"})
ACTIVE = frozenset({"active"})
OPEN_PROJECT = frozenset({"draft", "submitted", "approved", "active"})


def _project_edit(actor: Actor, target: Target, today: date) -> str | None:
    project = _target(target, ProjectFacts, Action.PROJECT_EDIT)
    assert isinstance(project, ProjectFacts)
    if "administrator" not in actor.roles and actor.username != project.pi:
        return f"only the PI ({project.pi}) or an administrator may change project {project.slug}"
    return _state("project", project.slug, project.status, OPEN_PROJECT)


def _project_submit(actor: Actor, target: Target, today: date) -> str | None:
    project = _target(target, ProjectFacts, Action.PROJECT_SUBMIT)
    assert isinstance(project, ProjectFacts)
    if actor.username != project.pi:
        return f"only the PI ({project.pi}) may submit project {project.slug}"
    return _first(
        _accredited(actor, today),
        _state("project", project.slug, project.status, frozenset({"draft"})),
    )


def _project_approve(actor: Actor, target: Target, today: date) -> str | None:
    project = _target(target, ProjectFacts, Action.PROJECT_APPROVE)
    assert isinstance(project, ProjectFacts)
    return _first(
        _not_member(actor, project, "approve it"),
        _state("project", project.slug, project.status, frozenset({"submitted"})),
    )


def _project_activate(actor: Actor, target: Target, today: date) -> str | None:
    project = _target(target, ProjectFacts, Action.PROJECT_ACTIVATE)
    assert isinstance(project, ProjectFacts)
    return _first(
        _not_member(actor, project, "activate it"),
        _state("project", project.slug, project.status, frozenset({"approved"})),
    )


def _project_close(actor: Actor, target: Target, today: date) -> str | None:
    project = _target(target, ProjectFacts, Action.PROJECT_CLOSE)
    assert isinstance(project, ProjectFacts)
    if actor.roles.isdisjoint({"administrator", "data_steward"}) and actor.username != project.pi:
        return f"only the PI ({project.pi}), a steward or an administrator may close {project.slug}"
    return _state("project", project.slug, project.status, OPEN_PROJECT)


def _project_create(actor: Actor, target: Target, today: date) -> str | None:
    if "administrator" in actor.roles:
        return None
    return _accredited(actor, today)


def _request_create(actor: Actor, target: Target, today: date) -> str | None:
    project = _target(target, ProjectFacts, Action.REQUEST_CREATE)
    assert isinstance(project, ProjectFacts)
    return _first(
        _member(actor, project),
        _accredited(actor, today),
        _state("project", project.slug, project.status, LIVE_PROJECT),
    )


def _request_submit(actor: Actor, target: Target, today: date) -> str | None:
    request = _target(target, RequestFacts, Action.REQUEST_SUBMIT)
    assert isinstance(request, RequestFacts)
    return _first(
        _member(actor, request.project),
        _accredited(actor, today),
        _state("project", request.project.slug, request.project.status, LIVE_PROJECT),
        _state(
            "request", str(request.id), request.status, frozenset({"draft", "changes_requested"})
        ),
    )


def _request_withdraw(actor: Actor, target: Target, today: date) -> str | None:
    request = _target(target, RequestFacts, Action.REQUEST_WITHDRAW)
    assert isinstance(request, RequestFacts)
    live = frozenset({"draft", "submitted", "changes_requested", "approved", "released"})
    return _first(
        _member(actor, request.project), _state("request", str(request.id), request.status, live)
    )


def _request_decide(actor: Actor, target: Target, today: date) -> str | None:
    request = _target(target, RequestFacts, Action.REQUEST_DECIDE)
    assert isinstance(request, RequestFacts)
    if actor.username == request.requester:
        return f"{actor.username} made request {request.id} and may not decide on it"
    if actor.username in request.decided_this_round:
        return (
            f"{actor.username} has already decided request {request.id} in this round; "
            "a second approval must come from another steward"
        )
    return _first(
        _not_member(actor, request.project, "decide its requests"),
        _state("project", request.project.slug, request.project.status, LIVE_PROJECT),
        _state("request", str(request.id), request.status, frozenset({"submitted"})),
    )


def _request_build(actor: Actor, target: Target, today: date) -> str | None:
    request = _target(target, RequestFacts, Action.REQUEST_BUILD)
    assert isinstance(request, RequestFacts)
    return _first(
        _not_member(actor, request.project, "build its releases"),
        _state("project", request.project.slug, request.project.status, ACTIVE),
        _state("request", str(request.id), request.status, frozenset({"approved", "released"})),
    )


def _release_access(actor: Actor, target: Target, today: date) -> str | None:
    release = _target(target, ReleaseFacts, Action.RELEASE_ACCESS)
    assert isinstance(release, ReleaseFacts)
    project = release.request.project
    if release.revoked:
        return f"release {release.release_id} has been revoked"
    if release.expires_on < today:
        return f"release {release.release_id} expired on {release.expires_on}"
    return _first(
        _member(actor, project),
        _accredited(actor, today),
        _state("project", project.slug, project.status, ACTIVE),
        _state("request", str(release.request.id), release.request.status, frozenset({"released"})),
    )


def _output_submit(actor: Actor, target: Target, today: date) -> str | None:
    project = _target(target, ProjectFacts, Action.OUTPUT_SUBMIT)
    assert isinstance(project, ProjectFacts)
    return _first(
        _member(actor, project),
        _accredited(actor, today),
        _state("project", project.slug, project.status, ACTIVE),
    )


def _output_withdraw(actor: Actor, target: Target, today: date) -> str | None:
    output = _target(target, OutputFacts, Action.OUTPUT_WITHDRAW)
    assert isinstance(output, OutputFacts)
    live = frozenset({"submitted", "returned", "approved"})
    return _first(
        _member(actor, output.project),
        _state("output request", str(output.id), output.status, live),
    )


def _output_check(actor: Actor, target: Target, today: date) -> str | None:
    output = _target(target, OutputFacts, Action.OUTPUT_CHECK)
    assert isinstance(output, OutputFacts)
    if actor.username == output.submitter:
        return f"{actor.username} submitted output request {output.id} and may not check it"
    return _first(
        _not_member(actor, output.project, "check its outputs"),
        _state("output request", str(output.id), output.status, frozenset({"submitted"})),
    )


def _output_release(actor: Actor, target: Target, today: date) -> str | None:
    output = _target(target, OutputFacts, Action.OUTPUT_RELEASE)
    assert isinstance(output, OutputFacts)
    if actor.username == output.submitter:
        return f"{actor.username} submitted output request {output.id} and may not release it"
    return _first(
        _not_member(actor, output.project, "release its outputs"),
        _state("output request", str(output.id), output.status, frozenset({"approved"})),
    )


def _result_publish(actor: Actor, target: Target, today: date) -> str | None:
    publish = _target(target, PublishFacts, Action.RESULT_PUBLISH)
    assert isinstance(publish, PublishFacts)
    if not publish.outputs:
        return "a published result must come from at least one released output request"
    for output in publish.outputs:
        problem = _state("output request", str(output.id), output.status, frozenset({"released"}))
        if problem:
            return problem
    return None


_ADMIN = frozenset({"administrator"})
_STEWARD = frozenset({"data_steward"})
_RESEARCHER = frozenset({"researcher"})

RULES: dict[Action, _Rule] = {
    Action.PERSON_MANAGE: _Rule(_ADMIN),
    Action.DATASET_MANAGE: _Rule(_ADMIN | _STEWARD),
    Action.PROJECT_CREATE: _Rule(_RESEARCHER | _ADMIN, _project_create),
    Action.PROJECT_EDIT: _Rule(_RESEARCHER | _ADMIN, _project_edit),
    Action.PROJECT_SUBMIT: _Rule(_RESEARCHER, _project_submit),
    Action.PROJECT_APPROVE: _Rule(_STEWARD, _project_approve),
    Action.PROJECT_ACTIVATE: _Rule(_STEWARD | _ADMIN, _project_activate),
    Action.PROJECT_CLOSE: _Rule(_RESEARCHER | _STEWARD | _ADMIN, _project_close),
    Action.REQUEST_CREATE: _Rule(_RESEARCHER, _request_create),
    Action.REQUEST_SUBMIT: _Rule(_RESEARCHER, _request_submit),
    Action.REQUEST_WITHDRAW: _Rule(_RESEARCHER, _request_withdraw),
    Action.REQUEST_DECIDE: _Rule(_STEWARD, _request_decide),
    Action.REQUEST_BUILD: _Rule(_STEWARD | _ADMIN, _request_build),
    Action.RELEASE_ACCESS: _Rule(_RESEARCHER, _release_access),
    Action.RELEASE_REVOKE: _Rule(_STEWARD | _ADMIN),
    Action.OUTPUT_SUBMIT: _Rule(_RESEARCHER, _output_submit),
    Action.OUTPUT_WITHDRAW: _Rule(_RESEARCHER, _output_withdraw),
    Action.OUTPUT_CHECK: _Rule(frozenset({"output_checker"}), _output_check),
    Action.OUTPUT_RELEASE: _Rule(frozenset({"output_checker"}), _output_release),
    Action.RESULT_PUBLISH: _Rule(frozenset({"evaluator"}), _result_publish),
    Action.AUDIT_READ: _Rule(_ADMIN | _STEWARD | frozenset({"output_checker"})),
    Action.AUDIT_VERIFY: _Rule(_ADMIN | _STEWARD),
    Action.GOVERNANCE_ENFORCE: _Rule(_ADMIN),
}


def roles_for(action: Action) -> frozenset[str]:
    """The roles that may take ``action`` at all (before state and membership checks)."""
    return RULES[action].roles


def decide(actor: Actor, action: Action, target: Target = None, *, today: date) -> Decision:
    """Whether ``actor`` may take ``action`` on ``target`` on ``today``, and why."""
    if not actor.active:
        return Decision(False, f"{actor.username}'s account is deactivated")
    rule = RULES[action]
    if actor.roles.isdisjoint(rule.roles):
        held = ", ".join(sorted(actor.roles)) or "no role"
        needed = " or ".join(sorted(rule.roles))
        return Decision(False, f"{action} needs the role {needed}; {actor.username} has {held}")
    problem = rule.check(actor, target, today)
    if problem is not None:
        return Decision(False, problem)
    return Decision(True, ALLOW)


def require(actor: Actor, action: Action, target: Target = None, *, today: date) -> Decision:
    """:func:`decide`, raising :class:`PermissionDenied` with the reason when refused."""
    decision = decide(actor, action, target, today=today)
    if not decision.allowed:
        raise PermissionDenied(f"refused: {decision.reason}")
    return decision
