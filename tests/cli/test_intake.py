"""The intake commands: agreements, retention and keys from the command line, as the
steward and operator guides show them (demo cast, refusals exit 3 and name the reason)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nightingale.cli import main
from nightingale.cli.context import CliState
from nightingale.cli.demo import DemoRun
from nightingale.cli.governance import DEMO_STAGES
from nightingale.platform.bootstrap import initialise, keystore_for
from nightingale.platform.settings import Settings

CHEAP = {"password_hashing": {"time_cost": 1, "memory_cost_kib": 8, "parallelism": 1}}
Invoke = Callable[..., tuple[int, str]]


@pytest.fixture
def demo_root(settings: Settings) -> Settings:
    """An initialised data root after the governance demo stages (cast, agreements)."""
    cheap = settings.model_copy(update={"governance": CHEAP})
    initialise(cheap)
    run = DemoRun(cli=CliState(data_root=cheap.data_root, _settings=cheap), serve=False)
    for _order, _name, stage in DEMO_STAGES:
        stage(run)
    return cheap


@pytest.fixture
def invoke(capsys: pytest.CaptureFixture[str]) -> Invoke:
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


def test_agreements_are_added_listed_and_ended_by_a_steward(
    invoke: Invoke, demo_root: Settings
) -> None:
    code, output = invoke(demo_root, "agreements", "list", "health")
    assert code == 0 and "DSA-HEALTH" in output and "current" in output
    add = ["agreements", "add", "housing", "--reference", "DSA-H2", "--table", "tenancies"]
    terms = ["--legal-basis", "Art. 6(1)(e)", "--expires", "2030-01-01"]
    code, output = invoke(demo_root, *add, *terms, "--as", "rita")
    assert code == 3 and "agreement.manage needs the role" in output
    code, output = invoke(demo_root, *add, *terms, "--as", "sam")
    assert code == 0 and "DSA-H2 with housing: tenancies for research" in output
    code, output = invoke(demo_root, "agreements", "end", "DSA-H2", "--reason", "x", "--as", "sam")
    assert code == 0 and "ended" in output


def test_retention_is_set_by_a_steward_and_run_by_an_administrator(
    invoke: Invoke, demo_root: Settings
) -> None:
    code, _ = invoke(
        demo_root, "retention", "set", "provider", "health", "--days", "30", "--as", "sam"
    )
    assert code == 0
    code, output = invoke(demo_root, "retention", "list")
    assert code == 0 and "health" in output and "30" in output
    code, output = invoke(demo_root, "retention", "run", "--as", "sam")
    assert code == 3 and "retention.run needs the role administrator" in output
    code, output = invoke(demo_root, "retention", "run", "--as", "ada")
    assert code == 0 and "nothing is past its retention" in output


def test_keys_rotate_for_an_administrator_and_projects_keep_their_pins(
    invoke: Invoke, demo_root: Settings, tmp_path: Path
) -> None:
    code, output = invoke(demo_root, "keys", "rotate", "pseudonym", "--as", "lina")
    assert code == 3
    code, output = invoke(demo_root, "keys", "rotate", "pseudonym", "--as", "ada")
    assert code == 0 and "pseudonym key is now pseudonym-v2" in output
    assert "projects keep the key pinned" in output
    assert keystore_for(demo_root).current("pseudonym").key_id == "pseudonym-v2"
    code, output = invoke(demo_root, "keys", "rekey", "dfh-pilot", "--as", "ada")
    assert code == 6 and "has no release yet" in output


def test_ingest_names_the_linkage_officer_with_as(invoke: Invoke, demo_root: Settings) -> None:
    extract = demo_root.data_root / "tenancies.csv"
    extract.write_text("tenancy_ref\n", encoding="utf-8")
    code, output = invoke(demo_root, "ingest", "housing", str(extract), "--as", "sam")
    assert code == 3 and "dataset.ingest needs the role linkage_officer" in output
