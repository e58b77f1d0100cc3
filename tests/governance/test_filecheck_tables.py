"""Table files: what the file shows, and the same table recomputed from the release."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from nightingale.governance.filecheck import check_file
from nightingale.governance.filecheck.grid import read_delimited
from nightingale.governance.filecheck.table_rules import Role, column_roles, rule_of
from nightingale.governance.mitigation import round_table, suppress_table
from nightingale.governance.sdc import Evidence, check_cell, check_regression
from nightingale.governance.settings import SdcSettings
from nightingale.governance.tables import build_table
from tests.governance.filecheck_world import release, write


def where_of(verdict: object, rule: str) -> list[str]:
    return [f.where for f in verdict.findings if f.rule == rule]  # type: ignore[attr-defined]


# --- what the file shows, without a release -------------------------------------------


def test_a_table_of_safe_counts_passes_and_lists_its_cells(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "age_band,F,M\n16-24,40,52\n25-34,31,12\n")
    verdict = check_file(path)
    assert verdict.outcome == "pass"
    assert verdict.findings == ()
    assert [(c["row"], c["column"], c["value"]) for c in verdict.cells] == [
        ("16-24", "F", 40.0),
        ("16-24", "M", 52.0),
        ("25-34", "F", 31.0),
        ("25-34", "M", 12.0),
    ]
    assert set(verdict.cells[0]) == {"row", "column", "value", "outcome", "reasons"}


def test_a_small_count_blocks_and_a_zero_needs_review_naming_line_and_column(
    tmp_path: Path,
) -> None:
    small = check_file(write(tmp_path, "s.csv", "age_band,F,M\n16-24,40,52\n85+,3,12\n"))
    assert small.outcome == "block"
    assert where_of(small, "threshold") == ["line 3, column F"]
    zero = check_file(write(tmp_path, "z.csv", "age_band,F,M\n16-24,40,52\n85+,0,12\n"))
    assert zero.outcome == "review"
    assert where_of(zero, "zero") == ["line 3, column F"]


def test_the_threshold_comes_from_the_settings(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "age_band,n\n16-24,12\n")
    assert check_file(path).outcome == "pass"
    assert check_file(path, settings=SdcSettings(threshold=20)).outcome == "block"


def test_empty_cells_count_as_suppressed(tmp_path: Path) -> None:
    verdict = check_file(write(tmp_path, "t.csv", "age_band,F,M\n16-24,40,\n25-34,,52\n"))
    assert verdict.outcome == "pass"
    assert [c["reasons"] for c in verdict.cells if c["value"] is None] == [
        ["suppressed"],
        ["suppressed"],
    ]


def test_long_tables_label_rows_by_every_label_column(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "age_band,sex,n\n16-24,F,40\n16-24,M,4\n")
    verdict = check_file(path)
    assert [(c["row"], c["column"], c["outcome"]) for c in verdict.cells] == [
        ("16-24 / F", "n", "pass"),
        ("16-24 / M", "n", "fail"),
    ]


def test_column_roles_read_labels_counts_and_statistics_from_names_and_values(
    tmp_path: Path,
) -> None:
    grid, _ = read_delimited(
        write(
            tmp_path,
            "t.csv",
            "area,year,imd_quintile,n,mean_cost,pct,visits\nA,2020,1,12,3.5,40,14\n"
            "B,2021,2,15,4.5,60,11\n",
        ),
        ",",
    )
    assert column_roles(grid) == [
        Role.LABEL,
        Role.LABEL,
        Role.LABEL,
        Role.COUNT,
        Role.STATISTIC,
        Role.STATISTIC,
        Role.COUNT,
    ]


def test_magnitudes_the_file_cannot_prove_safe_need_review(tmp_path: Path) -> None:
    verdict = check_file(write(tmp_path, "t.csv", "age_band,mean_cost\n16-24,81.2\n"))
    assert verdict.outcome == "review"
    assert where_of(verdict, "magnitude-unverified") == ["column mean_cost"]


def test_ragged_rows_need_review(tmp_path: Path) -> None:
    verdict = check_file(write(tmp_path, "t.csv", "age_band,n\n16-24,40,7\n"))
    assert "malformed-table" in verdict.rules()


def test_parquet_tables_name_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pd.DataFrame({"age_band": ["16-24", "85+"], "n": [40, 2]}).to_parquet(path)
    verdict = check_file(path)
    assert where_of(verdict, "threshold") == ["row 2, column n"]


# --- suspected row-level data -----------------------------------------------------------


def test_more_rows_than_the_release_could_aggregate_is_row_level(tmp_path: Path) -> None:
    evidence = release(200)  # 200 persons: at most 20 rows of 10 or more
    rows = "\n".join(f"g{i},{10 + i}" for i in range(25))
    verdict = check_file(write(tmp_path, "t.csv", f"group,n\n{rows}\n"), release=evidence)
    assert verdict.outcome == "block"
    (finding,) = [f for f in verdict.findings if f.rule == "row-level"]
    assert "at most 20" in finding.detail


def test_about_one_row_per_person_is_row_level(tmp_path: Path) -> None:
    evidence = release(60)
    frame = evidence.persons.drop(columns=["pid", "cost"]).iloc[:57]
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    verdict = check_file(path, release=evidence)
    assert any("one row per person" in f.detail for f in verdict.findings if f.rule == "row-level")


def test_a_long_table_with_a_nearly_all_distinct_column_is_suspected(tmp_path: Path) -> None:
    rows = "\n".join(f"{i % 5},{1000 + i * 7.31:.2f}" for i in range(120))
    path = write(tmp_path, "t.csv", f"arm,amount\n{rows}\n")
    verdict = check_file(path)
    assert verdict.outcome == "block"
    assert where_of(verdict, "row-level") == ["column amount"]
    assert (
        check_file(path, settings=SdcSettings(row_level_min_rows=500))
        .rules()
        .isdisjoint({"row-level"})
    )


def test_distinct_values_in_a_plausible_aggregate_only_need_review(tmp_path: Path) -> None:
    evidence = release(4000)  # 4000 persons allow 400 rows of 10
    rows = "\n".join(f"area{i},{10 + i}" for i in range(150))
    verdict = check_file(write(tmp_path, "t.csv", f"area,n\n{rows}\n"), release=evidence)
    assert [str(f.severity) for f in verdict.findings if f.rule == "row-level"] == ["review"]


# --- recomputed from the release ---------------------------------------------------------


def written(tmp_path: Path, name: str, table: object) -> Path:
    path = tmp_path / name
    path.write_text(table.to_frame().to_csv())  # type: ignore[attr-defined]
    return path


def test_a_table_is_recomputed_from_the_release_and_its_cells_checked(tmp_path: Path) -> None:
    evidence = release()
    table = build_table(evidence.persons, "age_band", "sex")
    verdict = check_file(
        written(tmp_path, "t.csv", table), release=evidence, declared=table.to_json()
    )
    assert "recomputed" in verdict.rules()
    assert len(verdict.cells) == len(table.cells)
    assert verdict.outcome == "block"  # 85+ is rare
    assert set(where_of(verdict, "threshold")) <= {"cell (85+, F)", "cell (85+, M)"}
    assert "file-differs-from-release" not in verdict.rules()


def test_a_rounded_and_suppressed_table_matches_its_recomputation(tmp_path: Path) -> None:
    evidence = release()
    table = build_table(evidence.persons, "age_band", "sex")
    safe = suppress_table(round_table(table, 5), SdcSettings())
    path = written(tmp_path, "t.csv", safe)
    verdict = check_file(path, release=evidence, declared=safe.to_json())
    assert "file-differs-from-release" not in verdict.rules()
    assert "metadata-disagrees" not in verdict.rules()
    assert verdict.outcome == "pass"


def test_dominance_and_p_percent_are_recomputed_for_magnitude_tables(tmp_path: Path) -> None:
    evidence = release()
    people = evidence.persons.copy()
    rich = people.index[(people.age_band == "16-24") & (people.sex == "F")][:2]
    people.loc[rich, "cost"] = 1_000_000.0
    evidence = type(evidence)("r1", people, evidence.panel)
    table = build_table(people, "age_band", "sex", "cost", "mean")
    verdict = check_file(
        written(tmp_path, "t.csv", table), release=evidence, declared=table.to_json()
    )
    assert where_of(verdict, "dominance") == ["cell (16-24, F)"]
    assert where_of(verdict, "p-percent") == ["cell (16-24, F)"]
    assert "magnitude-unverified" not in verdict.rules()


def test_a_cell_that_differs_from_the_release_needs_review(tmp_path: Path) -> None:
    evidence = release()
    table = build_table(evidence.persons[evidence.persons.age_band != "85+"], "age_band", "sex")
    path = written(tmp_path, "t.csv", table)
    path.write_text(path.read_text().replace("16-24,", "16-24,1", 1))
    definition = {"definition": {"rows": "age_band", "columns": "sex"}}
    verdict = check_file(path, release=evidence, declared=definition)
    assert verdict.outcome == "review"
    assert where_of(verdict, "file-differs-from-release") == [
        "cell (16-24, F)",
        "cell (85+, F)",
        "cell (85+, M)",
    ]


def test_a_definition_can_name_the_frame_and_a_subpopulation(tmp_path: Path) -> None:
    evidence = release()
    treated = evidence.persons[evidence.persons.treated == 1]
    table = build_table(treated, "sex", "treated")
    definition = {"definition": {"rows": "sex", "columns": "treated", "where": {"treated": 1}}}
    verdict = check_file(written(tmp_path, "t.csv", table), release=evidence, declared=definition)
    assert "file-differs-from-release" not in verdict.rules()
    panel = build_table(evidence.panel, "period", "admissions")
    definition = {"definition": {"rows": "period", "columns": "admissions", "frame": "panel"}}
    verdict = check_file(written(tmp_path, "p.csv", panel), release=evidence, declared=definition)
    assert "file-differs-from-release" not in verdict.rules()


def test_a_definition_the_release_cannot_answer_needs_review(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "region,n\nnorth,40\n")
    definition = {"definition": {"rows": "region", "columns": "sex"}}
    verdict = check_file(path, release=release(), declared=definition)
    assert "definition-unusable" in verdict.rules()
    assert verdict.outcome == "review"


def test_a_file_that_cannot_be_compared_still_gets_the_file_only_rules(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "sex,treated,first,second\nF,1,4,40\n")
    definition = {"definition": {"rows": "sex", "columns": "treated"}}
    verdict = check_file(path, release=release(), declared=definition)
    assert "definition-unusable" in verdict.rules()
    assert "threshold" in verdict.rules()
    assert verdict.outcome == "block"


def test_long_layout_is_compared_too(tmp_path: Path) -> None:
    evidence = release()
    table = build_table(evidence.persons, "sex", "treated")
    long = pd.DataFrame(
        [(c.row, c.column, c.value) for c in table.cells], columns=["sex", "treated", "n"]
    )
    path = tmp_path / "t.csv"
    long.to_csv(path, index=False)
    verdict = check_file(path, release=evidence, declared=table.to_json())
    assert "file-differs-from-release" not in verdict.rules()
    assert verdict.outcome == "pass"


# --- metadata is context, never an override ------------------------------------------------


@pytest.mark.parametrize("with_release", [False, True])
def test_metadata_that_disagrees_with_the_file_is_shown_and_reviewed(
    tmp_path: Path, with_release: bool
) -> None:
    evidence = release()
    honest = build_table(evidence.persons[evidence.persons.age_band != "85+"], "age_band", "sex")
    path = written(tmp_path, "t.csv", honest)
    lie = honest.to_json()
    lie["cells"][0]["value"] = 1000.0
    lie["cells"][0]["evidence"]["count"] = 1000
    verdict = check_file(path, release=evidence if with_release else None, declared=lie)
    assert verdict.outcome != "pass"
    (finding,) = [f for f in verdict.findings if f.rule == "metadata-disagrees"][:1]
    assert finding.detail.startswith("metadata disagrees with the file")
    assert finding.where == f"cell ({lie['cells'][0]['row']}, {lie['cells'][0]['column']})"


def test_metadata_cannot_hide_a_small_cell_the_file_shows(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "age_band,F,M\n16-24,40,52\n85+,3,12\n")
    claim = {
        "kind": "table",
        "index": "age_band",
        "columns": "sex",
        "statistic": "count",
        "values": None,
        "cells": [
            {"row": r, "column": c, "value": 50.0, "evidence": {"statistic": "count", "count": 50}}
            for r in ("16-24", "85+")
            for c in ("F", "M")
        ],
    }
    verdict = check_file(path, declared=claim)
    assert verdict.outcome == "block"
    assert {"threshold", "metadata-disagrees"} <= verdict.rules()


def test_failing_evidence_in_the_metadata_blocks_even_if_the_file_cannot_show_it(
    tmp_path: Path,
) -> None:
    evidence = release()
    people = evidence.persons.copy()
    people.loc[people.index[:2], "cost"] = 1_000_000.0
    table = build_table(people, "sex", "treated", "cost", "sum")
    verdict = check_file(written(tmp_path, "t.csv", table), declared=table.to_json())
    assert verdict.outcome == "block"
    assert "declared-evidence-fails" in verdict.rules()


@pytest.mark.parametrize(
    ("evidence", "rule"),
    [
        (Evidence("count", 3), "threshold"),
        (Evidence("mean", 3, total=3.0, top=(1.0, 1.0, 1.0)), "threshold"),
        (Evidence("count", 0), "zero"),
        (Evidence("sum", 20, total=100.0, top=(60.0, 35.0)), "dominance"),
        (Evidence("sum", 20, total=100.0, top=(80.0, 15.0)), "p-percent"),
        (Evidence("sum", 20, total=100.0, top=(30.0, 5.0), negatives=1), "negative-contributions"),
        (Evidence("max", 20, total=100.0, top=(30.0, 5.0)), "extreme-value"),
    ],
)
def test_every_sdc_reason_has_a_rule_name(evidence: Evidence, rule: str) -> None:
    verdict = check_cell(evidence)
    assert rule in {rule_of(reason) for reason in verdict.reasons}
    assert "sdc" not in {rule_of(reason) for reason in verdict.reasons}
    assert rule_of(check_regression(3).reasons[0]) == "residual-dof"


@pytest.mark.parametrize(
    "spoil",
    [
        lambda cell: cell.update(value="lots"),
        lambda cell: cell["evidence"].update(count="12"),
        lambda cell: cell["evidence"].update(top=["a"]),
        lambda cell: cell.pop("evidence"),
    ],
)
def test_malformed_metadata_is_a_finding_not_a_crash(tmp_path: Path, spoil: Any) -> None:
    evidence = release()
    table = build_table(evidence.persons, "sex", "treated")
    declared = table.to_json()
    spoil(declared["cells"][0])
    for given in (None, evidence):
        verdict = check_file(written(tmp_path, "t.csv", table), release=given, declared=declared)
        assert verdict.outcome == "review"
        assert "metadata-disagrees" in verdict.rules()
