"""The previous extract of a region, as the refresh reads it: files, truth and dates.

A refresh needs nothing but the previous folder: its ``manifest.json`` holds the
configuration (seed, rates, the extract date), its extracts and truth hold everything
that happened. Every file is read as strings (empty field = empty string) so that rows
carried over are written back exactly as the provider sent them.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv

from nightingale.platform.errors import NightingaleError
from nightingale.synth.config import SynthConfig
from nightingale.synth.dates import EPOCH, day
from nightingale.synth.population import NEVER

IntArray = npt.NDArray[np.int64]

#: Every extract file, by provider, people file first.
EXTRACTS: dict[str, tuple[str, ...]] = {
    "health": (
        "gp_registrations.csv",
        "admissions.csv",
        "ae_attendances.csv",
        "gp_consultations.csv",
        "eq5d.csv",
        "deaths.csv",
    ),
    "housing": ("tenancies.csv", "property_reports.csv", "repairs.csv"),
    "employment": ("claimants.csv", "employment_spells.csv", "earnings.csv", "benefit_claims.csv"),
}
#: Each provider's people file and its local key.
PEOPLE_FILES = {
    "health": ("gp_registrations.csv", "patient_id"),
    "housing": ("tenancies.csv", "tenancy_ref"),
    "employment": ("claimants.csv", "customer_ref"),
}
TRUTH = ("people.csv", "records.csv", "pilot.csv")


def read_strings(path: Path) -> pd.DataFrame:
    """A CSV file with every column as strings; empty fields stay empty strings."""
    with path.open("rb") as handle:
        header = handle.readline().decode("utf-8").rstrip("\n").split(",")
    options = pcsv.ConvertOptions(
        column_types={name: pa.string() for name in header}, strings_can_be_null=False
    )
    table = pcsv.read_csv(path, convert_options=options)
    frame: pd.DataFrame = table.to_pandas()
    for name in header:
        frame[name] = frame[name].astype(object)
    return frame


def parse_days(values: pd.Series, fmt: str) -> IntArray:
    """Day numbers of provider dates (``NEVER`` for an empty field)."""
    text = values.astype(str)
    empty = (text == "").to_numpy()
    parsed = pd.to_datetime(text.where(~empty, None), format=fmt)
    epoch = pd.Timestamp(EPOCH)
    days = ((parsed - epoch).dt.days).to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(empty, NEVER, np.nan_to_num(days, nan=NEVER)).astype(np.int64)


def format_day_numbers(days: npt.ArrayLike, fmt: str) -> npt.NDArray[np.object_]:
    """Day numbers as provider dates; ``NEVER`` (or later) becomes an empty field."""
    values = np.asarray(days, dtype=np.int64)
    missing = values >= NEVER
    stamps = pd.to_datetime(np.where(missing, 0, values), unit="D")
    text = pd.Series(stamps).dt.strftime(fmt).to_numpy(dtype=object)
    return np.where(missing, "", text).astype(object)


def day_of(text: str, fmt: str) -> int:
    """The day number of one provider date (``NEVER`` for an empty field)."""
    if not text:
        return NEVER
    return day(dt.datetime.strptime(text, fmt).date())


def date_text(days: int, fmt: str) -> str:
    """One day number as a provider date (empty for ``NEVER``)."""
    if days >= NEVER:
        return ""
    return (EPOCH + dt.timedelta(days=int(days))).strftime(fmt)


def add_months(date: dt.date, months: int) -> dt.date:
    """The last day of the month ``months`` after ``date``'s month."""
    index = date.year * 12 + date.month - 1 + months + 1
    first_of_next = dt.date(index // 12, index % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


@dataclass
class Previous:
    """The previous extract: configuration, dates, every file, and seeded generators."""

    path: Path
    manifest: dict[str, Any]
    config: SynthConfig
    months: int
    extracts: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def extract_date(self) -> dt.date:
        return self.config.extract_date

    @property
    def next_extract_date(self) -> dt.date:
        return add_months(self.config.extract_date, self.months)

    @property
    def window(self) -> tuple[int, int]:
        """Day numbers (first, last] of the refresh: after the old extract date, up to the new."""
        return day(self.extract_date), day(self.next_extract_date)

    @property
    def generation(self) -> int:
        """0 for a generated region, n for the n-th refresh of it."""
        return int(self.manifest.get("refresh", {}).get("generation", 0))

    def rng(self, purpose: str) -> np.random.Generator:
        """A generator for one purpose, seeded from the region's seed, the extract date
        being refreshed and the months added: the same previous folder and months give
        the same refresh, and each purpose draws independently of the others."""
        entropy = [
            self.config.seed,
            zlib.crc32(b"refresh"),
            day(self.extract_date),
            self.months,
            zlib.crc32(purpose.encode("utf-8")),
        ]
        return np.random.default_rng(np.random.SeedSequence(entropy))

    def people_file(self, provider: str) -> pd.DataFrame:
        return self.extracts[provider][PEOPLE_FILES[provider][0]]


def read_previous(path: Path, months: int) -> Previous:
    """Read a finished region (generated or refreshed) for a refresh of ``months`` months."""
    from nightingale.synth.region import MANIFEST, is_complete

    if months < 1:
        raise NightingaleError(f"--months must be at least 1 (got {months})")
    if not is_complete(path):
        raise NightingaleError(
            f"{path}: not a finished synthetic region of today's layout (no manifest.json)"
        )
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    config = SynthConfig.model_validate(manifest["config"])
    previous = Previous(path, manifest, config, months)
    for provider, names in EXTRACTS.items():
        previous.extracts[provider] = {
            name: read_strings(path / "extracts" / provider / name) for name in names
        }
    for name in TRUTH:
        previous.truth[name] = read_strings(path / "truth" / name)
    return previous
