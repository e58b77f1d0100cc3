"""THE one place that decides whether an actor may take an action on a target.

Every governance function asks :func:`require` (or :func:`decide`) before it changes
anything, and nothing else in the platform makes permission decisions: the CLI, the web
service and the JupyterHub spawner all ask here. Decisions are pure functions of small
frozen *facts* (who the actor is, what state the target is in, who is on the project),
so the whole matrix (every role x every action x the relevant states) is tested without
a database; :mod:`.facts` builds the facts from the tables.

The rules, in the words of the Five Safes:

- *safe people*: data access (requests, releases, outputs) needs a researcher with an
  unexpired accreditation who is a member of the project; someone the PI adds after the
  project's approval is a member only once a steward off the project approves
  (``project.member_add``, ``project.member_approve``; ``project.member_refuse`` turns
  them away, with a reason);
- *safe projects*: data moves only for an approved or active project, releases are read
  only while it is active, not past its end date, and the release is neither revoked nor
  expired; an evaluator publishes only outputs of projects they are a member of;
- *separation of duties*: nobody decides on, builds, checks or releases anything for a
  project they are a member of, and nobody decides on their own request or output;
- *two pairs of eyes*: a steward may decide a submission round once; the number of
  approvals needed (two for special-category data) is counted in :mod:`.approvals`;
  lowering a dataset's classification (which would lower that number) is proposed by one
  steward or administrator and takes effect only when *another* confirms it. An output
  leaves the airlock only with the approvals of ``output_approvals`` (two) different
  output checkers, none the submitter or on the project; a checker decides an output
  request once, and one rejection stops it.
- *a plan before outcomes*: only the PI lodges or amends a project's analysis plan, and
  a release carrying outcome variables is built only once one is lodged
  (``request.build_outcomes``); an economic evaluation is published only with every
  CHEERS 2022 item filled.
- *governed intake*: data comes in only through a linkage officer (``dataset.ingest``),
  and only the tables a current data sharing agreement with the provider covers; linking
  is a linkage officer's or an administrator's job (``linkage.link``); stewards and
  administrators record agreements and retention schedules; only administrators rotate
  keys, re-key a project's pseudonyms or apply a retention run; the national data opt-out
  list is loaded by a linkage officer (it holds NHS numbers, so it stays in the
  identifier zone).
- *identifiers for the few*: clerical review of a link run's sampled pairs shows both
  records' identifiers, so only a data steward who also holds the linkage role
  (``linkage_officer``) sees them or decides (``linkage_review.view`` / ``.decide``);
  only pairs in the run's review sample, each reviewer once per pair (a change is an
  explicit revision).
- *minimum data*: a release below its spec's k-anonymity target is built only when a
  steward (not on the project) overrides the target with a reason (``release.k_override``).

Reading is a permission too: the ``*.view`` / ``*.read`` actions say who may see a
project, a request, an output or the linkage quality report (members see their own
project's; the people who decide on a kind of object see every one of that kind), and
``workspace.open`` says whose workspace may start for a project. ``job.run`` is working
with the project's data as a workspace is (a member, accredited, the project active);
``job.view`` lets members see their project's jobs, and output checkers and stewards see
every job (they check what jobs produce). A few actions need no
role at all: setting one's own password, and creating the very first person of a
platform (no one can act before there is anyone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from nightingale.governance.errors import PermissionDenied


class Action(StrEnum):
    """Everything someone can ask governance to do (or to show)."""

    PERSON_BOOTSTRAP = "person.bootstrap"
    PERSON_MANAGE = "person.manage"
    PERSON_CREDENTIALS = "person.credentials"
    DATASET_MANAGE = "dataset.manage"
    DATASET_DOWNGRADE_PROPOSE = "dataset.downgrade_propose"
    DATASET_DOWNGRADE_CONFIRM = "dataset.downgrade_confirm"
    PROJECT_CREATE = "project.create"
    PROJECT_EDIT = "project.edit"
    PROJECT_SUBMIT = "project.submit"
    PROJECT_APPROVE = "project.approve"
    PROJECT_ACTIVATE = "project.activate"
    PROJECT_CLOSE = "project.close"
    PROJECT_JOIN = "project.join"
    PROJECT_MEMBER_ADD = "project.member_add"
    PROJECT_MEMBER_APPROVE = "project.member_approve"
    PROJECT_MEMBER_REFUSE = "project.member_refuse"
    PROJECT_VIEW = "project.view"
    REQUEST_CREATE = "request.create"
    REQUEST_SUBMIT = "request.submit"
    REQUEST_WITHDRAW = "request.withdraw"
    REQUEST_DECIDE = "request.decide"
    REQUEST_BUILD = "request.build"
    REQUEST_VIEW = "request.view"
    RELEASE_ACCESS = "release.access"
    RELEASE_REVOKE = "release.revoke"
    RELEASE_K_OVERRIDE = "release.k_override"
    OUTPUT_SUBMIT = "output.submit"
    OUTPUT_WITHDRAW = "output.withdraw"
    OUTPUT_CHECK = "output.check"
    OUTPUT_RELEASE = "output.release"
    OUTPUT_VIEW = "output.view"
    JOB_RUN = "job.run"
    JOB_VIEW = "job.view"
    WORKSPACE_OPEN = "workspace.open"
    LINKAGE_REPORT_READ = "linkage_report.read"
    RESULT_PUBLISH = "result.publish"
    PLAN_LODGE = "plan.lodge"
    PLAN_AMEND = "plan.amend"
    REQUEST_BUILD_OUTCOMES = "request.build_outcomes"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    GOVERNANCE_ENFORCE = "governance.enforce"
    DATASET_INGEST = "dataset.ingest"
    LINKAGE_RUN = "linkage.link"
    AGREEMENT_MANAGE = "agreement.manage"
    OPTOUT_LOAD = "optout.load"
    RETENTION_MANAGE = "retention.manage"
    RETENTION_RUN = "retention.run"
    KEY_MANAGE = "key.manage"
    LINKAGE_REVIEW_VIEW = "linkage_review.view"
    LINKAGE_REVIEW_DECIDE = "linkage_review.decide"


@dataclass(frozen=True)
class Actor:
    """Who is asking."""

    username: str
    roles: frozenset[str]
    active: bool = True
    accreditation_expires: date | None = None

    def accredited_on(self, day: date) -> bool:
        return self.accreditation_expires is not None and self.accreditation_expires >= day


ANONYMOUS = Actor("anonymous", frozenset())
"""Nobody: who acts when no one is named (only :attr:`Action.PERSON_BOOTSTRAP` allows it)."""


@dataclass(frozen=True)
class PlatformFacts:
    """How many people the platform has (the first person needs no one to create them)."""

    people: int


@dataclass(frozen=True)
class PersonFacts:
    """The person an action is about (whose password is set)."""

    username: str


@dataclass(frozen=True)
class ProjectFacts:
    slug: str
    status: str
    pi: str
    members: frozenset[str]
    """Members in force (the PI among them); a pending member is not one."""
    end_date: date | None = None
    """The project's end date: after it, nobody works with its data, whatever its status
    (the policy checks the date at decision time; ``enforce`` only tidies up later)."""
    pending: frozenset[str] = frozenset()
    """People added to the project after its approval, waiting for a steward."""


@dataclass(frozen=True)
class MembershipFacts:
    """One person's membership of a project, and whether a steward has approved it."""

    project: ProjectFacts
    member: str
    status: str
    """``active`` or ``pending``."""


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
    """An output request: who submitted it, and which checkers have decided on it so far.

    An output request has one round (a return or a rejection ends it; the researcher
    submits anew), so ``decided_this_round`` is every checker who has decided on it and
    ``approvers`` those of them who approved. ``approvals_needed`` is the governance
    setting ``output_approvals`` (two by default, never fewer).
    """

    id: int
    status: str
    project: ProjectFacts
    submitter: str
    decided_this_round: frozenset[str] = frozenset()
    approvers: frozenset[str] = frozenset()
    approvals_needed: int = 2


@dataclass(frozen=True)
class DowngradeFacts:
    """A proposal to lower a dataset's classification, and the dataset as it is now."""

    id: int
    dataset: str
    status: str
    proposed_by: str
    before: str
    """The classification the proposal lowers (the dataset's when it was proposed)."""
    current: str
    """The dataset's classification now."""


@dataclass(frozen=True)
class PublishFacts:
    outputs: tuple[OutputFacts, ...]
    cheers_missing: tuple[str, ...] = ()
    """CHEERS 2022 items still empty (``"2 Abstract"``) when the result is an economic
    evaluation; publishing waits until the evaluator has filled every one."""


@dataclass(frozen=True)
class OutcomeBuildFacts:
    """A build of ``request`` whose release would carry ``outcomes`` (follow-up outcome
    variables), and the analysis plans its project has lodged (by name)."""

    request: RequestFacts
    outcomes: tuple[str, ...]
    lodged_plans: tuple[str, ...]


@dataclass(frozen=True)
class IntakeFacts:
    """An extract offered for ingest: its provider, its tables (file stems), and those of
    them no current data sharing agreement with the provider covers."""

    provider: str
    tables: tuple[str, ...]
    uncovered: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewFacts:
    """A clerical review decision asked for: a pair of one link run's review sample.

    ``in_sample``: the pair is in the run's sealed review sample (nothing else is shown
    or decided); ``decided_by``: the reviewers who have decided the pair already;
    ``revising``: the reviewer asks to revise their own earlier decision.
    """

    run_id: str
    pair_key: str
    in_sample: bool
    decided_by: frozenset[str] = frozenset()
    revising: bool = False


Target = (
    PlatformFacts
    | ReviewFacts
    | IntakeFacts
    | PersonFacts
    | ProjectFacts
    | MembershipFacts
    | RequestFacts
    | ReleaseFacts
    | OutputFacts
    | PublishFacts
    | OutcomeBuildFacts
    | DowngradeFacts
    | None
)


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
    """Roles of which the actor needs one; empty when the action needs no role."""
    check: Callable[[Actor, Target, date], str | None] = field(default=lambda a, t, d: None)


_ADMIN = frozenset({"administrator"})
_STEWARD = frozenset({"data_steward"})
_RESEARCHER = frozenset({"researcher"})
_CHECKER = frozenset({"output_checker"})
_EVALUATOR = frozenset({"evaluator"})
_OFFICER = frozenset({"linkage_officer"})
LINKAGE_ROLE = "linkage_officer"
"""The linkage role a data steward must also hold to see identifiers in clerical review."""
NO_ROLE: frozenset[str] = frozenset()
"""A rule with no roles: anyone (even :data:`ANONYMOUS`) may ask; its check decides."""

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


def _not_ended(project: ProjectFacts, today: date) -> str | None:
    if project.end_date is not None and project.end_date < today:
        return f"project {project.slug} ended on {project.end_date}"
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
    if actor.roles.isdisjoint(_ADMIN) and actor.username != project.pi:
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
    if actor.roles.isdisjoint(_ADMIN | _STEWARD) and actor.username != project.pi:
        return f"only the PI ({project.pi}), a steward or an administrator may close {project.slug}"
    return _state("project", project.slug, project.status, OPEN_PROJECT)


def membership_needs_approval(project: ProjectFacts) -> bool:
    """Whether someone added to ``project`` waits for a steward before they are a member.

    Before approval the steward approving the project sees its members; once it is
    approved (or active), a member added by the PI would otherwise reach the data
    without any steward having looked, so they wait (``project.member_approve``).
    """
    return project.status in LIVE_PROJECT


def _project_member_add(actor: Actor, target: Target, today: date) -> str | None:
    project = _target(target, ProjectFacts, Action.PROJECT_MEMBER_ADD)
    assert isinstance(project, ProjectFacts)
    if actor.roles.isdisjoint(_ADMIN) and actor.username != project.pi:
        return f"only the PI ({project.pi}) or an administrator may add members to {project.slug}"
    return _state("project", project.slug, project.status, OPEN_PROJECT)


def _membership_decision(verb: str, action: Action) -> Callable[[Actor, Target, date], str | None]:
    """A steward off the project decides on a member added after approval: ``verb``
    (approve, refuse) a pending membership, never their own."""

    def rule(actor: Actor, target: Target, today: date) -> str | None:
        membership = _target(target, MembershipFacts, action)
        assert isinstance(membership, MembershipFacts)
        project = membership.project
        if actor.username == membership.member:
            return f"{actor.username} may not {verb} their own membership of {project.slug}"
        return _first(
            _not_member(actor, project, f"{verb} its members"),
            _state("project", project.slug, project.status, OPEN_PROJECT),
            _state(
                f"{membership.member}'s membership of",
                project.slug,
                membership.status,
                frozenset({"pending"}),
            ),
        )

    return rule


_project_member_approve = _membership_decision("approve", Action.PROJECT_MEMBER_APPROVE)
_project_member_refuse = _membership_decision("refuse", Action.PROJECT_MEMBER_REFUSE)


def _project_create(actor: Actor, target: Target, today: date) -> str | None:
    if not actor.roles.isdisjoint(_ADMIN):
        return None
    return _accredited(actor, today)


def _project_view(actor: Actor, target: Target, today: date) -> str | None:
    project = _target(target, ProjectFacts, Action.PROJECT_VIEW)
    assert isinstance(project, ProjectFacts)
    if not actor.roles.isdisjoint(_STEWARD | _ADMIN):
        return None
    return _member(actor, project)


def _person_bootstrap(actor: Actor, target: Target, today: date) -> str | None:
    platform = _target(target, PlatformFacts, Action.PERSON_BOOTSTRAP)
    assert isinstance(platform, PlatformFacts)
    if platform.people:
        return "people can only be managed by an administrator (give --as)"
    return None


def _person_credentials(actor: Actor, target: Target, today: date) -> str | None:
    person = _target(target, PersonFacts, Action.PERSON_CREDENTIALS)
    assert isinstance(person, PersonFacts)
    if actor.username == person.username or not actor.roles.isdisjoint(_ADMIN):
        return None
    return f"only {person.username} or an administrator may set {person.username}'s password"


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


def _request_view(actor: Actor, target: Target, today: date) -> str | None:
    request = _target(target, RequestFacts, Action.REQUEST_VIEW)
    assert isinstance(request, RequestFacts)
    if not actor.roles.isdisjoint(_STEWARD):
        return None
    return _member(actor, request.project)


def _release_k_override(actor: Actor, target: Target, today: date) -> str | None:
    """A steward lets a release be built below its k-anonymity target (with a reason)."""
    request = _target(target, RequestFacts, Action.RELEASE_K_OVERRIDE)
    assert isinstance(request, RequestFacts)
    return _first(
        _not_member(actor, request.project, "override its releases' k-anonymity target"),
        _state("project", request.project.slug, request.project.status, ACTIVE),
        _state("request", str(request.id), request.status, frozenset({"approved", "released"})),
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
        _not_ended(project, today),
        _state("request", str(release.request.id), release.request.status, frozenset({"released"})),
    )


def _works_on(actor: Actor, project: ProjectFacts, today: date) -> str | None:
    """Working with a project's data: a member, accredited, the project active and not
    past its end date."""
    return _first(
        _member(actor, project),
        _accredited(actor, today),
        _state("project", project.slug, project.status, ACTIVE),
        _not_ended(project, today),
    )


def _output_submit(actor: Actor, target: Target, today: date) -> str | None:
    project = _target(target, ProjectFacts, Action.OUTPUT_SUBMIT)
    assert isinstance(project, ProjectFacts)
    return _works_on(actor, project, today)


def _workspace_open(actor: Actor, target: Target, today: date) -> str | None:
    project = _target(target, ProjectFacts, Action.WORKSPACE_OPEN)
    assert isinstance(project, ProjectFacts)
    return _works_on(actor, project, today)


def _job_run(actor: Actor, target: Target, today: date) -> str | None:
    project = _target(target, ProjectFacts, Action.JOB_RUN)
    assert isinstance(project, ProjectFacts)
    return _works_on(actor, project, today)


def _job_view(actor: Actor, target: Target, today: date) -> str | None:
    """A project's jobs (logs, outputs, provenance): its members; checkers and stewards all."""
    project = _target(target, ProjectFacts, Action.JOB_VIEW)
    assert isinstance(project, ProjectFacts)
    if not actor.roles.isdisjoint(_CHECKER | _STEWARD):
        return None
    return _member(actor, project)


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
    if actor.username in output.decided_this_round:
        return (
            f"{actor.username} has already decided output request {output.id}; "
            "the other approval must come from another output checker"
        )
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
        _independent_approvals(output),
    )


def _independent_approvals(output: OutputFacts) -> str | None:
    """Two pairs of eyes: enough different checkers, none the submitter or on the project."""
    project = output.project
    independent = output.approvers - project.members - {project.pi, output.submitter}
    if len(independent) < output.approvals_needed:
        return (
            f"output request {output.id} has {len(independent)} independent approval(s); "
            f"release needs {output.approvals_needed} from different output checkers, none "
            "the submitter or on the project"
        )
    return None


def _output_view(actor: Actor, target: Target, today: date) -> str | None:
    output = _target(target, OutputFacts, Action.OUTPUT_VIEW)
    assert isinstance(output, OutputFacts)
    if not actor.roles.isdisjoint(_CHECKER) or actor.username == output.submitter:
        return None
    return (
        f"output request {output.id} was submitted by someone else; only its submitter and "
        "output checkers may see it"
    )


def _downgrade_confirm(actor: Actor, target: Target, today: date) -> str | None:
    downgrade = _target(target, DowngradeFacts, Action.DATASET_DOWNGRADE_CONFIRM)
    assert isinstance(downgrade, DowngradeFacts)
    if actor.username == downgrade.proposed_by:
        return (
            f"{actor.username} proposed downgrade {downgrade.id} of dataset {downgrade.dataset} "
            "and may not confirm it; lowering a classification needs a second person"
        )
    stale = (
        f"dataset {downgrade.dataset} is {downgrade.current} now, not the {downgrade.before} "
        f"downgrade {downgrade.id} would lower; propose it again"
    )
    return _first(
        _state("downgrade", str(downgrade.id), downgrade.status, frozenset({"proposed"})),
        stale if downgrade.current != downgrade.before else None,
    )


def _result_publish(actor: Actor, target: Target, today: date) -> str | None:
    publish = _target(target, PublishFacts, Action.RESULT_PUBLISH)
    assert isinstance(publish, PublishFacts)
    if not publish.outputs:
        return "a published result must come from at least one released output request"
    for output in publish.outputs:
        project = output.project
        scoped = (
            None
            if actor.username in project.members
            else (
                f"{actor.username} is not a member of project {project.slug}; an evaluator "
                "publishes only the outputs of projects they are on"
            )
        )
        problem = _first(
            scoped,
            _state("output request", str(output.id), output.status, frozenset({"released"})),
        )
        if problem:
            return problem
    if publish.cheers_missing:
        return (
            "the CHEERS 2022 checklist is not complete: item"
            f"{'s' if len(publish.cheers_missing) > 1 else ''} "
            f"{'; '.join(publish.cheers_missing)} "
            f"{'are' if len(publish.cheers_missing) > 1 else 'is'} empty; the evaluator "
            "fills them (nightingale cheers template) before publishing"
        )
    return None


def _plan_lodge(actor: Actor, target: Target, today: date) -> str | None:
    """Only the PI lodges or amends a project's analysis plan, while the project is open."""
    project = _target(target, ProjectFacts, Action.PLAN_LODGE)
    assert isinstance(project, ProjectFacts)
    if actor.username != project.pi:
        return f"only the PI ({project.pi}) may lodge or amend project {project.slug}'s plan"
    return _state("project", project.slug, project.status, OPEN_PROJECT)


def _request_build_outcomes(actor: Actor, target: Target, today: date) -> str | None:
    """A release carrying outcomes is built only after the project lodged its plan."""
    build = _target(target, OutcomeBuildFacts, Action.REQUEST_BUILD_OUTCOMES)
    assert isinstance(build, OutcomeBuildFacts)
    problem = _request_build(actor, build.request, today)
    if problem is not None or not build.outcomes or build.lodged_plans:
        return problem
    slug = build.request.project.slug
    return (
        f"project {slug} has lodged no analysis plan; a release carrying outcome variables "
        f"({', '.join(build.outcomes)}) is built only after its PI lodges one "
        f"(nightingale plans lodge {slug} PLAN.yaml)"
    )


def _dataset_ingest(actor: Actor, target: Target, today: date) -> str | None:
    """An extract comes in only under a current agreement covering each of its tables."""
    intake = _target(target, IntakeFacts, Action.DATASET_INGEST)
    assert isinstance(intake, IntakeFacts)
    if intake.uncovered:
        return (
            f"no current data sharing agreement with {intake.provider} covers "
            f"{', '.join(intake.uncovered)}; a steward records one first "
            f"(nightingale agreements add {intake.provider} ...)"
        )
    return None


def _linkage_steward(actor: Actor) -> str | None:
    """Clerical review shows identifiers: a data steward who also holds the linkage role."""
    if LINKAGE_ROLE not in actor.roles:
        return (
            f"{actor.username} is a data steward without the linkage role ({LINKAGE_ROLE}); "
            "clerical review shows identifiers, so only a steward who holds it may review"
        )
    return None


def _review_view(actor: Actor, target: Target, today: date) -> str | None:
    if target is not None:
        review = _target(target, ReviewFacts, Action.LINKAGE_REVIEW_VIEW)
        assert isinstance(review, ReviewFacts)
        if not review.in_sample:
            return _first(
                _linkage_steward(actor),
                f"pair {review.pair_key} is not in the review sample of run {review.run_id}",
            )
    return _linkage_steward(actor)


def _review_decide(actor: Actor, target: Target, today: date) -> str | None:
    """A sampled pair, decided once per reviewer; a change is an explicit revision."""
    review = _target(target, ReviewFacts, Action.LINKAGE_REVIEW_DECIDE)
    assert isinstance(review, ReviewFacts)
    problem = _linkage_steward(actor)
    if problem is not None:
        return problem
    if not review.in_sample:
        return f"pair {review.pair_key} is not in the review sample of run {review.run_id}"
    decided = actor.username in review.decided_by
    if decided and not review.revising:
        return (
            f"{actor.username} has already decided pair {review.pair_key}; "
            "a change is a revision (--revise), recorded as a new entry"
        )
    if review.revising and not decided:
        return f"{actor.username} has no decision on pair {review.pair_key} to revise"
    return None


RULES: dict[Action, _Rule] = {
    Action.PERSON_BOOTSTRAP: _Rule(NO_ROLE, _person_bootstrap),
    Action.PERSON_MANAGE: _Rule(_ADMIN),
    Action.PERSON_CREDENTIALS: _Rule(NO_ROLE, _person_credentials),
    Action.DATASET_MANAGE: _Rule(_ADMIN | _STEWARD),
    Action.DATASET_DOWNGRADE_PROPOSE: _Rule(_ADMIN | _STEWARD),
    Action.DATASET_DOWNGRADE_CONFIRM: _Rule(_ADMIN | _STEWARD, _downgrade_confirm),
    Action.PROJECT_CREATE: _Rule(_RESEARCHER | _ADMIN, _project_create),
    Action.PROJECT_EDIT: _Rule(_RESEARCHER | _ADMIN, _project_edit),
    Action.PROJECT_SUBMIT: _Rule(_RESEARCHER, _project_submit),
    Action.PROJECT_APPROVE: _Rule(_STEWARD, _project_approve),
    Action.PROJECT_ACTIVATE: _Rule(_STEWARD | _ADMIN, _project_activate),
    Action.PROJECT_CLOSE: _Rule(_RESEARCHER | _STEWARD | _ADMIN, _project_close),
    Action.PROJECT_JOIN: _Rule(_RESEARCHER | _EVALUATOR),
    Action.PROJECT_MEMBER_ADD: _Rule(_RESEARCHER | _ADMIN, _project_member_add),
    Action.PROJECT_MEMBER_APPROVE: _Rule(_STEWARD, _project_member_approve),
    Action.PROJECT_MEMBER_REFUSE: _Rule(_STEWARD, _project_member_refuse),
    Action.PROJECT_VIEW: _Rule(_RESEARCHER | _STEWARD | _ADMIN, _project_view),
    Action.REQUEST_CREATE: _Rule(_RESEARCHER, _request_create),
    Action.REQUEST_SUBMIT: _Rule(_RESEARCHER, _request_submit),
    Action.REQUEST_WITHDRAW: _Rule(_RESEARCHER, _request_withdraw),
    Action.REQUEST_DECIDE: _Rule(_STEWARD, _request_decide),
    Action.REQUEST_BUILD: _Rule(_STEWARD | _ADMIN, _request_build),
    Action.REQUEST_VIEW: _Rule(_RESEARCHER | _STEWARD, _request_view),
    Action.RELEASE_ACCESS: _Rule(_RESEARCHER, _release_access),
    Action.RELEASE_REVOKE: _Rule(_STEWARD | _ADMIN),
    Action.RELEASE_K_OVERRIDE: _Rule(_STEWARD, _release_k_override),
    Action.OUTPUT_SUBMIT: _Rule(_RESEARCHER, _output_submit),
    Action.OUTPUT_WITHDRAW: _Rule(_RESEARCHER, _output_withdraw),
    Action.OUTPUT_CHECK: _Rule(_CHECKER, _output_check),
    Action.OUTPUT_RELEASE: _Rule(_CHECKER, _output_release),
    Action.OUTPUT_VIEW: _Rule(_RESEARCHER | _CHECKER, _output_view),
    Action.WORKSPACE_OPEN: _Rule(_RESEARCHER, _workspace_open),
    Action.JOB_RUN: _Rule(_RESEARCHER, _job_run),
    Action.JOB_VIEW: _Rule(_RESEARCHER | _CHECKER | _STEWARD, _job_view),
    Action.LINKAGE_REPORT_READ: _Rule(_STEWARD),
    Action.RESULT_PUBLISH: _Rule(_EVALUATOR, _result_publish),
    Action.PLAN_LODGE: _Rule(_RESEARCHER, _plan_lodge),
    Action.PLAN_AMEND: _Rule(_RESEARCHER, _plan_lodge),
    Action.REQUEST_BUILD_OUTCOMES: _Rule(_STEWARD | _ADMIN, _request_build_outcomes),
    Action.AUDIT_READ: _Rule(_ADMIN | _STEWARD | _CHECKER),
    Action.AUDIT_VERIFY: _Rule(_ADMIN | _STEWARD),
    Action.GOVERNANCE_ENFORCE: _Rule(_ADMIN),
    Action.DATASET_INGEST: _Rule(_OFFICER, _dataset_ingest),
    Action.LINKAGE_RUN: _Rule(_OFFICER | _ADMIN),
    Action.AGREEMENT_MANAGE: _Rule(_STEWARD | _ADMIN),
    Action.OPTOUT_LOAD: _Rule(_OFFICER),
    Action.RETENTION_MANAGE: _Rule(_STEWARD | _ADMIN),
    Action.RETENTION_RUN: _Rule(_ADMIN),
    Action.KEY_MANAGE: _Rule(_ADMIN),
    Action.LINKAGE_REVIEW_VIEW: _Rule(_STEWARD, _review_view),
    Action.LINKAGE_REVIEW_DECIDE: _Rule(_STEWARD, _review_decide),
}


def roles_for(action: Action) -> frozenset[str]:
    """The roles that may take ``action`` at all (before state and membership checks);
    empty when the action needs no role."""
    return RULES[action].roles


def needs_no_role(action: Action) -> bool:
    """Whether anyone may ask for ``action`` (its check alone decides)."""
    return not RULES[action].roles


def decide(actor: Actor, action: Action, target: Target = None, *, today: date) -> Decision:
    """Whether ``actor`` may take ``action`` on ``target`` on ``today``, and why."""
    if not actor.active:
        return Decision(False, f"{actor.username}'s account is deactivated")
    rule = RULES[action]
    if rule.roles and actor.roles.isdisjoint(rule.roles):
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
