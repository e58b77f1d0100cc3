"""Each record's IMD quintile from its postcode, through the installed reference lookup."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from nightingale.linkage.guild_areas import imd_quintiles, install_area_lookup, lookup_path
from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import DataRoot
from tests.linkage.conftest import Platform


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


def test_a_link_run_with_a_lookup_reports_who_links_by_imd_quintile_and_keeps_its_pairs(
    ingested: Platform,
) -> None:
    import csv
    import json

    import duckdb

    from nightingale.linkage.link import link
    from nightingale.linkage.threshold_spines import PAIRS_FILE, run_threshold, spine_at
    from nightingale.platform import database
    from nightingale.platform.storage import read_parquet

    postcodes = set()
    for extract in ingested.region.joinpath("extracts").rglob("*.csv"):
        with extract.open(encoding="utf-8") as handle:
            postcodes |= {row["postcode"] for row in csv.DictReader(handle) if row.get("postcode")}
    lookup = ingested.root.path / "imd.csv"
    lookup.write_text(
        "postcode,imd_decile\n"
        + "".join(f"{p},{i % 10 + 1}\n" for i, p in enumerate(sorted(postcodes)))
    )
    install_area_lookup(ingested.root, lookup)
    with database.session_scope(ingested.engine) as session:
        summary = link(session, ingested.root, ingested.keystore, duckdb.connect())
    report = json.loads((summary.folder / "report.json").read_text())
    assert "imd_quintile" in report["guild"]["characteristics"]
    everything = report["guild"]["tables"][0]
    assert everything["name"] == "all sources"
    values = {r["value"] for r in everything["rows"] if r["characteristic"] == "imd_quintile"}
    assert values <= {"1", "2", "3", "4", "5", "unknown"} and values - {"unknown"}
    assert "Linked and unlinked records (GUILD)" in (summary.folder / "report.html").read_text()
    # the run keeps its scored pairs, and they give back its spine at its own threshold
    assert (summary.folder / PAIRS_FILE).is_file()
    again = spine_at(
        ingested.root,
        ingested.keystore,
        summary.run_id,
        run_threshold(ingested.root, summary.run_id),
    )
    spine = read_parquet(summary.folder / "spine.parquet")
    assert list(again["person_id"]) == list(spine["person_id"])
