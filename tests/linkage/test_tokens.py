"""Keyed tokens: stable for a key, unrelated across keys and fields."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from nightingale.linkage.tokens import Tokeniser
from nightingale.platform.keystore import Key, MemoryKeyStore

KEY = Key("linkage-v1", bytes(range(32)))
OTHER_KEY = Key("linkage-v2", bytes(range(1, 33)))


def test_tokens_are_stable_across_tokeniser_instances() -> None:
    values = ["jane", "john", "jane"]
    first = Tokeniser(KEY).tokens("name", values)
    again = Tokeniser(Key("linkage-v1", bytes(range(32)))).tokens("name", values)
    assert first.tolist() == again.tolist()
    assert first[0] == first[2] != first[1]


def test_tokens_differ_across_keys_and_across_fields() -> None:
    assert Tokeniser(KEY).token("name", "jane") != Tokeniser(OTHER_KEY).token("name", "jane")
    assert Tokeniser(KEY).token("name", "jane") != Tokeniser(KEY).token("postcode", "jane")


def test_missing_and_empty_values_have_no_token() -> None:
    tokens = Tokeniser(KEY).tokens("name", ["", None, "x"])
    assert tokens.isna().tolist() == [True, True, False]


def test_a_tokeniser_records_the_key_id_it_uses() -> None:
    keystore = MemoryKeyStore()
    keystore.ensure("linkage")
    rotated = keystore.rotate("linkage")
    assert Tokeniser.from_keystore(keystore).key_id == rotated.key_id == "linkage-v2"
    assert Tokeniser.from_keystore(keystore, "linkage-v1").key_id == "linkage-v1"


def test_a_token_is_the_first_64_bits_of_hmac_sha256_with_the_derived_field_key() -> None:
    import hmac

    from nightingale.platform.keystore import hkdf

    field_key = hkdf(KEY.secret, b"nightingale/linkage/token:name")
    expected = int.from_bytes(hmac.digest(field_key, b"jane", "sha256")[:8], "big", signed=True)
    assert Tokeniser(KEY).token("name", "jane") == expected


@given(st.lists(st.text(max_size=12), max_size=40))
def test_column_tokens_equal_one_by_one_tokens(values: list[str]) -> None:
    tokeniser = Tokeniser(KEY)
    column = tokeniser.tokens("f", pd.Series(values, dtype="string"))
    for value, token in zip(values, column, strict=True):
        if value:
            assert token == tokeniser.token("f", value)
        else:
            assert token is pd.NA


@given(st.lists(st.lists(st.text(min_size=1, max_size=5), max_size=4), max_size=10))
def test_token_lists_keep_shape_and_agree_with_scalar_tokens(lists: list[list[str]]) -> None:
    tokeniser = Tokeniser(KEY)
    result = tokeniser.token_lists("f", lists)
    assert [len(x) for x in result] == [len(x) for x in lists]
    for values, tokens in zip(lists, result, strict=True):
        assert tokens == [tokeniser.token("f", v) for v in values]


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["", "a", "\x00", "ann", "é"]), st.text())))
def test_deduplicated_column_tokens_equal_plain_hmac_per_value(values: list[str | None]) -> None:
    """Hashing each distinct value once gives, value by value, the plain HMAC's token."""
    import hmac

    from nightingale.platform.keystore import hkdf

    field_key = hkdf(KEY.secret, b"nightingale/linkage/token:f")
    column = Tokeniser(KEY).tokens("f", values)
    assert len(column) == len(values)
    for value, token in zip(values, column, strict=True):
        if not value:
            assert token is pd.NA
        else:
            digest = hmac.digest(field_key, value.encode("utf-8"), "sha256")
            assert token == int.from_bytes(digest[:8], "big", signed=True)


@settings(deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "\x00", "ab"]), max_size=4), max_size=12))
def test_token_lists_of_repeated_values_equal_plain_tokens(lists: list[list[str]]) -> None:
    tokeniser = Tokeniser(KEY)
    assert tokeniser.token_lists("f", lists) == [
        [tokeniser.token("f", value) for value in values] for values in lists
    ]
