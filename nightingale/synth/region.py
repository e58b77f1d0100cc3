"""Generate a whole region: chunk by chunk, into a folder that appears complete.

Each chunk gets its own random generator spawned from the master seed
(``SeedSequence(seed).spawn``), so a chunk's data depend only on the seed and the
chunk's position: the same seed gives byte-identical files, and memory holds one chunk.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from nightingale.platform.storage import atomic_directory, atomic_write_json, atomic_write_text
from nightingale.synth.config import SynthConfig
from nightingale.synth.dates import day
from nightingale.synth.employment_extract import write_employment
from nightingale.synth.formatting import blank_where
from nightingale.synth.geography import Geography, build_geography
from nightingale.synth.health_extract import nhs_numbers, write_health
from nightingale.synth.housing import write_housing
from nightingale.synth.identifiers import issue_ni_numbers
from nightingale.synth.keys import salt
from nightingale.synth.truth import (
    EffectTally,
    effects_document,
    tally,
    write_people,
    write_pilot,
)
from nightingale.synth.world import simulate
from nightingale.synth.writer import CsvFiles, write_manifest

Progress = Callable[[int, int], None]
MANIFEST = "manifest.json"
#: The extracts' layout: raised when files or columns change, so that a region written
#: by an older generator (which today's provider files would refuse) is not taken as
#: complete and the demo writes it again. 2: clinical codes, repairs, bedroom standard.
LAYOUT = 2


@dataclass(frozen=True)
class RegionSummary:
    """What was written: the folder, row counts per file, and the pilot's size."""

    path: Path
    rows: dict[str, int]
    treated: int
    comparison: int


def is_complete(path: Path) -> bool:
    """Whether ``path`` holds a finished region of today's layout (its manifest is
    written last)."""
    manifest = path / MANIFEST
    if not manifest.is_file():
        return False
    try:
        return bool(json.loads(manifest.read_text()).get("layout") == LAYOUT)
    except (OSError, ValueError):
        return False


def read_config(path: Path) -> SynthConfig:
    """The configuration a finished region was generated with."""
    manifest = json.loads((path / MANIFEST).read_text())
    return SynthConfig.model_validate(manifest["config"])


def generate_region(
    config: SynthConfig, out: Path, replace: bool = False, progress: Progress | None = None
) -> RegionSummary:
    """Write the extracts and the truth of ``config``'s region to ``out``."""
    _, *chunk_seeds = np.random.SeedSequence(config.seed).spawn(1 + _chunk_count(config))
    geography = _geography(config.seed, config.lsoa_count)
    sums = EffectTally()
    with atomic_directory(out, replace=replace) as folder, CsvFiles(folder) as files:
        for chunk, seed in enumerate(chunk_seeds):
            size = min(config.chunk_size, config.people - chunk * config.chunk_size)
            rng = np.random.default_rng(seed)
            world = simulate(config, geography, chunk, size, rng)
            nhs = nhs_numbers(config, world)
            ni = issue_ni_numbers(world.people.global_index, salt(config.seed, "ni") % 10**8, rng)
            adult_at_extract = world.people.age_at(day(config.extract_date)) >= 16
            ni = blank_where(~adult_at_extract, ni)
            write_health(config, world, files, files, rng)
            tenancy_refs = write_housing(config, world, ni, files, files, rng)
            write_employment(config, world, ni, files, files, rng)
            write_people(config, world, nhs, ni, files)
            write_pilot(world, tenancy_refs, files)
            tally(world, sums)
            if progress is not None:
                progress(chunk + 1, len(chunk_seeds))
        files.close()
        write_imd_lookup(folder, geography)
        document = effects_document(config, sums)
        atomic_write_json(folder / "truth" / "effects.json", document)
        write_manifest(
            folder, files.rows, {"layout": LAYOUT, "config": config.model_dump(mode="json")}
        )
        rows = dict(files.rows)
    return RegionSummary(out, rows, document["treated"], document["comparison"])


IMD_LOOKUP = "reference/postcode_imd.csv"


def write_imd_lookup(folder: Path, geography: Geography) -> None:
    """The region's postcode-to-IMD-decile lookup, as a deployment gets the real one
    (ONS postcode directory and IMD 2019): public reference data, not an extract. The
    linkage zone uses it for the GUILD tables' IMD quintile (``link --imd-lookup``)."""
    deciles = geography.lsoa_imd[geography.postcode_lsoa]
    rows = [f"{p},{int(d)}" for p, d in sorted(zip(geography.postcode, deciles, strict=True))]
    atomic_write_text(folder / IMD_LOOKUP, "postcode,imd_decile\n" + "\n".join(rows) + "\n")


@lru_cache(maxsize=4)
def _geography(seed: int, lsoa_count: int) -> Geography:
    """The region's places: the seed's first spawned stream, whatever the number of chunks."""
    first = np.random.SeedSequence(seed).spawn(1)[0]
    return build_geography(lsoa_count, np.random.default_rng(first))


def _chunk_count(config: SynthConfig) -> int:
    return -(-config.people // config.chunk_size)
