"""What the employment provider sends: customers, employment spells, earnings, claims."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from nightingale.synth.config import SynthConfig
from nightingale.synth.corruption import Identity
from nightingale.synth.dates import COMPACT, YEAR_MONTH, day, format_days, month_start
from nightingale.synth.employment import runs
from nightingale.synth.formatting import (
    PeopleRows,
    append_truth,
    money,
    pick,
    quirky_numbers,
    quirky_postcodes,
    record,
    upper,
)
from nightingale.synth.keys import opaque_keys, salt
from nightingale.synth.world import World
from nightingale.synth.writer import CsvFiles

IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]

FOLDER = "extracts/employment"
UC_FROM = day(dt.date(2019, 1, 1))  # Universal Credit replaces JSA and ESA for new claims


def write_employment(
    config: SynthConfig,
    world: World,
    ni: ObjectArray,
    files: CsvFiles,
    truth: CsvFiles,
    rng: np.random.Generator,
) -> None:
    """Write the chunk's employment extract rows and their truth records."""
    people, homes, geo, work = world.people, world.homes, world.geography, world.work
    known = work.employed.any(axis=1) | work.claiming.any(axis=1)
    person = np.flatnonzero(known)
    last_day = np.maximum(world.obs.end[person] - 1, world.obs.start[person])
    household = people.household[person]
    segment = homes.segment_at(household, last_day)
    unit = homes.postcode[household, segment]
    previous = np.where(segment > 0, homes.postcode[household, np.maximum(segment - 1, 0)], -1)
    identity = Identity(
        forename=people.forename[person],
        surname=people.surname[person],
        birth_surname=people.birth_surname[person],
        dob=people.dob[person],
        postcode=geo.postcode[unit],
        previous_postcode=np.where(previous >= 0, geo.postcode[np.maximum(previous, 0)], ""),
        ni=ni[person],
    )
    rows = PeopleRows.with_duplicates(len(person), config.errors.duplicate, rng)
    recorded = record(identity, rows, config.errors, rng)
    src = rows.source
    keys = opaque_keys("C", 9, world.chunk, len(src), salt(config.seed, "customer_ref"))
    assert recorded.ni is not None
    files.append(
        f"{FOLDER}/claimants.csv",
        {
            "customer_ref": keys,
            "ni_number": quirky_numbers(recorded.ni, config.quirks.ni_number_spaced, False, rng),
            "first_name": upper(recorded.forename),
            "last_name": upper(recorded.surname),
            "dob": format_days(recorded.dob, COMPACT, recorded.dob_missing),
            "gender": np.where(people.female[person[src]], "2", "1"),
            "postcode": quirky_postcodes(recorded.postcode, config.quirks, rng),
        },
        order=rng.permutation(len(src)),
    )
    append_truth(
        truth, "employment", "claimants.csv", keys, people.global_index[person[src]], rows, recorded
    )

    row_of = np.full(len(people), -1, dtype=np.int64)
    row_of[person] = np.arange(len(person))
    _write_work_events(config, world, keys, rows, row_of, files, rng)


def _write_work_events(
    config: SynthConfig,
    world: World,
    keys: npt.NDArray[np.str_],
    rows: PeopleRows,
    row_of: IntArray,
    files: CsvFiles,
    rng: np.random.Generator,
) -> None:
    """Employment spells, monthly earnings and benefit claims, filed under customers."""
    work = world.work
    share = config.errors.duplicate_event_share
    months = work.employed.shape[1]
    still_observed = world.obs.end > day(config.extract_date)

    def spells(
        matrix: npt.NDArray[np.bool_],
    ) -> tuple[IntArray, IntArray, IntArray, npt.NDArray[np.bool_]]:
        who, first, last = runs(matrix)
        ongoing = (last == months - 1) & still_observed[who]
        start = month_start(work.first_month + first)
        end = month_start(work.first_month + last + 1) - 1
        return who, start, end, ongoing

    who, start, end, ongoing = spells(work.employed)
    began_before = (start == month_start(np.array([work.first_month]))[0]) & (
        world.obs.start[who] <= day(config.window_start)
    )
    back = np.minimum(rng.geometric(np.clip(work.job_loss[who], 1e-3, 1.0)), 240)
    start = np.where(began_before, month_start(work.first_month - back), start)
    row = rows.file_events(row_of[who], share, rng)
    files.append(
        f"{FOLDER}/employment_spells.csv",
        {
            "customer_ref": pick(keys, row),
            "spell_id": opaque_keys("S", 10, world.chunk, len(row), salt(config.seed, "spell_id")),
            "start_date": format_days(start, COMPACT),
            "end_date": format_days(end, COMPACT, ongoing),
            "hours": np.where(work.part_time[who], "part_time", "full_time"),
        },
        order=rng.permutation(len(row)),
    )

    who, column = np.nonzero(work.employed)
    shuffle = rng.permutation(len(who))  # cheaper on integers than on the written strings
    who, column = who[shuffle], column[shuffle]
    pence = np.round(work.monthly_pay[who] * np.exp(world.pay_noise[who, column]) * 100).astype(
        np.int64
    )
    row = rows.file_events(row_of[who], share, rng)
    files.append(
        f"{FOLDER}/earnings.csv",
        {
            "customer_ref": pick(keys, row),
            "pay_month": format_days(month_start(work.first_month + column), YEAR_MONTH),
            "gross_pay": money(pence),
        },
    )

    who, start, end, ongoing = spells(work.claiming)
    sick = work.sickness[who]
    benefit = np.where(start >= UC_FROM, "UC", np.where(sick, "ESA", "JSA")).astype(object)
    row = rows.file_events(row_of[who], share, rng)
    files.append(
        f"{FOLDER}/benefit_claims.csv",
        {
            "customer_ref": pick(keys, row),
            "claim_id": opaque_keys("B", 10, world.chunk, len(row), salt(config.seed, "claim_id")),
            "benefit": benefit,
            "claim_start": format_days(start, COMPACT),
            "claim_end": format_days(end, COMPACT, ongoing),
            "sickness_related": np.where(sick, "Y", "N"),
        },
        order=rng.permutation(len(row)),
    )
