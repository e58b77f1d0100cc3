"""Each record's IMD quintile from its postcode, through the installed reference lookup."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from nightingale.linkage.guild_areas import imd_quintiles, install_area_lookup, lookup_path
from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import DataRoot


def _root(tmp_path: Path) -> DataRoot:
    (tmp_path / "linkage").mkdir()
    return DataRoot(tmp_path)


def _people(postcodes: list[str | None], valid: list[bool]) -> pa.Table:
    return pa.table({"record_id": [f"r{i}" for i in range(len(postcodes))],
                     "postcode": postcodes, "postcode_valid": valid})  # fmt: skip


def test_a_records_quintile_is_its_postcodes_and_unknown_otherwise(tmp_path: Path) -> None:
    root = _root(tmp_path)
    lookup = tmp_path / "imd.csv"
    lookup.write_text("postcode,imd_decile\nls1 2ab,1\nLS2 3DE,4\nBD1 1AA,10\n")
    install_area_lookup(root, lookup)
    assert lookup_path(root).read_text().splitlines()[1] == "BD1 1AA,10"  # normalised
    tables = [
        ("health", _people(["LS1 2AB", "LS2 3DE", None], [True, True, False])),
        ("housing", _people(["BD1 1AA", "LS1 2AB", "HX1 1AB"], [True, False, True])),
    ]
    quintiles = imd_quintiles(root, tables)
    assert quintiles is not None
    # deciles 1-2 are quintile 1; an invalid or unlisted postcode is unknown
    assert list(quintiles.astype(str)) == ["1", "2", "unknown", "5", "unknown", "unknown"]


def test_without_a_lookup_there_is_no_imd_column(tmp_path: Path) -> None:
    assert imd_quintiles(_root(tmp_path), [("health", _people(["LS1 2AB"], [True]))]) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("postcode,decile\nLS1 2AB,1\n", "line 1: missing column(s) imd_decile"),
        ("postcode,imd_decile\nLS1 2AB,11\n", "line 2, field imd_decile"),
        ("postcode,imd_decile\nLS1 2AB,1\nnot a postcode,3\n", "line 3, field postcode"),
    ],
)
def test_a_bad_lookup_is_refused_naming_line_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    root = _root(tmp_path)
    lookup = tmp_path / "imd.csv"
    lookup.write_text(text)
    with pytest.raises(NightingaleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        install_area_lookup(root, lookup)
    assert not lookup_path(root).exists()
