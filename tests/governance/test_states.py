"""The state machines: explicit transitions, refusals that name the allowed moves."""

from __future__ import annotations

import pytest

from nightingale.governance.errors import InvalidTransition
from nightingale.governance.states import MACHINES, allowed_next, transition


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_target_is_a_known_state(machine: str) -> None:
    states = MACHINES[machine]
    for targets in states.values():
        assert targets <= set(states)


@pytest.mark.parametrize(
    ("machine", "current", "target"),
    [(m, c, t) for m, states in MACHINES.items() for c in states for t in states],
)
def test_a_transition_is_allowed_exactly_when_listed(
    machine: str, current: str, target: str
) -> None:
    if target in allowed_next(machine, current):
        assert transition(machine, "x", current, target) == target
    else:
        with pytest.raises(InvalidTransition, match=f"x is {current}; it cannot become {target}"):
            transition(machine, "x", current, target)


def test_the_refusal_lists_the_allowed_next_states() -> None:
    with pytest.raises(InvalidTransition) as refused:
        transition("request", "request 7", "draft", "approved")
    assert str(refused.value) == (
        "request 7 is draft; it cannot become approved. Allowed next: expired, submitted, withdrawn"
    )
    with pytest.raises(InvalidTransition, match="none \\(it is final\\)"):
        transition("request", "request 7", "rejected", "submitted")


def test_final_states_are_final() -> None:
    for machine, final in (
        ("request", {"rejected", "withdrawn", "expired"}),
        ("project", {"closed", "expired"}),
        ("output", {"released", "rejected", "withdrawn"}),
        ("downgrade", {"confirmed"}),
    ):
        for state in final:
            assert allowed_next(machine, state) == frozenset()


def test_unknown_states_are_refused() -> None:
    with pytest.raises(InvalidTransition, match="unknown state 'limbo'"):
        allowed_next("request", "limbo")
    with pytest.raises(InvalidTransition, match="'limbo' is not a request state"):
        transition("request", "r", "draft", "limbo")
