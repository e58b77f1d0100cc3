"""Names: folding, titles, hyphens, multi-part surnames and nicknames."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nightingale.linkage.normalise.names import (
    canonical_given_names,
    compact,
    name_parts,
    normalise_name,
)
from nightingale.linkage.normalise.text import fold


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zoë", "zoe"),
        ("  JOSÉ  ", "jose"),
        ("Ærøskøbing", "aeroskobing"),
        ("Straße", "strasse"),
        ("Łukasz", "lukasz"),
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),
        ("Smith-Jones", "smith jones"),
        ("smith--jones", "smith jones"),
        ("Dr. Jane SMITH", "jane smith"),
        ("Mrs  Mary-Ann", "mary ann"),
        ("Mr Mr Brown", "brown"),
        ("Harry Potter Jr.", "harry potter"),
        ("van der Berg", "van der berg"),
        ("Mr", ""),
        ("", ""),
        ("ﬁnn", "finn"),
    ],
)
def test_names_are_folded_and_stripped_of_titles_and_suffixes(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_a_lone_suffix_is_a_name_not_a_suffix() -> None:
    assert normalise_name("Junior") == "junior"


def test_spelling_variants_of_a_multi_part_surname_compact_to_one_form() -> None:
    forms = {
        compact(normalise_name(n)) for n in ["McDonald", "Mc Donald", "MC-DONALD", "Mc'Donald"]
    }
    assert forms == {"mcdonald"}


def test_a_hyphenated_surname_keeps_its_parts() -> None:
    assert name_parts(normalise_name("Smith-Jones")) == ["smith", "jones"]
    assert name_parts(normalise_name("Smith Smith")) == ["smith"]


@pytest.mark.parametrize(
    ("nickname", "canonical"),
    [("Bob", ["robert"]), ("BILL", ["william"]), ("Liz", ["elizabeth"]), ("Peggy", ["margaret"])],
)
def test_nicknames_map_to_their_canonical_given_name(nickname: str, canonical: list[str]) -> None:
    assert canonical_given_names(normalise_name(nickname)) == canonical


def test_an_ambiguous_nickname_stands_for_every_name_it_shortens() -> None:
    assert canonical_given_names("sam") == ["samantha", "samuel"]
    assert set(canonical_given_names("chris")) >= {"christine", "christopher"}
    assert set(canonical_given_names("samantha")) & set(canonical_given_names("sam"))


def test_names_not_in_the_table_are_their_own_canonical_form() -> None:
    assert canonical_given_names("xanthippe") == ["xanthippe"]
    assert canonical_given_names("robert") == ["robert"]
    assert canonical_given_names("") == []


def test_only_the_first_given_name_decides_the_canonical_form() -> None:
    assert canonical_given_names(normalise_name("Bob James")) == ["robert"]


@given(st.text())
def test_folding_is_idempotent_and_total(value: str) -> None:
    once = fold(value)
    assert fold(once) == once
    assert once == once.strip()
    assert "  " not in once


@given(st.text())
def test_name_normalisation_is_idempotent_and_total(value: str) -> None:
    once = normalise_name(value)
    assert normalise_name(once) == once
    canonical_given_names(once)


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=30))
def test_ascii_names_normalise_to_lower_case_letters_digits_and_single_spaces(value: str) -> None:
    result = normalise_name(value)
    assert all(c.islower() or c.isdigit() or c == " " for c in result)
