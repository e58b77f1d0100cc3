"""link-files: any CSV files, mapped onto identifier fields, linked into persons."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nightingale.linkage.link_files import link_files, parse_mapping
from nightingale.platform.errors import NightingaleError

MAPPING = [
    "given_name=first",
    "family_name=last",
    "date_of_birth=born",
    "postcode=pc",
    "address=house",
    "address=street",
]
HEADER = ["id", "first", "last", "born", "pc", "house", "street"]
# id, first, last, born (dd.mm.yyyy), postcode, house, street; the id's letter is the person
LEFT = [
    ["a1", "Jonathan", "Smith", "01.02.1980", "LS6 2AB", "14", "Harper Grove"],
    ["b1", "Amelia", "Pearson", "21.06.2001", "WF1 3JT", "77", "Station Rd"],
    ["c1", "Oliver", "Pearson", "21.06.2001", "WF1 3JT", "77", "Station Road"],
    ["d1", "Daniel", "Okafor", "30.01.1972", "HX1 5QR", "9", "Bank Street"],
    ["e1", "Daniel", "Okafor", "14.09.1999", "HX1 5QR", "9", "Bank Street"],
    ["f1", "Zoë", "O'Brien", "05.02.1948", "HD1 2RS", "21", "Kirkgate"],
]
RIGHT = [
    ["a2", "Jon", "Smyth", "01.02.1980", "ls62ab", "14", "Harper Grove"],
    ["b2", "Amelia", "PEARSON", "21.06.2001", "WF1 3JT", "", ""],
    ["c2", "Oliver", "Pearson", "21.06.2001", "", "77", "Station Road"],
    ["d2", "Danny", "Okafor", "30.01.1972", "HX1 5QR", "9", "Bank St"],
    ["e2", "Daniel", "Okafor", "14.09.1999", "", "9", "Bank Street"],
    ["f2", "Zoe", "OBrien", "02.05.1948", "HD1 2RS", "21", "Kirkgate"],
    ["g2", "Priya", "Sharma", "17.07.1995", "S70 1GW", "2", "Church Street"],
]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_a_hand_made_set_links_to_the_expected_persons(tmp_path: Path) -> None:
    files = [_write(tmp_path / "left.csv", LEFT), _write(tmp_path / "right.csv", RIGHT)]
    result = link_files(files, "id", parse_mapping(MAPPING), date_format="%d.%m.%Y")
    spine = result.spine
    assert list(spine.columns) == ["file", "record_id", "person_id"]
    assert len(spine) == len(LEFT) + len(RIGHT)
    assert spine["file"].tolist() == ["left.csv"] * len(LEFT) + ["right.csv"] * len(RIGHT)
    groups = spine.groupby("person_id")["record_id"].apply(
        lambda ids: "".join(sorted(i[0] for i in ids))
    )
    assert sorted(groups) == ["aa", "bb", "cc", "dd", "ee", "ff", "g"]


def test_the_output_is_one_row_per_input_row_even_when_a_field_is_missing(tmp_path: Path) -> None:
    left = _write(tmp_path / "left.csv", LEFT)
    result = link_files([left], "id", parse_mapping([*MAPPING, "nhs_number=nhs"]), "%d.%m.%Y")
    assert result.spine["record_id"].tolist() == [row[0] for row in LEFT]


def test_repeated_ids_are_refused_with_file_row_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path / "left.csv", [*LEFT, LEFT[0]])
    with pytest.raises(NightingaleError, match=r"left.csv, row 8, field id"):
        link_files([path], "id", parse_mapping(MAPPING))


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["surname=last"], "unknown field 'surname'"),
        (["given_name"], "FIELD=COLUMN"),
        ([], "--map"),
    ],
)
def test_bad_mappings_are_refused(items: list[str], message: str) -> None:
    with pytest.raises(NightingaleError, match=message):
        parse_mapping(items)


def test_a_missing_id_column_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "left.csv", LEFT)
    with pytest.raises(NightingaleError, match="no id column 'key'"):
        link_files([path], "key", parse_mapping(MAPPING))
