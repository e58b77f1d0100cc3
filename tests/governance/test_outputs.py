"""The airlock: every file checked from its content, two independent checkers, intact files.

Approving releases: the approval that completes the tally (two different output checkers)
moves the request to released in the same transaction, after re-verifying every file's
checksum. These tests have no release to check against (the project has none), so the
file check works on what the files show; tests/governance/test_airlock_adversarial.py
checks against a release.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from nightingale.governance import audit, outputs, publishing
from nightingale.governance.errors import InvalidInput, PermissionDenied
from nightingale.governance.outputs import OutputFileSpec
from nightingale.governance.settings import GovernanceSettings
from nightingale.governance.tables import ModelSummary, build_table
from nightingale.platform import database
from tests.governance.conftest import Platform
from tests.governance.filecheck_world import png_bytes


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


def table_file(folder: Path, *, safe: bool, name: str = "table.csv") -> OutputFileSpec:
    frame = people_frame()
    if safe:
        frame = frame[frame.band != "90+"]
    table = build_table(frame, "band", "arm")
    path = folder / name
    table.to_frame().to_csv(path)
    return OutputFileSpec(path, "table", table.to_json())


def model_file(folder: Path) -> OutputFileSpec:
    model = ModelSummary("did", nobs=300, residual_dof=296.0, coefficients={"treated": -0.2})
    path = folder / "model.json"
    path.write_text(json.dumps(model.to_json()))
    return OutputFileSpec(path, "model", model.to_json())


def figure_files(folder: Path) -> list[OutputFileSpec]:
    """A figure and its data file (the same name with a table suffix)."""
    figure = folder / "plot.png"
    figure.write_bytes(png_bytes())
    data = folder / "plot.csv"
    data.write_text("band,n\n16-34,98\n35-54,101\n55+,98\n")
    return [OutputFileSpec(figure, "figure"), OutputFileSpec(data, "table")]


def submit(cast: Platform, tmp_path: Path, files: list[OutputFileSpec], by: str = "rita") -> int:
    output = cast.act(
        outputs.submit_outputs,
        by=by,
        project="dfh-pilot",
        title="results",
        files=files,
        data_root=tmp_path / "root",
    )
    return output.id


def decide(
    cast: Platform, tmp_path: Path, output_id: int, by: str, decision: str = "approve", **kw: object
) -> outputs.OutputRequest:
    return cast.act(
        outputs.decide_output,
        by=by,
        output_id=output_id,
        decision=decision,
        reason=kw.pop("reason", f"{by}: reviewed"),  # type: ignore[arg-type]
        data_root=tmp_path / "root",
        **kw,
    )


def folder_of(tmp_path: Path, output_id: int) -> Path:
    return tmp_path / "root" / "projects" / "dfh-pilot" / "outputs" / str(output_id)


def test_every_file_is_read_and_its_verdict_written_beside_it(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    files = [table_file(tmp_path, safe=False), model_file(tmp_path), *figure_files(tmp_path)]
    output_id = submit(sqlite_cast, tmp_path, files)
    folder = folder_of(tmp_path, output_id)
    results = json.loads((folder / "sdc_results.json").read_text())
    assert results["release"] is None
    by_name = {f["name"]: f for f in results["files"]}
    assert {n: f["outcome"] for n, f in by_name.items()} == {
        "table.csv": "block",
        "model.json": "pass",
        "plot.png": "review",
        "plot.csv": "pass",
    }
    threshold = [f for f in by_name["table.csv"]["findings"] if f["rule"] == "threshold"]
    assert threshold and {f["severity"] for f in threshold} == {"block"}
    assert [f["where"] for f in threshold] == ["line 5, column comparison"]  # 90+: 3 people
    assert {f["rule"] for f in by_name["plot.png"]["findings"]} == {"figure"}
    assert sorted(p.name for p in folder.iterdir()) == [
        "model.json",
        "plot.csv",
        "plot.png",
        "sdc_results.json",
        "table.csv",
    ]
    stored = sqlite_cast.read(outputs.get_output, output_id)
    assert {f.name: f.outcome for f in stored.files} == {
        n: f["outcome"] for n, f in by_name.items()
    }


def test_a_blocked_file_cannot_be_approved_not_even_with_an_override(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    output_id = submit(sqlite_cast, tmp_path, [table_file(tmp_path, safe=False)])
    for override in (False, True):
        with pytest.raises(PermissionDenied, match=r"table.csv \(threshold.*\) blocked"):
            decide(sqlite_cast, tmp_path, output_id, "otto", override=override)
    decide(sqlite_cast, tmp_path, output_id, "otto", "return", reason="merge the 90+ band")
    assert sqlite_cast.read(outputs.get_output, output_id).status == "returned"


def test_review_needs_each_checkers_override_and_reason(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    output_id = submit(sqlite_cast, tmp_path, figure_files(tmp_path))
    with pytest.raises(PermissionDenied, match=r"plot.png \(figure\) need review"):
        decide(sqlite_cast, tmp_path, output_id, "otto")
    first = decide(sqlite_cast, tmp_path, output_id, "otto", override=True)
    assert first.status == "submitted"
    with pytest.raises(PermissionDenied, match="need review"):
        decide(sqlite_cast, tmp_path, output_id, "owen")
    second = decide(sqlite_cast, tmp_path, output_id, "owen", override=True, reason="bars >= 98")
    assert second.status == "released"


def test_two_different_checkers_release_and_the_same_checker_cannot_approve_twice(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    output_id = submit(sqlite_cast, tmp_path, [table_file(tmp_path, safe=True)])
    assert decide(sqlite_cast, tmp_path, output_id, "otto").status == "submitted"
    tally = sqlite_cast.read(lambda s: outputs.output_tally(outputs.get_output(s, output_id)))
    assert str(tally) == "1 of 2"
    with pytest.raises(PermissionDenied, match="otto has already decided output request"):
        decide(sqlite_cast, tmp_path, output_id, "otto")
    assert decide(sqlite_cast, tmp_path, output_id, "owen").status == "released"
    with database.session_scope(sqlite_cast.engine) as session:
        entries = list(audit.entries(session, object_type="output"))
        assert [(e.actor, e.action) for e in entries] == [
            ("rita", "output.submitted"),
            ("otto", "output.approval"),
            ("otto", "output.check.refused"),
            ("owen", "output.approved"),
            ("owen", "output.released"),
        ]
        assert audit.verify(session, sqlite_cast.keystore).ok


def test_a_rejection_by_either_checker_stops_it(sqlite_cast: Platform, tmp_path: Path) -> None:
    output_id = submit(sqlite_cast, tmp_path, [table_file(tmp_path, safe=True)])
    decide(sqlite_cast, tmp_path, output_id, "otto")
    assert decide(sqlite_cast, tmp_path, output_id, "owen", "reject").status == "rejected"
    with pytest.raises(PermissionDenied):
        decide(sqlite_cast, tmp_path, output_id, "otto")
    assert sqlite_cast.read(outputs.get_output, output_id).status == "rejected"


def test_the_number_of_checkers_is_a_governance_setting(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    three = GovernanceSettings(output_approvals=3)
    output_id = submit(sqlite_cast, tmp_path, [table_file(tmp_path, safe=True)])
    decide(sqlite_cast, tmp_path, output_id, "otto", settings=three)
    assert decide(sqlite_cast, tmp_path, output_id, "owen", settings=three).status == "submitted"
    with pytest.raises(ValueError, match="greater than or equal to 2"):
        GovernanceSettings(output_approvals=1)


def test_the_submitter_and_project_members_cannot_check(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    output_id = submit(sqlite_cast, tmp_path, [table_file(tmp_path, safe=True)])
    with pytest.raises(PermissionDenied, match="needs the role output_checker"):
        decide(sqlite_cast, tmp_path, output_id, "rita")


def test_only_released_outputs_are_published(sqlite_cast: Platform, tmp_path: Path) -> None:
    output_id = submit(sqlite_cast, tmp_path, [table_file(tmp_path, safe=True)])
    root = tmp_path / "root"
    decide(sqlite_cast, tmp_path, output_id, "otto")
    with pytest.raises(PermissionDenied, match="is submitted; this needs it to be released"):
        sqlite_cast.act(
            publishing.publish_result, by="eve", title="P", output_ids=[output_id], data_root=root
        )
    decide(sqlite_cast, tmp_path, output_id, "owen")
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
    assert sorted(manifest["files"]) == [f"{output_id}-table.csv"]


def test_a_file_changed_after_checking_is_not_released_nor_the_approval_kept(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    output_id = submit(sqlite_cast, tmp_path, [table_file(tmp_path, safe=True)])
    decide(sqlite_cast, tmp_path, output_id, "otto")
    (folder_of(tmp_path, output_id) / "table.csv").write_text("x")
    with pytest.raises(PermissionDenied, match="table.csv changed or vanished"):
        decide(sqlite_cast, tmp_path, output_id, "owen")
    output = sqlite_cast.read(outputs.get_output, output_id)
    assert output.status == "submitted"
    assert [(d.checker.username, d.decision) for d in output.decisions] == [("otto", "approve")]


def test_types_outside_the_list_are_refused_at_submission_naming_the_allowed_types(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    archive = tmp_path / "results.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("rows.csv", "pid,x\n1,2\n")
    disguised = tmp_path / "rows.csv"
    disguised.write_bytes(archive.read_bytes())
    for path in (archive, disguised):
        with pytest.raises(InvalidInput, match=rf"{path.name}: .*allowed: tables \.csv"):
            submit(sqlite_cast, tmp_path, [OutputFileSpec(path, "other")])
    assert sqlite_cast.read(outputs.queue, None) == []
    with database.session_scope(sqlite_cast.engine) as session:
        refused = list(audit.entries(session, action_prefix="output.submit.refused"))
        assert len(refused) == 2
        assert "an archive (.zip)" in refused[0].details and "ZIP archive" in refused[1].details


def test_a_notebook_is_stored_and_checked_as_its_rendered_html(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    book = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("frame.describe()")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="mean cost 81.2\n")]
    book.cells = [cell]
    path = tmp_path / "analysis.ipynb"
    nbformat.write(book, str(path))
    output_id = submit(sqlite_cast, tmp_path, [OutputFileSpec(path, "other")])
    folder = folder_of(tmp_path, output_id)
    assert sorted(p.name for p in folder.iterdir()) == ["analysis.html", "sdc_results.json"]
    assert "mean cost 81.2" in (folder / "analysis.html").read_text()
    (check,) = outputs.file_checks(sqlite_cast.read(outputs.get_output, output_id))
    assert check["outcome"] == "review"
    assert any(
        "rendered from the notebook analysis.ipynb" in f["detail"] for f in check["findings"]
    )


def test_metadata_that_disagrees_with_the_file_is_shown_and_needs_the_override(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    spec = table_file(tmp_path, safe=True)
    assert spec.sdc is not None
    lie = json.loads(json.dumps(spec.sdc))
    lie["cells"][0]["value"] += 40  # the metadata claims a count the file does not show
    output_id = submit(sqlite_cast, tmp_path, [OutputFileSpec(spec.path, "table", lie)])
    output = sqlite_cast.read(outputs.get_output, output_id)
    (check,) = outputs.file_checks(output)
    assert check["outcome"] == "review"
    assert any(f["rule"] == "metadata-disagrees" for f in check["findings"])
    with pytest.raises(PermissionDenied, match="metadata disagrees with table.csv"):
        decide(sqlite_cast, tmp_path, output_id, "otto")


def test_missing_files_are_refused_with_their_name(sqlite_cast: Platform, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="nope.csv: no such file"):
        submit(sqlite_cast, tmp_path, [OutputFileSpec(tmp_path / "nope.csv")])


def test_a_member_withdraws_a_returned_request(sqlite_cast: Platform, tmp_path: Path) -> None:
    output_id = submit(sqlite_cast, tmp_path, [table_file(tmp_path, safe=False)])
    decide(sqlite_cast, tmp_path, output_id, "otto", "return", reason="merge the 90+ band")
    with pytest.raises(PermissionDenied, match="needs the role researcher"):
        sqlite_cast.act(outputs.withdraw_output, by="otto", output_id=output_id, reason="x")
    withdrawn = sqlite_cast.act(
        outputs.withdraw_output, by="rita", output_id=output_id, reason="resubmitting merged"
    )
    assert withdrawn.status == "withdrawn"


def test_a_stored_legacy_fail_counts_as_a_block(sqlite_cast: Platform, tmp_path: Path) -> None:
    """Requests checked before the file check stored ``fail``; they are never approvable."""
    from nightingale.governance.output_gate import gate_of

    output_id = submit(sqlite_cast, tmp_path, [table_file(tmp_path, safe=True)])
    output = sqlite_cast.read(outputs.get_output, output_id)
    output.files[0].outcome = "fail"
    assert gate_of(output).blocked == {"table.csv": ["failing cells"]}
