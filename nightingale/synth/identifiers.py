"""National identifiers: NHS numbers (Modulus 11) and National Insurance numbers.

Both are issued without replacement across the whole region: a person's global index is
sent through an affine bijection of the number space, so numbers look random, never
collide between chunks, and need no table of numbers already used.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NHS_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)
# English NHS numbers are issued from 400 000 000x to 799 999 999x (first nine digits).
_NHS_BASE = 400_000_000
_NHS_SPACE = 400_000_000
_NHS_MULTIPLIER = 198_491_317  # coprime with 4 * 10**8 (odd, not a multiple of 5)
_MAX_INDEX = 100_000_000

# NI prefixes: first letter not D F I Q U V; second not D F I O Q U V; some pairs unissued.
_FIRST = [c for c in "ABCEGHJKLMNOPRSTWXYZ"]
_SECOND = [c for c in "ABCEGHJKLMNPRSTWXYZ"]
NI_PREFIXES = tuple(
    a + b
    for a in _FIRST
    for b in _SECOND
    if a + b not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
)
_NI_SPACE = len(NI_PREFIXES) * 1_000_000
_NI_MULTIPLIER = 2_654_435_761


def _digits(numbers: IntArray, width: int) -> IntArray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (numbers[:, None] // powers) % 10


def nhs_check_digit(base: IntArray) -> IntArray:
    """Modulus 11 check digit of nine-digit bases; 10 means the base cannot be issued."""
    total = (_digits(base, 9) * NHS_WEIGHTS).sum(axis=1)
    check = 11 - total % 11
    return np.where(check == 11, 0, check)


def nhs_is_valid(numbers: list[str] | npt.NDArray[np.object_]) -> BoolArray:
    """Whether each string is ten digits (spaces allowed) with a correct check digit."""
    out = np.zeros(len(numbers), dtype=bool)
    for i, raw in enumerate(numbers):
        text = str(raw).replace(" ", "") if raw is not None else ""
        if len(text) != 10 or not text.isdigit():
            continue
        base = np.array([int(text[:9])], dtype=np.int64)
        out[i] = int(nhs_check_digit(base)[0]) == int(text[9])
    return out


def issue_nhs_numbers(global_index: IntArray, salt: int) -> npt.NDArray[np.object_]:
    """Ten-digit NHS numbers, unique per global index, all passing Modulus 11."""
    if len(global_index) and int(global_index.max()) >= _MAX_INDEX:
        raise ValueError("global index too large for the NHS number space")
    result = np.zeros(len(global_index), dtype=np.int64)
    pending = np.ones(len(global_index), dtype=bool)
    attempt = 0
    while pending.any():
        index = global_index[pending] + attempt * _MAX_INDEX
        base = _NHS_BASE + (index * _NHS_MULTIPLIER + salt) % _NHS_SPACE
        check = nhs_check_digit(base)
        ok = check != 10
        positions = np.flatnonzero(pending)
        result[positions[ok]] = base[ok] * 10 + check[ok]
        pending[positions[ok]] = False
        attempt += 1
    return np.array([f"{n:010d}" for n in result], dtype=object)


def issue_ni_numbers(
    global_index: IntArray, salt: int, rng: np.random.Generator
) -> npt.NDArray[np.object_]:
    """NI numbers of valid format (prefix, six digits, suffix A-D), unique per index."""
    index = (global_index * _NI_MULTIPLIER + salt) % _NI_SPACE
    prefixes = np.array(NI_PREFIXES, dtype=object)[index // 1_000_000]
    suffixes = np.array(list("ABCD"), dtype=object)[rng.integers(0, 4, len(index))]
    return np.array(
        [f"{p}{n:06d}{s}" for p, n, s in zip(prefixes, index % 1_000_000, suffixes, strict=True)],
        dtype=object,
    )


def spaced_nhs(number: str) -> str:
    """The 3-3-4 layout printed on NHS cards."""
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def spaced_ni(number: str) -> str:
    """The ``AB 12 34 56 C`` layout printed on letters."""
    return f"{number[:2]} {number[2:4]} {number[4:6]} {number[6:8]} {number[8:]}"
