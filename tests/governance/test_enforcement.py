"""Expiry: ended projects lose their releases, on disk too, and every step is audited."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from nightingale.governance import approvals, audit, enforcement, releases, requests
from nightingale.governance.errors import PermissionDenied
from nightingale.governance.requests import DatasetNeed
from nightingale.platform import database
from tests.governance.conftest import READS, SPEC, SPEC_SHA256, TODAY, Platform


def released(sqlite_cast: Platform, root: Path) -> str:
    request = sqlite_cast.act(
        requests.create_request,
        by="rita",
        project="dfh-pilot",
        title="t",
        spec_text=SPEC,
        datasets=[DatasetNeed("housing", "exposure")],
    )
    sqlite_cast.act(requests.submit_request, by="rita", request_id=request.id, reads=READS)
    sqlite_cast.act(approvals.approve, request.id, "sam", "ok")
    location = "projects/dfh-pilot/releases/r1"
    (root / location).mkdir(parents=True)
    (root / location / "persons.parquet").write_bytes(b"data")
    sqlite_cast.act(
        releases.record_release,
        request.id,
        location,
        "b" * 64,
        actor="ada",
        spec_sha256=SPEC_SHA256,
        release_id="r1",
    )
    return location


def test_an_expired_project_loses_its_releases(sqlite_cast: Platform, tmp_path: Path) -> None:
    location = released(sqlite_cast, tmp_path)
    later = TODAY + timedelta(days=800)
    report = sqlite_cast.act(enforcement.enforce, by="ada", data_root=tmp_path, on=later)
    assert (report.expired_projects, report.revoked_releases) == (["dfh-pilot"], ["r1"])
    assert len(report.expired_requests) == 1
    assert not (tmp_path / location).exists()
    with database.session_scope(sqlite_cast.engine) as session:
        actions = [e.action for e in audit.entries(session)][-4:]
        assert actions == [
            "project.expired",
            "request.expired",
            "release.revoked",
            "release.deleted",
        ]
        assert audit.verify(session, sqlite_cast.keystore).ok
    again = sqlite_cast.act(enforcement.enforce, by="ada", data_root=tmp_path, on=later)
    assert not again.changed


def test_nothing_is_due_before_the_end_date(sqlite_cast: Platform, tmp_path: Path) -> None:
    location = released(sqlite_cast, tmp_path)
    report = sqlite_cast.act(enforcement.enforce, by="ada", data_root=tmp_path, on=TODAY)
    assert not report.changed
    assert (tmp_path / location).exists()
    assert sqlite_cast.read(releases.may_access, "rita", "r1")


def test_only_an_administrator_enforces(sqlite_cast: Platform, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied, match="governance.enforce needs the role administrator"):
        sqlite_cast.act(enforcement.enforce, by="sam", data_root=tmp_path)
