"""Distinct values and their positions: the basis of once-per-distinct-value work.

``pandas.factorize`` would do, but its string hash table stops at a NUL character, so
``""`` and ``"\\x00"`` would be taken for one value; a dict never confuses them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt


def factorize(values: Iterable[str]) -> tuple[npt.NDArray[np.intp], list[str]]:
    """``(codes, uniques)`` with ``uniques[codes[i]] == values[i]``, in first-seen order."""
    index: dict[str, int] = {}
    setdefault = index.setdefault
    codes = np.fromiter((setdefault(v, len(index)) for v in values), dtype=np.intp)
    return codes, list(index)
