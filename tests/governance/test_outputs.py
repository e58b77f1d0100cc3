"""The airlock: checks on every cell, a checker who is not on the project, intact files.

Approving releases: a checker's approval that completes the tally moves the request to
released in the same transaction, after re-verifying every file's checksum.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nightingale.governance import audit, outputs, publishing
from nightingale.governance.errors import InvalidInput, PermissionDenied
from nightingale.governance.outputs import OutputFileSpec
from nightingale.governance.tables import ModelSummary, build_table
from nightingale.platform import database
from tests.governance.conftest import Platform


def people_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "arm": rng.choice(["treated", "comparison"], 300),
            "band": rng.choice(["16-34", "35-54", "55+"], 300),
        }
    )
    frame.loc[:2, "band"] = "90+"  # a tiny group: three people
    return frame


def files(tmp_path: Path, *, safe: bool) -> list[OutputFileSpec]:
    frame = people_frame()
    if safe:
        frame = frame[frame.band != "90+"]
    table = build_table(frame, "band", "arm")
    table_path = tmp_path / "table.csv"
    table.to_frame().to_csv(table_path)
    model_path = tmp_path / "model.json"
    model = ModelSummary("did", nobs=300, residual_dof=296.0, coefficients={"treated": -0.2})
    model_path.write_text(json.dumps(model.to_json()))
    figure = tmp_path / "plot.png"
    figure.write_bytes(b"\x89PNG fake")
    return [
        OutputFileSpec(table_path, "table", table.to_json()),
        OutputFileSpec(model_path, "model", model.to_json()),
        OutputFileSpec(figure, "figure"),
    ]


def submit(sqlite_cast: Platform, tmp_path: Path, *, safe: bool) -> int:
    output = sqlite_cast.act(
        outputs.submit_outputs,
        by="rita",
        project="dfh-pilot",
        title="results",
        files=files(tmp_path, safe=safe),
        data_root=tmp_path / "root",
    )
    return output.id


def test_every_file_and_cell_is_checked_and_the_results_written_beside(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    output_id = submit(sqlite_cast, tmp_path, safe=False)
    folder = tmp_path / "root" / "projects" / "dfh-pilot" / "outputs" / str(output_id)
    results = json.loads((folder / "sdc_results.json").read_text())
    by_name = {f["name"]: f for f in results["files"]}
    assert {n: f["outcome"] for n, f in by_name.items()} == {
        "table.csv": "fail",
        "model.json": "pass",
        "plot.png": "review",
    }
    failing = [c for c in by_name["table.csv"]["cells"] if c["outcome"] == "fail"]
    assert {c["row"] for c in failing} == {"90+"}
    assert sorted(p.name for p in folder.iterdir()) == [
        "model.json",
        "plot.png",
        "sdc_results.json",
        "table.csv",
    ]


def test_failing_cells_block_approval_unless_overridden_with_a_reason(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    output_id = submit(sqlite_cast, tmp_path, safe=False)
    with pytest.raises(PermissionDenied, match="table.csv has failing cells"):
        sqlite_cast.act(
            outputs.decide_output,
            by="otto",
            output_id=output_id,
            decision="approve",
            reason="looks fine",
            data_root=tmp_path / "root",
        )
    approved = sqlite_cast.act(
        outputs.decide_output,
        by="otto",
        output_id=output_id,
        decision="approve",
        reason="90+ row is structural zero",
        data_root=tmp_path / "root",
        override=True,
    )
    assert approved.status == "released"


def test_the_submitter_and_project_members_cannot_check(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    output_id = submit(sqlite_cast, tmp_path, safe=True)
    with pytest.raises(PermissionDenied, match="needs the role output_checker"):
        sqlite_cast.act(
            outputs.decide_output,
            by="rita",
            output_id=output_id,
            decision="approve",
            reason="mine",
            data_root=tmp_path / "root",
        )


def test_approving_releases_and_only_released_outputs_are_published(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    output_id = submit(sqlite_cast, tmp_path, safe=True)
    root = tmp_path / "root"
    with pytest.raises(PermissionDenied, match="is submitted; this needs it to be released"):
        sqlite_cast.act(
            publishing.publish_result,
            by="eve",
            title="Pilot",
            output_ids=[output_id],
            data_root=root,
        )
    approved = sqlite_cast.act(
        outputs.decide_output,
        by="otto",
        output_id=output_id,
        decision="approve",
        reason="all cells safe",
        data_root=root,
    )
    assert approved.status == "released"
    assert str(
        sqlite_cast.read(lambda s: outputs.output_tally(outputs.get_output(s, output_id)))
    ) == ("1 of 1")
    result = sqlite_cast.act(
        publishing.publish_result,
        by="eve",
        title="Pilot results",
        output_ids=[output_id],
        data_root=root,
        result_id="pilot-2027",
    )
    manifest = json.loads((root / result.location / "manifest.json").read_text())
    assert manifest["output_requests"] == [output_id]
    assert sorted(manifest["files"]) == [
        f"{output_id}-model.json",
        f"{output_id}-plot.png",
        f"{output_id}-table.csv",
    ]
    with database.session_scope(sqlite_cast.engine) as session:
        actions = [e.action for e in audit.entries(session, object_type="output")]
        assert actions == ["output.submitted", "output.approved", "output.released"]
        assert audit.verify(session, sqlite_cast.keystore).ok


def test_a_file_changed_after_checking_is_not_released_nor_the_approval_kept(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    output_id = submit(sqlite_cast, tmp_path, safe=True)
    root = tmp_path / "root"
    (root / "projects" / "dfh-pilot" / "outputs" / str(output_id) / "table.csv").write_text("x")
    with pytest.raises(PermissionDenied, match="table.csv changed or vanished"):
        sqlite_cast.act(
            outputs.decide_output,
            by="otto",
            output_id=output_id,
            decision="approve",
            reason="ok",
            data_root=root,
        )
    output = sqlite_cast.read(outputs.get_output, output_id)
    assert (output.status, output.decisions) == ("submitted", [])


def test_missing_files_are_refused_with_their_name(sqlite_cast: Platform, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="nope.csv: no such file"):
        sqlite_cast.act(
            outputs.submit_outputs,
            by="rita",
            project="dfh-pilot",
            title="t",
            files=[OutputFileSpec(tmp_path / "nope.csv")],
            data_root=tmp_path,
        )


def test_a_member_withdraws_a_returned_request(sqlite_cast: Platform, tmp_path: Path) -> None:
    output_id = submit(sqlite_cast, tmp_path, safe=False)
    sqlite_cast.act(
        outputs.decide_output,
        by="otto",
        output_id=output_id,
        decision="return",
        reason="merge the 90+ band",
        data_root=tmp_path / "root",
    )
    with pytest.raises(PermissionDenied, match="needs the role researcher"):
        sqlite_cast.act(outputs.withdraw_output, by="otto", output_id=output_id, reason="x")
    withdrawn = sqlite_cast.act(
        outputs.withdraw_output, by="rita", output_id=output_id, reason="resubmitting merged"
    )
    assert withdrawn.status == "withdrawn"
