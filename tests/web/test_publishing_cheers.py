"""The publish form carries the evaluator's CHEERS 2022 items; publishing waits for all.

The real service on a real governance database; a real economics bundle released
through the real airlock first.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nightingale.analyses.economics.cheers import EVALUATOR_ITEMS
from nightingale.analyses.economics.evaluation import EconomicsRun, evaluate_pilot, write_bundle
from nightingale.cli.economics_demo import CHEERS_ANSWERS, _through_airlock
from nightingale.operations.cheers import read_answers
from tests.analyses.economics.release_frames import pilot_release
from tests.web.conftest import PREFIX, SignIn, csrf_of
from tests.workspace_world import World

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    persons, panel = pilot_release(n=200, seed=4)
    result = evaluate_pilot(persons, panel, run=EconomicsRun(replicates=200, impute=False, seed=1))
    return write_bundle(result, tmp_path_factory.mktemp("econ") / "bundle", "r1", "0" * 64)


def test_the_form_asks_for_each_evaluator_item_and_publishes_only_when_all_are_filled(
    client: TestClient, signed_in: SignIn, world: World, bundle: Path
) -> None:
    output_id = _through_airlock(world.settings, "economics", bundle)
    signed_in("eve")
    form = client.get(f"{PREFIX}/publish/", headers=HTML).text
    for number in EVALUATOR_ITEMS:
        assert f'name="cheers-{number}"' in form
    base = {"csrf": csrf_of(client, "eve"), "title": "Pilot economics", "result_id": "pilot-ce",
            "output": str(output_id)}  # fmt: skip
    refused = client.post(f"{PREFIX}/publish/", data=base, headers=HTML)
    assert refused.status_code == 403
    assert "27 Source of funding" in refused.text and "21 Approach to engagement" in refused.text
    answers = {f"cheers-{n}": text for n, text in read_answers(CHEERS_ANSWERS).items()}
    answers["cheers-4"] = "not applicable: no separate economic analysis plan was written"
    published = client.post(f"{PREFIX}/publish/", data=base | answers, headers=HTML)
    assert published.status_code == 303, published.text
    assert (world.settings.data_root / "published/pilot-ce/cheers.json").is_file()
