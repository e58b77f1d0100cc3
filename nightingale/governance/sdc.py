"""Statistical disclosure control: the rules every output cell and statistic must pass.

Pure functions: each takes the *evidence* about one cell (how many people contribute,
the largest contributions, the total) and returns an :class:`Outcome` with reasons.
Thresholds come from :class:`~.settings.SdcSettings` (ACRO's defaults). The rules:

- frequency tables: a count below ``threshold`` fails; a zero needs review (a zero can
  reveal that nobody in a group has an attribute: class disclosure);
- magnitude tables (sum, mean): fewer than ``threshold`` contributors fails; the
  (n, k) dominance rule fails when the ``n`` largest contributions make at least ``k`` of
  the total; the p% rule fails when the rest of the total (after the two largest) is
  less than ``p`` of the largest, so the second-largest contributor could estimate the
  largest within p%; with negative contributions dominance is undefined: review;
- medians and percentiles: fewer than ``threshold`` contributors fails;
- minimum and maximum: fewer than ``threshold`` contributors fails, otherwise review:
  they are single people's values (ACRO 1.0.2 passes them; see docs/sdc.md);
- regression: residual degrees of freedom below ``min_residual_dof`` fails.

Mitigations: :func:`round_to_base` (base 5) and :func:`suppress`, which adds secondary
suppression so that no suppressed cell can be recovered from its row or column total.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from nightingale.governance.settings import SdcSettings

COUNT = "count"
MAGNITUDE = frozenset({"sum", "mean"})
CENTRAL = frozenset({"median", "percentile"})
EXTREMES = frozenset({"min", "max"})
SPREAD = frozenset({"std", "var"})
STATISTICS = frozenset({COUNT}) | MAGNITUDE | CENTRAL | EXTREMES | SPREAD


class Outcome(StrEnum):
    """A cell's verdict; ``worst`` orders them fail > review > pass."""

    PASS = "pass"  # noqa: S105 (an outcome, not a password)
    REVIEW = "review"
    FAIL = "fail"

    @staticmethod
    def worst(outcomes: Iterable[Outcome]) -> Outcome:
        rank = {Outcome.PASS: 0, Outcome.REVIEW: 1, Outcome.FAIL: 2}
        return max(outcomes, key=rank.__getitem__, default=Outcome.PASS)


@dataclass(frozen=True)
class Evidence:
    """What the rules need to know about one cell.

    ``count`` is the number of contributing records; ``top`` the largest contributions in
    descending order (at least ``max(dominance_n, 2)`` of them when there are that many);
    ``total`` the sum of all contributions; ``negatives`` how many were negative.
    """

    statistic: str
    count: int
    total: float | None = None
    top: tuple[float, ...] = ()
    negatives: int = 0


@dataclass(frozen=True)
class Verdict:
    """An outcome and every reason that led to it (empty reasons mean pass)."""

    outcome: Outcome
    reasons: tuple[str, ...] = field(default_factory=tuple)


def _verdict(fails: list[str], reviews: list[str]) -> Verdict:
    if fails:
        return Verdict(Outcome.FAIL, tuple(fails + reviews))
    if reviews:
        return Verdict(Outcome.REVIEW, tuple(reviews))
    return Verdict(Outcome.PASS)


def _threshold(evidence: Evidence, settings: SdcSettings, noun: str) -> list[str]:
    if 0 < evidence.count < settings.threshold:
        return [f"{noun} of {evidence.count} is below the minimum of {settings.threshold}"]
    return []


def _zero(evidence: Evidence, settings: SdcSettings) -> list[str]:
    if evidence.count == 0 and settings.zeros_need_review:
        return ["zero cell: check it does not reveal an attribute of a whole group"]
    return []


def dominance(evidence: Evidence, settings: SdcSettings) -> list[str]:
    """The (n, k) rule and the p% rule on a magnitude cell's contributions."""
    total = evidence.total
    if total is None or total <= 0 or not evidence.top:
        return []
    fails = []
    top_n = sum(evidence.top[: settings.dominance_n])
    if top_n >= settings.dominance_k * total:
        fails.append(
            f"dominance: the {settings.dominance_n} largest contributions make "
            f"{top_n / total:.0%} of the total (limit {settings.dominance_k:.0%})"
        )
    largest = evidence.top[0]
    if largest > 0:
        rest = total - sum(evidence.top[:2])
        if rest / largest < settings.p_percent:
            fails.append(
                f"p% rule: the rest of the total is {rest / largest:.1%} of the largest "
                f"contribution (needs at least {settings.p_percent:.0%})"
            )
    return fails


def check_cell(evidence: Evidence, settings: SdcSettings | None = None) -> Verdict:
    """The verdict for one table cell or summary statistic."""
    chosen = settings or SdcSettings()
    stat = evidence.statistic
    if stat not in STATISTICS:
        raise ValueError(f"unknown statistic {stat!r}; known: {', '.join(sorted(STATISTICS))}")
    if stat == COUNT:
        return _verdict(_threshold(evidence, chosen, "a count"), _zero(evidence, chosen))
    fails = _threshold(evidence, chosen, "a contributor count")
    reviews = _zero(evidence, chosen)
    if stat in MAGNITUDE and evidence.count > 0:
        if evidence.negatives:
            reviews.append("dominance is not defined when contributions are negative")
        else:
            fails += dominance(evidence, chosen)
    if stat in EXTREMES and evidence.count > 0 and not fails:
        reviews.append(f"{stat} is a single person's value: review before release")
    return _verdict(fails, reviews)


def check_regression(residual_dof: float, settings: SdcSettings | None = None) -> Verdict:
    """A model's verdict from its residual degrees of freedom."""
    chosen = settings or SdcSettings()
    if residual_dof < chosen.min_residual_dof:
        return Verdict(
            Outcome.FAIL,
            (f"residual degrees of freedom {residual_dof:g} below {chosen.min_residual_dof}",),
        )
    return Verdict(Outcome.PASS)


def round_to_base(value: float, base: int = 5) -> int:
    """``value`` rounded to the nearest multiple of ``base`` (halves away from zero)."""
    if base < 1:
        raise ValueError("the rounding base must be at least 1")
    magnitude = math.floor(abs(value) / base + 0.5) * base
    return int(magnitude if value >= 0 else -magnitude)


@dataclass(frozen=True)
class Suppression:
    """Which cells (row, column positions) to hide, and why each one."""

    primary: frozenset[tuple[int, int]]
    secondary: frozenset[tuple[int, int]]
    totals: frozenset[tuple[str, int]]  # ("row", i) or ("column", j) margins to hide too

    @property
    def cells(self) -> frozenset[tuple[int, int]]:
        return self.primary | self.secondary


def suppress(values: Sequence[Sequence[float]], primary: Iterable[tuple[int, int]]) -> Suppression:
    """Primary suppression of ``primary`` plus secondary suppression.

    A row or column with exactly one hidden cell would give it away through its total,
    so while any line has exactly one, the smallest visible cell of that line is hidden
    too; a line with no other cell to hide has its total withheld instead. Guarantee:
    every row and column has zero or at least two hidden cells, or its total hidden.
    (A solver combining several rows and columns can still narrow a hidden value to an
    interval; the output checker reviews suppressed tables.)
    """
    rows = len(values)
    cols = len(values[0]) if rows else 0
    hidden = set(primary)
    first = frozenset(hidden)
    totals: set[tuple[str, int]] = set()

    def lines() -> Iterable[tuple[str, int, list[tuple[int, int]]]]:
        for i in range(rows):
            yield "row", i, [(i, j) for j in range(cols)]
        for j in range(cols):
            yield "column", j, [(i, j) for i in range(rows)]

    changed = True
    while changed:
        changed = False
        for kind, index, cells in lines():
            inside = [c for c in cells if c in hidden]
            if len(inside) != 1 or (kind, index) in totals:
                continue
            visible = [c for c in cells if c not in hidden]
            if visible:
                hidden.add(min(visible, key=lambda c: (abs(values[c[0]][c[1]]), c)))
            else:
                totals.add((kind, index))
            changed = True
    return Suppression(first, frozenset(hidden - first), frozenset(totals))
