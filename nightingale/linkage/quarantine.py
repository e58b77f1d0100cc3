"""Quarantine: rejected rows, each with its reasons, never silently dropped.

For every ingest that rejects rows, ``quarantine/<version>/`` holds per file:

- ``<file>.reasons.csv``: ``where`` (``record`` for the n-th data row, ``line`` for a
  physical line the CSV parser could not split), ``number``, ``field`` and ``rule`` — no
  values, so it is safe to read and share;
- ``<file>.rows.bin``: the rejected rows themselves (Parquet sealed with the
  ``encryption`` key, context ``quarantine/<provider>``), because a people file's rows
  hold identifiers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from nightingale.linkage.identifiers import write_sealed_table
from nightingale.platform.keystore import KeyStore

Where = tuple[str, int]  # ("record", n-th data row) or ("line", physical line)


@dataclass
class Rejections:
    """Rejected rows of one file: ``reasons`` (where, field, rule) and the rows' text."""

    reasons: list[tuple[Where, str, str]] = field(default_factory=list)
    rows: dict[Where, str] = field(default_factory=dict)

    def add(self, where: Where, field_name: str, rule: str, text: str) -> None:
        self.reasons.append((where, field_name, rule))
        self.rows.setdefault(where, text)

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def records(self) -> list[int]:
        """Positions (0-based) of rejected data rows, for dropping them from a frame."""
        return [number - 1 for kind, number in self.rows if kind == "record"]

    def by_reason(self) -> Counter[str]:
        """Rejected rows per ``field: rule`` (a row with two reasons counts under both)."""
        return Counter(f"{f}: {r}" for _where, f, r in set(self.reasons))


def row_text(frame: pd.DataFrame, position: int) -> str:
    """A row as CSV text, for the sealed quarantine file."""
    values = frame.iloc[position]
    return ",".join("" if pd.isna(v) else str(v) for v in values.tolist())


def write(
    folder: Path, file_name: str, rejections: Rejections, keystore: KeyStore, provider: str
) -> None:
    """Write one file's rejections into ``folder`` (inside an atomic directory)."""
    reasons = pd.DataFrame(
        [(kind, number, f, r) for (kind, number), f, r in sorted(set(rejections.reasons))],
        columns=["where", "number", "field", "rule"],
    )
    reasons.to_csv(folder / f"{file_name}.reasons.csv", index=False)
    rows = pa.table(
        {
            "where": pa.array([kind for kind, _ in rejections.rows], type=pa.string()),
            "number": pa.array([number for _, number in rejections.rows], type=pa.int64()),
            "text": pa.array(list(rejections.rows.values()), type=pa.string()),
        }
    )
    write_sealed_table(folder / f"{file_name}.rows.bin", rows, keystore, f"quarantine/{provider}")
