"""k-anonymity over a release's quasi-identifiers.

k is the size of the smallest group of people sharing one combination of
quasi-identifier values (age band, sex, area quintile, index month ...): every person
looks like at least k-1 others on those columns. Missing values form their own group,
as an attacker would see them. Stewards see an estimate before approval; the build
records the measured value in the release manifest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class KAnonymity:
    """The measure and the numbers behind it."""

    quasi_identifiers: list[str]
    k: int
    min_k: int
    groups: int
    people_below_min_k: int

    @property
    def meets_target(self) -> bool:
        return self.k >= self.min_k

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "meets_target": self.meets_target}


def measure(persons: pa.Table, quasi_identifiers: list[str], min_k: int) -> KAnonymity:
    """k over ``quasi_identifiers`` of ``persons`` (no people: k is 0)."""
    if persons.num_rows == 0:
        return KAnonymity(list(quasi_identifiers), 0, min_k, 0, 0)
    if not quasi_identifiers:
        return KAnonymity([], persons.num_rows, min_k, 1, 0)
    # Group on the values as text; Arrow's group_by keeps nulls as a group of their own.
    columns = {name: pc.cast(persons[name], pa.string()) for name in quasi_identifiers}
    counts = pa.table(columns).group_by(quasi_identifiers).aggregate([([], "count_all")])
    sizes = counts["count_all"].to_pylist()
    small = sum(size for size in sizes if size < min_k)
    return KAnonymity(list(quasi_identifiers), min(sizes), min_k, len(sizes), small)
