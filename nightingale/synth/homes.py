"""Where households live over the window: a first home, at most two moves, tenures.

Each household has up to three address segments. Segment 0 is the home at the window
start (social or private tenure; social is likelier in deprived areas). A household may
then either start a **new social tenancy** (the pilot's candidates when it starts in
2020-2022) or make one **ordinary move** (within the region to a private home, or out of
the region). A new social tenancy may end later with a move out of that home. Moves
happen only while the head of household is alive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nightingale.synth.config import SynthConfig
from nightingale.synth.dates import DAYS_PER_YEAR, day
from nightingale.synth.geography import DISTRICTS, HOUSE_NUMBERS, Geography
from nightingale.synth.population import NEVER

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

ABSENT, PRIVATE, SOCIAL, NEW_SOCIAL, OUT = 0, 1, 2, 3, 4
SEGMENTS = 3

#: Energy Performance Certificate bands, as indices 0 (A) .. 6 (G). Illustrative shares,
#: shaped to English Housing Survey stock (social homes more efficient than private).
EPC_BANDS = "ABCDEFG"
SOCIAL_EPC = np.array([0.0, 0.05, 0.32, 0.38, 0.15, 0.07, 0.03])
PRIVATE_EPC = np.array([0.0, 0.03, 0.27, 0.46, 0.17, 0.05, 0.02])
#: Designed-for-health homes: new, efficient and dry.
PILOT_EPC = np.array([0.55, 0.45, 0.0, 0.0, 0.0, 0.0, 0.0])
#: Bands E, F and G: cold homes, damp-prone and with more respiratory illness.
COLD_FROM = EPC_BANDS.index("E")


@dataclass
class Homes:
    """Address history of each household: arrays of shape (households, 3)."""

    start: IntArray
    kind: IntArray
    postcode: IntArray  # postcode unit, -1 when out of the region or absent
    house: IntArray
    tenancy0_start: IntArray  # start of the segment-0 social tenancy (before the window)
    epc: IntArray  # EPC band index of each home, -1 out of the region or absent

    def __len__(self) -> int:
        return len(self.start)

    def leaves_region(self) -> IntArray:
        """Day the household leaves the region, or NEVER."""
        out = np.where(self.kind == OUT, self.start, NEVER)
        return np.asarray(out.min(axis=1), dtype=np.int64)

    def segment_at(self, household: IntArray, days: IntArray) -> IntArray:
        """Which segment (0-2) a household is in on the given days."""
        starts = self.start[household]
        return np.asarray((days[:, None] >= starts[:, 1:]).sum(axis=1), dtype=np.int64)


def _district_weights() -> npt.NDArray[np.float64]:
    population = np.array([d.population for d in DISTRICTS], dtype=np.float64)
    return np.asarray(population / population.sum(), dtype=np.float64)


def _pick_lsoa(
    geo: Geography, district: IntArray, deprived: bool, rng: np.random.Generator
) -> IntArray:
    """An LSOA in each district; for social lettings, weighted towards deprived areas."""
    lsoa = np.empty(len(district), dtype=np.int64)
    for index in range(len(DISTRICTS)):
        where = np.flatnonzero(district == index)
        if not len(where):
            continue
        candidates = np.flatnonzero(geo.lsoa_district == index)
        weights = (11.0 - geo.lsoa_imd[candidates]) if deprived else np.ones(len(candidates))
        lsoa[where] = rng.choice(candidates, size=len(where), p=weights / weights.sum())
    return lsoa


def first_homes(
    config: SynthConfig, geo: Geography, count: int, rng: np.random.Generator
) -> tuple[Homes, IntArray]:
    """Segment-0 homes of ``count`` households and their IMD deciles."""
    district = rng.choice(len(DISTRICTS), size=count, p=_district_weights())
    lsoa = _pick_lsoa(geo, district, deprived=False, rng=rng)
    imd = geo.lsoa_imd[lsoa]
    social = rng.random(count) < 0.04 + 0.035 * (10 - imd)
    window = day(config.window_start)
    start = np.full((count, SEGMENTS), NEVER, dtype=np.int64)
    start[:, 0] = window
    kind = np.zeros((count, SEGMENTS), dtype=np.int64)
    kind[:, 0] = np.where(social, SOCIAL, PRIVATE)
    postcode = np.full((count, SEGMENTS), -1, dtype=np.int64)
    postcode[:, 0] = geo.postcodes_in(lsoa, rng)
    house = np.zeros((count, SEGMENTS), dtype=np.int64)
    house[:, 0] = rng.integers(1, HOUSE_NUMBERS, count)
    tenancy0 = window - rng.integers(30, int(20 * DAYS_PER_YEAR), count)
    epc = np.full((count, SEGMENTS), -1, dtype=np.int64)
    epc[:, 0] = epc_bands(social, rng)
    homes = Homes(start, kind, postcode, house, tenancy0.astype(np.int64), epc)
    return homes, imd.astype(np.int64)


def plan_moves(
    config: SynthConfig,
    geo: Geography,
    homes: Homes,
    head_death: IntArray,
    head_adult_from: IntArray,
    rng: np.random.Generator,
) -> None:
    """Add new social tenancies, ordinary moves and exits to ``homes`` (in place)."""
    count = len(homes)
    window, extract = day(config.window_start), day(config.extract_date)
    pilot_start, pilot_end = day(config.pilot_start), day(config.pilot_end)
    pop, pilot = config.population, config.pilot

    new_social = rng.random(count) < pilot.new_tenancy_share
    in_pilot_window = rng.random(count) < pilot.pilot_window_weight
    when = np.where(
        in_pilot_window,
        rng.integers(pilot_start, pilot_end + 1, count),
        rng.integers(window + 1, extract + 1, count),
    )
    ordinary = ~new_social & (rng.random(count) < pop.move_share)
    moving = (new_social | ordinary) & (when < head_death) & (when >= head_adult_from)
    new_social &= moving
    ordinary &= moving
    leaves = ordinary & (rng.random(count) < pop.move_out_of_region_share)

    homes.start[moving, 1] = when[moving]
    homes.kind[new_social, 1] = NEW_SOCIAL
    homes.kind[ordinary, 1] = np.where(leaves[ordinary], OUT, PRIVATE)
    stays = moving & ~leaves
    _new_address(geo, homes, 1, stays, new_social, rng)

    exit_day = when + np.floor(
        rng.exponential(1.0 / max(pilot.tenancy_exit_rate, 1e-9), count) * DAYS_PER_YEAR
    ).astype(np.int64)
    exits = new_social & (exit_day < np.minimum(head_death, extract + 1)) & (exit_day > when)
    exit_out = exits & (rng.random(count) < pilot.exit_out_of_region_share)
    homes.start[exits, 2] = exit_day[exits]
    homes.kind[exits, 2] = np.where(exit_out[exits], OUT, PRIVATE)
    _new_address(geo, homes, 2, exits & ~exit_out, np.zeros(count, dtype=bool), rng)


def _new_address(
    geo: Geography,
    homes: Homes,
    segment: int,
    movers: BoolArray,
    social: BoolArray,
    rng: np.random.Generator,
) -> None:
    """In-region addresses for ``movers``: mostly the same district as before."""
    rows = np.flatnonzero(movers)
    if not len(rows):
        return
    previous_lsoa = geo.postcode_lsoa[homes.postcode[rows, segment - 1]]
    district = geo.lsoa_district[previous_lsoa]
    elsewhere = rng.random(len(rows)) < 0.2
    district = np.where(
        elsewhere, rng.choice(len(DISTRICTS), size=len(rows), p=_district_weights()), district
    )
    lsoa = np.empty(len(rows), dtype=np.int64)
    is_social = social[rows]
    lsoa[is_social] = _pick_lsoa(geo, district[is_social], deprived=True, rng=rng)
    lsoa[~is_social] = _pick_lsoa(geo, district[~is_social], deprived=False, rng=rng)
    homes.postcode[rows, segment] = geo.postcodes_in(lsoa, rng)
    homes.house[rows, segment] = rng.integers(1, HOUSE_NUMBERS, len(rows))
    homes.epc[rows, segment] = epc_bands(is_social, rng)


def epc_bands(social: BoolArray, rng: np.random.Generator) -> IntArray:
    """EPC band indices of homes, social or private."""
    social_band = rng.choice(len(EPC_BANDS), len(social), p=SOCIAL_EPC)
    private_band = rng.choice(len(EPC_BANDS), len(social), p=PRIVATE_EPC)
    return np.asarray(np.where(social, social_band, private_band), dtype=np.int64)


def cold_first_home(homes: Homes) -> BoolArray:
    """Households whose home at the window start is cold (EPC E-G)."""
    return np.asarray(homes.epc[:, 0] >= COLD_FROM, dtype=np.bool_)
