"""Dates, postcodes, NHS and NI numbers, sex and addresses: checks that keep bad values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nightingale.linkage.normalise.dates import normalise_date
from nightingale.linkage.normalise.nhs import check_digit, normalise_nhs_number
from nightingale.linkage.normalise.ni import normalise_ni_number
from nightingale.linkage.normalise.other import normalise_address, normalise_sex
from nightingale.linkage.normalise.postcodes import normalise_postcode, outward_code, sector


@pytest.mark.parametrize(
    ("raw", "fmt", "expected"),
    [
        ("1984-03-07", None, ("1984-03-07", True)),
        ("07/03/1984", "%d/%m/%Y", ("1984-03-07", True)),
        ("19840307", "%Y%m%d", ("1984-03-07", True)),
        ("1984-03-07", "%d/%m/%Y", ("1984-03-07", True)),  # already normalised
        (" 07/03/1984 ", "%d/%m/%Y", ("1984-03-07", True)),
        ("31/02/1984", "%d/%m/%Y", ("1984-02-31", False)),  # digits kept, in ISO order
        ("19841302", "%Y%m%d", ("1984-13-02", False)),
        ("07/03/1784", "%d/%m/%Y", ("1784-03-07", False)),
        ("07/03/2999", "%d/%m/%Y", ("2999-03-07", False)),
        ("7/3/84", "%d/%m/%Y", ("7/3/84", False)),  # not the provider's shape: as written
        ("unknown", None, ("unknown", False)),
        ("", None, ("", False)),
    ],
)
def test_dates_become_iso_or_stay_as_written_marked_invalid(
    raw: str, fmt: str | None, expected: tuple[str, bool]
) -> None:
    assert normalise_date(raw, fmt) == expected


@given(st.text(), st.sampled_from([None, "%d/%m/%Y", "%Y%m%d"]))
def test_date_normalisation_is_idempotent_and_total(value: str, fmt: str | None) -> None:
    once, valid = normalise_date(value, fmt)
    assert normalise_date(once, fmt) == (once, valid)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("LS6 2AB", ("LS6 2AB", True)),
        ("ls62ab", ("LS6 2AB", True)),
        (" sw1a  1aa ", ("SW1A 1AA", True)),
        ("M1 1AE", ("M1 1AE", True)),
        ("GIR 0AA", ("GIR 0AA", True)),
        ("LS6 2CI", ("LS62CI", False)),  # C and I never end an inward code
        ("QS6 2AB", ("QS62AB", False)),  # Q never starts a postcode
        ("4223", ("4223", False)),
        ("", ("", False)),
    ],
)
def test_postcodes_are_spaced_canonically_or_kept_and_marked_invalid(
    raw: str, expected: tuple[str, bool]
) -> None:
    assert normalise_postcode(raw) == expected


def test_outward_code_and_sector_survive_a_typo_in_the_last_letters() -> None:
    a, _ = normalise_postcode("LS6 2AB")
    b, _ = normalise_postcode("LS6 2AD")
    assert outward_code(a) == outward_code(b) == "LS6"
    assert sector(a) == sector(b) == "LS6 2"
    assert outward_code("4223") == sector("4223") == ""


@given(st.text())
def test_postcode_normalisation_is_idempotent_and_total(value: str) -> None:
    once, valid = normalise_postcode(value)
    assert normalise_postcode(once) == (once, valid)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9434765919", ("9434765919", True)),
        ("943 476 5919", ("9434765919", True)),
        ("943-476-5919", ("9434765919", True)),
        ("9434765918", ("9434765918", False)),  # wrong check digit
        ("943476591", ("943476591", False)),  # nine digits
        ("94347659A9", ("94347659A9", False)),
        ("", ("", False)),
    ],
)
def test_nhs_numbers_pass_modulus_11_or_are_kept_marked_invalid(
    raw: str, expected: tuple[str, bool]
) -> None:
    assert normalise_nhs_number(raw) == expected


def test_a_remainder_of_ten_means_no_check_digit_can_make_the_number_valid() -> None:
    # 10*1 + 9*0 + ... = 10 and 11 - 10 % 11 = 1; search a prefix whose check is 10.
    prefix = next(f"{n:09d}" for n in range(10**6) if check_digit(f"{n:09d}") is None)
    assert not any(normalise_nhs_number(prefix + str(d))[1] for d in range(10))


@given(st.integers(min_value=0, max_value=10**9 - 1))
def test_every_nhs_number_with_its_check_digit_is_valid_and_one_wrong_digit_is_not(
    number: int,
) -> None:
    prefix = f"{number:09d}"
    digit = check_digit(prefix)
    if digit is None:
        return
    assert normalise_nhs_number(prefix + str(digit))[1]
    assert not normalise_nhs_number(prefix + str((digit + 1) % 10))[1]


@given(st.text())
def test_nhs_normalisation_is_idempotent_and_total(value: str) -> None:
    once, valid = normalise_nhs_number(value)
    assert normalise_nhs_number(once) == (once, valid)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AB123456C", ("AB123456C", True)),
        ("ab 12 34 56 c", ("AB123456C", True)),
        ("AB123456", ("AB123456", False)),  # no suffix
        ("AB123456E", ("AB123456E", False)),  # suffix beyond D
        ("DA123456A", ("DA123456A", False)),  # D never first
        ("AO123456A", ("AO123456A", False)),  # O never second
        ("GB123456A", ("GB123456A", False)),  # never issued
        ("ZZ123456A", ("ZZ123456A", False)),
        ("", ("", False)),
    ],
)
def test_ni_numbers_have_the_issued_format_or_are_kept_marked_invalid(
    raw: str, expected: tuple[str, bool]
) -> None:
    assert normalise_ni_number(raw) == expected


@given(st.text())
def test_ni_normalisation_is_idempotent_and_total(value: str) -> None:
    once, valid = normalise_ni_number(value)
    assert normalise_ni_number(once) == (once, valid)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("M", "M"), ("female", "F"), ("1", "M"), ("2", "F"), ("U", ""), ("9", ""), ("", "")],
)
def test_sex_codings_of_every_provider_agree(raw: str, expected: str) -> None:
    assert normalise_sex(raw) == expected


def test_street_abbreviations_are_spelt_out() -> None:
    assert normalise_address("14 Harper Rd.") == normalise_address("14 harper road")


@given(st.text())
def test_sex_and_address_normalisation_are_idempotent_and_total(value: str) -> None:
    assert normalise_sex(normalise_sex(value)) == normalise_sex(value)
    assert normalise_address(normalise_address(value)) == normalise_address(value)
