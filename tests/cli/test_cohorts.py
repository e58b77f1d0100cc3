"""``nightingale build`` at the edge: governance decides, cohorts builds, governance records.

Real components throughout: an initialised data root with the hand-made pilot region,
the governance database with the demo cast and project, the real policy.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from nightingale.cli import governance_demo, main
from nightingale.cli.cohorts import build_request
from nightingale.cli.governance import governance_unit
from nightingale.cli.governance_demo import SPEC_FILE
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
    with governance_unit(settings, governance_demo.REQUESTER) as work:
        governance_demo.people_and_project(work.session, work.keystore, settings)
        request_id, status = governance_demo.linkage_request(work)
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


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process (as the console script does); (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, " ".join(captured.err.split())


def test_cohort_validate_points_at_the_line(tmp_path: Path, capsys) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(SPEC_FILE.read_text().replace("end_of_data: 2026-06-30", "end_of_data: soon"))
    code, _out, err = _cli(capsys, "cohort", "validate", str(spec))
    line = next(
        n for n, text in enumerate(spec.read_text().splitlines(), start=1) if "soon" in text
    )
    assert code == 1
    assert f"broken.yaml:{line}: follow_up.censoring.end_of_data" in err


def test_cohort_sql_prints_both_queries_in_either_dialect(capsys) -> None:
    code, duckdb_sql, _ = _cli(capsys, "cohort", "sql", str(SPEC_FILE))
    assert code == 0 and duckdb_sql.count("-- ") == 2 and '"population"' in duckdb_sql
    code, spark_sql, _ = _cli(capsys, "cohort", "sql", str(SPEC_FILE), "--dialect", "spark")
    assert code == 0 and "`population`" in spark_sql and "ADD_MONTHS" in spark_sql


def test_catalogue_markdown_is_the_docs_page(capsys) -> None:
    code, out, _ = _cli(capsys, "catalogue", "--markdown")
    docs = Path(__file__).parents[2] / "docs" / "catalogue.md"
    assert code == 0 and out == docs.read_text()
