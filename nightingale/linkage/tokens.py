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
which skips re-keying; values are tokenised once per distinct value and broadcast. The
distinct values come from Arrow's dictionary encoding (C++, which also yields them as
``bytes``, so no per-value encoding in Python), and the tokens are broadcast back with
NumPy indexing; the only per-value Python work left is the HMAC loop itself
(``benchmarks/pseudonymise.py`` measures it beside ``hmac.digest``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from cryptography.hazmat.primitives import hashes, hmac

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

    def _distinct_digests(
        self, field: str, values: pa.Array
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """``(codes, digests)``: each value's distinct-value code (-1 when null) and the
        token of every distinct value, hashed once each."""
        encoded = values.dictionary_encode()
        distinct = encoded.dictionary.cast(pa.binary()).to_pylist()
        digests = self.digest_many(field, distinct)
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, digests

    def tokens(self, field: str, values: Sequence[str | None] | pd.Series) -> pd.Series:
        """Tokens of a column; empty or missing values give a missing token (``<NA>``)."""
        series = pd.Series(values, dtype="string")
        column = pa.array(series, type=pa.string(), from_pandas=True)
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        codes, digests = self._distinct_digests(field, column)
        missing = (codes < 0) | (
            pc.equal(column, "").fill_null(True).to_numpy(zero_copy_only=False)
        )
        found = digests[np.maximum(codes, 0)] if len(digests) else np.zeros(len(codes), np.int64)
        result = pd.arrays.IntegerArray(np.where(missing, 0, found), missing)
        return pd.Series(result, index=series.index, name=field)

    def token_lists(self, field: str, lists: Sequence[Sequence[str]]) -> list[list[int]]:
        """Tokens of each list of values (sets of words, deletion neighbourhoods)."""
        nested = pa.array(lists, type=pa.list_(pa.string()))
        flat = nested.flatten()
        if not len(flat):
            return [[] for _values in lists]
        codes, digests = self._distinct_digests(field, flat)
        tokens = digests[codes].tolist()
        offsets = nested.offsets.to_numpy().tolist()
        return [tokens[start:end] for start, end in pairwise(offsets)]
