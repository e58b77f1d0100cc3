"""Differencing: two tables of one request whose margins differ by a small count."""

from __future__ import annotations

from pathlib import Path

from nightingale.governance.filecheck import check_files
from tests.governance.filecheck_world import write


def test_margins_that_differ_by_a_small_count_are_flagged_on_both_files(tmp_path: Path) -> None:
    everyone = write(tmp_path, "all.csv", "age_band,F,M\n16-24,40,52\n25-34,61,58\n")
    most = write(tmp_path, "most.csv", "age_band,F,M\n16-24,40,52\n25-34,58,58\n")
    first, second = check_files([everyone, most])
    for verdict, other in ((first, "most.csv"), (second, "all.csv")):
        assert verdict.outcome == "review"
        wheres = {f.where for f in verdict.findings if f.rule == "differencing"}
        assert wheres == {f"with {other}"}
        details = " ".join(f.detail for f in verdict.findings if f.rule == "differencing")
        assert "age_band = 25-34 differ by 3" in details
        assert "grand totals differ by 3" in details


def test_the_same_dimension_is_found_under_another_name(tmp_path: Path) -> None:
    first = write(tmp_path, "a.csv", "band,n\n16-24,100\n25-34,120\n")
    second = write(tmp_path, "b.csv", "age,n\n16-24,100\n25-34,125\n")
    assert all("differencing" in v.rules() for v in check_files([first, second]))


def test_long_and_wide_tables_are_compared_on_shared_dimensions(tmp_path: Path) -> None:
    wide = write(tmp_path, "wide.csv", "sex,t,c\nF,50,60\nM,55,70\n")
    long = write(tmp_path, "long.csv", "sex,arm,n\nF,t,50\nF,c,60\nM,t,55\nM,c,66\n")
    assert all("differencing" in v.rules() for v in check_files([wide, long]))


def test_tables_of_different_populations_or_equal_margins_are_not_flagged(tmp_path: Path) -> None:
    men = write(tmp_path, "men.csv", "age_band,n\n16-24,140\n25-34,220\n")
    women = write(tmp_path, "women.csv", "age_band,n\n16-24,160\n25-34,190\n")
    by_arm = write(tmp_path, "arm.csv", "age_band,t,c\n16-24,70,70\n25-34,100,120\n")
    by_sex = write(tmp_path, "sex.csv", "age_band,F,M\n16-24,75,65\n25-34,110,110\n")
    verdicts = check_files([men, women, by_arm, by_sex])
    assert all("differencing" not in v.rules() for v in verdicts)


def test_tables_over_different_dimensions_are_not_compared(tmp_path: Path) -> None:
    ages = write(tmp_path, "ages.csv", "age_band,n\n16-24,100\n25-34,120\n")
    areas = write(tmp_path, "areas.csv", "area,n\nnorth,101\nsouth,120\n")
    assert all("differencing" not in v.rules() for v in check_files([ages, areas]))
