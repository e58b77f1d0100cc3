"""Identifier errors happen at the configured rates, and the truth logs each one."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from nightingale.synth.config import ErrorRates
from nightingale.synth.corruption import Identity, corrupt
from nightingale.synth.dates import year_month_day
from nightingale.synth.identifiers import issue_nhs_numbers, nhs_is_valid
from tests.synth.conftest import SMALL, rows

N = 20_000


def within(observed: int, trials: int, rate: float, sds: float = 4.5) -> bool:
    """Is a count consistent with a binomial rate (normal approximation, generous)?"""
    expected = trials * rate
    return abs(observed - expected) <= sds * math.sqrt(max(expected * (1 - rate), 1.0))


@pytest.fixture(scope="module")
def sample() -> tuple[Identity, ErrorRates, object]:
    rng = np.random.default_rng(4)
    forenames = np.array(["Robert", "Sarah", "Elizabeth", "Ian"] * (N // 4), dtype=object)
    married = rng.random(N) < 0.3
    identity = Identity(
        forename=forenames,
        surname=np.full(N, "Walker", dtype=object),
        birth_surname=np.where(married, "Hartley", "Walker").astype(object),
        dob=rng.integers(-10_000, 15_000, N).astype(np.int64),
        postcode=np.full(N, "LS6 2AB", dtype=object),
        previous_postcode=np.where(rng.random(N) < 0.4, "BD1 4QT", "").astype(object),
        nhs=issue_nhs_numbers(np.arange(N, dtype=np.int64), salt=1),
        ni=np.where(rng.random(N) < 0.9, "AB123456C", None).astype(object),
    )
    rates = ErrorRates(**{name: 0.08 for name in ErrorRates.model_fields})
    return identity, rates, corrupt(identity, rates, np.random.default_rng(5))


def logged(recorded: object, name: str) -> np.ndarray:
    errors = recorded.errors  # type: ignore[attr-defined]
    return np.array([name in e.split(";") for e in errors])


def test_each_error_happens_at_its_rate_among_eligible_rows(sample: tuple) -> None:
    identity, rates, recorded = sample
    _, month, dom = year_month_day(identity.dob)
    eligible = {
        "nickname": np.isin(identity.forename, ["Robert", "Elizabeth"]),
        "birth_surname": identity.birth_surname != identity.surname,
        "dob_day_month_swapped": (dom <= 12) & (dom != month),
        "postcode_old": identity.previous_postcode != "",
        "ni_number_digit": np.array([v is not None for v in identity.ni]),
    }
    for name in (
        "forename_typo",
        "surname_typo",
        "dob_digit",
        "postcode_typo",
        "postcode_missing",
        "nhs_number_digit",
        "nhs_number_missing",
        *eligible,
    ):
        rows_eligible = eligible.get(name, np.ones(N, dtype=bool))
        hits = logged(recorded, name)
        assert not (hits & ~rows_eligible).any(), name
        assert within(int(hits.sum()), int(rows_eligible.sum()), getattr(rates, name)), name


def test_the_log_says_exactly_which_rows_differ(sample: tuple) -> None:
    identity, _, recorded = sample
    dob_errors = logged(recorded, "dob_day_month_swapped") | logged(recorded, "dob_digit")
    assert ((recorded.dob != identity.dob) == dob_errors).all()
    nhs_present = np.array([v is not None for v in recorded.nhs])
    corrupted = logged(recorded, "nhs_number_digit")
    valid = nhs_is_valid(recorded.nhs[nhs_present])
    assert (valid == ~corrupted[nhs_present]).all()
    assert (~nhs_present == logged(recorded, "nhs_number_missing")).all()
    surname_errors = logged(recorded, "birth_surname") | logged(recorded, "surname_typo")
    assert ((recorded.surname != identity.surname) == surname_errors).all()


def test_nicknames_come_from_the_nickname_table(sample: tuple) -> None:
    _, _, recorded = sample
    nick = (
        logged(recorded, "nickname")
        & ~logged(recorded, "forename_typo")
        & ~logged(recorded, "forename_missing")
    )
    seen = set(recorded.forename[nick])
    assert seen <= {"Bob", "Rob", "Bobby", "Liz", "Beth", "Lizzie"}
    assert len(seen) > 3


def test_no_errors_when_switched_off(sample: tuple) -> None:
    identity, _, _ = sample
    clean = corrupt(identity, ErrorRates.none(), np.random.default_rng(1))
    assert set(clean.errors) == {""}
    assert (clean.dob == identity.dob).all()
    assert (clean.forename == identity.forename).all()


def test_region_error_and_duplicate_rates_match_the_configuration(small_region: Path) -> None:
    records = list(rows(small_region / "truth" / "records.csv"))
    rates = SMALL.errors
    originals = [r for r in records if r["duplicate"] == "0"]
    duplicates = len(records) - len(originals)
    assert within(duplicates, len(originals), rates.duplicate)
    for name in ("forename_typo", "surname_typo", "dob_digit", "postcode_missing", "dob_missing"):
        hits = sum(name in r["errors"].split(";") for r in records)
        assert within(hits, len(records), getattr(rates, name)), name
    health = [r for r in records if r["provider"] == "health"]
    for name in ("nhs_number_digit", "nhs_number_missing"):
        hits = sum(name in r["errors"].split(";") for r in health)
        assert within(hits, len(health), getattr(rates, name)), name


def test_swapped_dates_swap_day_and_month_and_old_postcodes_are_the_previous_ones(
    sample: tuple,
) -> None:
    identity, _, recorded = sample
    only_swap = logged(recorded, "dob_day_month_swapped") & ~logged(recorded, "dob_digit")
    year, month, dom = year_month_day(recorded.dob[only_swap])
    true_year, true_month, true_dom = year_month_day(identity.dob[only_swap])
    assert only_swap.any()
    assert (year == true_year).all() and (month == true_dom).all() and (dom == true_month).all()
    old = (
        logged(recorded, "postcode_old")
        & ~logged(recorded, "postcode_typo")
        & ~logged(recorded, "postcode_missing")
    )
    assert old.any()
    assert (recorded.postcode[old] == identity.previous_postcode[old]).all()
