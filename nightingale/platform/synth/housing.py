"""What social landlords send: tenancies (lead tenant's identifiers) and property reports.

A tenancy exists for every social home a household lives in during the window: homes
held since before the window, and new tenancies. New tenancies in the pilot's window go
to designed-for-health homes (efficient, dry, right-sized) when the pilot allocated
them; otherwise they are standard homes, some cold, damp or overcrowded.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from nightingale.platform.synth.config import SynthConfig
from nightingale.platform.synth.corruption import Identity
from nightingale.platform.synth.dates import DAYS_PER_YEAR, SLASHED, day, format_days
from nightingale.platform.synth.events import poisson_events
from nightingale.platform.synth.formatting import (
    PeopleRows,
    blank_where,
    person_ids,
    pick,
    quirky_numbers,
    quirky_postcodes,
    record,
    upper,
)
from nightingale.platform.synth.geography import DISTRICTS
from nightingale.platform.synth.homes import NEW_SOCIAL, SOCIAL
from nightingale.platform.synth.keys import opaque_keys, salt
from nightingale.platform.synth.population import HEAD
from nightingale.platform.synth.world import World
from nightingale.platform.synth.writer import CsvFiles

IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]

FOLDER = "extracts/housing"
EPC = np.array(list("ABCDEFG"), dtype=object)
STANDARD_EPC = np.array([0.0, 0.05, 0.32, 0.38, 0.15, 0.07, 0.03])
PILOT_EPC = np.array([0.55, 0.45, 0.0, 0.0, 0.0, 0.0, 0.0])
PROPERTY_TYPES = np.array(["flat", "house", "bungalow", "maisonette"], dtype=object)


def write_housing(
    config: SynthConfig,
    world: World,
    ni: ObjectArray,
    files: CsvFiles,
    truth: CsvFiles,
    rng: np.random.Generator,
) -> dict[int, str]:
    """Write the chunk's tenancies and reports; return household -> pilot tenancy key."""
    people, homes, geo = world.people, world.homes, world.geography
    head_of = np.full(len(homes), -1, dtype=np.int64)
    heads = np.flatnonzero(people.role == HEAD)
    head_of[people.household[heads]] = heads

    household = np.concatenate(
        [np.flatnonzero(homes.kind[:, 0] == SOCIAL), np.flatnonzero(homes.kind[:, 1] == NEW_SOCIAL)]
    )
    segment = np.repeat(
        [0, 1],
        [int((homes.kind[:, 0] == SOCIAL).sum()), int((homes.kind[:, 1] == NEW_SOCIAL).sum())],
    )
    lead = head_of[household]
    adult = people.dob[lead] + int(18 * DAYS_PER_YEAR)
    start = np.where(
        segment == 0,
        np.maximum(homes.tenancy0_start[household], adult),
        homes.start[household, 1],
    )
    next_move = homes.start[household, segment + 1]
    death = people.death[lead]
    extract_end = day(config.extract_date) + 1
    end = np.minimum(next_move, death)
    open_ = end >= extract_end
    end_reason = np.where(open_, "", np.where(death <= next_move, "deceased", "moved_out")).astype(
        object
    )
    unit = homes.postcode[household, segment]
    district = geo.lsoa_district[geo.postcode_lsoa[unit]]

    allocated = np.zeros(len(homes), dtype=bool)
    allocated[world.cohort.household[world.cohort.treated]] = True
    pilot_home = (segment == 1) & allocated[household]

    # Household size at the start: members born by then and still alive.
    size = np.zeros(len(household), dtype=np.int64)
    position = np.full((len(homes), 2), -1, dtype=np.int64)
    position[household, segment] = np.arange(len(household))
    for s in (0, 1):
        tenancy = position[people.household, s]
        present = tenancy >= 0
        when = start[np.maximum(tenancy, 0)]
        counted = present & (people.dob <= when) & (people.death > when)
        size += np.bincount(tenancy[counted], minlength=len(household))
    size = np.maximum(size, 1)
    needed = np.ceil(size / 2).astype(np.int64)
    bedrooms = np.where(
        pilot_home,
        np.maximum(needed, 1),
        np.clip(needed + rng.choice([-1, 0, 0, 1], len(household)), 1, 5),
    )
    epc = np.where(
        pilot_home,
        rng.choice(7, len(household), p=PILOT_EPC),
        rng.choice(7, len(household), p=STANDARD_EPC),
    )
    property_type = rng.choice(4, len(household), p=[0.45, 0.4, 0.1, 0.05])
    overcrowded = bedrooms < needed

    rows = PeopleRows.with_duplicates(len(household), config.errors.duplicate, rng)
    src = rows.source
    identity = Identity(
        forename=people.forename[lead],
        surname=people.surname[lead],
        birth_surname=people.birth_surname[lead],
        dob=people.dob[lead],
        postcode=geo.postcode[unit],
        previous_postcode=np.full(len(lead), "", dtype=object),
        ni=blank_where(
            rng.random(len(lead)) >= config.population.landlord_holds_ni_share, ni[lead]
        ),
    )
    recorded = record(identity, rows, config.errors, rng)
    held_ni = recorded.ni if recorded.ni is not None else np.full(len(src), None, dtype=object)
    keys = opaque_keys("TEN-", 8, world.chunk, len(src), salt(config.seed, "tenancy_ref"))
    person = lead[src]
    married = people.birth_surname[person] != people.surname[person]
    young = (start[src] - people.dob[person]) < 30 * DAYS_PER_YEAR
    title = np.where(
        ~people.female[person], "Mr", np.where(married, "Mrs", np.where(young, "Miss", "Ms"))
    ).astype(object)
    title[rng.random(len(src)) < 0.05] = None
    street = geo.postcode_street[unit[src]]
    number = homes.house[household[src], segment[src]]
    files.append(
        f"{FOLDER}/tenancies.csv",
        {
            "tenancy_ref": keys,
            "landlord": np.array([d.landlord for d in DISTRICTS], dtype=object)[district[src]],
            "tenant_title": title,
            "tenant_forename": recorded.forename,
            "tenant_surname": upper(recorded.surname),
            "tenant_dob": format_days(recorded.dob, SLASHED, recorded.dob_missing),
            "tenant_ni_number": quirky_numbers(held_ni, config.quirks.ni_number_spaced, False, rng),
            "address_line_1": np.char.add(np.char.add(number.astype(str), " "), street.astype(str)),
            "address_line_2": np.array([d.town for d in DISTRICTS], dtype=object)[district[src]],
            "postcode": quirky_postcodes(recorded.postcode, config.quirks, rng),
            "uprn": geo.uprn(unit[src], number),
            "district": np.array([d.name for d in DISTRICTS], dtype=object)[district[src]],
            "scheme": np.where(pilot_home[src], "designed_for_health", "standard"),
            "property_type": PROPERTY_TYPES[property_type[src]],
            "bedrooms": bedrooms[src],
            "epc_band": EPC[epc[src]],
            "household_size": size[src],
            "overcrowded": np.where(overcrowded[src], "Y", "N"),
            "tenancy_start": format_days(start[src], SLASHED),
            "tenancy_end": format_days(np.minimum(end[src], extract_end - 1), SLASHED, open_[src]),
            "end_reason": end_reason[src],
        },
        order=rng.permutation(len(src)),
    )
    truth.append(
        "truth/records.csv",
        {
            "provider": np.full(len(src), "housing", dtype=object),
            "file": np.full(len(src), "tenancies.csv", dtype=object),
            "local_key": keys,
            "person_id": person_ids(people.global_index[person]),
            "duplicate": rows.duplicate,
            "errors": recorded.errors,
        },
    )

    damp = np.where(epc >= 4, 0.25, np.where(epc >= 2, 0.06, 0.01))
    window = day(config.window_start)
    report_start = np.maximum(start, window)
    report_end = np.maximum(np.minimum(end, extract_end), report_start)
    reports = []
    for category, rate in (
        ("damp_mould", damp),
        ("disrepair", np.full(len(household), 0.12)),
        ("overcrowding", np.where(overcrowded, 0.3, 0.0)),
    ):
        events = poisson_events(rate, report_start, report_end, rng)
        reports.append((category, events))
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
    pilot_rows = np.flatnonzero(segment == 1)
    return {int(household[i]): str(keys[i]) for i in pilot_rows}
