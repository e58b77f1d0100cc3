"""What the health provider sends: GP registrations and the events filed under them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from nightingale.platform.synth.config import SynthConfig
from nightingale.platform.synth.corruption import Identity
from nightingale.platform.synth.dates import ISO, day, format_days
from nightingale.platform.synth.eq5d import DIMENSIONS, VISITS
from nightingale.platform.synth.formatting import (
    PeopleRows,
    append_truth,
    pick,
    quirky_numbers,
    quirky_postcodes,
    record,
)
from nightingale.platform.synth.health import (
    CHAPTERS,
    DEATH_CHAPTERS,
    registration_of,
    registrations,
)
from nightingale.platform.synth.identifiers import issue_nhs_numbers
from nightingale.platform.synth.keys import opaque_keys, salt
from nightingale.platform.synth.population import NEVER
from nightingale.platform.synth.world import World
from nightingale.platform.synth.writer import Column, CsvFiles

IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]

FOLDER = "extracts/health"


def nhs_numbers(config: SynthConfig, world: World) -> ObjectArray:
    """The true NHS number of each person of the chunk."""
    return issue_nhs_numbers(world.people.global_index, salt(config.seed, "nhs") % 10**8)


def write_health(
    config: SynthConfig, world: World, files: CsvFiles, truth: CsvFiles, rng: np.random.Generator
) -> None:
    """Write the chunk's health extract rows and their truth records."""
    people, homes, geo = world.people, world.homes, world.geography
    regs = registrations(config, people, homes, world.obs, world.registered, rng)
    rows = PeopleRows.with_duplicates(len(regs.person), config.errors.duplicate, rng)
    person = regs.person[rows.source]
    postcode_unit = regs.postcode[rows.source]
    household = people.household[regs.person]
    earlier = homes.postcode[household, np.maximum(regs.segment - 1, 0)]
    identity = Identity(
        forename=people.forename[regs.person],
        surname=people.surname[regs.person],
        birth_surname=people.birth_surname[regs.person],
        dob=people.dob[regs.person],
        postcode=geo.postcode[regs.postcode],
        previous_postcode=np.where(regs.segment == 0, "", geo.postcode[earlier]).astype(object),
        nhs=nhs_numbers(config, world)[regs.person],
    )
    recorded = record(identity, rows, config.errors, rng)
    keys = opaque_keys("P", 9, world.chunk, len(person), salt(config.seed, "patient_id"))
    lsoa = geo.postcode_lsoa[postcode_unit]
    files.append(
        f"{FOLDER}/gp_registrations.csv",
        {
            "patient_id": keys,
            "practice_code": np.char.add("B", (10_000 + lsoa // 3).astype(str)),
            "nhs_number": quirky_numbers(recorded.nhs, config.quirks.nhs_number_spaced, True, rng)
            if recorded.nhs is not None
            else np.full(len(person), None, dtype=object),
            "forename": recorded.forename,
            "surname": recorded.surname,
            "date_of_birth": format_days(recorded.dob, ISO, recorded.dob_missing),
            "sex": np.where(people.female[person], "F", "M"),
            "postcode": quirky_postcodes(recorded.postcode, config.quirks, rng),
            "registration_date": format_days(regs.start[rows.source], ISO),
            "deregistration_date": format_days(
                np.minimum(regs.end[rows.source], day(config.extract_date)),
                ISO,
                regs.end[rows.source] >= NEVER,
            ),
            "deregistration_reason": regs.reason[rows.source],
            "lsoa_code": geo.lsoa_code[lsoa],
            "imd_decile": geo.lsoa_imd[lsoa],
            "ltc_count": people.ltc[person],
        },
        order=rng.permutation(len(person)),
    )
    append_truth(
        truth, "health", "gp_registrations.csv", keys, people.global_index[person], rows, recorded
    )

    def filed(person_of: IntArray, day_of: IntArray) -> IntArray:
        original = registration_of(regs, people, homes, person_of, day_of)
        row = np.full(len(original), -1, dtype=np.int64)
        known = original >= 0
        row[known] = rows.file_events(original[known], config.errors.duplicate_event_share, rng)
        return row

    def kept(row: IntArray) -> IntArray:
        """Positions of filed events, in random order (event files have no meaningful order)."""
        positions = np.flatnonzero(row >= 0)
        return positions[rng.permutation(len(positions))]

    _admissions(config, world, files, keys, filed, kept)
    for kind, name, columns in (
        ("ae", "ae_attendances.csv", ("arrival_mode",)),
        ("gp", "gp_consultations.csv", ("consultation_type",)),
    ):
        events = world.events[kind]
        row = filed(events.person, events.day)
        keep = kept(row)
        table: dict[str, Column] = {"patient_id": pick(keys, row[keep])}
        if kind == "ae":
            table["attendance_id"] = opaque_keys(
                "E", 10, world.chunk, len(keep), salt(config.seed, "attendance_id")
            )
            table["arrival_date"] = format_days(events.day[keep], ISO)
        else:
            table["consultation_date"] = format_days(events.day[keep], ISO)
        for column in columns:
            table[column] = events.columns[column][keep]
        files.append(f"{FOLDER}/{name}", table)

    answers = world.questionnaires
    row = filed(answers.person, answers.day)
    keep = kept(row)
    eq5d: dict[str, Column] = {
        "patient_id": pick(keys, row[keep]),
        "response_date": format_days(answers.day[keep], ISO),
        "visit": np.array(VISITS, dtype=object)[answers.visit[keep]],
    }
    for i, dimension in enumerate(DIMENSIONS):
        eq5d[dimension] = answers.levels[keep, i]
    eq5d["eq_vas"] = answers.vas[keep]
    files.append(f"{FOLDER}/eq5d.csv", eq5d)

    # Deaths the GP record knows of: in the region, before the extract.
    died = np.flatnonzero((people.death < NEVER) & (people.death == world.obs.end))
    last = np.full(len(people), -1, dtype=np.int64)
    order = np.argsort(regs.start, kind="stable")
    last[regs.person[order]] = order  # later registrations overwrite earlier ones
    died = died[last[died] >= 0]
    died = died[rng.permutation(len(died))]
    cause = rng.choice(len(CHAPTERS), size=len(died), p=DEATH_CHAPTERS)
    files.append(
        f"{FOLDER}/deaths.csv",
        {
            "patient_id": pick(keys, last[died]),
            "date_of_death": format_days(people.death[died], ISO),
            "icd10_chapter": CHAPTERS[cause],
        },
    )


def _admissions(
    config: SynthConfig,
    world: World,
    files: CsvFiles,
    keys: npt.NDArray[np.str_],
    filed: Callable[[IntArray, IntArray], IntArray],
    kept: Callable[[IntArray], IntArray],
) -> None:
    emergency, elective = world.events["emergency"], world.events["elective"]
    events = emergency.concat(elective)
    row = filed(events.person, events.day)
    keep = kept(row)
    admitted = events.day[keep]
    stay = np.asarray(events.columns["length_of_stay"][keep], dtype=np.int64)
    discharged = np.minimum(admitted + stay, day(config.extract_date))
    files.append(
        f"{FOLDER}/admissions.csv",
        {
            "patient_id": pick(keys, row[keep]),
            "admission_id": opaque_keys(
                "A", 10, world.chunk, len(keep), salt(config.seed, "admission_id")
            ),
            "admission_date": format_days(admitted, ISO),
            "discharge_date": format_days(discharged, ISO),
            "admission_method": np.where(
                events.columns["emergency"][keep], "emergency", "elective"
            ),
            "icd10_chapter": events.columns["icd10_chapter"][keep],
        },
    )
