"""The state machines: every allowed transition, written out.

An object changes state only through :func:`transition`, which refuses anything not in
the table with a message naming the current state and the states it may move to. The
tables are data so the documentation, the policy and the tests read the same source.
"""

from __future__ import annotations

from collections.abc import Mapping

from nightingale.governance.errors import InvalidTransition

PROJECT_STATES: Mapping[str, frozenset[str]] = {
    "draft": frozenset({"submitted", "closed"}),
    "submitted": frozenset({"draft", "approved", "closed"}),
    "approved": frozenset({"active", "closed", "expired"}),
    "active": frozenset({"closed", "expired"}),
    "closed": frozenset(),
    "expired": frozenset(),
}

REQUEST_STATES: Mapping[str, frozenset[str]] = {
    "draft": frozenset({"submitted", "withdrawn", "expired"}),
    "submitted": frozenset({"changes_requested", "approved", "rejected", "withdrawn", "expired"}),
    "changes_requested": frozenset({"submitted", "withdrawn", "expired"}),
    "approved": frozenset({"released", "withdrawn", "expired"}),
    "released": frozenset({"withdrawn", "expired"}),
    "rejected": frozenset(),
    "withdrawn": frozenset(),
    "expired": frozenset(),
}

OUTPUT_STATES: Mapping[str, frozenset[str]] = {
    "submitted": frozenset({"approved", "rejected", "returned", "withdrawn"}),
    "returned": frozenset({"withdrawn"}),  # the researcher fixes it and submits anew
    "approved": frozenset({"released", "withdrawn"}),
    "released": frozenset(),
    "rejected": frozenset(),
    "withdrawn": frozenset(),
}

JOB_STATES: Mapping[str, frozenset[str]] = {
    "running": frozenset({"succeeded", "failed"}),
    "succeeded": frozenset(),
    "failed": frozenset(),
}

DOWNGRADE_STATES: Mapping[str, frozenset[str]] = {
    "proposed": frozenset({"confirmed"}),  # by a second person; see datasets.confirm_downgrade
    "confirmed": frozenset(),
}

MACHINES: Mapping[str, Mapping[str, frozenset[str]]] = {
    "project": PROJECT_STATES,
    "request": REQUEST_STATES,
    "output": OUTPUT_STATES,
    "job": JOB_STATES,
    "downgrade": DOWNGRADE_STATES,
}


def allowed_next(machine: str, current: str) -> frozenset[str]:
    """The states ``current`` may move to in ``machine``."""
    states = MACHINES[machine]
    if current not in states:
        raise InvalidTransition(f"{machine} is in an unknown state {current!r}")
    return states[current]


def transition(machine: str, label: str, current: str, target: str) -> str:
    """Check ``current -> target`` and return ``target``; refuse with the allowed moves.

    ``label`` names the object in the message (``request 3``).
    """
    allowed = allowed_next(machine, current)
    if target not in MACHINES[machine]:
        raise InvalidTransition(f"{target!r} is not a {machine} state")
    if target not in allowed:
        options = ", ".join(sorted(allowed)) if allowed else "none (it is final)"
        raise InvalidTransition(
            f"{label} is {current}; it cannot become {target}. Allowed next: {options}"
        )
    return target
