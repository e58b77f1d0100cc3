"""The entry points: the verdict's JSON shape, a whole request, and their limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nightingale.governance.errors import InvalidInput
from nightingale.governance.filecheck import (
    FileOutcome,
    FileVerdict,
    Finding,
    check_file,
    check_files,
)
from nightingale.governance.filecheck.engine import MAX_FINDINGS_PER_RULE
from nightingale.governance.settings import SdcSettings
from tests.governance.filecheck_world import release, write


def test_the_verdict_is_exactly_the_json_the_issue_asks_for(tmp_path: Path) -> None:
    verdict = check_file(write(tmp_path, "t.csv", "age_band,n\n16-24,40\n85+,4\n"))
    data = json.loads(json.dumps(verdict.as_dict()))
    assert set(data) == {"file", "outcome", "findings", "cells"}
    assert data["file"] == "t.csv"
    assert data["outcome"] == "block"
    assert data["findings"] == [
        {"rule": "threshold", "where": "line 3, column n", "detail": "a count of 4 is below "
         "the minimum of 10"}
    ]  # fmt: skip
    assert data["cells"][1] == {
        "row": "85+",
        "column": "n",
        "value": 4.0,
        "outcome": "fail",
        "reasons": ["a count of 4 is below the minimum of 10"],
    }


def test_the_outcome_is_the_worst_of_findings_and_cells() -> None:
    review = Finding("zero", "line 2, column n", "zero", FileOutcome.REVIEW)
    note = Finding("recomputed", "file", "note", FileOutcome.PASS)
    failing = {"row": "a", "column": "n", "value": 3, "outcome": "fail", "reasons": []}
    assert FileVerdict.of("t.csv", [note]).outcome == "pass"
    assert FileVerdict.of("t.csv", [note, review]).outcome == "review"
    assert FileVerdict.of("t.csv", [review], [failing]).outcome == "block"
    assert FileVerdict.of("t.csv", []).with_findings([review]).outcome == "review"


def test_many_hits_of_one_rule_are_capped_with_a_count(tmp_path: Path) -> None:
    evidence = release(100)
    path = tmp_path / "rows.csv"
    evidence.persons[["pid"]].to_csv(path, index=False)
    verdict = check_file(path, release=evidence)
    pids = [f for f in verdict.findings if f.rule == "pseudonym"]
    assert len(pids) == MAX_FINDINGS_PER_RULE + 1
    assert pids[-1].detail == f"and {100 - MAX_FINDINGS_PER_RULE} more like this"


def test_a_request_may_not_hold_two_files_of_one_name(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write(tmp_path / "a", "t.csv", "x,n\na,10\n")
    second = write(tmp_path / "b", "t.csv", "x,n\na,10\n")
    with pytest.raises(InvalidInput, match="two files share the name t.csv"):
        check_files([first, second])


def test_metadata_is_matched_to_files_by_name(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "term,estimate\nx,0.4\nresidual_dof,200\n")
    declared = {"m.csv": {"kind": "model", "residual_dof": 3}}
    (verdict,) = check_files([path], declared=declared)
    assert "metadata-disagrees" in verdict.rules()


def test_metadata_that_is_not_an_object_is_a_finding(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "x,n\na,10\n")
    verdict = check_file(path, declared=[1, 2])  # type: ignore[arg-type]
    assert (verdict.outcome, verdict.rules()) == ("review", {"metadata-disagrees"})


def test_an_unreadable_file_is_blocked_not_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "a,b\n")
    path.write_bytes(b"a,b\n" + b"x,1\n" * 200 + b"\xc3\x28,1\n")  # bad UTF-8 past the sniff
    assert check_file(path).rules() == {"unreadable"}


def test_new_settings_validate() -> None:
    from pydantic import ValidationError

    assert SdcSettings().max_text_length == 200
    with pytest.raises(ValidationError):
        SdcSettings(row_level_distinct_share=1.5)
    with pytest.raises(ValidationError):
        SdcSettings(max_text_length=5)


def test_docs_name_every_rule_the_check_can_give() -> None:
    import re

    from nightingale.governance.filecheck import table_rules

    package = Path(table_rules.__file__).parent
    source = "\n".join(p.read_text() for p in package.glob("*.py"))
    emitted = set(re.findall(r'Finding\(\s*"([a-z-]+)"', source))
    # rule names chosen at run time: SDC reasons, and the two kinds of identifier
    emitted |= {rule for _, rule in table_rules._RULES} | {"extreme-value"}
    emitted |= {"pseudonym", "record-id"}
    documented = (Path(__file__).parents[2] / "docs" / "sdc.md").read_text()
    assert len(emitted) > 20
    assert not {rule for rule in emitted if f"`{rule}`" not in documented}
