"""Keyed tokens: HMAC-SHA256 of normalised identifiers, per field, with the key id.

A token is the first 64 bits of ``HMAC-SHA256(field_key, value)`` as a signed integer.
``field_key`` is derived with HKDF from the keystore's ``linkage`` key for each field
(``token:given_name``, ``token:postcode_sector``, ...), so equal values of different
fields give unrelated tokens, and whoever lacks the key cannot recompute a token by
enumerating NHS numbers or names. Tokens made with different keys never agree; the key
id travels with every token table so a rotation is detectable.

Why 64 bits: tokens are compared for equality only; among ten million distinct values
the chance of any collision is about 3 in a million, and a collision could at worst add
one spurious agreement on one field. Integers join and hash several times faster than
text in DuckDB.

Speed: one HMAC state is keyed once per field and copied per value (``h.copy()``),
which skips re-keying; values are tokenised once per distinct value and broadcast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from cryptography.hazmat.primitives import hashes, hmac

from nightingale.linkage.distinct import factorize
from nightingale.platform.keystore import Key, KeyStore, hkdf

PURPOSE = "linkage"
TOKEN_BYTES = 8


class Tokeniser:
    """Turns normalised values into keyed 64-bit tokens, one derived key per field."""

    def __init__(self, key: Key) -> None:
        self.key_id = key.key_id
        self._secret = key.secret
        self._states: dict[str, hmac.HMAC] = {}

    @classmethod
    def from_keystore(cls, keystore: KeyStore, key_id: str | None = None) -> Tokeniser:
        """A tokeniser on the current ``linkage`` key (or the version named by ``key_id``)."""
        return cls(keystore.get(key_id) if key_id else keystore.current(PURPOSE))

    def _state(self, field: str) -> hmac.HMAC:
        state = self._states.get(field)
        if state is None:
            field_key = hkdf(self._secret, f"nightingale/linkage/token:{field}".encode())
            state = hmac.HMAC(field_key, hashes.SHA256())
            self._states[field] = state
        return state

    def digest_many(self, field: str, values: Iterable[bytes]) -> npt.NDArray[np.int64]:
        """Tokens of already-encoded values, in order (the hot loop; no deduplication)."""
        copy = self._state(field).copy
        digests: list[bytes] = []
        append = digests.append
        for value in values:
            state = copy()
            state.update(value)
            append(state.finalize())
        if not digests:
            return np.empty(0, dtype=np.int64)
        joined = b"".join(digests)
        return np.frombuffer(joined, dtype=">i8").reshape(-1, 4)[:, 0].astype(np.int64)

    def token(self, field: str, value: str) -> int:
        """The token of one value (for tests and single look-ups)."""
        return int(self.digest_many(field, [value.encode("utf-8")])[0])

    def tokens(self, field: str, values: Sequence[str | None] | pd.Series) -> pd.Series:
        """Tokens of a column; empty or missing values give a missing token (``<NA>``)."""
        series = pd.Series(values, dtype="string").fillna("")
        codes, uniques = factorize(series.tolist())
        digests = self.digest_many(field, (value.encode("utf-8") for value in uniques))
        result = pd.array(digests[codes], dtype="Int64")
        result[(series == "").to_numpy()] = pd.NA
        return pd.Series(result, index=series.index, name=field)

    def token_lists(self, field: str, lists: Sequence[Sequence[str]]) -> list[list[int]]:
        """Tokens of each list of values (sets of words, deletion neighbourhoods)."""
        distinct = list(dict.fromkeys(value for values in lists for value in values))
        digests = self.digest_many(field, (value.encode("utf-8") for value in distinct))
        lookup = dict(zip(distinct, digests.tolist(), strict=True))
        return [[lookup[value] for value in values] for values in lists]
