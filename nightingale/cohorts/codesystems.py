"""Coding systems: how a code is normalised, what shape it must have, and whether it is known.

Three systems, as the provider files declare them (``type: code`` with ``system:``):

- ``icd10`` (WHO ICD-10, as English hospital and death data use it): a letter, two digits,
  then up to three more characters of the subdivision; ``J45.9`` and ``j459`` are the
  same code ``J459``. Hierarchical: a codelist entry ``J45`` matches every code that
  starts with it (``J450``, ``J459``).
- ``opcs4`` (OPCS-4 procedures): a chapter letter, a two-digit category and an optional
  subcategory digit; ``W37.1`` is ``W371``. Hierarchical, like ICD-10.
- ``snomedct`` (SNOMED CT concept ids): 6 to 18 digits, no leading zero, a concept
  partition and a valid Verhoeff check digit. Not matched by prefix: a concept's
  children have unrelated ids, so an entry matches only itself.

*Malformed* means the shape is wrong (a codelist with one is refused). *Unknown* means
well-formed but outside the compact reference shipped here: for ICD-10 the WHO blocks of
3-character categories, for OPCS-4 the chapter letters and categories 01-99, for SNOMED
CT the concepts the synthetic region's primary care events use (``reference/snomedct.csv``).
``nightingale codelist check`` reports both; a spec is refused only for malformed codes,
because the reference lists are deliberately small.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from nightingale.platform.checkdigits import verhoeff_valid
from nightingale.platform.contracts.provider_schema import CodingSystem as CodingSystem

SYSTEMS: tuple[CodingSystem, ...] = ("icd10", "opcs4", "snomedct")
MatchRule = Literal["prefix", "exact"]

_ICD10 = re.compile(r"^[A-Z][0-9]{2}[0-9A-Z]{0,3}$")
_OPCS4 = re.compile(r"^[A-Z][0-9]{2}[0-9]?$")
_SNOMED = re.compile(r"^[1-9][0-9]{5,17}$")

#: ICD-10 (WHO 2019) blocks of 3-character categories, first and last category of each.
_ICD10_BLOCK_TEXT = """
    A00-A09 A15-A19 A20-A28 A30-A49 A50-A64 A65-A69 A70-A74 A75-A79 A80-A89 A90-A99
    B00-B09 B15-B19 B20-B24 B25-B34 B35-B49 B50-B64 B65-B83 B85-B89 B90-B94 B95-B99
    C00-C97 D00-D09 D10-D36 D37-D48
    D50-D53 D55-D59 D60-D64 D65-D69 D70-D77 D80-D89
    E00-E07 E10-E14 E15-E16 E20-E35 E40-E46 E50-E64 E65-E68 E70-E90
    F00-F09 F10-F19 F20-F29 F30-F39 F40-F48 F50-F59 F60-F69 F70-F79 F80-F89 F90-F99
    G00-G09 G10-G14 G20-G26 G30-G32 G35-G37 G40-G47 G50-G59 G60-G64 G70-G73 G80-G83 G90-G99
    H00-H06 H10-H13 H15-H22 H25-H28 H30-H36 H40-H42 H43-H45 H46-H48 H49-H52 H53-H54 H55-H59
    H60-H62 H65-H75 H80-H83 H90-H95
    I00-I02 I05-I09 I10-I15 I20-I25 I26-I28 I30-I52 I60-I69 I70-I79 I80-I89 I95-I99
    J00-J06 J09-J18 J20-J22 J30-J39 J40-J47 J60-J70 J80-J84 J85-J86 J90-J94 J95-J99
    K00-K14 K20-K31 K35-K38 K40-K46 K50-K52 K55-K64 K65-K67 K70-K77 K80-K87 K90-K93
    L00-L08 L10-L14 L20-L30 L40-L45 L50-L54 L55-L59 L60-L75 L80-L99
    M00-M03 M05-M14 M15-M19 M20-M25 M30-M36 M40-M43 M45-M49 M50-M54 M60-M63 M65-M68
    M70-M79 M80-M85 M86-M90 M91-M94 M95-M99
    N00-N08 N10-N16 N17-N19 N20-N23 N25-N29 N30-N39 N40-N51 N60-N64 N70-N77 N80-N98 N99-N99
    O00-O08 O10-O16 O20-O29 O30-O48 O60-O75 O80-O84 O85-O92 O94-O99
    P00-P04 P05-P08 P10-P15 P20-P29 P35-P39 P50-P61 P70-P74 P75-P78 P80-P83 P90-P96
    Q00-Q07 Q10-Q18 Q20-Q28 Q30-Q34 Q35-Q37 Q38-Q45 Q50-Q56 Q60-Q64 Q65-Q79 Q80-Q89 Q90-Q99
    R00-R09 R10-R19 R20-R23 R25-R29 R30-R39 R40-R46 R47-R49 R50-R69 R70-R79 R80-R82
    R83-R89 R90-R94 R95-R99
    S00-T98 U00-U49 U82-U85 V01-Y98 Z00-Z99
    """
ICD10_BLOCKS: tuple[tuple[str, str], ...] = tuple(
    (block[:3], block[4:]) for block in _ICD10_BLOCK_TEXT.split()
)

#: OPCS-4 chapters (no chapter I; O holds the overflow codes of OPCS-4.6 onwards).
OPCS4_CHAPTERS = frozenset("ABCDEFGHJKLMNOPQRSTUVWXYZ")


@cache
def snomed_reference() -> dict[str, str]:
    """SNOMED CT concepts the reference knows (``reference/snomedct.csv``), id to term:
    those the synthetic region's primary care events use."""
    text = resources.files("nightingale.cohorts").joinpath("reference", "snomedct.csv")
    return {row["code"]: row["term"] for row in csv.DictReader(io.StringIO(text.read_text()))}


def match_rule(system: CodingSystem) -> MatchRule:
    """``prefix`` for the hierarchical systems (ICD-10, OPCS-4), else ``exact``."""
    return "exact" if system == "snomedct" else "prefix"


def normalise(code: str) -> str:
    """The form codes are compared in: no surrounding space, upper case, no dots.

    The same rule is applied to the data in SQL (:func:`nightingale.cohorts.ctes`), so a
    codelist's ``J45.9`` meets a record's ``j459``. SNOMED CT ids are digits and pass
    through unchanged (a dot in one is malformed before it is normalised).
    """
    return code.strip().upper().replace(".", "")


@dataclass(frozen=True)
class CodeProblem:
    """Why one code is not acceptable: ``malformed`` (refused) or ``unknown`` (reported)."""

    kind: Literal["malformed", "unknown"]
    message: str


def check_code(code: str, system: CodingSystem) -> CodeProblem | None:
    """The problem with ``code`` (as written in the codelist) in ``system``, if any."""
    if system == "snomedct":
        return _check_snomed(code.strip())
    value = normalise(code)
    if system == "icd10":
        if not _ICD10.match(value):
            return CodeProblem(
                "malformed", f"{code!r} is not an ICD-10 code (a letter, two digits, ...)"
            )
        category = value[:3]
        if not any(first <= category <= last for first, last in ICD10_BLOCKS):
            return CodeProblem("unknown", f"{code!r}: {category} is in no ICD-10 block")
        return None
    if not _OPCS4.match(value):
        return CodeProblem(
            "malformed", f"{code!r} is not an OPCS-4 code (a letter, two digits, one optional)"
        )
    if value[0] not in OPCS4_CHAPTERS or value[1:3] == "00":
        return CodeProblem("unknown", f"{code!r}: {value[:3]} is no OPCS-4 category")
    return None


def _check_snomed(code: str) -> CodeProblem | None:
    if not _SNOMED.match(code):
        return CodeProblem(
            "malformed", f"{code!r} is not a SNOMED CT id (6-18 digits, no leading zero)"
        )
    if code[-3:-1] not in ("00", "10"):
        return CodeProblem("malformed", f"{code!r} is not a concept id (partition {code[-3:-1]})")
    if not verhoeff_valid(code):
        return CodeProblem("malformed", f"{code!r} fails the SNOMED CT check digit")
    if code not in snomed_reference():
        return CodeProblem("unknown", f"{code!r} is not in the shipped SNOMED CT reference")
    return None
