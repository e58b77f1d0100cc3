"""The clinical codes the synthetic region uses: ICD-10, OPCS-4 and SNOMED CT subsets.

Codes, terms and relative frequencies are package data (``nightingale/synth/data``) so a
reader can see and change them without reading code. The frequencies are illustrative:
shaped to the broad mix of English hospital episodes, death registrations and primary
care (respiratory infections and COPD among the commonest emergency causes, fractured
neck of femur the commonest fall injury, cancers and circulatory disease the commonest
causes of death), not measured from any data set.

Conventions (docs/synthetic-region.md, "Clinical codes"): ICD-10 and OPCS-4 codes are
four characters without a dot (``J459``, ``W371``), a three-character ICD-10 category
without a fourth character is padded with ``X`` as in Hospital Episode Statistics
(``J46X``), so a codelist's prefix (``J45``, ``J46``, ``W0``) matches by ``startswith``.
SNOMED CT codes are concept identifiers (``195967001``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from nightingale.platform.checkdigits import verhoeff_valid

FloatArray = npt.NDArray[np.float64]
ObjectArray = npt.NDArray[np.object_]

ICD10 = re.compile(r"^[A-Z][0-9]{2}[0-9X]$")
OPCS4 = re.compile(r"^[A-HJ-Z][0-9]{3}$")
SNOMED = re.compile(r"^[1-9][0-9]{5,17}$")

#: ICD-10 chapters by the first three characters of their last category.
_CHAPTER_ENDS = (
    ("B99", "I"),
    ("D48", "II"),
    ("D89", "III"),
    ("E90", "IV"),
    ("F99", "V"),
    ("G99", "VI"),
    ("H59", "VII"),
    ("H95", "VIII"),
    ("I99", "IX"),
    ("J99", "X"),
    ("K93", "XI"),
    ("L99", "XII"),
    ("M99", "XIII"),
    ("N99", "XIV"),
    ("O99", "XV"),
    ("P96", "XVI"),
    ("Q99", "XVII"),
    ("R99", "XVIII"),
    ("T98", "XIX"),
    ("Y98", "XX"),
    ("Z99", "XXI"),
)


def icd10_chapter(code: str) -> str:
    """The ICD-10 chapter (Roman numeral) of a code, e.g. ``J459`` -> ``X``."""
    category = code[:3]
    if category.startswith("U"):  # chapter XXII, codes for special purposes: not used here
        raise ValueError(f"{code!r} is in no ICD-10 chapter I-XXI")
    for end, chapter in _CHAPTER_ENDS:
        if category <= end:
            return chapter
    raise ValueError(f"{code!r} is in no ICD-10 chapter I-XXI")


def well_formed(system: str, code: str) -> bool:
    """Whether ``code`` has the shape of a code of ``system`` in the region's convention.

    SNOMED CT: 6-18 digits, partition identifier ``00`` (a concept) and a valid Verhoeff
    check digit.
    """
    if system == "icd10":
        return bool(ICD10.match(code))
    if system == "opcs4":
        return bool(OPCS4.match(code))
    if system == "snomedct":
        return bool(SNOMED.match(code)) and code[-3:-1] == "00" and verhoeff_valid(code)
    raise ValueError(f"unknown coding system {system!r}")


@dataclass(frozen=True)
class CodeTable:
    """One package data file: code, term, and further columns as text."""

    code: ObjectArray
    term: ObjectArray
    columns: dict[str, ObjectArray]

    def weights(self, column: str, group_column: str | None = None, group: str = "") -> FloatArray:
        """Relative frequencies in ``column``, zero outside ``group`` when one is named."""
        weight = self.columns[column].astype(np.float64)
        if group_column is not None:
            weight = np.where(self.columns[group_column] == group, weight, 0.0)
        return np.asarray(weight, dtype=np.float64)


def _read(name: str) -> CodeTable:
    text = (resources.files("nightingale.synth") / "data" / name).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    fields = list(rows[0])
    table = {f: np.array([r[f] for r in rows], dtype=object) for f in fields}
    return CodeTable(table.pop("code"), table.pop("term"), {k: v for k, v in table.items()})


@cache
def icd10_codes() -> CodeTable:
    """ICD-10 codes: group, relative frequencies as emergency and elective primary
    diagnosis, underlying cause of death and secondary diagnosis, OPCS-4 procedures."""
    return _read("icd10.csv")


@cache
def opcs4_codes() -> CodeTable:
    """OPCS-4 procedure codes and terms."""
    return _read("opcs4.csv")


@cache
def snomedct_codes() -> CodeTable:
    """SNOMED CT concepts recorded in primary care: condition and relative frequency."""
    return _read("snomedct.csv")
