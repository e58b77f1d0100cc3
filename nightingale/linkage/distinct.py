"""Distinct values and their positions: the basis of once-per-distinct-value work.

``pandas.factorize`` would do, but its string hash table stops at a NUL character, so
``""`` and ``"\\x00"`` would be taken for one value; Arrow's dictionary encoding
never confuses them and runs in C++.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import pyarrow as pa


def factorize(values: Iterable[str]) -> tuple[npt.NDArray[np.intp], list[str]]:
    """``(codes, uniques)`` with ``uniques[codes[i]] == values[i]``, in first-seen order."""
    encoded = pa.array(list(values), type=pa.string()).dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.intp)
    return codes, encoded.dictionary.to_pylist()
