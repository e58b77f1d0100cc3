"""Write a refresh: the next extract of every provider, with the truth carried over.

``write_refresh(previous, months, out)`` reads only the previous folder (its manifest's
configuration, its extracts and truth) and writes a complete region of the same layout
whose extract date is ``months`` months later. Every extract is a full snapshot (rows
carried over, changed or added; a few withdrawn), so it is ingested as the provider's
next version; every people-file row carried over keeps its local key. Its randomness is
seeded from the region's seed, the previous extract date and ``months``: the same
previous folder and months give byte-identical files, and a refresh of a refresh works.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nightingale.platform.storage import atomic_directory, sha256_file
from nightingale.synth.dates import ISO, day
from nightingale.synth.population import NEVER
from nightingale.synth.refresh.continuation import presence
from nightingale.synth.refresh.employment_events import new_employment_events
from nightingale.synth.refresh.health_events import new_health_events, registration_intervals
from nightingale.synth.refresh.housing_events import new_housing_events
from nightingale.synth.refresh.life import Life, live
from nightingale.synth.refresh.people_files import PeopleFiles, update_people_files
from nightingale.synth.refresh.pilot import follow_pilot
from nightingale.synth.refresh.rates import RefreshRates
from nightingale.synth.refresh.source import (
    EXTRACTS,
    PEOPLE_FILES,
    Previous,
    format_day_numbers,
    read_previous,
)
from nightingale.synth.writer import CsvFiles, write_manifest

#: Event files whose rows refer to a people-file key, by provider.
KEY_COLUMNS = {p: key for p, (_, key) in PEOPLE_FILES.items()}


@dataclass(frozen=True)
class RefreshSummary:
    """What a refresh wrote: the folder, its extract date, rows per file, changes by kind."""

    path: Path
    extract_date: str
    rows: dict[str, int]
    changes: dict[str, int]


def write_refresh(
    previous: Path,
    months: int,
    out: Path,
    *,
    rates: RefreshRates | None = None,
    replace: bool = False,
) -> RefreshSummary:
    """Write the next extract of the region in ``previous``, ``months`` months on, to ``out``."""
    from nightingale.synth.region import LAYOUT, MANIFEST, _geography

    source = read_previous(previous, months)
    chosen = rates if rates is not None else _rates_of(source)
    config = source.config
    life = live(source, _geography(config.seed, config.lsoa_count), chosen)
    people_files = update_people_files(source, life, chosen)
    extracts, pilot = _extracts(source, life, people_files)
    new_config = config.model_copy(update={"extract_date": source.next_extract_date})
    changes = life.changes.frame()
    with atomic_directory(out, replace=replace) as folder, CsvFiles(folder) as files:
        for provider, tables in extracts.items():
            for name, frame in tables.items():
                _write(files, f"extracts/{provider}/{name}", frame)
        _write(files, "truth/people.csv", _truth_people(life, source))
        records = people_files.records.sort_values(["provider", "file", "local_key"])
        _write(files, "truth/records.csv", records)
        _write(files, "truth/pilot.csv", pilot)
        _write(files, "truth/changes.csv", changes)
        files.close()
        shutil.copyfile(previous / "truth" / "effects.json", folder / "truth" / "effects.json")
        counts = {str(k): int(v) for k, v in changes["change"].value_counts().sort_index().items()}
        refresh = {
            "generation": source.generation + 1,
            "of_extract_date": source.extract_date.isoformat(),
            "months": months,
            "previous_manifest_sha256": sha256_file(previous / MANIFEST),
            "rates": chosen.model_dump(mode="json"),
            "changes": counts,
        }
        extra = {"layout": LAYOUT, "config": new_config.model_dump(mode="json"), "refresh": refresh}
        write_manifest(folder, files.rows, extra)
        rows = dict(files.rows)
    return RefreshSummary(out, source.next_extract_date.isoformat(), rows, counts)


def _rates_of(source: Previous) -> RefreshRates:
    """The rates the previous refresh used (a chain keeps them), else the defaults."""
    given = source.manifest.get("refresh", {}).get("rates")
    return RefreshRates.model_validate(given) if given else RefreshRates()


def _extracts(
    source: Previous, life: Life, people_files: PeopleFiles
) -> tuple[dict[str, dict[str, pd.DataFrame]], pd.DataFrame]:
    """Every extract file (people files as updated; event files carried over without the
    withdrawn records' events, with the window's new events appended) and the pilot."""
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for provider, names in EXTRACTS.items():
        key = KEY_COLUMNS[provider]
        gone = people_files.withdrawn[provider]
        out[provider] = {names[0]: people_files.frames[provider]}
        for name in names[1:]:
            frame = source.extracts[provider][name]
            out[provider][name] = frame[~frame[key].isin(gone)].reset_index(drop=True)
    window_start = day(source.config.window_start)
    seen = presence(life.people, window_start, source.window)
    records = source.truth["records.csv"]
    health_owner = records[records["provider"] == "health"]
    owners = dict(zip(health_owner["local_key"], health_owner["person_id"], strict=True))
    registrations = registration_intervals(people_files.frames["health"], people_files.records)
    added = new_health_events(source, life.people, seen, registrations, out["health"], owners)
    for name, rows in added.items():
        out["health"][name] = pd.concat([out["health"][name], rows], ignore_index=True)
    out["housing"].update(
        new_housing_events(source, people_files.frames["housing"], out["housing"])
    )
    out["employment"].update(
        new_employment_events(
            source, seen, people_files.frames["employment"], people_files.records, out["employment"]
        )
    )
    pilot, questionnaires = follow_pilot(
        source,
        life.people,
        registrations,
        out["health"]["eq5d.csv"],
        out["employment"]["earnings.csv"],
        people_files.records,
    )
    out["health"]["eq5d.csv"] = pd.concat(
        [out["health"]["eq5d.csv"], questionnaires], ignore_index=True
    )
    return out, pilot


def _truth_people(life: Life, source: Previous) -> pd.DataFrame:
    """truth/people.csv after the window: deaths, departures and surnames updated."""
    people = life.people.copy()
    for column, days in (("date_of_death", "_death"), ("left_region_date", "_left")):
        values = people[days].to_numpy(dtype=np.int64)
        people[column] = np.where(values < NEVER, format_day_numbers(values, ISO), "")
    columns = list(source.truth["people.csv"].columns)
    return people[columns]


def _write(files: CsvFiles, relative: str, frame: pd.DataFrame) -> None:
    columns = list(frame.columns)
    files.declare(relative, columns)
    if len(frame):
        files.append(relative, {c: frame[c].astype(str).to_numpy(dtype=object) for c in columns})
