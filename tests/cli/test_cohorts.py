"""``nightingale build`` at the edge: governance decides, cohorts builds, governance records.

Real components throughout: an initialised data root with the hand-made pilot region,
the governance database with the demo cast and project, the real policy.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from nightingale.cli import governance_demo
from nightingale.cli.cohorts import build_request
from nightingale.cli.governance import governance_unit
from nightingale.governance import approvals, enforcement, releases, requests
from nightingale.platform.bootstrap import initialise, keystore_for
from nightingale.platform.errors import NightingaleError
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, visible_entries
from tests.cohorts.conftest import write_region


@pytest.fixture
def submitted(settings: Settings) -> int:
    """A data root with the pilot region and the pilot's request submitted, not approved."""
    initialise(settings)
    write_region(DataRoot(settings.data_root), keystore_for(settings))
    with governance_unit(settings) as work:
        governance_demo.people_and_project(work.session, work.keystore, settings)
        request_id, status = governance_demo.linkage_request(work.session, work.keystore, None)
    assert status == "submitted"
    return request_id


def _approve(settings: Settings, request_id: int) -> None:
    with governance_unit(settings) as work:
        for steward in ("sam", "sasha"):
            approvals.approve(work.session, work.keystore, request_id, steward, "reviewed")


def _releases(settings: Settings) -> list:
    return visible_entries(DataRoot(settings.data_root).releases("dfh-pilot"))


def test_an_approved_request_is_built_and_recorded(settings: Settings, submitted: int) -> None:
    _approve(settings, submitted)
    release = build_request(settings, submitted, "sam")
    assert _releases(settings) == [release.path]
    manifest = json.loads((release.path / "manifest.json").read_text())
    assert manifest["request_id"] == str(submitted)
    with governance_unit(settings) as work:
        request = requests.get_request(work.session, submitted)
        assert request.status == "released"
        recorded = releases.list_releases(work.session, project="dfh-pilot")
        assert [r.release_id for r in recorded] == [release.release_id]


def test_an_unapproved_request_is_refused(settings: Settings, submitted: int) -> None:
    with pytest.raises(NightingaleError, match="refused"):
        build_request(settings, submitted, "sam")
    assert _releases(settings) == []


def test_a_withdrawn_request_is_refused(settings: Settings, submitted: int) -> None:
    _approve(settings, submitted)
    with governance_unit(settings) as work:
        requests.withdraw_request(
            work.session, work.keystore, by="rita", request_id=submitted, reason="changed plan"
        )
    with pytest.raises(NightingaleError, match="refused"):
        build_request(settings, submitted, "sam")
    assert _releases(settings) == []


def test_an_expired_request_is_refused(settings: Settings, submitted: int) -> None:
    _approve(settings, submitted)
    with governance_unit(settings) as work:
        after_the_end = date.today() + timedelta(days=4 * 365)
        enforcement.enforce(
            work.session,
            work.keystore,
            by="ada",
            data_root=settings.data_root,
            on=after_the_end,
        )
    with pytest.raises(NightingaleError, match="refused"):
        build_request(settings, submitted, "sam")
    assert _releases(settings) == []


def test_a_project_member_may_not_build_their_own_release(
    settings: Settings, submitted: int
) -> None:
    _approve(settings, submitted)
    with pytest.raises(NightingaleError, match="refused"):
        build_request(settings, submitted, "rita")
    assert _releases(settings) == []
