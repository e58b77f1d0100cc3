"""What a cohort spec draws, table by table, for the data sharing agreements to cover.

Governance checks a request's tables against the agreements at approval and again at
build (:func:`nightingale.governance.agreements.coverage_problems`); it never reads a
spec, so the operations say what the spec draws: each ``provider.table`` the compiler
says it reads, and for the identifier zone's demographics (date of birth and sex), each
provider's people file (``health.gp_registrations``, ...) they come from.
"""

from __future__ import annotations

from nightingale.cohorts.catalogue import table_columns
from nightingale.cohorts.spec import CohortSpec
from nightingale.cohorts.zones import DEMOGRAPHICS
from nightingale.linkage.schemas import providers
from nightingale.platform.contracts import content_providers
from nightingale.platform.storage import DataRoot


def tables_drawn(root: DataRoot, spec: CohortSpec) -> list[str]:
    """Every ``provider.table`` a release of ``spec`` draws (sorted)."""
    drawn = set(table_columns(spec))
    if DEMOGRAPHICS in drawn:
        drawn.discard(DEMOGRAPHICS)
        specs = providers(root)
        for provider in content_providers(root):
            if provider in specs:
                drawn.add(f"{provider}.{specs[provider].people.name.rsplit('.', 1)[0]}")
    return sorted(drawn)
