"""The cohort commands at the edge: ``build`` and ``cohort estimate`` call one operation
(tests/operations/test_cohorts.py specifies it); ``cohort validate|sql`` and
``catalogue`` are thin over cohorts.

Real components throughout: an initialised data root with the hand-made pilot region,
the governance database with the demo cast and project, the real policy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nightingale.cli import governance_demo, main
from nightingale.cli.governance import governance_unit
from nightingale.cli.governance_demo import SPEC_FILE
from nightingale.cli.plans import lodge_pilot_plan
from nightingale.governance import approvals
from nightingale.platform.bootstrap import initialise, keystore_for
from nightingale.platform.contracts import read_manifest
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, visible_entries
from tests.cohorts import pilot_fixture
from tests.cohorts.conftest import write_region


@pytest.fixture
def submitted(settings: Settings) -> int:
    """A data root with the pilot region and the pilot's request submitted, not approved."""
    initialise(settings)
    write_region(DataRoot(settings.data_root), keystore_for(settings))
    with governance_unit(settings, governance_demo.REQUESTER) as work:
        governance_demo.people_and_project(work.session, work.keystore, settings)
        request_id, status = governance_demo.linkage_request(work)
        lodge_pilot_plan(work)  # a release carrying outcomes needs a lodged plan
    assert status == "submitted"
    return request_id


def _approve(settings: Settings, request_id: int) -> None:
    with governance_unit(settings) as work:
        for steward in ("sam", "sasha"):
            approvals.approve(work.session, work.keystore, request_id, steward, "reviewed")


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process (as the console script does); (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, " ".join(captured.err.split())


def test_build_below_the_k_target_is_refused_then_built_with_a_stewards_override(
    settings: Settings, submitted: int, capsys: pytest.CaptureFixture[str]
) -> None:
    _approve(settings, submitted)
    root = str(settings.data_root)
    code, _, err = _cli(capsys, "--data-root", root, "build", str(submitted), "--as", "sam")
    assert code == 3 and "k-anonymity 1 over age_band, sex, imd_quintile is below" in err
    assert visible_entries(DataRoot(settings.data_root).releases("dfh-pilot")) == []
    code, out, _ = _cli(capsys, "--data-root", root, "build", str(submitted), "--as", "sam",
                        "--k-override", "four people of test data")  # fmt: skip
    assert code == 0
    printed = " ".join(out.split())
    persons, panel = pilot_fixture.PERSONS.num_rows, pilot_fixture.PANEL.num_rows
    assert f"{persons} persons, {panel} person-periods" in printed
    assert "k-anonymity 1 over age_band, sex, imd_quintile (target 5, NOT met)" in printed
    assert "built below the target by sam's override: four people of test data" in printed
    (release,) = visible_entries(DataRoot(settings.data_root).releases("dfh-pilot"))
    assert read_manifest(release).request_id == str(submitted)


def test_build_refuses_a_project_member_with_the_policys_exit_code(
    settings: Settings, submitted: int, capsys: pytest.CaptureFixture[str]
) -> None:
    _approve(settings, submitted)
    root = str(settings.data_root)
    code, _, err = _cli(capsys, "--data-root", root, "build", str(submitted), "--as", "rita")
    assert code == 3 and "refused" in err
    assert visible_entries(DataRoot(settings.data_root).releases("dfh-pilot")) == []


def test_cohort_estimate_prints_k_over_the_quasi_identifiers(
    settings: Settings, submitted: int, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(settings.data_root)
    code, out, _ = _cli(capsys, "--data-root", root, "cohort", "estimate", str(SPEC_FILE))
    assert code == 0
    assert "k = 1 over age_band, sex, imd_quintile" in " ".join(out.split())


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
