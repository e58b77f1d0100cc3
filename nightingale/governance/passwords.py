"""argon2id password hashes for the one-machine deployment's logins.

In production an identity provider (with MFA) does the login; on one machine the hub's
authenticator checks these hashes. The parameters come from
:class:`~.settings.PasswordHashing`; tests pass cheap ones, deployments never do.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from nightingale.governance.errors import InvalidInput
from nightingale.governance.settings import PasswordHashing

MIN_LENGTH = 12
# A hash of a random, forgotten password with the default parameters: checking a login for
# an unknown or password-less account against it costs as long as a real check, so response
# times do not reveal which usernames exist.
_DECOY = "$argon2id$v=19$m=65536,t=3,p=4$z0IVgEyLMImDMFryKSFkXA$D1Wvw598LCIjFDwlpGT1SG9JH5HMlVtW6LBPhTJZpV4"  # noqa: E501


def _hasher(params: PasswordHashing) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost_kib,
        parallelism=params.parallelism,
    )


def hash_password(password: str, params: PasswordHashing | None = None) -> str:
    """An argon2id hash of ``password`` (which must be at least 12 characters)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters")
    return _hasher(params or PasswordHashing()).hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; False for no hash or a damaged one.

    Without a stored hash the password is still checked (against a decoy) so that the
    answer takes as long either way.
    """
    try:
        matched = bool(PasswordHasher().verify(stored_hash or _DECOY, password))
        return matched and bool(stored_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, params: PasswordHashing | None = None) -> bool:
    """Whether a hash was made with weaker parameters than the current ones."""
    return bool(_hasher(params or PasswordHashing()).check_needs_rehash(stored_hash))
