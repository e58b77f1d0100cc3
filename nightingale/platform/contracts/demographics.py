"""The demographics linkage publishes for cohort builds.

A cohort spec may derive an age band and sex from ``linkage.demographics``. Those values
live in the sealed identifier zone, which only linkage opens: linkage decrypts the
files, keeps these four columns and drops every other identifier (names, postcodes,
national numbers) before handing the table over. The cohort builder receives the table
and never sees a sealed file, a path into the identifier zone or a key context.

The table is tagged with the content versions it was made from, so a build that reads
content and demographics reads the same ingest of each provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa

from nightingale.platform.contracts.errors import ContractError

#: The columns, in this order: provider, its record, and the two demographic values.
DEMOGRAPHIC_COLUMNS = ("source", "record_id", "date_of_birth", "sex")


@dataclass(frozen=True)
class Demographics:
    """``source``, ``record_id``, ``date_of_birth`` and ``sex`` of identifier records.

    ``versions`` names the content version of each provider the rows belong to.
    """

    versions: Mapping[str, str]
    table: pa.Table = field(repr=False)

    def __post_init__(self) -> None:
        if tuple(self.table.column_names) != DEMOGRAPHIC_COLUMNS:
            raise ContractError(
                f"demographics: columns {self.table.column_names} are not "
                f"{list(DEMOGRAPHIC_COLUMNS)}"
            )
        object.__setattr__(self, "versions", dict(self.versions))
