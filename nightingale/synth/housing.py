"""What social landlords send: tenancies (lead tenant's identifiers) and property reports.

A tenancy exists for every social home a household lives in during the window: homes
held since before the window, and new tenancies. New tenancies in the pilot's window go
to designed-for-health homes (efficient, dry, right-sized) when the pilot allocated
them; otherwise they are standard homes, some cold, damp or overcrowded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nightingale.synth.config import SynthConfig
from nightingale.synth.corruption import Identity
from nightingale.synth.dates import DAYS_PER_YEAR, SLASHED, day, format_days
from nightingale.synth.events import poisson_events
from nightingale.synth.formatting import (
    PeopleRows,
    append_truth,
    blank_where,
    pick,
    quirky_numbers,
    quirky_postcodes,
    record,
    upper,
)
from nightingale.synth.geography import DISTRICTS
from nightingale.synth.homes import NEW_SOCIAL, SOCIAL
from nightingale.synth.keys import opaque_keys, salt
from nightingale.synth.population import HEAD
from nightingale.synth.world import World
from nightingale.synth.writer import CsvFiles

IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]

FOLDER = "extracts/housing"
EPC = np.array(list("ABCDEFG"), dtype=object)
STANDARD_EPC = np.array([0.0, 0.05, 0.32, 0.38, 0.15, 0.07, 0.03])
PILOT_EPC = np.array([0.55, 0.45, 0.0, 0.0, 0.0, 0.0, 0.0])
PROPERTY_TYPES = np.array(["flat", "house", "bungalow", "maisonette"], dtype=object)


@dataclass
class Tenancies:
    """One entry per tenancy of the chunk: who holds it, where, when, and the home."""

    household: IntArray
    segment: IntArray  # 0 = held since before the window, 1 = new tenancy
    lead: IntArray  # the lead tenant (head of household)
    start: IntArray
    end: IntArray  # the day it ends (moving out or the lead tenant's death)
    still_open: BoolArray
    end_reason: ObjectArray
    postcode: IntArray  # postcode unit of the home
    district: IntArray
    pilot_home: BoolArray
    household_size: IntArray
    bedrooms: IntArray
    epc: IntArray  # index into EPC
    property_type: IntArray
    overcrowded: BoolArray


def tenancies(config: SynthConfig, world: World, rng: np.random.Generator) -> Tenancies:
    """Every social tenancy lived in during the window, with the home's attributes."""
    people, homes, geo = world.people, world.homes, world.geography
    head_of = np.full(len(homes), -1, dtype=np.int64)
    heads = np.flatnonzero(people.role == HEAD)
    head_of[people.household[heads]] = heads
    held = np.flatnonzero(homes.kind[:, 0] == SOCIAL)
    new = np.flatnonzero(homes.kind[:, 1] == NEW_SOCIAL)
    household = np.concatenate([held, new])
    segment = np.repeat([0, 1], [len(held), len(new)])
    lead = head_of[household]
    adult = people.dob[lead] + int(18 * DAYS_PER_YEAR)
    start = np.where(
        segment == 0,
        np.maximum(homes.tenancy0_start[household], adult),
        homes.start[household, 1],
    )
    next_move = homes.start[household, segment + 1]
    death = people.death[lead]
    end = np.minimum(next_move, death)
    still_open = end > day(config.extract_date)
    reason = np.where(death <= next_move, "deceased", "moved_out")
    unit = homes.postcode[household, segment]
    allocated = np.zeros(len(homes), dtype=bool)
    allocated[world.cohort.household[world.cohort.treated]] = True
    pilot_home = (segment == 1) & allocated[household]

    # Household size at the start: members born by then and still alive.
    size = np.zeros(len(household), dtype=np.int64)
    position = np.full((len(homes), 2), -1, dtype=np.int64)
    position[household, segment] = np.arange(len(household))
    for s in (0, 1):
        tenancy = position[people.household, s]
        when = start[np.maximum(tenancy, 0)]
        counted = (tenancy >= 0) & (people.dob <= when) & (people.death > when)
        size += np.bincount(tenancy[counted], minlength=len(household))
    size = np.maximum(size, 1)
    needed = np.ceil(size / 2).astype(np.int64)
    n = len(household)
    bedrooms = np.where(
        pilot_home, needed, np.clip(needed + rng.choice([-1, 0, 0, 1], n), 1, 5)
    ).astype(np.int64)
    epc = np.where(
        pilot_home, rng.choice(7, n, p=PILOT_EPC), rng.choice(7, n, p=STANDARD_EPC)
    ).astype(np.int64)
    return Tenancies(
        household=household.astype(np.int64),
        segment=segment.astype(np.int64),
        lead=lead,
        start=start.astype(np.int64),
        end=end.astype(np.int64),
        still_open=still_open,
        end_reason=np.where(still_open, "", reason).astype(object),
        postcode=unit,
        district=geo.lsoa_district[geo.postcode_lsoa[unit]],
        pilot_home=pilot_home,
        household_size=size,
        bedrooms=bedrooms,
        epc=epc,
        property_type=rng.choice(4, n, p=[0.45, 0.4, 0.1, 0.05]).astype(np.int64),
        overcrowded=bedrooms < needed,
    )


def write_housing(
    config: SynthConfig,
    world: World,
    ni: ObjectArray,
    files: CsvFiles,
    truth: CsvFiles,
    rng: np.random.Generator,
) -> dict[int, str]:
    """Write the chunk's tenancies and reports; return household -> new tenancy's key."""
    people, homes, geo = world.people, world.homes, world.geography
    t = tenancies(config, world, rng)
    rows = PeopleRows.with_duplicates(len(t.household), config.errors.duplicate, rng)
    src = rows.source
    identity = Identity(
        forename=people.forename[t.lead],
        surname=people.surname[t.lead],
        birth_surname=people.birth_surname[t.lead],
        dob=people.dob[t.lead],
        postcode=geo.postcode[t.postcode],
        previous_postcode=np.full(len(t.lead), "", dtype=object),  # the home's own postcode
        ni=blank_where(
            rng.random(len(t.lead)) >= config.population.landlord_holds_ni_share, ni[t.lead]
        ),
    )
    recorded = record(identity, rows, config.errors, rng)
    held_ni = recorded.ni if recorded.ni is not None else np.full(len(src), None, dtype=object)
    keys = opaque_keys("TEN-", 8, world.chunk, len(src), salt(config.seed, "tenancy_ref"))
    person = t.lead[src]
    married = people.birth_surname[person] != people.surname[person]
    young = (t.start[src] - people.dob[person]) < 30 * DAYS_PER_YEAR
    title = np.where(
        ~people.female[person], "Mr", np.where(married, "Mrs", np.where(young, "Miss", "Ms"))
    ).astype(object)
    title[rng.random(len(src)) < 0.05] = None
    street = geo.postcode_street[t.postcode[src]]
    number = homes.house[t.household[src], t.segment[src]]
    district = t.district[src]
    files.append(
        f"{FOLDER}/tenancies.csv",
        {
            "tenancy_ref": keys,
            "landlord": np.array([d.landlord for d in DISTRICTS], dtype=object)[district],
            "tenant_title": title,
            "tenant_forename": recorded.forename,
            "tenant_surname": upper(recorded.surname),
            "tenant_dob": format_days(recorded.dob, SLASHED, recorded.dob_missing),
            "tenant_ni_number": quirky_numbers(held_ni, config.quirks.ni_number_spaced, False, rng),
            "address_line_1": np.char.add(np.char.add(number.astype(str), " "), street.astype(str)),
            "address_line_2": np.array([d.town for d in DISTRICTS], dtype=object)[district],
            "postcode": quirky_postcodes(recorded.postcode, config.quirks, rng),
            "uprn": geo.uprn(t.postcode[src], number),
            "district": np.array([d.name for d in DISTRICTS], dtype=object)[district],
            "scheme": np.where(t.pilot_home[src], "designed_for_health", "standard"),
            "property_type": PROPERTY_TYPES[t.property_type[src]],
            "bedrooms": t.bedrooms[src],
            "epc_band": EPC[t.epc[src]],
            "household_size": t.household_size[src],
            "overcrowded": np.where(t.overcrowded[src], "Y", "N"),
            "tenancy_start": format_days(t.start[src], SLASHED),
            "tenancy_end": format_days(
                np.minimum(t.end[src], day(config.extract_date)), SLASHED, t.still_open[src]
            ),
            "end_reason": t.end_reason[src],
        },
        order=rng.permutation(len(src)),
    )
    append_truth(
        truth, "housing", "tenancies.csv", keys, people.global_index[person], rows, recorded
    )
    _write_reports(config, world, t, rows, keys, files, rng)
    new = np.flatnonzero(t.segment == 1)
    return {int(t.household[i]): str(keys[i]) for i in new}


def _write_reports(
    config: SynthConfig,
    world: World,
    t: Tenancies,
    rows: PeopleRows,
    keys: npt.NDArray[np.str_],
    files: CsvFiles,
    rng: np.random.Generator,
) -> None:
    """Damp and mould (likelier in cold homes), disrepair and overcrowding reports."""
    damp = np.where(t.epc >= 4, 0.25, np.where(t.epc >= 2, 0.06, 0.01))
    report_start = np.maximum(t.start, day(config.window_start))
    report_end = np.maximum(np.minimum(t.end, day(config.extract_date) + 1), report_start)
    reports = [
        (category, poisson_events(rate, report_start, report_end, rng))
        for category, rate in (
            ("damp_mould", damp),
            ("disrepair", np.full(len(t.household), 0.12)),
            ("overcrowding", np.where(t.overcrowded, 0.3, 0.0)),
        )
    ]
    tenancy = np.concatenate([e.person for _, e in reports])
    when = np.concatenate([e.day for _, e in reports])
    categories = np.concatenate([np.full(len(e.person), c, dtype=object) for c, e in reports])
    row = rows.file_events(tenancy, config.errors.duplicate_event_share, rng)
    files.append(
        f"{FOLDER}/property_reports.csv",
        {
            "tenancy_ref": pick(keys, row),
            "report_ref": opaque_keys(
                "RPT-", 9, world.chunk, len(row), salt(config.seed, "report_ref")
            ),
            "report_date": format_days(when, SLASHED),
            "category": categories,
            "severity": np.array(["low", "medium", "high"], dtype=object)[
                rng.choice(3, len(row), p=[0.5, 0.35, 0.15])
            ],
        },
        order=rng.permutation(len(row)),
    )
