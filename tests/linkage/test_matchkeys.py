"""Match keys: partial agreement survives tokenisation; invalid numbers give no key."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from nightingale.linkage.matchkeys import (
    LIST_KEYS,
    OTHER_COLUMNS,
    SCALAR_KEYS,
    birth_year_fits,
    deletion_neighbourhood,
    match_keys,
    year_fits,
)
from nightingale.linkage.normalise import normalise_identifiers
from nightingale.linkage.tokens import Tokeniser
from nightingale.platform.keystore import Key

TOKENISER = Tokeniser(Key("linkage-v1", bytes(32)))


def _keys(rows: list[dict[str, str]]) -> pd.DataFrame:
    raw = pd.DataFrame(rows)
    ids = pd.Series([str(i) for i in range(len(raw))])
    table = match_keys(normalise_identifiers(raw), TOKENISER, ids, pd.Series(["s"] * len(raw)))
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def test_the_table_has_ids_sources_and_every_key() -> None:
    keys = _keys([{"given_name": "Jane"}])
    assert set(keys.columns) == {
        "unique_id",
        "source_dataset",
        *SCALAR_KEYS,
        *LIST_KEYS,
        *OTHER_COLUMNS,
    }


def test_one_typo_shares_a_deletion_variant_and_a_different_name_does_not() -> None:
    keys = _keys([{"family_name": "Thompson"}, {"family_name": "Thomspon"}, {"family_name": "Ng"}])
    a, b, c = (set(x) for x in keys["fn_del"])
    assert a & b
    assert not a & c
    assert keys["fn"][0] != keys["fn"][1]


def test_swapped_day_and_month_are_recognised() -> None:
    keys = _keys([{"date_of_birth": "1984-03-07"}, {"date_of_birth": "1984-07-03"}])
    assert keys["dob_swap"][0] == keys["dob"][1]


def test_postcode_quirks_give_the_same_token_and_typos_share_the_sector() -> None:
    keys = _keys([{"postcode": "LS6 2AB"}, {"postcode": "ls62ab"}, {"postcode": "LS6 2AD"}])
    assert keys["pc"][0] == keys["pc"][1] != keys["pc"][2]
    assert keys["pc_sector"][0] == keys["pc_sector"][2]


def test_invalid_nhs_and_ni_numbers_give_no_deterministic_key() -> None:
    keys = _keys(
        [
            {"nhs_number": "9434765919", "ni_number": "AB123456C"},
            {"nhs_number": "9434765918", "ni_number": "AB123456"},
        ]
    )
    assert keys["nhs"].isna().tolist() == [False, True]
    assert keys["ni"].isna().tolist() == [False, True]


def test_empty_fields_give_missing_keys_not_empty_lists() -> None:
    keys = _keys([{"given_name": ""}])
    assert keys["gn"].isna().all()
    assert keys["gn_del"].isna().all()


@given(
    st.text(alphabet="abcdefgh", min_size=2, max_size=8), st.integers(0, 7), st.sampled_from("xyz")
)
def test_one_substitution_always_shares_a_deletion_variant(word: str, at: int, char: str) -> None:
    """From two letters up; one-letter names (initials) agree only when equal."""
    at %= len(word)
    typo = word[:at] + char + word[at + 1 :]
    assert set(deletion_neighbourhood(word)) & set(deletion_neighbourhood(typo))


@given(st.text(max_size=10))
def test_the_deletion_neighbourhood_never_holds_the_empty_string(word: str) -> None:
    assert "" not in deletion_neighbourhood(word)


def test_a_move_nearby_keeps_the_district_or_the_area() -> None:
    keys = _keys([{"postcode": "LS6 2AB"}, {"postcode": "LS6 9ZZ"}, {"postcode": "LS12 3AB"}])
    assert keys["pc_district"][0] == keys["pc_district"][1] != keys["pc_district"][2]
    assert keys["pc_area"][0] == keys["pc_area"][2]
    other = _keys([{"postcode": "S75 5FU"}, {"postcode": "SW1A 1AA"}])
    assert other["pc_area"][0] != other["pc_area"][1]


def test_only_women_carry_the_key_for_a_surname_that_may_change() -> None:
    keys = _keys([{"sex": "F"}, {"sex": "female"}, {"sex": "M"}, {"sex": ""}])
    assert keys["fn_may_change"][0] == keys["fn_may_change"][1]
    assert keys["fn_may_change"].isna().tolist() == [False, False, True, True]


def test_a_birth_year_is_flagged_usual_or_not_for_each_source() -> None:
    adults = [f"{year}-01-01" for year in range(1950, 2005)]
    everyone = [f"{year}-01-01" for year in range(1920, 2025)]
    dob = pd.Series([*adults, *everyone, "2020-06-01", ""])
    sources = pd.Series(["employment"] * len(adults) + ["health"] * (len(everyone) + 2))
    fits = birth_year_fits(dob, sources).to_pylist()
    employment, health = 0b01, 0b10
    assert fits[10] == employment | health  # born 1960: usual for both
    assert fits[-2] == health  # a child: usual for health, not for employment
    assert fits[-1] is None  # no date of birth


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["health", "employment", "housing"]),
            st.none() | st.integers(1900, 2030),
        ),
        max_size=40,
    )
)
def test_birth_years_as_numbers_fit_as_the_dates_text_does(
    records: list[tuple[str, int | None]],
) -> None:
    sources = [source for source, _year in records]
    dob = pd.Series(["" if year is None else f"{year}-03-04" for _source, year in records])
    year = np.array([np.nan if year is None else year for _source, year in records], dtype=float)
    names = ["employment", "health", "housing"]  # every possible source, in name order
    ranks = np.array([names.index(source) for source in sources], dtype=np.int64)
    expected = birth_year_fits(dob, pd.Series(sources, dtype=object))
    assert year_fits(year, ranks).equals(expected)
