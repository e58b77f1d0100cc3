"""The Fellegi–Sunter model Splink fits: comparisons and blocking rules over tokens.

Every comparison reads keyed tokens (see :mod:`.matchkeys`); levels go from exact
agreement through "nearly the same" (shared deletion variants, nickname or phonetic
agreement) to disagreement. Two choices matter for accuracy:

- **One piece of evidence, one comparison.** A household shares its postcode and its
  address, so postcode and address form a single ``place`` comparison whose levels
  combine them. Scored separately, co-residents would collect the household's evidence
  twice and outscore a disagreeing name and date of birth.
- **Disagreement is evidence.** Twins share surname, date of birth and address; parent
  and child may share names and address. Their ``else`` levels on given name and date of
  birth carry the strong negative weights EM learns, and the one-to-one rule in
  :mod:`.clustering` stops a best match being shared.
- **Not all disagreement weighs the same.** Surnames change on marriage, so a family
  name that differs between two women's records has its own level, and EM learns it
  is far weaker evidence against a match than between two men's (in the synthetic
  region about 2 bits against, rather than 13). People who move mostly move nearby, so
  a different postcode in the same district or area is a level of its own, as in
  Splink's postcode comparison.

Only comparisons for fields the data actually carries are used (FEBRL has no NHS
numbers; a field that is always empty would have nothing to learn from).
"""

from __future__ import annotations

from typing import Any

#: The columns of a scored pair that name its two records, as Splink names them (a single
#: source deduplicated has no source columns).
PAIR_IDS = ("source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r")

GIVEN_NAME: dict[str, Any] = {
    "output_column_name": "given_name",
    "comparison_levels": [
        {
            "sql_condition": '"gn_l" IS NULL OR "gn_r" IS NULL',
            "is_null_level": True,
            "label_for_charts": "missing",
        },
        {
            "sql_condition": '"gn_l" = "gn_r"',
            "label_for_charts": "exact",
            "tf_adjustment_column": "gn",
            "tf_adjustment_weight": 1.0,
        },
        {"sql_condition": '"gn_l" = "fn_r"', "label_for_charts": "swapped with family name"},
        {"sql_condition": 'list_has_any("gn_nick_l", "gn_nick_r")', "label_for_charts": "nickname"},
        {"sql_condition": 'list_has_any("gn_del_l", "gn_del_r")', "label_for_charts": "one edit"},
        {"sql_condition": '"gn_ph_l" = "gn_ph_r"', "label_for_charts": "sounds alike"},
        {"sql_condition": "ELSE", "label_for_charts": "different"},
    ],
}

FAMILY_NAME: dict[str, Any] = {
    "output_column_name": "family_name",
    "comparison_levels": [
        {
            "sql_condition": '"fn_l" IS NULL OR "fn_r" IS NULL',
            "is_null_level": True,
            "label_for_charts": "missing",
        },
        {
            "sql_condition": '"fn_l" = "fn_r"',
            "label_for_charts": "exact",
            "tf_adjustment_column": "fn",
            "tf_adjustment_weight": 1.0,
        },
        {"sql_condition": '"fn_l" = "gn_r"', "label_for_charts": "swapped with given name"},
        {"sql_condition": 'list_has_any("fn_del_l", "fn_del_r")', "label_for_charts": "one edit"},
        {
            "sql_condition": 'list_has_any("fn_parts_l", "fn_parts_r")',
            "label_for_charts": "shares a part",
        },
        {"sql_condition": '"fn_ph_l" = "fn_ph_r"', "label_for_charts": "sounds alike"},
        {
            "sql_condition": '"fn_may_change_l" = "fn_may_change_r"',
            "label_for_charts": "different, both women",
        },
        {"sql_condition": "ELSE", "label_for_charts": "different"},
    ],
}

DATE_OF_BIRTH: dict[str, Any] = {
    "output_column_name": "date_of_birth",
    "comparison_levels": [
        {
            "sql_condition": '"dob_l" IS NULL OR "dob_r" IS NULL',
            "is_null_level": True,
            "label_for_charts": "missing",
        },
        {"sql_condition": '"dob_l" = "dob_r"', "label_for_charts": "exact"},
        {"sql_condition": '"dob_swap_l" = "dob_r"', "label_for_charts": "day and month swapped"},
        {
            "sql_condition": 'list_has_any("dob_del_l", "dob_del_r")',
            "label_for_charts": "one digit",
        },
        {"sql_condition": '"dob_ym_l" = "dob_ym_r"', "label_for_charts": "same year and month"},
        {"sql_condition": "ELSE", "label_for_charts": "different"},
    ],
}

SEX: dict[str, Any] = {
    "output_column_name": "sex",
    "comparison_levels": [
        {
            "sql_condition": '"sex_l" IS NULL OR "sex_r" IS NULL',
            "is_null_level": True,
            "label_for_charts": "missing",
        },
        {"sql_condition": '"sex_l" = "sex_r"', "label_for_charts": "exact"},
        {"sql_condition": "ELSE", "label_for_charts": "different"},
    ],
}

_WORDS_2 = 'len(list_intersect("addr_words_l", "addr_words_r")) >= 2'
PLACE: dict[str, Any] = {
    "output_column_name": "place",
    "comparison_levels": [
        {
            "sql_condition": '("addr_l" IS NULL OR "addr_r" IS NULL) '
            'AND ("pc_l" IS NULL OR "pc_r" IS NULL)',
            "is_null_level": True,
            "label_for_charts": "missing",
        },
        {
            "sql_condition": '"addr_l" = "addr_r" AND "pc_l" = "pc_r"',
            "label_for_charts": "same address and postcode",
            "tf_adjustment_column": "addr",
            "tf_adjustment_weight": 1.0,
        },
        {
            "sql_condition": f'"pc_l" = "pc_r" AND {_WORDS_2}',
            "label_for_charts": "same postcode, similar address",
        },
        {"sql_condition": '"addr_l" = "addr_r"', "label_for_charts": "same address"},
        {
            "sql_condition": f'list_has_any("pc_del_l", "pc_del_r") AND {_WORDS_2}',
            "label_for_charts": "similar postcode and address",
        },
        {"sql_condition": '"pc_l" = "pc_r"', "label_for_charts": "same postcode"},
        {"sql_condition": _WORDS_2, "label_for_charts": "similar address"},
        {
            "sql_condition": 'list_has_any("pc_del_l", "pc_del_r") '
            'OR "pc_sector_l" = "pc_sector_r"',
            "label_for_charts": "nearby postcode",
        },
        {"sql_condition": '"pc_district_l" = "pc_district_r"', "label_for_charts": "same district"},
        {"sql_condition": '"pc_area_l" = "pc_area_r"', "label_for_charts": "same area"},
        {"sql_condition": "ELSE", "label_for_charts": "different"},
    ],
}


def _exact(name: str, column: str) -> dict[str, Any]:
    return {
        "output_column_name": name,
        "comparison_levels": [
            {
                "sql_condition": f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
                "is_null_level": True,
                "label_for_charts": "missing",
            },
            {"sql_condition": f'"{column}_l" = "{column}_r"', "label_for_charts": "exact"},
            {"sql_condition": "ELSE", "label_for_charts": "different"},
        ],
    }


#: Comparison per identifier field it needs (present when any of those fields has data).
COMPARISONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("given_name",), GIVEN_NAME),
    (("family_name",), FAMILY_NAME),
    (("date_of_birth",), DATE_OF_BIRTH),
    (("sex",), SEX),
    (("postcode", "address"), PLACE),
    (("nhs_number",), _exact("nhs_number", "nhs")),
    (("ni_number",), _exact("ni_number", "ni")),
)


def _equal(*columns: str) -> str:
    return " AND ".join(f'l."{c}" = r."{c}"' for c in columns)


def _lacking_dob(rule: str) -> str:
    return f'{rule} AND (l."dob_year" IS NULL OR r."dob_year" IS NULL)'


#: Blocking rules (token equality) with the fields each needs. Together they must catch
#: nearly every true pair: each rule survives errors in the fields it does not use. Each
#: is specific enough that its groups stay small as the population grows (a rule on date
#: of birth alone, or a surname and a birth year, would compare tens of millions of
#: pairs in a million people).
BLOCKING_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("nhs_number",), _equal("nhs")),
    (("ni_number",), _equal("ni")),
    (("given_name", "family_name", "postcode"), _equal("gn", "fn", "pc_district")),
    (("given_name", "family_name"), 'l."gn" = r."fn" AND l."fn" = r."gn"'),
    (("given_name", "family_name", "date_of_birth"), _equal("gn_ph", "fn_ph", "dob_year")),
    (("family_name", "date_of_birth"), _equal("fn_ph", "dob")),
    (("given_name", "date_of_birth"), _equal("gn_ph", "dob")),
    (("postcode", "date_of_birth"), _equal("pc_district", "dob")),
    (("family_name", "postcode"), _equal("fn", "pc")),
    (("given_name", "postcode"), _equal("gn", "pc")),
    (("postcode", "date_of_birth"), _equal("pc", "dob_year")),
    (("postcode", "address"), _equal("pc", "addr_first")),
    (("address",), _equal("addr")),
    # Stand-ins for the rules on date of birth, for pairs where one record has none:
    # such a record misses every rule on it, and a person who moved, or a woman who
    # changed surname, then misses most of the rest. Few pairs lack a date of birth,
    # so looser rules cost little there.
    (("postcode", "sex", "date_of_birth"), _lacking_dob(_equal("pc", "sex"))),
    (("family_name", "postcode", "date_of_birth"), _lacking_dob(_equal("fn", "pc_sector"))),
    (("given_name", "postcode", "date_of_birth"), _lacking_dob(_equal("gn", "pc_sector"))),
    (
        ("given_name", "family_name", "postcode", "date_of_birth"),
        _lacking_dob(_equal("gn_ph", "fn_ph", "pc_district")),
    ),
)

#: Coarse rules (token columns) that raise recall on small and medium data but whose
#: comparisons grow with the square of the population: used only while they cost at most
#: :data:`COARSE_BUDGET` comparisons per record (see :func:`.engine.affordable`).
COARSE_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("date_of_birth",), ("dob",)),
    (("given_name", "family_name"), ("gn", "fn")),
    (("family_name", "date_of_birth"), ("fn", "dob_year")),
    (("given_name", "date_of_birth"), ("gn", "dob_year")),
)
COARSE_BUDGET = 5.0

#: EM sessions: each blocks on some fields and so estimates m for the others. Where a
#: strong identifier exists, training blocks on it: pairs sharing a valid NHS or NI
#: number are nearly all true matches, whereas a block on date of birth is full of twins
#: and a block on names full of parents and children with one name, which would teach
#: EM that matches often disagree on given name or date of birth. The name-and-date
#: block then trains the strong identifiers themselves. Without strong identifiers
#: (FEBRL) the classic pair of blocks is used.
TRAINING_PLANS: tuple[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], ...] = (
    (("nhs_number",), (("nhs",), ("gn", "fn", "dob"))),
    (("ni_number",), (("ni",), ("gn", "fn", "dob"))),
    ((), (("dob",), ("gn", "fn"))),
)

#: Prior (m, u) per comparison level, in level order after the null level. Used as
#: starting values for training and alone when a dataset is too small to train on
#: (EM and u sampling need thousands of records). Values are typical of UK
#: administrative data: agreement is common among matches, rare among non-matches.
PRIORS: dict[str, list[tuple[float, float]]] = {
    "given_name": [(0.88, 3e-3), (0.005, 5e-5), (0.03, 5e-4), (0.06, 2e-3), (0.01, 2e-3),
                   (0.015, 0.9925)],
    "family_name": [(0.85, 2e-3), (0.005, 5e-5), (0.06, 1e-3), (0.02, 1e-4), (0.01, 5e-4),
                    (0.04, 0.25), (0.015, 0.7463)],
    "date_of_birth": [(0.93, 2e-4), (0.01, 1e-5), (0.03, 2e-3), (0.02, 1e-3), (0.01, 0.9968)],
    "sex": [(0.98, 0.5), (0.02, 0.5)],
    "place": [(0.5, 2e-5), (0.1, 8e-5), (0.05, 5e-6), (0.05, 2e-4), (0.15, 1e-3), (0.02, 6e-3),
              (0.05, 0.03), (0.02, 0.01), (0.04, 0.15), (0.02, 0.8027)],
    "nhs_number": [(0.95, 1e-6), (0.05, 1 - 1e-6)],
    "ni_number": [(0.95, 1e-6), (0.05, 1 - 1e-6)],
}  # fmt: skip


def _with_priors(spec: dict[str, Any]) -> dict[str, Any]:
    priors = iter(PRIORS[spec["output_column_name"]])
    levels = []
    for level in spec["comparison_levels"]:
        level = dict(level)
        if not level.get("is_null_level"):
            level["m_probability"], level["u_probability"] = next(priors)
        levels.append(level)
    return {**spec, "comparison_levels": levels}


def comparisons_for(fields: set[str]) -> list[dict[str, Any]]:
    """The comparisons whose fields are present, with prior m and u probabilities."""
    return [_with_priors(spec) for needs, spec in COMPARISONS if set(needs) & fields]


def blocking_rules_for(fields: set[str]) -> list[str]:
    """SQL of every blocking rule whose fields are all present."""
    return [sql for needs, sql in BLOCKING_RULES if set(needs) <= fields]


def coarse_rules_for(fields: set[str]) -> list[tuple[str, ...]]:
    """Token columns of every coarse rule whose fields are all present."""
    return [columns for needs, columns in COARSE_RULES if set(needs) <= fields]


def equal(*columns: str) -> str:
    """The blocking rule SQL for equality on ``columns``."""
    return _equal(*columns)


def training_blocks_for(fields: set[str]) -> list[str]:
    """SQL of the EM sessions' blocking rules: the first plan whose fields are present."""
    for needs, blocks in TRAINING_PLANS:
        if set(needs) <= fields:
            return [_equal(*columns) for columns in blocks]
    return []


def gamma(comparison: str, label: str) -> int:
    """The gamma (agreement level) value Splink gives ``label`` of ``comparison``.

    Splink numbers non-null levels from the last (``ELSE``, 0) upwards; null is -1.
    """
    spec = next(spec for _needs, spec in COMPARISONS if spec["output_column_name"] == comparison)
    levels = [lv for lv in spec["comparison_levels"] if not lv.get("is_null_level")]
    labels = [lv["label_for_charts"] for lv in levels]
    return len(levels) - 1 - labels.index(label)
