"""Model outputs: the residual degrees of freedom are read from the file, in three forms."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from nightingale.governance.filecheck import check_file
from nightingale.governance.settings import SdcSettings
from nightingale.governance.tables import model_summary
from tests.governance.filecheck_world import write


def fitted(n: int) -> object:
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"x": rng.normal(size=n), "arm": rng.choice(["t", "c"], n)})
    data["y"] = 2 * data.x + rng.normal(size=n)
    return smf.ols("y ~ x + arm", data=data).fit()


@pytest.mark.parametrize(("n", "outcome"), [(200, "pass"), (12, "block")])
def test_json_model_summaries_are_checked_by_their_residual_dof(
    tmp_path: Path, n: int, outcome: str
) -> None:
    summary = model_summary(fitted(n), "ols")
    path = write(tmp_path, "model.json", json.dumps(summary.to_json()))
    verdict = check_file(path)
    assert verdict.outcome == outcome
    assert verdict.cells[0]["column"] == "residual_dof"
    if outcome == "block":
        assert [f.where for f in verdict.findings if f.rule == "residual-dof"] == [
            "key residual_dof"
        ]


def test_a_statsmodels_summary_printout_is_read(tmp_path: Path) -> None:
    small = write(tmp_path, "small.txt", str(fitted(12).summary()))  # type: ignore[attr-defined]
    verdict = check_file(small)
    assert verdict.outcome == "block"
    (finding,) = [f for f in verdict.findings if f.rule == "residual-dof"]
    assert finding.where.startswith("line ")
    large = write(tmp_path, "large.txt", str(fitted(300).summary()))  # type: ignore[attr-defined]
    assert check_file(large).outcome == "pass"


def test_a_coefficient_table_carries_its_dof_as_a_row(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "model.csv",
        "term,estimate,std_error\nIntercept,1.2,0.3\nx,0.4,0.1\nresidual_dof,7,\nnobs,9,\n",
    )
    verdict = check_file(path)
    assert verdict.outcome == "block"
    assert [f.where for f in verdict.findings if f.rule == "residual-dof"] == [
        "line 4, column estimate"
    ]
    assert check_file(path, settings=SdcSettings(min_residual_dof=5)).outcome == "pass"


def test_without_dof_observations_minus_terms_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, "model.tsv", "term\tcoef\nIntercept\t1.2\nx\t0.4\nnobs\t11\n")
    verdict = check_file(path)
    assert verdict.cells[0]["value"] == 9
    assert verdict.outcome == "block"


def test_a_model_that_does_not_show_its_dof_needs_review(tmp_path: Path) -> None:
    path = write(tmp_path, "model.csv", "term,estimate\nIntercept,1.2\nx,0.4\n")
    verdict = check_file(path)
    assert verdict.outcome == "review"
    assert "model-dof-missing" in verdict.rules()


def test_dof_only_in_the_metadata_is_not_evidence(tmp_path: Path) -> None:
    path = write(tmp_path, "model.csv", "term,estimate\nIntercept,1.2\nx,0.4\n")
    declared = {"kind": "model", "model": "ols", "nobs": 500, "residual_dof": 498}
    verdict = check_file(path, declared=declared)
    assert verdict.outcome == "review"
    assert {"model-dof-missing", "metadata-disagrees"} <= verdict.rules()


def test_metadata_that_overstates_the_dof_is_shown(tmp_path: Path) -> None:
    summary = model_summary(fitted(12), "ols")
    path = write(tmp_path, "model.json", json.dumps(summary.to_json()))
    declared = {**summary.to_json(), "residual_dof": 400}
    verdict = check_file(path, declared=declared)
    assert verdict.outcome == "block"
    (finding,) = [f for f in verdict.findings if f.rule == "metadata-disagrees"]
    assert "metadata says 400" in finding.detail


def test_a_model_file_is_hunted_like_any_other(tmp_path: Path) -> None:
    from tests.governance.filecheck_world import release

    evidence = release(50)
    pid = evidence.persons.pid.iloc[3]
    model = {"kind": "model", "model": "ols", "nobs": 300, "residual_dof": 290,
             "coefficients": {f"person[{pid}]": 0.2}}  # fmt: skip
    verdict = check_file(write(tmp_path, "m.json", json.dumps(model)), release=evidence)
    assert verdict.outcome == "block"
    assert [f.where for f in verdict.findings if f.rule == "pseudonym"] == [
        f"key coefficients.person[{pid}]"
    ]
