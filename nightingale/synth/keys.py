"""Opaque provider-local keys that never collide between chunks.

A row's position (chunk index, row within chunk) goes through an affine bijection of the
key space, salted per file from the seed: keys look random, are unique without a lookup
table, and reveal nothing about the person behind them.
"""

from __future__ import annotations

import zlib

import numpy as np
import numpy.typing as npt

MAX_CHUNKS = 100
_MULTIPLIER = 914_277_153  # coprime with 10**k; small enough for int64 products


def opaque_keys(
    prefix: str, digits: int, chunk: int, count: int, salt: int
) -> npt.NDArray[np.str_]:
    """``count`` keys ``<prefix><digits>`` for rows of one chunk."""
    space = 10**digits
    per_chunk = space // MAX_CHUNKS
    if count > per_chunk:
        raise ValueError(f"{count} rows exceed the {per_chunk} keys a chunk may use")
    position = np.arange(count, dtype=np.int64) + chunk * per_chunk
    numbers = (position * _MULTIPLIER + salt % space) % space
    text = np.char.zfill(numbers.astype(f"<U{digits}"), digits)
    return np.char.add(prefix, text)


def salt(seed: int, name: str) -> int:
    """A per-file salt derived from the seed (stable across runs and machines)."""
    state = np.random.SeedSequence([seed, zlib.crc32(name.encode("utf-8"))]).generate_state(2)
    return int(state[0]) << 32 | int(state[1])
