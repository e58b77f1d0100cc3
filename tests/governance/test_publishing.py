"""Publishing: only a project's own evaluators publish its outputs, and only the approved bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.governance import audit, people, publishing
from nightingale.governance.errors import InvalidInput, PermissionDenied
from tests.governance.conftest import CHEAP, Platform
from tests.governance.test_outputs import decide, folder_of, submit, table_file


def _released(cast: Platform, tmp_path: Path) -> int:
    output_id = submit(cast, tmp_path, [table_file(tmp_path, safe=True)])
    for checker in ("otto", "owen"):
        decide(cast, tmp_path, output_id, checker)
    return output_id


def _publish(cast: Platform, tmp_path: Path, by: str, output_id: int) -> object:
    return cast.act(
        publishing.publish_result,
        by=by,
        title="Pilot results",
        output_ids=[output_id],
        data_root=tmp_path / "root",
        result_id="pilot-results",
    )


def test_an_evaluator_off_the_project_cannot_publish_its_outputs(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    sqlite_cast.act(
        people.create_person,
        by="ada",
        username="ezra",
        display_name="Ezra",
        roles=["evaluator"],
        password="ezra-password-1",
        hashing=CHEAP,
    )
    output_id = _released(sqlite_cast, tmp_path)
    with pytest.raises(PermissionDenied, match="ezra is not a member of project dfh-pilot"):
        _publish(sqlite_cast, tmp_path, "ezra", output_id)
    assert not (tmp_path / "root" / "published").exists() or not any(
        (tmp_path / "root" / "published").iterdir()
    )
    refusals = sqlite_cast.read(
        lambda s: [e.actor for e in audit.entries(s, action_prefix="result.publish.refused")]
    )
    assert refusals == ["ezra"]
    _publish(sqlite_cast, tmp_path, "eve", output_id)  # eve is on the project


def test_a_file_changed_after_approval_is_refused_at_publication(
    sqlite_cast: Platform, tmp_path: Path
) -> None:
    output_id = _released(sqlite_cast, tmp_path)
    approved = folder_of(tmp_path, output_id) / "table.csv"
    approved.write_text(approved.read_text() + "smuggled,1,2\n")
    with pytest.raises(InvalidInput, match="table.csv has changed since it was checked"):
        _publish(sqlite_cast, tmp_path, "eve", output_id)
    published = tmp_path / "root" / "published"
    assert not published.exists() or not [p for p in published.iterdir()]
    assert sqlite_cast.read(publishing.list_results) == []
    refusals = sqlite_cast.read(
        lambda s: [
            str(audit.details_of(e)["reason"])
            for e in audit.entries(s, action_prefix="result.publish.refused")
        ]
    )
    assert len(refusals) == 1 and "has changed since it was checked" in refusals[0]
