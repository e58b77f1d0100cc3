"""What the health provider sends: GP registrations and the events filed under them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nightingale.synth.coding import icd10_chapter
from nightingale.synth.conditions import death_causes
from nightingale.synth.config import SynthConfig
from nightingale.synth.corruption import Identity
from nightingale.synth.dates import ISO, day, format_days
from nightingale.synth.eq5d import DIMENSIONS, VISITS
from nightingale.synth.formatting import (
    PeopleRows,
    append_truth,
    pick,
    quirky_numbers,
    quirky_postcodes,
    record,
)
from nightingale.synth.health import Registrations, registration_of, registrations
from nightingale.synth.identifiers import issue_nhs_numbers
from nightingale.synth.keys import opaque_keys, salt
from nightingale.synth.population import NEVER
from nightingale.synth.world import World
from nightingale.synth.writer import Column, CsvFiles

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
    filing = Filing(world, regs, rows, keys, config.errors.duplicate_event_share, rng)
    _write_admissions(config, world, filing, files)
    _write_attendances_and_consultations(config, world, filing, files)
    _write_eq5d(world, filing, files)
    _write_deaths(world, filing, files)


@dataclass
class Filing:
    """Files a person's events under the registration current on the day (or its duplicate)."""

    world: World
    registrations: Registrations
    rows: PeopleRows
    keys: npt.NDArray[np.str_]
    duplicate_share: float
    rng: np.random.Generator

    def file(self, person: IntArray, days: IntArray) -> tuple[IntArray, IntArray]:
        """Positions of the events that are filed, in random order, and their people-file rows.

        Events of people who are not registered are not in the extract; event files have no
        meaningful row order, so the positions come shuffled.
        """
        people, homes = self.world.people, self.world.homes
        original = registration_of(self.registrations, people, homes, person, days)
        positions = np.flatnonzero(original >= 0)
        positions = positions[self.rng.permutation(len(positions))]
        row = self.rows.file_events(original[positions], self.duplicate_share, self.rng)
        return positions, row

    def patient_ids(self, row: IntArray) -> Column:
        return pick(self.keys, row)


def _write_admissions(config: SynthConfig, world: World, filing: Filing, files: CsvFiles) -> None:
    events = world.events["emergency"].concat(world.events["elective"])
    keep, row = filing.file(events.person, events.day)
    admitted = events.day[keep]
    stay = np.asarray(events.columns["length_of_stay"][keep], dtype=np.int64)
    discharged = np.minimum(admitted + stay, day(config.extract_date))
    emergency = events.columns["emergency"][keep]
    primary = np.asarray(events.columns["diag_primary"][keep], dtype=object)
    files.append(
        f"{FOLDER}/admissions.csv",
        {
            "patient_id": filing.patient_ids(row),
            "admission_id": opaque_keys(
                "A", 10, world.chunk, len(keep), salt(config.seed, "admission_id")
            ),
            "admission_date": format_days(admitted, ISO),
            "discharge_date": format_days(discharged, ISO),
            "admission_method": np.where(emergency, "emergency", "elective"),
            "diag_primary": primary,
            "diag_secondary": events.columns["diag_secondary"][keep],
            "proc_primary": events.columns["proc_primary"][keep],
            "icd10_chapter": chapters(primary),
        },
    )


def chapters(codes: ObjectArray) -> ObjectArray:
    """The ICD-10 chapter of each code (Roman numeral)."""
    unique, inverse = np.unique(codes.astype(str), return_inverse=True)
    return np.array([icd10_chapter(c) for c in unique], dtype=object)[inverse]


def _write_attendances_and_consultations(
    config: SynthConfig, world: World, filing: Filing, files: CsvFiles
) -> None:
    events = world.events["ae"]
    keep, row = filing.file(events.person, events.day)
    files.append(
        f"{FOLDER}/ae_attendances.csv",
        {
            "patient_id": filing.patient_ids(row),
            "attendance_id": opaque_keys(
                "E", 10, world.chunk, len(keep), salt(config.seed, "attendance_id")
            ),
            "arrival_date": format_days(events.day[keep], ISO),
            "arrival_mode": events.columns["arrival_mode"][keep],
        },
    )
    events = world.events["gp"]
    keep, row = filing.file(events.person, events.day)
    files.append(
        f"{FOLDER}/gp_consultations.csv",
        {
            "patient_id": filing.patient_ids(row),
            "consultation_date": format_days(events.day[keep], ISO),
            "consultation_type": events.columns["consultation_type"][keep],
            "snomed_code": events.columns["snomed_code"][keep],
        },
    )


def _write_eq5d(world: World, filing: Filing, files: CsvFiles) -> None:
    answers = world.questionnaires
    keep, row = filing.file(answers.person, answers.day)
    table: dict[str, Column] = {
        "patient_id": filing.patient_ids(row),
        "response_date": format_days(answers.day[keep], ISO),
        "visit": np.array(VISITS, dtype=object)[answers.visit[keep]],
    }
    for i, dimension in enumerate(DIMENSIONS):
        table[dimension] = answers.levels[keep, i]
    table["eq_vas"] = answers.vas[keep]
    files.append(f"{FOLDER}/eq5d.csv", table)


def _write_deaths(world: World, filing: Filing, files: CsvFiles) -> None:
    """Deaths the GP record knows of (in the region, before the extract), on the last row."""
    people, regs = world.people, filing.registrations
    died = np.flatnonzero((people.death < NEVER) & (people.death == world.obs.end))
    last = np.full(len(people), -1, dtype=np.int64)
    order = np.argsort(regs.start, kind="stable")
    last[regs.person[order]] = order  # later registrations overwrite earlier ones
    died = died[last[died] >= 0]
    died = died[filing.rng.permutation(len(died))]
    cause = death_causes(len(died), filing.rng)
    files.append(
        f"{FOLDER}/deaths.csv",
        {
            "patient_id": filing.patient_ids(last[died]),
            "date_of_death": format_days(people.death[died], ISO),
            "underlying_cause": cause,
            "icd10_chapter": chapters(cause),
        },
    )
