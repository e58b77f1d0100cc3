"""Linkage requests: one spec check, the same refusal from the CLI, Python and the web form.

A spec is checked by the cohorts package's one validator (fields, then the catalogue),
and a request must name every dataset its spec reads. Governance audits the refusal and
raises ``InvalidInput`` whose message is the same whichever edge drafted the request.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from nightingale.cli import main
from nightingale.cohorts.loading import SpecError
from nightingale.cohorts.validation import validate_spec
from nightingale.governance import audit
from nightingale.governance import requests as governance_requests
from nightingale.governance.errors import InvalidInput
from nightingale.governance.requests import DatasetNeed
from nightingale.operations import requests
from tests.web.conftest import PREFIX, SignIn, csrf_of
from tests.workspace_world import World

PROJECT = "dfh-pilot"
WHY = {name: f"the pilot needs {name}" for name in ("housing", "health", "employment")}


def _unknown_column(world: World) -> str:
    return world.spec_text().replace("column: tenancy_start", "column: no_such")


def _refusal(text: str) -> str:
    """What every edge says about ``text``: the validator's own message, refused."""
    with pytest.raises(SpecError) as caught:
        validate_spec(text)
    return f"refused: {caught.value}"


def _cli(world: World, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    try:
        main(["--data-root", str(world.settings.data_root), *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _cli_create(world: World, capsys: pytest.CaptureFixture[str], spec: Path) -> tuple[int, str]:
    datasets = [arg for name, why in WHY.items() for arg in ("--dataset", f"{name}:{why}")]
    return _cli(
        world, capsys, "requests", "create", "--as", "rita", "--project", PROJECT,
        "--spec", str(spec), *datasets, "--submit",
    )  # fmt: skip


def _refused_reasons(world: World) -> list[str]:
    with world.unit("reader") as unit:
        found = audit.entries(unit.session, action_prefix="request.create.refused")
        return [str(audit.details_of(entry)["reason"]) for entry in found]


def _requests(world: World) -> list[str]:
    with world.unit("reader") as unit:
        return [r.status for r in governance_requests.list_requests(unit.session, project=PROJECT)]


def test_an_unknown_catalogue_column_is_refused_alike_by_the_cli_the_operation_and_the_web(
    world: World,
    client: TestClient,
    signed_in: SignIn,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    bad = _unknown_column(world)
    expected = _refusal(bad)
    assert "population.conditions" in expected and "'no_such'" in expected

    with pytest.raises(InvalidInput) as caught, world.unit("rita") as unit:
        requests.create_request(
            unit, project=PROJECT, title="Pilot", spec_text=bad,
            datasets=requests.dataset_needs(bad, WHY), submit=True,
        )  # fmt: skip
    assert str(caught.value) == expected

    spec = tmp_path / "pilot.yaml"
    spec.write_text(bad)
    code, output = _cli_create(world, capsys, spec)
    assert code == InvalidInput.exit_code
    assert f"error: {expected}\n" in output

    signed_in("rita")
    form = {"csrf": csrf_of(client, "rita"), "project": PROJECT, "title": "Pilot"}
    why = {f"why_{name}": text for name, text in WHY.items()}
    reply = client.post(f"{PREFIX}/research/requests", data={**form, **why, "spec_text": bad})
    assert reply.status_code == 422
    assert str(escape(expected)) in reply.text

    assert _refused_reasons(world) == [expected.removeprefix("refused: ")] * 3
    assert _requests(world) == []


def test_the_cli_drafts_and_submits_a_request_whose_spec_validates(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = tmp_path / "pilot.yaml"
    spec.write_text(world.spec_text())
    code, output = _cli_create(world, capsys, spec)
    assert code == 0 and "submitted" in output
    assert _requests(world) == ["submitted"]


def test_a_request_must_name_every_dataset_its_spec_reads(world: World) -> None:
    # Two stewards must approve special-category (health) data; a request naming only
    # housing for a spec that reads health would otherwise need one.
    text = world.spec_text()
    with pytest.raises(InvalidInput) as caught, world.unit("rita") as unit:
        requests.create_request(
            unit, project=PROJECT, title="Pilot", spec_text=text,
            datasets=requests.dataset_needs(text, {"housing": WHY["housing"]}),
        )  # fmt: skip
    message = str(caught.value)
    assert "reads the dataset 'health', which the request does not name" in message
    assert "'employment'" in message and "'housing'" not in message
    assert _requests(world) == []


def test_a_draft_that_skipped_the_check_is_checked_again_when_submitted(world: World) -> None:
    bad = _unknown_column(world)
    with world.unit("rita") as unit:  # governance alone only checks the text is YAML
        draft = governance_requests.create_request(
            unit.session, unit.keystore, by="rita", project=PROJECT, title="Pilot",
            spec_text=bad, datasets=[DatasetNeed(name, why) for name, why in WHY.items()],
        )  # fmt: skip
        draft_id = draft.id
    with pytest.raises(InvalidInput) as caught, world.unit("rita") as unit:
        requests.submit_request(unit, draft_id)
    assert str(caught.value) == _refusal(bad)
    assert _requests(world) == ["draft"]


def test_the_web_forms_reasons_become_datasets_with_the_variables_the_spec_reads(
    world: World,
) -> None:
    needs = {n.dataset: n for n in requests.dataset_needs(world.spec_text(), WHY)}
    assert set(needs) == set(WHY)
    assert needs["housing"].justification == WHY["housing"]
    assert needs["housing"].variables["tenancies.tenancy_start"] == "used by population"
