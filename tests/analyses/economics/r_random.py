"""R's default random numbers, so a PSA sample published from R can be drawn again here.

R (``RNGkind()`` defaults "Mersenne-Twister", "Inversion") seeds the generator with
``set.seed(s)`` by scrambling ``s`` with the linear congruence ``69069 s + 1`` (50 times,
then once per word of the 625-word state; the first word is the position, set to 624);
``unif_rand`` is the tempered 32-bit output times 2^-32; ``norm_rand`` takes two uniforms,
``u = floor(2^27 u1) + u2``, and returns ``qnorm(u / 2^27)`` (R's src/main/RNG.c and
src/nmath/snorm.c). numpy's MT19937 is the same twister, so it only needs R's state.

Only what the published examples need is here: ``runif`` and ``rnorm``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

_MASK = 0xFFFFFFFF
_BIG = 134_217_728.0  # 2^27


class RRandom:
    """The stream ``set.seed(seed)`` starts in R."""

    def __init__(self, seed: int) -> None:
        state = seed & _MASK
        for _ in range(50):
            state = (69069 * state + 1) & _MASK
        words = []
        for _ in range(625):
            state = (69069 * state + 1) & _MASK
            words.append(state)
        self._twister = np.random.MT19937()
        self._twister.state = {
            "bit_generator": "MT19937",
            "state": {"key": np.array(words[1:], dtype=np.uint32), "pos": 624},
        }

    def runif(self, n: int) -> NDArray[np.float64]:
        """``runif(n)``."""
        raw = np.asarray(self._twister.random_raw(n), dtype=np.float64)
        return raw * 2.3283064365386963e-10

    def rnorm(self, n: int, mean: float = 0.0, sd: float = 1.0) -> NDArray[np.float64]:
        """``rnorm(n, mean, sd)`` by inversion, two uniforms a draw."""
        pairs = self.runif(2 * n).reshape(n, 2)
        u = np.floor(_BIG * pairs[:, 0]) + pairs[:, 1]
        return np.asarray(mean + sd * ndtri(u / _BIG), dtype=np.float64)
