"""The region's clinical codes are well formed for their systems, consistent with one
another, and appear with the condition frequencies docs/synthetic-region.md declares."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nightingale.synth.coding import (
    icd10_chapter,
    icd10_codes,
    opcs4_codes,
    snomedct_codes,
    verhoeff_valid,
    well_formed,
)

#: Condition -> (lowest, highest) share, as the table in docs/synthetic-region.md says.
EMERGENCY_SHARES = {
    "respiratory": (0.10, 0.20),
    "falls": (0.04, 0.10),
    "cardiovascular": (0.03, 0.09),
    "mental_health": (0.02, 0.06),
}
GP_SHARES = {"mental_health": (0.07, 0.14), "respiratory": (0.11, 0.21)}


def test_the_code_tables_hold_well_formed_unique_codes() -> None:
    for system, table in (
        ("icd10", icd10_codes()),
        ("opcs4", opcs4_codes()),
        ("snomedct", snomedct_codes()),
    ):
        codes = list(table.code)
        assert len(codes) == len(set(codes)), system
        assert all(well_formed(system, c) for c in codes), system
        assert all(str(term).strip() for term in table.term), system


def test_every_procedure_an_icd10_code_offers_is_in_the_opcs4_table() -> None:
    known = set(opcs4_codes().code)
    offered = {p for text in icd10_codes().columns["procedures"] for p in str(text).split()}
    assert offered and offered <= known


def test_well_formed_rejects_what_each_system_does_not_write() -> None:
    assert well_formed("icd10", "J459") and well_formed("icd10", "J46X")
    for code in ("J45.9", "J45", "j459", "J4591", "1459"):
        assert not well_formed("icd10", code), code
    assert well_formed("opcs4", "W371")
    for code in ("W37.1", "W37X", "I123"):  # OPCS-4 has no chapter I
        assert not well_formed("opcs4", code), code
    assert well_formed("snomedct", "195967001")
    assert not well_formed("snomedct", "195967002")  # check digit
    assert not well_formed("snomedct", "195967011")  # partition 01 is a description
    assert not well_formed("snomedct", "0195967001")
    assert verhoeff_valid("2363") and not verhoeff_valid("2364")


def test_chapters_follow_the_first_three_characters() -> None:
    assert icd10_chapter("J459") == "X"
    assert icd10_chapter("S720") == "XIX"
    assert icd10_chapter("T140") == "XIX"
    assert icd10_chapter("W190") == "XX"
    assert icd10_chapter("D259") == "II"
    assert icd10_chapter("D649") == "III"
    assert icd10_chapter("Z511") == "XXI"
    with pytest.raises(ValueError):
        icd10_chapter("U071")


def test_groups_of_icd10_codes_are_the_documented_ranges() -> None:
    table = icd10_codes()
    group = dict(zip(table.code, table.columns["group"], strict=True))
    for code, name in group.items():
        category = code[:3]
        if name == "respiratory":
            assert code.startswith("J"), code
        elif name == "cardiovascular":
            assert "I20" <= category <= "I25" or "I60" <= category <= "I69", code
        elif name == "mental_health":
            assert code.startswith("F"), code
        elif name == "injury":
            assert code[0] in "ST", code
        elif name == "fall_cause":
            assert "W00" <= category <= "W19", code
        elif name == "injury_cause":
            assert code[0] in "VWXY" and not "W00" <= category <= "W19", code
        else:
            assert name == "other", code
            assert code[0] not in "JFST" and not (
                "I20" <= category <= "I25" or "I60" <= category <= "I69"
            ), code


def _admissions(region: Path) -> pd.DataFrame:
    return pd.read_csv(
        region / "extracts" / "health" / "admissions.csv", dtype=str, keep_default_na=False
    )


def test_extract_codes_are_well_formed_and_chapters_match(small_region: Path) -> None:
    admissions = _admissions(small_region)
    assert admissions.diag_primary.map(lambda c: well_formed("icd10", c)).all()
    secondary = admissions.diag_secondary[admissions.diag_secondary != ""]
    assert len(secondary) and secondary.map(lambda c: well_formed("icd10", c)).all()
    procedures = admissions.proc_primary[admissions.proc_primary != ""]
    assert len(procedures) and procedures.map(lambda c: well_formed("opcs4", c)).all()
    assert (admissions.diag_primary.map(icd10_chapter) == admissions.icd10_chapter).all()
    assert (admissions.diag_primary != admissions.diag_secondary).all()
    deaths = pd.read_csv(small_region / "extracts" / "health" / "deaths.csv", dtype=str)
    assert deaths.underlying_cause.map(lambda c: well_formed("icd10", c)).all()
    assert (deaths.underlying_cause.map(icd10_chapter) == deaths.icd10_chapter).all()
    gp = pd.read_csv(small_region / "extracts" / "health" / "gp_consultations.csv", dtype=str)
    assert gp.snomed_code.isin(set(snomedct_codes().code)).all()


def test_falls_are_injuries_with_a_fall_as_external_cause(small_region: Path) -> None:
    admissions = _admissions(small_region)
    cause = admissions.diag_secondary.str[:3]
    falls = admissions[(cause >= "W00") & (cause <= "W19")]
    assert len(falls) > 0
    assert falls.diag_primary.str[0].isin(["S", "T"]).all()
    injuries = admissions[admissions.diag_primary.str[0].isin(["S", "T"])]
    assert (injuries.diag_secondary.str[0].isin(["V", "W", "X", "Y"])).all()


def test_condition_frequencies_are_in_the_declared_ranges(small_region: Path) -> None:
    admissions = _admissions(small_region)
    emergency = admissions[admissions.admission_method == "emergency"]
    primary, cause = emergency.diag_primary.str[:3], emergency.diag_secondary.str[:3]
    found = {
        "respiratory": primary.str.startswith("J").mean(),
        "falls": ((cause >= "W00") & (cause <= "W19")).mean(),
        "cardiovascular": (primary.between("I20", "I25") | primary.between("I60", "I69")).mean(),
        "mental_health": primary.str.startswith("F").mean(),
    }
    for condition, (low, high) in EMERGENCY_SHARES.items():
        assert low <= found[condition] <= high, (condition, found[condition])
    concepts = pd.DataFrame({"code": snomedct_codes().code, "condition": snomedct_codes()
                             .columns["condition"]}).set_index("code")["condition"]  # fmt: skip
    gp = pd.read_csv(small_region / "extracts" / "health" / "gp_consultations.csv", dtype=str)
    shares = gp.snomed_code.map(concepts).value_counts(normalize=True)
    for condition, (low, high) in GP_SHARES.items():
        assert low <= shares[condition] <= high, (condition, shares[condition])
    deaths = pd.read_csv(small_region / "extracts" / "health" / "deaths.csv", dtype=str)
    chapters = deaths.icd10_chapter.value_counts(normalize=True)
    assert 0.2 < chapters["II"] < 0.42 and 0.2 < chapters["IX"] < 0.42


def test_the_documented_ranges_are_the_tested_ones() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "synthetic-region.md").read_text()
    for label, (low, high) in (
        ("respiratory admissions", EMERGENCY_SHARES["respiratory"]),
        ("falls admissions", EMERGENCY_SHARES["falls"]),
        ("cardiovascular admissions", EMERGENCY_SHARES["cardiovascular"]),
        ("mental health admissions", EMERGENCY_SHARES["mental_health"]),
        ("mental health contacts", GP_SHARES["mental_health"]),
        ("respiratory consultations", GP_SHARES["respiratory"]),
    ):
        row = next(line for line in doc.splitlines() if line.startswith(f"| {label} |"))
        assert f"{round(low * 100)}-{round(high * 100)}%" in row, label


def test_the_codelist_checker_knows_every_code_the_region_writes() -> None:
    """``nightingale codelist check`` finds none of the region's codes malformed or
    unknown (its SNOMED CT reference lists the region's concepts)."""
    from nightingale.cohorts.codesystems import check_code

    for system, table in (
        ("icd10", icd10_codes()),
        ("opcs4", opcs4_codes()),
        ("snomedct", snomedct_codes()),
    ):
        problems = {c: check_code(c, system) for c in table.code}  # type: ignore[arg-type]
        assert not {c: p for c, p in problems.items() if p is not None}, system
