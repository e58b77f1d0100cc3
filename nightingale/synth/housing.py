"""What social landlords send: tenancies (lead tenant's identifiers), property reports
and repairs.

A tenancy exists for every social home a household lives in during the window: homes
held since before the window, and new tenancies. New tenancies in the pilot's window go
to designed-for-health homes (efficient, dry, right-sized) when the pilot allocated
them; otherwise they are standard homes, some cold, damp or overcrowded. A home's EPC
band is drawn with the home (``homes``), because a cold first home also raises its
residents' respiratory illness (``conditions``); damp reports and damp-and-mould
repairs are likelier in cold homes and rare in designed-for-health ones.
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
from nightingale.synth.homes import COLD_FROM, EPC_BANDS, NEW_SOCIAL, SOCIAL
from nightingale.synth.keys import opaque_keys, salt
from nightingale.synth.population import CHILD, HEAD, People
from nightingale.synth.world import World
from nightingale.synth.writer import CsvFiles

IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]

FOLDER = "extracts/housing"
EPC = np.array(list(EPC_BANDS), dtype=object)
REPAIR_TYPES = np.array(
    ["damp_mould", "heating", "plumbing", "electrical", "roof", "windows_doors", "carpentry",
     "plastering"],
    dtype=object,
)  # fmt: skip
#: Repair types by kind of home: ordinary, cold (EPC E-G), designed for health.
REPAIR_MIX = np.array(
    [
        [0.04, 0.14, 0.22, 0.12, 0.06, 0.12, 0.18, 0.12],
        [0.15, 0.20, 0.18, 0.09, 0.07, 0.11, 0.10, 0.10],
        [0.01, 0.10, 0.25, 0.15, 0.04, 0.10, 0.20, 0.15],
    ]
)
#: Repairs of a possible source of damp (a leak, a failed window) flagged damp-and-mould.
LEAK_TYPES = ("plumbing", "roof", "windows_doors", "plastering")
PRIORITIES = np.array(["emergency", "urgent", "routine"], dtype=object)
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
    bedroom_standard: IntArray  # bedrooms the household needs
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

    size, needed = _households_at_start(people, len(homes), household, segment, start)
    n = len(household)
    offered = np.where(pilot_home, needed, needed + rng.choice([-1, 0, 0, 1], n))
    bedrooms = np.clip(offered, 1, 5).astype(np.int64)
    epc = homes.epc[household, segment]
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
        bedroom_standard=needed,
        bedrooms=bedrooms,
        epc=epc,
        property_type=rng.choice(4, n, p=[0.45, 0.4, 0.1, 0.05]).astype(np.int64),
        overcrowded=bedrooms < needed,
    )


def _households_at_start(
    people: People, households: int, household: IntArray, segment: IntArray, start: IntArray
) -> tuple[IntArray, IntArray]:
    """Per tenancy: people living in the home at its start, and the bedroom standard.

    The bedroom standard (English Housing Survey): a bedroom for the couple or lone
    head, one for each other person aged 21 or over, one for each pair of children of
    the same sex aged 10-20, and one for each pair of children under 10; a 10-20 year
    old left over shares with a same-sex child under 10 where there is one.
    """
    n = len(household)
    position = np.full((households, 2), -1, dtype=np.int64)
    position[household, segment] = np.arange(n)
    names = ("size", "adults", "own", "boys", "girls", "little_boys", "little_girls")
    counts = {name: np.zeros(n, dtype=np.int64) for name in names}
    for s in (0, 1):
        tenancy = position[people.household, s]
        when = start[np.maximum(tenancy, 0)]
        present = (tenancy >= 0) & (people.dob <= when) & (people.death > when)
        age = (when - people.dob) / DAYS_PER_YEAR
        child = people.role == CHILD
        groups = {
            "size": present,
            "adults": present & ~child,
            "own": present & child & (age >= 21),
            "boys": present & child & (age >= 10) & (age < 21) & ~people.female,
            "girls": present & child & (age >= 10) & (age < 21) & people.female,
            "little_boys": present & child & (age < 10) & ~people.female,
            "little_girls": present & child & (age < 10) & people.female,
        }
        for name, mask in groups.items():
            counts[name] += np.bincount(tenancy[mask], minlength=n)
    rooms = (counts["adults"] > 0) + counts["own"] + counts["boys"] // 2 + counts["girls"] // 2
    little = counts["little_boys"] + counts["little_girls"]
    for teens, kids in (("boys", "little_boys"), ("girls", "little_girls")):
        odd = counts[teens] % 2
        rooms = rooms + odd
        little = little - (odd & (counts[kids] > 0))
    rooms = rooms + (little + 1) // 2
    return np.maximum(counts["size"], 1), np.maximum(rooms, 1).astype(np.int64)


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
            "bedroom_standard": t.bedroom_standard[src],
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
    damp_propensity = rng.gamma(2.0, 0.5, len(t.household))
    _write_reports(config, world, t, rows, keys, files, damp_propensity, rng)
    _write_repairs(config, world, t, rows, keys, files, damp_propensity, rng)
    new = np.flatnonzero(t.segment == 1)
    return {int(t.household[i]): str(keys[i]) for i in new}


def _write_reports(
    config: SynthConfig,
    world: World,
    t: Tenancies,
    rows: PeopleRows,
    keys: npt.NDArray[np.str_],
    files: CsvFiles,
    damp_propensity: npt.NDArray[np.float64],
    rng: np.random.Generator,
) -> None:
    """Damp and mould (likelier in cold homes), disrepair and overcrowding reports."""
    damp = np.where(t.epc >= COLD_FROM, 0.25, np.where(t.epc >= 2, 0.06, 0.01)) * damp_propensity
    report_start, report_end = _in_window(config, t)
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


def _in_window(config: SynthConfig, t: Tenancies) -> tuple[IntArray, IntArray]:
    """The part of each tenancy inside the window: [start, end)."""
    start = np.maximum(t.start, day(config.window_start))
    end = np.maximum(np.minimum(t.end, day(config.extract_date) + 1), start)
    return start.astype(np.int64), end.astype(np.int64)


def _write_repairs(
    config: SynthConfig,
    world: World,
    t: Tenancies,
    rows: PeopleRows,
    keys: npt.NDArray[np.str_],
    files: CsvFiles,
    damp_propensity: npt.NDArray[np.float64],
    rng: np.random.Generator,
) -> None:
    """Responsive repairs: more in older, colder homes, fewer in designed-for-health ones.

    A repair is flagged damp-and-mould when it treats damp and mould or fixes a likely
    source of damp (a leak, a failed window), likelier in cold homes and for tenancies
    that report damp (the same ``damp_propensity``).
    """
    cold = t.epc >= COLD_FROM
    kind = np.where(t.pilot_home, 2, np.where(cold, 1, 0))
    rate = np.where(t.pilot_home, 0.4, 1.0 + 0.15 * t.epc)
    start, end = _in_window(config, t)
    repairs = poisson_events(rate, start, end, rng)
    tenancy, reported = repairs.person, repairs.day
    n = len(tenancy)
    cumulative = np.cumsum(REPAIR_MIX[kind[tenancy]], axis=1)
    repair_type = REPAIR_TYPES[
        np.minimum((cumulative < rng.random(n)[:, None]).sum(axis=1), len(REPAIR_TYPES) - 1)
    ]
    leak_chance = np.where(t.pilot_home, 0.02, np.where(cold, 0.3, 0.1))[tenancy]
    leak = np.isin(repair_type, LEAK_TYPES) & (
        rng.random(n) < np.minimum(leak_chance * damp_propensity[tenancy], 1.0)
    )
    damp = (repair_type == "damp_mould") | leak
    priority = rng.choice(3, n, p=[0.1, 0.3, 0.6])
    low, high = np.array([0, 1, 3])[priority], np.array([2, 8, 61])[priority]
    completed = reported + rng.integers(low, high)
    row = rows.file_events(tenancy, config.errors.duplicate_event_share, rng)
    files.append(
        f"{FOLDER}/repairs.csv",
        {
            "tenancy_ref": pick(keys, row),
            "repair_ref": opaque_keys("REP-", 9, world.chunk, n, salt(config.seed, "repair_ref")),
            "reported_date": format_days(reported, SLASHED),
            "completed_date": format_days(
                np.minimum(completed, day(config.extract_date)),
                SLASHED,
                completed > day(config.extract_date),
            ),
            "repair_type": repair_type,
            "priority": PRIORITIES[priority],
            "damp_mould": np.where(damp, "Y", "N"),
        },
        order=rng.permutation(n),
    )
