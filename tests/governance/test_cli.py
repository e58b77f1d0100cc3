"""The CLI end to end on a real data root: demo stages, decisions, audit verify, check-table."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nightingale.cli import main
from nightingale.cli.context import CliState
from nightingale.cli.demo import DemoRun
from nightingale.cli.governance import DEMO_STAGES
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings

CHEAP = {"password_hashing": {"time_cost": 1, "memory_cost_kib": 8, "parallelism": 1}}


@pytest.fixture
def demo_root(settings: Settings) -> Settings:
    """An initialised data root after the governance demo stages (run twice: idempotent)."""
    cheap = settings.model_copy(update={"governance": CHEAP})
    initialise(cheap)
    run = DemoRun(cli=CliState(data_root=cheap.data_root, _settings=cheap), serve=False)
    for _ in range(2):
        for _order, _name, stage in DEMO_STAGES:
            stage(run)
    return cheap


@pytest.fixture
def invoke(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """Run the console script's entry point; return (exit code, stdout + stderr)."""

    def run(settings: Settings, *args: str) -> tuple[int, str]:
        capsys.readouterr()
        try:
            main(["--data-root", str(settings.data_root), *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


def test_the_demo_creates_the_cast_project_and_one_submitted_request(
    invoke: Callable[..., tuple[int, str]], demo_root: Settings
) -> None:
    code, output = invoke(demo_root, "requests", "list", "--status", "submitted")
    assert code == 0 and output.count("dfh-pilot") == 1
    code, output = invoke(demo_root, "people", "list")
    for name in ("ada", "rita", "sam", "sasha", "otto", "eve"):
        assert name in output
    code, output = invoke(demo_root, "projects", "list")
    assert "active" in output


def test_two_stewards_approve_and_the_requester_is_refused(
    invoke: Callable[..., tuple[int, str]], demo_root: Settings
) -> None:
    code, output = invoke(demo_root, "requests", "approve", "1", "--as", "rita", "--reason", "x")
    assert code == 3 and "needs the role data_steward" in output
    assert invoke(demo_root, "requests", "approve", "1", "--as", "sam", "--reason", "ok")[0] == 0
    code, output = invoke(demo_root, "requests", "approve", "1", "--as", "sasha", "--reason", "ok")
    assert code == 0 and "approved (2 of 2" in output


def test_audit_verify_names_the_first_broken_entry(
    invoke: Callable[..., tuple[int, str]], demo_root: Settings
) -> None:
    code, output = invoke(demo_root, "audit", "verify")
    assert code == 0 and "intact" in output
    with sqlite3.connect(demo_root.data_root / "nightingale.db") as db:
        db.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4")
    code, output = invoke(demo_root, "audit", "verify")
    assert code == 1 and "BROKEN at entry 4" in output


def test_audit_verify_names_a_role_granted_outside_the_application(
    invoke: Callable[..., tuple[int, str]], demo_root: Settings
) -> None:
    with sqlite3.connect(demo_root.data_root / "nightingale.db") as db:
        db.execute(
            "INSERT INTO gov_person_roles (person_id, role) "
            "SELECT id, 'data_steward' FROM gov_people WHERE username = 'rita'"
        )
    code, output = invoke(demo_root, "audit", "verify")
    assert code == 1
    assert "FAIL tables: person rita: roles is [data_steward, researcher] in the table" in output
    assert "ok   chain" in output and "ok   head file" in output


def test_an_anchor_kept_elsewhere_names_a_cut_log(
    invoke: Callable[..., tuple[int, str]], demo_root: Settings, tmp_path: Path
) -> None:
    database = demo_root.data_root / "nightingale.db"
    with sqlite3.connect(database) as db:
        saved = db.execute("SELECT * FROM audit_chain_head").fetchone()
    anchor = tmp_path / "offsite" / "anchor.json"
    code, output = invoke(demo_root, "audit", "anchor", "--out", str(anchor))
    assert code == 0 and "anchored entry" in output and anchor.is_file()
    code, output = invoke(demo_root, "audit", "verify", "--anchor", str(anchor))
    assert code == 0 and "ok   anchor" in output
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM audit_log WHERE seq > ?", (saved[1],))
        db.execute(
            "UPDATE audit_chain_head SET last_seq = ?, last_hash = ?, key_id = ?, head_mac = ?",
            saved[1:],
        )
    code, output = invoke(demo_root, "audit", "verify", "--anchor", str(anchor))
    assert code == 1
    assert "ok   chain" in output  # the database alone cannot tell
    assert "FAIL head file" in output and "FAIL anchor" in output
    code, output = invoke(demo_root, "audit", "anchor", "--out", str(tmp_path / "again.json"))
    assert code != 0 and "refusing to anchor" in output


def test_check_table_prints_every_cell_as_json(
    invoke: Callable[..., tuple[int, str]], demo_root: Settings, tmp_path: Path
) -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "area": rng.choice(["a", "b"], 60),
            "sex": rng.choice(["F", "M"], 60),
            "cost": rng.gamma(2.0, 100.0, 60),
        }
    )
    frame.loc[len(frame)] = {"area": "c", "sex": "F", "cost": 50_000.0}
    data = tmp_path / "rows.csv"
    frame.to_csv(data, index=False)
    code, output = invoke(
        demo_root,
        "outputs",
        "check-table",
        str(data),
        "--index",
        "area",
        "--columns",
        "sex",
        "--values",
        "cost",
        "--agg",
        "mean",
        "--json",
    )
    assert code == 0
    cells = {(c["row"], c["column"]): c for c in json.loads(output)["cells"]}
    assert len(cells) == 6
    assert cells[("c", "F")]["outcome"] == "fail"
    assert cells[("c", "M")]["outcome"] == "review"  # an empty cell
    assert all(set(c) == {"row", "column", "value", "outcome", "reasons"} for c in cells.values())
    expected = frame[(frame.area == "a") & (frame.sex == "F")].cost.mean()
    assert cells[("a", "F")]["value"] == pytest.approx(expected)


def test_check_table_names_a_missing_column(
    invoke: Callable[..., tuple[int, str]], demo_root: Settings, tmp_path: Path
) -> None:
    data = tmp_path / "rows.csv"
    data.write_text("area,sex\na,F\n")
    code, output = invoke(
        demo_root, "outputs", "check-table", str(data), "--index", "region", "--columns", "sex"
    )
    assert code == 6 and "no column 'region'; columns are area, sex" in output


def test_lowering_a_classification_takes_two_people_on_the_command_line(
    invoke: Callable[..., tuple[int, str]], demo_root: Settings
) -> None:
    alone = ("governance", "dataset-add", "health", "--as", "sam")
    code, output = invoke(demo_root, *alone, "--classification", "personal")
    assert code == 3 and "needs two people" in output
    code, output = invoke(
        demo_root, "governance", "dataset-downgrade", "health", "--as", "sam",
        "--classification", "personal", "--reason", "aggregated extract",
    )  # fmt: skip
    assert code == 0 and "downgrade 1 proposed" in output
    code, output = invoke(demo_root, "governance", "dataset-confirm", "1", "--as", "sam")
    assert code == 3 and "needs a second person" in output
    code, output = invoke(demo_root, "governance", "dataset-confirm", "1", "--as", "ada")
    assert code == 0 and "dataset health is personal" in output


def test_a_steward_refuses_a_pending_member_on_the_command_line(
    invoke: Callable[..., tuple[int, str]], demo_root: Settings
) -> None:
    joiner = "ron"
    code, output = invoke(
        demo_root, "people", "add", joiner, "--role", "researcher", "--name", "Ron", "--as", "ada"
    )
    assert code == 0, output
    # The pilot is active: someone its PI adds waits for a steward.
    code, output = invoke(demo_root, "projects", "add-member", "dfh-pilot", joiner, "--as", "rita")
    assert code == 0 and "waits for a steward" in output, output
    code, output = invoke(
        demo_root, "projects", "refuse-member", "dfh-pilot", joiner, "--as", "sam"
    )
    assert code != 0 and "needs a reason" in output
    code, output = invoke(
        demo_root,
        "projects", "refuse-member", "dfh-pilot", joiner, "--as", "sam",
        "--reason", "not on the ethics approval",
    )  # fmt: skip
    assert code == 0 and f"{joiner} was refused membership of dfh-pilot" in output
    code, output = invoke(demo_root, "audit", "verify")
    assert code == 0, output


def test_a_project_is_created_with_a_purpose_code_and_shows_it(
    invoke: Callable[..., tuple[int, str]], demo_root: Settings
) -> None:
    common = [
        "--title", "Services plan", "--purpose", "Plan services.", "--benefit", "Better services.",
        "--lawful-basis", "UK GDPR 6(1)(e)", "--ethics", "n/a", "--pi", "rita",
        "--start", "2027-01-01", "--end", "2027-12-31", "--as", "rita",
    ]  # fmt: skip
    code, output = invoke(
        demo_root, "projects", "create", "bad-plan", *common, "--purpose-code", "marketing"
    )
    assert code != 0 and "purpose code 'marketing' is not one of" in output
    code, output = invoke(
        demo_root, "projects", "create", "services-plan", *common, "--purpose-code", "planning"
    )
    assert code == 0, output
    code, output = invoke(demo_root, "projects", "show", "services-plan")
    assert code == 0 and "purpose code  planning" in output
