"""The one exception type that reaches people.

A ``NightingaleError`` carries a message written for the person at the keyboard: the
CLI prints it as one line (no traceback unless ``--debug``) and exits non-zero. Raise it
for anything a user can fix (bad input, wrong state, missing keys); let programming
errors propagate as ordinary exceptions.
"""


class NightingaleError(Exception):
    """An error with a message meant for a person, not a developer."""

    exit_code: int = 1


class ConfigurationError(NightingaleError):
    """Settings, the data root or the keystore are unusable."""


class IntegrityError(NightingaleError):
    """Stored data failed an integrity check (tampering, truncation, wrong key)."""
