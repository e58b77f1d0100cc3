"""Run a compiled cohort on an engine: register the inputs, return both tables.

The tables still carry the linkage ``person_id``; :mod:`nightingale.cohorts.build`
replaces it with the project's pseudonym before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from nightingale.cohorts.compile import CompiledCohort
from nightingale.cohorts.engines import CohortEngine, Source


@dataclass(frozen=True)
class CohortTables:
    """A cohort's ``persons`` and ``panel`` rows, keyed by ``person_id``."""

    persons: pa.Table
    panel: pa.Table


def run_cohort(
    engine: CohortEngine, compiled: CompiledCohort, spine: Source, tables: dict[str, Source]
) -> CohortTables:
    """Register ``spine`` and ``tables`` on ``engine`` and run both queries."""
    engine.register_inputs(spine, tables)
    return CohortTables(persons=engine.run(compiled.persons), panel=engine.run(compiled.panel))
