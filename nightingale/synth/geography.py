"""The region's fixed geography: districts, LSOAs with IMD deciles, postcodes, streets.

Outward codes are real (LS, BD, HX, HD, WF, S70-S75, HG, YO, BD23/BD24 for Craven,
YO8/LS25 for Selby); inward codes, LSOA codes (``E01`` + six digits above the range
used in England), street names and UPRNs are synthetic. The geography depends on the
seed only, not on the number of people, so regions of different sizes share places.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nightingale.synth.names import vocabulary

IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]


@dataclass(frozen=True)
class District:
    """A local authority district of the footprint."""

    name: str
    population: int  # mid-2021, rounded
    town: str
    outward: tuple[str, ...]
    imd_weights: tuple[float, ...]  # deciles 1 (most deprived) .. 10
    landlord: str


def _range(area: str, first: int, last: int, skip: tuple[int, ...] = ()) -> tuple[str, ...]:
    return tuple(f"{area}{n}" for n in range(first, last + 1) if n not in skip)


DISTRICTS: tuple[District, ...] = (
    District(
        "Barnsley",
        244_600,
        "Barnsley",
        (*_range("S", 70, 75), "S36"),
        (0.14, 0.14, 0.13, 0.12, 0.11, 0.10, 0.09, 0.07, 0.05, 0.05),
        "Barnsley Homes Trust",
    ),
    District(
        "Bradford",
        546_400,
        "Bradford",
        (*_range("BD", 1, 22), "LS29"),
        (0.27, 0.12, 0.10, 0.09, 0.08, 0.07, 0.07, 0.07, 0.07, 0.06),
        "Bradford Community Homes",
    ),
    District(
        "Calderdale",
        206_600,
        "Halifax",
        (*_range("HX", 1, 7), "HD6", "OL14"),
        (0.13, 0.11, 0.10, 0.10, 0.10, 0.10, 0.10, 0.09, 0.09, 0.08),
        "Calder Valley Housing",
    ),
    District(
        "Craven",
        57_100,
        "Skipton",
        ("BD23", "BD24"),
        (0.01, 0.03, 0.06, 0.09, 0.12, 0.14, 0.15, 0.15, 0.13, 0.12),
        "Craven Dales Housing",
    ),
    District(
        "Harrogate",
        162_700,
        "Harrogate",
        _range("HG", 1, 5),
        (0.01, 0.02, 0.04, 0.06, 0.09, 0.12, 0.14, 0.16, 0.18, 0.18),
        "Nidd Housing Partnership",
    ),
    District(
        "Kirklees",
        433_200,
        "Huddersfield",
        (*_range("HD", 1, 9, skip=(6,)), *_range("WF", 12, 17)),
        (0.12, 0.11, 0.10, 0.10, 0.10, 0.10, 0.10, 0.09, 0.09, 0.09),
        "Kirklees Homes Group",
    ),
    District(
        "Leeds",
        812_000,
        "Leeds",
        _range("LS", 1, 28, skip=(21, 24, 25)),
        (0.20, 0.10, 0.09, 0.08, 0.08, 0.08, 0.09, 0.09, 0.09, 0.10),
        "Leeds Tenant Homes",
    ),
    District(
        "Selby",
        92_000,
        "Selby",
        ("YO8", "LS24", "LS25", "DN14"),
        (0.02, 0.04, 0.07, 0.09, 0.11, 0.13, 0.14, 0.14, 0.13, 0.13),
        "Selby & Ouse Housing",
    ),
    District(
        "Wakefield",
        353_300,
        "Wakefield",
        _range("WF", 1, 11),
        (0.14, 0.13, 0.12, 0.11, 0.10, 0.10, 0.09, 0.08, 0.07, 0.06),
        "Wakefield Five Towns Homes",
    ),
    District(
        "York",
        202_800,
        "York",
        ("YO1", "YO10", "YO19", "YO23", "YO24", "YO26", "YO30", "YO31", "YO32"),
        (0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.13, 0.15, 0.15, 0.15),
        "Ouse Vale Homes",
    ),
)

INWARD_LETTERS = tuple("ABDEFGHJLNPQRSTUWXYZ")
STREET_SUFFIXES = (
    "Road",
    "Street",
    "Lane",
    "Avenue",
    "Close",
    "Crescent",
    "Grove",
    "Terrace",
    "Way",
    "Drive",
    "Gardens",
    "Place",
    "Court",
    "Mount",
    "View",
    "Walk",
    "Rise",
    "Fold",
)
POSTCODES_PER_LSOA = 12
HOUSE_NUMBERS = 400
_LSOA_CODE_BASE = 40_000


@dataclass(frozen=True)
class Geography:
    """LSOAs and postcode units of the region (index arrays share positions)."""

    lsoa_district: IntArray
    lsoa_code: ObjectArray
    lsoa_imd: IntArray
    postcode: ObjectArray  # one entry per postcode unit
    postcode_lsoa: IntArray
    postcode_street: ObjectArray

    def district_names(self) -> ObjectArray:
        return np.array([d.name for d in DISTRICTS], dtype=object)

    def postcodes_in(self, lsoa: IntArray, rng: np.random.Generator) -> IntArray:
        """A random postcode unit inside each given LSOA."""
        offset = rng.integers(0, POSTCODES_PER_LSOA, size=len(lsoa))
        return np.asarray(lsoa * POSTCODES_PER_LSOA + offset, dtype=np.int64)

    def uprn(self, postcode: IntArray, house: IntArray) -> IntArray:
        """Twelve-digit synthetic UPRN of a house number in a postcode unit."""
        return np.asarray(100_000_000_000 + postcode * HOUSE_NUMBERS + house, dtype=np.int64)


def build_geography(lsoa_count: int, rng: np.random.Generator) -> Geography:
    """LSOAs allotted to districts by population, with IMD deciles and postcode units."""
    populations = np.array([d.population for d in DISTRICTS], dtype=np.float64)
    per_district = np.maximum(1, np.round(lsoa_count * populations / populations.sum()))
    lsoa_district = np.repeat(np.arange(len(DISTRICTS)), per_district.astype(np.int64))
    imd = np.empty(len(lsoa_district), dtype=np.int64)
    for index, district in enumerate(DISTRICTS):
        where = lsoa_district == index
        weights = np.array(district.imd_weights) / sum(district.imd_weights)
        imd[where] = rng.choice(np.arange(1, 11), size=int(where.sum()), p=weights)
    codes = np.array(
        [f"E01{_LSOA_CODE_BASE + i:06d}" for i in range(len(lsoa_district))], dtype=object
    )

    seen: set[str] = set()
    postcodes: list[str] = []
    streets: list[str] = []
    stems = vocabulary().surnames
    for district_index in lsoa_district:
        outward = DISTRICTS[district_index].outward
        area = outward[int(rng.integers(0, len(outward)))]
        for _ in range(POSTCODES_PER_LSOA):
            while True:
                letters = rng.choice(len(INWARD_LETTERS), size=2)
                candidate = (
                    f"{area} {int(rng.integers(0, 10))}"
                    f"{INWARD_LETTERS[letters[0]]}{INWARD_LETTERS[letters[1]]}"
                )
                if candidate not in seen:
                    break
            seen.add(candidate)
            postcodes.append(candidate)
            stem = stems[int(rng.integers(0, len(stems)))]
            suffix = STREET_SUFFIXES[int(rng.integers(0, len(STREET_SUFFIXES)))]
            streets.append(f"{stem} {suffix}")
    return Geography(
        lsoa_district=lsoa_district.astype(np.int64),
        lsoa_code=codes,
        lsoa_imd=imd,
        postcode=np.array(postcodes, dtype=object),
        postcode_lsoa=np.repeat(np.arange(len(lsoa_district)), POSTCODES_PER_LSOA).astype(np.int64),
        postcode_street=np.array(streets, dtype=object),
    )
