"""The policy as a full matrix: every role x every action x every relevant state.

``EXPECTED`` below is the specification, written independently of the policy module: who
may take each action, in which states of its target, and how the actor must relate to the
project. The matrix test derives the expected decision for every combination from it;
further tests vary one safeguard at a time (membership, separation of duties,
accreditation, the project's state, revocation and expiry). The *view* actions are in
the same matrix: members see their own project's objects, the people who decide on a
kind of object see every one of that kind, and everyone else sees nothing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest

from nightingale.governance.errors import PermissionDenied
from nightingale.governance.models import ROLES
from nightingale.governance.policy import (
    ANONYMOUS,
    Action,
    Actor,
    DowngradeFacts,
    IntakeFacts,
    MembershipFacts,
    OutcomeBuildFacts,
    OutputFacts,
    PersonFacts,
    PlatformFacts,
    ProjectFacts,
    PublishFacts,
    ReleaseFacts,
    RequestFacts,
    ReviewFacts,
    Target,
    decide,
    membership_needs_approval,
    needs_no_role,
    require,
    roles_for,
)
from nightingale.governance.states import (
    DOWNGRADE_STATES,
    OUTPUT_STATES,
    PROJECT_STATES,
    REQUEST_STATES,
)

TODAY = date(2027, 6, 1)
ME = "me"
OTHER = "someone-else"
TWO_CHECKERS = frozenset({"checker-a", "checker-b"})
"""Two independent output checkers' approvals: what release needs (by default)."""


@dataclass(frozen=True)
class Expect:
    roles: frozenset[str]
    # none | platform | person | project | membership | request | release | output | publish
    # | downgrade | intake
    target: str = "none"
    states: frozenset[str] | None = None  # allowed states of the varied object
    relation: str = "any"  # any | self | pi | member | submitter | outsider
    accreditation: bool = False  # needs a valid researcher accreditation
    bound: frozenset[str] | None = None  # the roles the relation binds (None: every role)
    refusal: str = "is {state}"  # what a refusal for the state says
    also: frozenset[str] = frozenset()  # roles the actor must hold as well as one of roles


def _r(*roles: str) -> frozenset[str]:
    return frozenset(roles)


OPEN = frozenset({"draft", "submitted", "approved", "active"})
EVERYONE = frozenset(ROLES)
RESEARCHER = _r("researcher")

EXPECTED: dict[Action, Expect] = {
    Action.PERSON_BOOTSTRAP: Expect(
        EVERYONE, "platform", _r("empty"), refusal="only be managed by an administrator"
    ),
    Action.PERSON_MANAGE: Expect(_r("administrator")),
    Action.PERSON_CREDENTIALS: Expect(EVERYONE, "person", relation="self", bound=RESEARCHER),
    Action.DATASET_MANAGE: Expect(_r("administrator", "data_steward")),
    Action.DATASET_DOWNGRADE_PROPOSE: Expect(_r("administrator", "data_steward")),
    Action.DATASET_DOWNGRADE_CONFIRM: Expect(
        _r("administrator", "data_steward"), "downgrade", _r("proposed")
    ),
    Action.PROJECT_CREATE: Expect(_r("researcher", "administrator")),
    Action.PROJECT_EDIT: Expect(_r("researcher", "administrator"), "project", OPEN, "pi"),
    Action.PROJECT_SUBMIT: Expect(_r("researcher"), "project", _r("draft"), "pi", True),
    Action.PROJECT_APPROVE: Expect(_r("data_steward"), "project", _r("submitted"), "outsider"),
    Action.PROJECT_ACTIVATE: Expect(
        _r("data_steward", "administrator"), "project", _r("approved"), "outsider"
    ),
    Action.PROJECT_CLOSE: Expect(
        _r("researcher", "data_steward", "administrator"), "project", OPEN, "pi"
    ),
    Action.PROJECT_JOIN: Expect(_r("researcher", "evaluator")),
    Action.PROJECT_MEMBER_ADD: Expect(_r("researcher", "administrator"), "project", OPEN, "pi"),
    Action.PROJECT_MEMBER_APPROVE: Expect(
        _r("data_steward"), "membership", _r("pending"), "outsider"
    ),
    Action.PROJECT_MEMBER_REFUSE: Expect(
        _r("data_steward"), "membership", _r("pending"), "outsider"
    ),
    Action.PROJECT_VIEW: Expect(
        _r("researcher", "data_steward", "administrator"),
        "project",
        frozenset(PROJECT_STATES),
        "member",
        bound=RESEARCHER,
    ),
    Action.REQUEST_CREATE: Expect(
        _r("researcher"), "project", _r("approved", "active"), "member", True
    ),
    Action.REQUEST_SUBMIT: Expect(
        _r("researcher"), "request", _r("draft", "changes_requested"), "member", True
    ),
    Action.REQUEST_WITHDRAW: Expect(
        _r("researcher"),
        "request",
        _r("draft", "submitted", "changes_requested", "approved", "released"),
        "member",
    ),
    Action.REQUEST_DECIDE: Expect(_r("data_steward"), "request", _r("submitted"), "outsider"),
    Action.REQUEST_BUILD: Expect(
        _r("data_steward", "administrator"), "request", _r("approved", "released"), "outsider"
    ),
    Action.RELEASE_K_OVERRIDE: Expect(
        _r("data_steward"), "request", _r("approved", "released"), "outsider"
    ),
    Action.REQUEST_VIEW: Expect(
        _r("researcher", "data_steward"),
        "request",
        frozenset(REQUEST_STATES),
        "member",
        bound=RESEARCHER,
    ),
    Action.RELEASE_ACCESS: Expect(_r("researcher"), "release", _r("released"), "member", True),
    Action.RELEASE_REVOKE: Expect(_r("data_steward", "administrator")),
    Action.OUTPUT_SUBMIT: Expect(_r("researcher"), "project", _r("active"), "member", True),
    Action.OUTPUT_WITHDRAW: Expect(
        _r("researcher"), "output", _r("submitted", "returned", "approved"), "member"
    ),
    Action.OUTPUT_CHECK: Expect(_r("output_checker"), "output", _r("submitted"), "outsider"),
    Action.OUTPUT_RELEASE: Expect(_r("output_checker"), "output", _r("approved"), "outsider"),
    Action.OUTPUT_VIEW: Expect(
        _r("researcher", "output_checker"),
        "output",
        frozenset(OUTPUT_STATES),
        "submitter",
        bound=RESEARCHER,
    ),
    Action.WORKSPACE_OPEN: Expect(_r("researcher"), "project", _r("active"), "member", True),
    Action.JOB_RUN: Expect(_r("researcher"), "project", _r("active"), "member", True),
    Action.JOB_VIEW: Expect(
        _r("researcher", "output_checker", "data_steward"),
        "project",
        frozenset(PROJECT_STATES),
        "member",
        bound=RESEARCHER,
    ),
    Action.LINKAGE_REPORT_READ: Expect(_r("data_steward")),
    Action.RESULT_PUBLISH: Expect(_r("evaluator"), "publish", _r("released"), "member"),
    Action.AUDIT_READ: Expect(_r("administrator", "data_steward", "output_checker")),
    Action.AUDIT_VERIFY: Expect(_r("administrator", "data_steward")),
    Action.GOVERNANCE_ENFORCE: Expect(_r("administrator")),
    Action.PLAN_LODGE: Expect(_r("researcher"), "project", OPEN, "pi"),
    Action.PLAN_AMEND: Expect(_r("researcher"), "project", OPEN, "pi"),
    Action.REQUEST_BUILD_OUTCOMES: Expect(
        _r("data_steward", "administrator"), "outcomes", _r("approved", "released"), "outsider"
    ),
    Action.DATASET_INGEST: Expect(
        _r("linkage_officer"), "intake", _r("covered"), refusal="no current data sharing agreement"
    ),
    Action.LINKAGE_RUN: Expect(_r("linkage_officer", "administrator")),
    Action.AGREEMENT_MANAGE: Expect(_r("data_steward", "administrator")),
    Action.OPTOUT_LOAD: Expect(_r("linkage_officer")),
    Action.RETENTION_MANAGE: Expect(_r("data_steward", "administrator")),
    Action.RETENTION_RUN: Expect(_r("administrator")),
    Action.KEY_MANAGE: Expect(_r("administrator")),
    # Clerical review shows identifiers: a data steward who also holds the linkage role.
    Action.LINKAGE_REVIEW_VIEW: Expect(_r("data_steward"), also=_r("linkage_officer")),
    Action.LINKAGE_REVIEW_DECIDE: Expect(
        _r("data_steward"),
        "review",
        _r("in_sample", "revision"),
        also=_r("linkage_officer"),
        refusal="{state}",
    ),
}

MACHINE_STATES: dict[str, list[str | None]] = {
    "none": [None],
    "platform": ["empty", "peopled"],
    "person": [None],
    "project": sorted(PROJECT_STATES),
    "request": sorted(REQUEST_STATES),
    "release": sorted(REQUEST_STATES),
    "output": sorted(OUTPUT_STATES),
    "publish": sorted(OUTPUT_STATES),
    "outcomes": sorted(REQUEST_STATES),
    "downgrade": sorted(DOWNGRADE_STATES),
    "membership": ["active", "none", "pending"],
    "intake": ["covered", "uncovered"],
    "review": ["in_sample", "revision", "outside", "decided", "nothing_to_revise"],
}

REVIEW_REFUSALS = {
    "outside": "not in the review sample",
    "decided": "has already decided pair",
    "nothing_to_revise": "no decision on pair",
}


def actor(
    role: str, *, accredited: bool = True, active: bool = True, also: frozenset[str] = frozenset()
) -> Actor:
    expires = TODAY + timedelta(days=30) if accredited else TODAY - timedelta(days=1)
    return Actor(ME, frozenset({role}) | also, active=active, accreditation_expires=expires)


def project(status: str = "active", relation: str = "member") -> ProjectFacts:
    pi = ME if relation == "pi" else OTHER
    members = {pi} | ({ME} if relation in {"pi", "member"} else set())
    return ProjectFacts("p", status, pi, frozenset(members))


def target_for(
    expect: Expect, state: str | None, relation: str | None = None, project_status: str = "active"
) -> Target:
    """The target of an action with the varied object in ``state``."""
    relation = relation or expect.relation
    if expect.target == "none":
        return None
    if expect.target == "platform":
        return PlatformFacts(people=0 if state == "empty" else 3)
    if expect.target == "person":
        return PersonFacts(ME if relation == "self" else OTHER)
    if expect.target == "project":
        assert state is not None
        return project(state, relation)
    if expect.target == "membership":
        assert state is not None
        return MembershipFacts(project("active", relation), "newcomer", state)
    if expect.target == "review":
        decided = frozenset({ME}) if state in ("revision", "decided") else frozenset({OTHER})
        return ReviewFacts(
            "run",
            "health:a~housing:b",
            in_sample=state != "outside",
            decided_by=decided,
            revising=state in ("revision", "nothing_to_revise"),
        )
    if expect.target == "intake":
        uncovered = ("admissions",) if state == "uncovered" else ()
        return IntakeFacts("health", ("admissions", "gp_registrations"), uncovered)
    if expect.target == "downgrade":
        assert state is not None
        return DowngradeFacts(
            1, "health", state, proposed_by=OTHER, before="special_category", current=CURRENT[state]
        )
    owner = project(project_status, "member" if relation == "submitter" else relation)
    request = RequestFacts(1, state or "released", owner, requester=OTHER, special_category=True)
    if expect.target == "request":
        return request
    if expect.target == "outcomes":
        return OutcomeBuildFacts(request, ("emergency_admissions",), ("dfh-pilot",))
    if expect.target == "release":
        return ReleaseFacts("r", request, revoked=False, expires_on=TODAY + timedelta(days=9))
    assert state is not None
    output = OutputFacts(
        1,
        state,
        owner,
        submitter=ME if relation == "submitter" else OTHER,
        approvers=TWO_CHECKERS,
    )
    return output if expect.target == "output" else PublishFacts((output,))


CURRENT = {"proposed": "special_category", "confirmed": "personal"}
"""The dataset's classification while a downgrade of it is in each state."""


def test_the_specification_covers_every_action() -> None:
    assert set(EXPECTED) == set(Action)


MATRIX = [
    (role, action, state)
    for action, expect in EXPECTED.items()
    for role, state in itertools.product(ROLES, MACHINE_STATES[expect.target])
]


@pytest.mark.parametrize(("role", "action", "state"), MATRIX)
def test_matrix(role: str, action: Action, state: str | None) -> None:
    expect = EXPECTED[action]
    # An action that needs two roles is tried with the second one added to every role.
    decision = decide(actor(role, also=expect.also), action, target_for(expect, state), today=TODAY)
    allowed = role in expect.roles and (expect.states is None or state in expect.states)
    assert decision.allowed is allowed, decision.reason
    if not allowed:
        if role not in expect.roles:
            assert f"needs the role {' or '.join(sorted(expect.roles))}" in decision.reason
        elif expect.target == "review":
            assert state is not None and REVIEW_REFUSALS[state] in decision.reason
        else:
            assert expect.refusal.format(state=state) in decision.reason


TWO_ROLE_ACTIONS = [a for a, e in EXPECTED.items() if e.also]


@pytest.mark.parametrize("action", TWO_ROLE_ACTIONS)
@pytest.mark.parametrize(
    "roles", [frozenset(pair) for pair in itertools.combinations_with_replacement(ROLES, 2)]
)
def test_actions_needing_two_roles_need_both(action: Action, roles: frozenset[str]) -> None:
    """Every role alone and every pair of roles: only one of ``roles`` with ``also`` may."""
    expect = EXPECTED[action]
    state = None if expect.states is None else sorted(expect.states)[0]
    who = Actor(ME, roles, accreditation_expires=TODAY + timedelta(days=30))
    decision = decide(who, action, target_for(expect, state), today=TODAY)
    allowed = not roles.isdisjoint(expect.roles) and expect.also <= roles
    assert decision.allowed is allowed, decision.reason
    if not allowed and not roles.isdisjoint(expect.roles):
        assert "without the linkage role" in decision.reason


def allowed_case(action: Action) -> tuple[str, str | None]:
    """A role (with the action's ``also`` roles) and a state in which ``action`` is allowed."""
    expect = EXPECTED[action]
    role = sorted(expect.bound or expect.roles)[0] if expect.relation != "pi" else "researcher"
    if expect.accreditation:
        role = "researcher"
    state = None if expect.states is None else sorted(expect.states)[0]
    return role, state


MEMBERS_ONLY = [a for a, e in EXPECTED.items() if e.relation in {"member", "pi", "submitter"}]
OUTSIDERS_ONLY = [a for a, e in EXPECTED.items() if e.relation == "outsider"]
ACCREDITED_ONLY = [a for a, e in EXPECTED.items() if e.accreditation]


@pytest.mark.parametrize("action", MEMBERS_ONLY)
def test_outsiders_are_refused_what_members_may_do(action: Action) -> None:
    role, state = allowed_case(action)
    expect = EXPECTED[action]
    assert decide(actor(role), action, target_for(expect, state), today=TODAY)
    refused = decide(actor(role), action, target_for(expect, state, "outsider"), today=TODAY)
    assert not refused.allowed
    assert any(
        why in refused.reason for why in ("not a member", "only the PI", "submitted by someone")
    )


@pytest.mark.parametrize("action", OUTSIDERS_ONLY)
@pytest.mark.parametrize("relation", ["member", "pi"])
def test_nobody_decides_on_their_own_project(action: Action, relation: str) -> None:
    role, state = allowed_case(action)
    expect = EXPECTED[action]
    assert decide(actor(role), action, target_for(expect, state), today=TODAY)
    refused = decide(actor(role), action, target_for(expect, state, relation), today=TODAY)
    assert not refused.allowed
    assert "separation of duties" in refused.reason


@pytest.mark.parametrize("action", ACCREDITED_ONLY)
def test_data_access_needs_a_valid_accreditation(action: Action) -> None:
    role, state = allowed_case(action)
    target = target_for(EXPECTED[action], state)
    assert decide(actor(role), action, target, today=TODAY)
    refused = decide(actor(role, accredited=False), action, target, today=TODAY)
    assert not refused.allowed and "accreditation expired" in refused.reason
    never = Actor(ME, frozenset({role}))
    assert "no researcher accreditation" in decide(never, action, target, today=TODAY).reason


@pytest.mark.parametrize("action", list(Action))
def test_a_deactivated_account_may_do_nothing(action: Action) -> None:
    role, state = allowed_case(action)
    target = target_for(EXPECTED[action], state)
    refused = decide(actor(role, active=False), action, target, today=TODAY)
    assert not refused.allowed and "deactivated" in refused.reason


PROJECT_GATES = {
    Action.REQUEST_SUBMIT: {"approved", "active"},
    Action.REQUEST_DECIDE: {"approved", "active"},
    Action.REQUEST_BUILD: {"active"},
    Action.RELEASE_K_OVERRIDE: {"active"},
    Action.RELEASE_ACCESS: {"active"},
}


@pytest.mark.parametrize(
    ("action", "project_status"),
    [(a, s) for a in PROJECT_GATES for s in sorted(PROJECT_STATES)],
)
def test_data_moves_only_for_a_live_project(action: Action, project_status: str) -> None:
    role, state = allowed_case(action)
    target = target_for(EXPECTED[action], state, project_status=project_status)
    decision = decide(actor(role), action, target, today=TODAY)
    assert decision.allowed is (project_status in PROJECT_GATES[action]), decision.reason


def test_the_requester_never_decides_their_own_request() -> None:
    own = RequestFacts(1, "submitted", project("active", "outsider"), requester=ME)
    decision = decide(actor("data_steward"), Action.REQUEST_DECIDE, own, today=TODAY)
    assert not decision.allowed and "made request 1" in decision.reason


def test_a_steward_decides_a_round_once() -> None:
    again = RequestFacts(
        1,
        "submitted",
        project("active", "outsider"),
        requester=OTHER,
        decided_this_round=frozenset({ME}),
    )
    decision = decide(actor("data_steward"), Action.REQUEST_DECIDE, again, today=TODAY)
    assert not decision.allowed and "already decided" in decision.reason


@pytest.mark.parametrize("role", ["data_steward", "administrator"])
def test_nobody_confirms_their_own_downgrade(role: str) -> None:
    own = DowngradeFacts(
        1,
        "health",
        "proposed",
        proposed_by=ME,
        before="special_category",
        current="special_category",
    )
    decision = decide(actor(role), Action.DATASET_DOWNGRADE_CONFIRM, own, today=TODAY)
    assert not decision.allowed
    assert "proposed downgrade 1 of dataset health and may not confirm it" in decision.reason
    assert "needs a second person" in decision.reason


def test_a_downgrade_of_a_classification_that_has_since_changed_is_not_confirmed() -> None:
    stale = DowngradeFacts(
        1, "health", "proposed", proposed_by=OTHER, before="special_category", current="public"
    )
    decision = decide(actor("data_steward"), Action.DATASET_DOWNGRADE_CONFIRM, stale, today=TODAY)
    assert not decision.allowed
    assert "health is public now, not the special_category downgrade 1 would lower" in (
        decision.reason
    )


def test_the_submitter_never_checks_or_releases_their_own_output() -> None:
    checker = Actor(ME, frozenset({"output_checker"}))
    for action, status in ((Action.OUTPUT_CHECK, "submitted"), (Action.OUTPUT_RELEASE, "approved")):
        own = OutputFacts(1, status, project("active", "outsider"), submitter=ME)
        decision = decide(checker, action, own, today=TODAY)
        assert not decision.allowed and "submitted output request 1" in decision.reason


@pytest.mark.parametrize(
    ("revoked", "days_left", "allowed"), [(False, 0, True), (False, -1, False), (True, 10, False)]
)
def test_revoked_or_expired_releases_cannot_be_read(
    revoked: bool, days_left: int, allowed: bool
) -> None:
    request = RequestFacts(1, "released", project("active", "member"), requester=OTHER)
    release = ReleaseFacts("r", request, revoked, TODAY + timedelta(days=days_left))
    assert (
        decide(actor("researcher"), Action.RELEASE_ACCESS, release, today=TODAY).allowed is allowed
    )


def test_publishing_needs_at_least_one_released_output() -> None:
    decision = decide(
        Actor(ME, frozenset({"evaluator"})), Action.RESULT_PUBLISH, PublishFacts(()), today=TODAY
    )
    assert not decision.allowed and "at least one" in decision.reason


def test_a_release_with_outcomes_waits_for_a_lodged_plan() -> None:
    request = RequestFacts(1, "approved", project("active", "outsider"), requester=OTHER)
    steward = actor("data_steward")
    unplanned = OutcomeBuildFacts(request, ("emergency_admissions",), ())
    decision = decide(steward, Action.REQUEST_BUILD_OUTCOMES, unplanned, today=TODAY)
    assert not decision.allowed
    assert (
        "lodged no analysis plan" in decision.reason and "emergency_admissions" in decision.reason
    )
    baseline_only = OutcomeBuildFacts(request, (), ())
    assert decide(steward, Action.REQUEST_BUILD_OUTCOMES, baseline_only, today=TODAY)


def test_publishing_an_incomplete_cheers_checklist_is_refused_naming_the_items() -> None:
    output = OutputFacts(1, "released", project("active", "member"), submitter=OTHER)
    facts = PublishFacts((output,), cheers_missing=("2 Abstract", "27 Source of funding"))
    decision = decide(
        Actor(ME, frozenset({"evaluator"})), Action.RESULT_PUBLISH, facts, today=TODAY
    )
    assert not decision.allowed
    assert "2 Abstract; 27 Source of funding are empty" in decision.reason


def test_several_roles_combine() -> None:
    both = Actor(ME, frozenset({"data_steward", "output_checker"}))
    assert decide(both, Action.AUDIT_VERIFY, None, today=TODAY)
    assert decide(both, Action.AUDIT_READ, None, today=TODAY)
    assert not decide(both, Action.GOVERNANCE_ENFORCE, None, today=TODAY)


def test_require_raises_with_the_reason() -> None:
    with pytest.raises(PermissionDenied, match="refused: governance.enforce needs the role"):
        require(actor("researcher"), Action.GOVERNANCE_ENFORCE, today=TODAY)


VIEWS_BOUND_TO_MEMBERS = [a for a, e in EXPECTED.items() if e.bound and e.relation != "self"]


@pytest.mark.parametrize("action", VIEWS_BOUND_TO_MEMBERS)
def test_deciders_see_every_object_of_their_kind_and_researchers_only_their_own(
    action: Action,
) -> None:
    expect = EXPECTED[action]
    _, state = allowed_case(action)
    elsewhere = target_for(expect, state, "outsider")
    for role in sorted(expect.roles):
        decision = decide(actor(role), action, elsewhere, today=TODAY)
        assert decision.allowed is (role not in RESEARCHER), (role, decision.reason)


def test_a_password_is_set_by_its_owner_or_an_administrator() -> None:
    expect = EXPECTED[Action.PERSON_CREDENTIALS]
    someone_else = target_for(expect, None, "other")
    for role in ROLES:
        own = decide(actor(role), Action.PERSON_CREDENTIALS, PersonFacts(ME), today=TODAY)
        assert own.allowed, own.reason
        other = decide(actor(role), Action.PERSON_CREDENTIALS, someone_else, today=TODAY)
        assert other.allowed is (role == "administrator"), other.reason
    refused = decide(actor("researcher"), Action.PERSON_CREDENTIALS, someone_else, today=TODAY)
    assert f"only {OTHER} or an administrator" in refused.reason


def test_nobody_acting_may_only_create_a_fresh_platforms_first_person() -> None:
    first = decide(ANONYMOUS, Action.PERSON_BOOTSTRAP, PlatformFacts(people=0), today=TODAY)
    assert first.allowed
    later = decide(ANONYMOUS, Action.PERSON_BOOTSTRAP, PlatformFacts(people=1), today=TODAY)
    assert not later.allowed and "only be managed by an administrator" in later.reason
    for action in Action:
        if needs_no_role(action):
            continue
        _role, state = allowed_case(action)
        target = target_for(EXPECTED[action], state)
        decision = decide(ANONYMOUS, action, target, today=TODAY)
        assert not decision.allowed and "anonymous has no role" in decision.reason


def test_the_rules_name_only_the_platforms_roles() -> None:
    named = frozenset().union(*(roles_for(action) for action in Action))
    assert named == frozenset(ROLES)
    assert {a for a in Action if needs_no_role(a)} == {
        Action.PERSON_BOOTSTRAP,
        Action.PERSON_CREDENTIALS,
    }


# -- two independent output checkers ----------------------------------------------------------

DECIDED_SO_FAR: dict[str, frozenset[str]] = {
    "nobody": frozenset(),
    "one other checker": frozenset({"checker-a"}),
    "two other checkers": TWO_CHECKERS,
    "me": frozenset({ME}),
    "me and another checker": frozenset({ME, "checker-a"}),
    "the PI and another checker": frozenset({OTHER, "checker-a"}),
    "the submitter and another checker": frozenset({"submitter", "checker-a"}),
}


def _independent(approvers: frozenset[str]) -> int:
    """Approvals that count: not the project's PI (OTHER here) nor the submitter."""
    return len(approvers - {OTHER, "submitter"})


TWO_CHECKER_MATRIX = [
    (role, action, state, decided)
    for action in (Action.OUTPUT_CHECK, Action.OUTPUT_RELEASE)
    for role, state, decided in itertools.product(
        ROLES, sorted(OUTPUT_STATES), sorted(DECIDED_SO_FAR)
    )
]


@pytest.mark.parametrize(("role", "action", "state", "decided"), TWO_CHECKER_MATRIX)
def test_two_independent_checkers_matrix(
    role: str, action: Action, state: str, decided: str
) -> None:
    """Role x action x state x who has approved so far: a checker decides an output once,
    and release needs two approvals from checkers who are neither the submitter nor on
    the project."""
    approvers = DECIDED_SO_FAR[decided]
    facts = OutputFacts(
        1,
        state,
        project("active", "outsider"),
        submitter="submitter",
        decided_this_round=approvers,
        approvers=approvers,
    )
    decision = decide(actor(role), action, facts, today=TODAY)
    expect = EXPECTED[action]
    allowed = role in expect.roles and state in (expect.states or ())
    if action is Action.OUTPUT_CHECK:
        allowed = allowed and ME not in approvers
    else:
        allowed = allowed and _independent(approvers) >= 2
    assert decision.allowed is allowed, decision.reason
    if role in expect.roles and state in (expect.states or ()) and not allowed:
        expected_reason = "already decided" if action is Action.OUTPUT_CHECK else "needs 2"
        assert expected_reason in decision.reason


def test_the_number_of_checkers_is_the_facts_own() -> None:
    """The count comes from the governance setting (output_approvals), carried in the facts."""
    three = OutputFacts(
        1,
        "approved",
        project("active", "outsider"),
        submitter="submitter",
        approvers=TWO_CHECKERS,
        approvals_needed=3,
    )
    refused = decide(actor("output_checker"), Action.OUTPUT_RELEASE, three, today=TODAY)
    assert not refused.allowed and "has 2 independent approval(s); release needs 3" in (
        refused.reason
    )


def test_a_checker_who_joined_the_project_no_longer_counts() -> None:
    member = project("active", "outsider")
    joined = ProjectFacts(member.slug, member.status, member.pi, member.members | {"checker-a"})
    facts = OutputFacts(1, "approved", joined, submitter="submitter", approvers=TWO_CHECKERS)
    decision = decide(actor("output_checker"), Action.OUTPUT_RELEASE, facts, today=TODAY)
    assert not decision.allowed and "1 independent approval(s)" in decision.reason


# -- issue 20 item 8: end dates, pending members, evaluators' scope ----------------------------

WORKING_WITH_DATA = [
    Action.WORKSPACE_OPEN,
    Action.OUTPUT_SUBMIT,
    Action.JOB_RUN,
    Action.RELEASE_ACCESS,
]


@pytest.mark.parametrize("action", WORKING_WITH_DATA)
@pytest.mark.parametrize(("ends_in_days", "allowed"), [(-1, False), (0, True), (30, True)])
def test_a_project_past_its_end_date_is_closed_at_decision_time(
    action: Action, ends_in_days: int, allowed: bool
) -> None:
    """No cron job needed: the policy reads the end date, even of a project still active."""
    role, state = allowed_case(action)
    target = target_for(EXPECTED[action], state)
    end = TODAY + timedelta(days=ends_in_days)
    if isinstance(target, ReleaseFacts):
        owner = replace(target.request.project, end_date=end)
        target = replace(target, request=replace(target.request, project=owner))
    else:
        assert isinstance(target, ProjectFacts) and target.status == "active"
        target = replace(target, end_date=end)
    decision = decide(actor(role), action, target, today=TODAY)
    assert decision.allowed is allowed, decision.reason
    if not allowed:
        assert f"project p ended on {end}" in decision.reason


def test_a_pending_member_has_no_access_until_a_steward_approves() -> None:
    waiting = ProjectFacts("p", "active", OTHER, frozenset({OTHER}), pending=frozenset({ME}))
    for action in (Action.WORKSPACE_OPEN, Action.OUTPUT_SUBMIT, Action.JOB_RUN):
        refused = decide(actor("researcher"), action, waiting, today=TODAY)
        assert not refused.allowed and "me is not a member of project p" in refused.reason
    let_in = replace(waiting, members=frozenset({OTHER, ME}), pending=frozenset())
    assert decide(actor("researcher"), Action.WORKSPACE_OPEN, let_in, today=TODAY)


@pytest.mark.parametrize("status", sorted(PROJECT_STATES))
def test_members_added_after_approval_wait_for_a_steward(status: str) -> None:
    facts = project(status, "pi")
    assert membership_needs_approval(facts) is (status in {"approved", "active"})


@pytest.mark.parametrize(
    ("action", "verb"),
    [(Action.PROJECT_MEMBER_APPROVE, "approve"), (Action.PROJECT_MEMBER_REFUSE, "refuse")],
)
def test_nobody_decides_on_their_own_membership(action: Action, verb: str) -> None:
    own = MembershipFacts(project("active", "outsider"), ME, "pending")
    refused = decide(actor("data_steward"), action, own, today=TODAY)
    assert not refused.allowed and f"may not {verb} their own membership" in refused.reason


@pytest.mark.parametrize("relation", ["member", "pi"])
def test_a_steward_on_the_project_neither_approves_nor_refuses_its_members(
    relation: str,
) -> None:
    waiting = MembershipFacts(project("active", relation), "newcomer", "pending")
    for action, verb in (
        (Action.PROJECT_MEMBER_APPROVE, "approve"),
        (Action.PROJECT_MEMBER_REFUSE, "refuse"),
    ):
        refused = decide(actor("data_steward"), action, waiting, today=TODAY)
        assert not refused.allowed and f"may not {verb} its members" in refused.reason


def test_an_evaluator_publishes_only_outputs_of_projects_they_are_on() -> None:
    evaluator = Actor(ME, frozenset({"evaluator"}))
    mine = OutputFacts(1, "released", project("active", "member"), submitter=OTHER)
    theirs = OutputFacts(2, "released", replace(project("active", "outsider"), slug="q"), OTHER)
    assert decide(evaluator, Action.RESULT_PUBLISH, PublishFacts((mine,)), today=TODAY)
    refused = decide(evaluator, Action.RESULT_PUBLISH, PublishFacts((mine, theirs)), today=TODAY)
    assert not refused.allowed
    assert "me is not a member of project q; an evaluator publishes only" in refused.reason


def test_a_linkage_steward_sees_only_pairs_of_the_review_sample() -> None:
    reviewer = Actor(ME, frozenset({"data_steward", "linkage_officer"}))
    inside = ReviewFacts("run", "health:a~housing:b", in_sample=True)
    outside = ReviewFacts("run", "health:a~housing:c", in_sample=False)
    assert decide(reviewer, Action.LINKAGE_REVIEW_VIEW, inside, today=TODAY)
    refused = decide(reviewer, Action.LINKAGE_REVIEW_VIEW, outside, today=TODAY)
    assert not refused.allowed and "not in the review sample of run run" in refused.reason
    plain = Actor(ME, frozenset({"data_steward"}))
    assert (
        "without the linkage role"
        in decide(plain, Action.LINKAGE_REVIEW_VIEW, inside, today=TODAY).reason
    )
