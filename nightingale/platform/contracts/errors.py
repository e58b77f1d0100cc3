"""The error a reader raises when a shared file is not what the contract says."""

from nightingale.platform.errors import NightingaleError


class ContractError(NightingaleError):
    """A shared file is missing a field, has the wrong type, or an unsafe name in it."""
