"""The errors governance raises: each names what was refused and why.

All are :class:`NightingaleError` subclasses, so the CLI prints them as one line and the
web service can map them to status codes (403, 404, 409, 422) by type.
"""

from __future__ import annotations

from nightingale.platform.errors import NightingaleError


class GovernanceError(NightingaleError):
    """Base of every governance refusal."""

    audited: bool = False
    """Set once the refusal has its ``<action>.refused`` audit entry (so it gets one only)."""


class PermissionDenied(GovernanceError):
    """The policy refused an action; the message says which rule and why."""

    exit_code = 3


class InvalidTransition(GovernanceError):
    """An object was asked to move to a state its current state does not allow."""

    exit_code = 4


class NotFound(GovernanceError):
    """A person, project, request, dataset or output that does not exist."""

    exit_code = 5


class InvalidInput(GovernanceError):
    """Bad input: a malformed cohort spec, an unknown dataset, an empty justification."""

    exit_code = 6
