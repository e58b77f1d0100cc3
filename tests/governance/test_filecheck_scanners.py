"""The scanners that hunt what must never leave, as properties over generated text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nightingale.governance.filecheck import ReleaseEvidence, check_file
from nightingale.governance.filecheck.scanners import (
    Hunter,
    find_full_dates,
    find_identifiers,
    find_postcodes,
)
from nightingale.governance.settings import SdcSettings
from tests.governance.filecheck_world import persons

# Royal Mail's rules for the letters in each position of a postcode.
FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"
SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"
THIRD = "ABCDEFGHJKPSTUW"
FOURTH = "ABEHMNPRVWXY"
UNIT = "ABDEFGHJLNPQRSTUWXYZ"
digit = st.sampled_from("0123456789")


@st.composite
def outward_codes(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(FIRST))
    shape = draw(st.sampled_from(["A9", "A99", "AA9", "AA99", "A9A", "AA9A"]))
    if shape == "A9":
        return area + draw(digit)
    if shape == "A99":
        return area + draw(digit) + draw(digit)
    if shape == "AA9":
        return area + draw(st.sampled_from(SECOND)) + draw(digit)
    if shape == "AA99":
        return area + draw(st.sampled_from(SECOND)) + draw(digit) + draw(digit)
    if shape == "A9A":
        return area + draw(digit) + draw(st.sampled_from(THIRD))
    return area + draw(st.sampled_from(SECOND)) + draw(digit) + draw(st.sampled_from(FOURTH))


@st.composite
def postcodes(draw: st.DrawFn) -> str:
    inward = draw(digit) + draw(st.sampled_from(UNIT)) + draw(st.sampled_from(UNIT))
    code = draw(outward_codes()) + draw(st.sampled_from([" ", "", "  "])) + inward
    lowered = code.lower()
    # A lower-case code ending like "2nd" reads as an ordinal and is let pass on purpose.
    reads_as_ordinal = lowered[-2:] == {"1": "st", "2": "nd", "3": "rd"}.get(inward[0], "th")
    return code if reads_as_ordinal or draw(st.booleans()) else lowered


@st.composite
def sectors(draw: st.DrawFn) -> str:
    return draw(outward_codes()) + " " + draw(digit)


prose = st.text(st.sampled_from("abcdefghij klmnop,.;:()-"), max_size=30)


def around(draw: st.DrawFn, middle: str) -> str:
    """``middle`` inside generated prose, kept apart from it by a separator."""
    return draw(prose) + draw(st.sampled_from([" ", ", ", "(", ": "])) + middle + " " + draw(prose)


@given(st.data())
def test_any_full_postcode_is_found(data: st.DataObject) -> None:
    code = data.draw(postcodes())
    assert find_postcodes(around(data.draw, code)) == [code]


@given(st.lists(sectors(), min_size=1, max_size=5), prose)
def test_sectors_are_never_found(found: list[str], words: str) -> None:
    assert find_postcodes(", ".join([*found, words])) == []


def test_ordinals_are_not_postcodes_but_capitals_are() -> None:
    assert find_postcodes("the b1 2nd floor, t1 3rd row") == []
    assert find_postcodes("a0 0st, b1 2th") == ["a0 0st", "b1 2th"]
    assert find_postcodes("B1 2ND") == ["B1 2ND"]


date_forms = st.sampled_from(
    ["%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y",
     "%d %b %Y", "%d-%b-%Y", "%B %d, %Y", "%d/%m/%y"]
)  # fmt: skip


@given(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)), date_forms, st.data())
def test_any_full_date_is_found(day: dt.date, form: str, data: st.DataObject) -> None:
    written = day.strftime(form)
    assert find_full_dates(around(data.draw, written)) == [written]


@given(st.lists(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)), min_size=1), st.data())
def test_months_and_years_are_never_full_dates(days: list[dt.date], data: st.DataObject) -> None:
    form = data.draw(st.sampled_from(["%Y-%m", "%m/%Y", "%B %Y", "%Y"]))
    assert find_full_dates(", ".join(d.strftime(form) for d in days)) == []


def test_impossible_dates_are_not_dates() -> None:
    assert find_full_dates("31/02/2020, 2020-13-01, 1.2.3") == []


@given(st.lists(st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"])), min_size=1))
def test_identifiers_are_found_anywhere_in_any_case(noise: list[str]) -> None:
    pid = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    hunted = {pid: "a pseudonym (pid)"}
    for i in range(len(noise)):
        text = "".join(noise[:i]) + pid.upper() + "".join(noise[i:])
        assert find_identifiers(text, hunted, (32,)) == {pid: "a pseudonym (pid)"}


@given(st.data())
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
def test_any_pid_inserted_anywhere_in_a_csv_is_found(data: st.DataObject) -> None:
    people = persons(30, seed=3)
    release = ReleaseEvidence("r1", people)
    cell_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12)
    width = data.draw(st.integers(1, 4))
    header = [f"c{j}" for j in range(width)]
    rows = data.draw(st.lists(st.lists(cell_text, min_size=width, max_size=width), min_size=1))
    i = data.draw(st.integers(0, len(rows) - 1))
    j = data.draw(st.integers(0, width - 1))
    at = data.draw(st.integers(0, len(rows[i][j])))
    pid = data.draw(st.sampled_from(list(people["pid"])))
    rows[i][j] = rows[i][j][:at] + pid + rows[i][j][at:]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        verdict = check_file(path, release=release)
    line = 2 + i  # the header is line 1; generated cells hold no line breaks
    assert verdict.outcome == "block"
    assert any(
        f.rule == "pseudonym" and f.where == f"line {line}, column c{j}" for f in verdict.findings
    ), verdict.findings


def test_findings_never_repeat_the_value_found() -> None:
    pid = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    hunter = Hunter(SdcSettings(), {pid: "a pseudonym (pid)"}, (32,), "r1")
    findings = list(hunter.scan(f"{pid} lives at LS6 2AB, born 15/03/1980", "line 1"))
    assert {f.rule for f in findings} == {"pseudonym", "postcode", "date-of-birth"}
    for finding in findings:
        assert pid not in finding.detail
        assert "2AB" not in finding.detail
        assert "1980" not in finding.detail


def test_free_text_is_a_cell_longer_than_the_setting() -> None:
    hunter = Hunter(SdcSettings(max_text_length=40), {}, ())
    assert not list(hunter.scan("x" * 40, "line 2, column note", cell=True))
    (finding,) = hunter.scan("x" * 41, "line 2, column note", cell=True)
    assert (finding.rule, str(finding.severity)) == ("free-text", "block")
    assert not list(hunter.scan("x" * 41, "line 2", cell=False))


def test_a_full_date_blocks_in_a_table_and_near_birth_but_is_reviewed_in_prose() -> None:
    hunter = Hunter(SdcSettings(), {}, ())
    (in_table,) = hunter.scan("2021-04-01", "line 2, column when", dates_block=True)
    (in_prose,) = hunter.scan("analysis run on 2021-04-01", "line 3")
    (birth,) = hunter.scan("DOB 01/04/1961", "line 4")
    assert (in_table.rule, str(in_table.severity)) == ("full-date", "block")
    assert (in_prose.rule, str(in_prose.severity)) == ("full-date", "review")
    assert (birth.rule, str(birth.severity)) == ("date-of-birth", "block")


def test_the_statsmodels_summary_stamp_is_not_a_persons_date() -> None:
    hunter = Hunter(SdcSettings(), {}, ())
    assert not list(hunter.scan("Date:                Mon, 15 Jan 2024   AIC: 3", "line 4"))
