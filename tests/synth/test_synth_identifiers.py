"""NHS numbers pass Modulus 11, NI numbers have a valid format, and both are unique."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from nightingale.synth.corruption import typo
from nightingale.synth.identifiers import (
    NI_PREFIXES,
    issue_nhs_numbers,
    issue_ni_numbers,
    nhs_check_digit,
    nhs_is_valid,
    spaced_nhs,
)

NI_FORMAT = re.compile(r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")


def test_the_nhs_example_number_is_valid_and_its_neighbours_are_not() -> None:
    assert nhs_is_valid(["9434765919", "943 476 5919"]).tolist() == [True, True]
    assert nhs_is_valid(["9434765918", "943476591", "", "94347659x9"]).tolist() == [False] * 4


def test_issued_nhs_numbers_are_valid_unique_and_ten_digits() -> None:
    numbers = issue_nhs_numbers(np.arange(50_000, dtype=np.int64) + 1_234_567, salt=98_765)
    assert len(set(numbers)) == len(numbers)
    assert all(len(n) == 10 and n.isdigit() and n[0] in "4567" for n in numbers)
    assert nhs_is_valid(numbers).all()


@given(st.integers(0, 10**7), st.integers(0, 9), st.integers(1, 9))
def test_any_single_wrong_digit_fails_modulus_11(index: int, position: int, shift: int) -> None:
    number = issue_nhs_numbers(np.array([index], dtype=np.int64), salt=3)[0]
    wrong = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assert not nhs_is_valid([wrong])[0]


def test_check_digit_ten_is_never_issued() -> None:
    numbers = issue_nhs_numbers(np.arange(20_000, dtype=np.int64), salt=5)
    bases = np.array([int(n[:9]) for n in numbers], dtype=np.int64)
    assert (nhs_check_digit(bases) != 10).all()


def test_spaced_layout_is_three_three_four() -> None:
    assert spaced_nhs("9434765919") == "943 476 5919"


def test_ni_numbers_have_valid_format_and_are_unique() -> None:
    rng = np.random.default_rng(1)
    numbers = issue_ni_numbers(np.arange(50_000, dtype=np.int64), salt=77, rng=rng)
    assert all(NI_FORMAT.match(n) for n in numbers)
    assert len({n[:8] for n in numbers}) == len(numbers)
    assert not {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"} & set(NI_PREFIXES)


@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=1, max_size=20
    ),
    st.integers(0, 2**32),
)
def test_a_typo_changes_a_name_by_one_edit(name: str, seed: int) -> None:
    changed = typo(name, np.random.default_rng(seed))
    assert changed != name
    assert abs(len(changed) - len(name)) <= 1
