"""The steward's request page shows what is being decided: the round as submitted."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import text

from nightingale.governance import requests
from nightingale.governance.requests import DatasetNeed
from nightingale.operations.requests import spec_reads
from tests.web.conftest import PREFIX, SignIn, csrf_of
from tests.workspace_world import World

HTML = {"accept": "text/html"}


def _housing_only(world: World) -> int:
    """The pilot's spec (reading health and employment too) under a housing-only
    justification, sent straight to governance as a script could."""
    spec = world.spec_text()
    with world.unit("rita") as unit:
        request = requests.create_request(
            unit.session,
            unit.keystore,
            by="rita",
            project="dfh-pilot",
            title="housing only, supposedly",
            spec_text=spec,
            datasets=[DatasetNeed("housing", "tenancies define the cohort")],
        )
        requests.submit_request(
            unit.session, unit.keystore, by="rita", request_id=request.id, reads=spec_reads(spec)
        )
        return request.id


def _round_rows(page: str) -> dict[str, str]:
    table = page[page.index('id="round-datasets"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><td>(\w+)</td>(.*?)</tr>", table, flags=re.S)
    return {name: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rest)).strip() for name, rest in rows}


def test_a_dataset_the_spec_reads_without_a_justification_is_shown_not_dropped(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    request_id = _housing_only(world)
    signed_in("sam")
    page = client.get(f"{PREFIX}/steward/requests/{request_id}", headers=HTML).text
    rows = _round_rows(page)
    assert set(rows) == {"employment", "health", "housing"}
    assert rows["health"] == "special category yes No justification given"
    assert rows["housing"] == "personal yes tenancies define the cohort"
    assert "0 of 2 approvals this round" in page


def test_a_reclassification_after_submission_is_shown_beside_the_classification_then(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    request_id = world.submitted_request()
    with world.engine.begin() as connection:
        connection.execute(text("UPDATE gov_datasets SET classification = 'public'"))
    signed_in("sam")
    page = client.get(f"{PREFIX}/steward/requests/{request_id}", headers=HTML).text
    assert _round_rows(page)["health"].startswith("special category (now public) yes")
    assert "0 of 2 approvals this round" in page


def test_a_spec_changed_since_submission_is_flagged_and_cannot_be_approved(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    request_id = world.submitted_request()
    with world.engine.begin() as connection:
        connection.execute(text("UPDATE gov_requests SET spec_text = spec_text || '# edited'"))
    signed_in("sam")
    page = client.get(f"{PREFIX}/steward/requests/{request_id}", headers=HTML).text
    assert 'id="spec-changed"' in page and "changed after submission" in page
    decide = {"csrf": csrf_of(client, "sam"), "decision": "approve", "reason": "fine"}
    refused = client.post(
        f"{PREFIX}/steward/requests/{request_id}/decision", data=decide, headers=HTML
    )
    assert refused.status_code == 403 and "changed after submission" in refused.text


def test_the_request_page_shows_who_fails_to_link_for_the_requests_datasets(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    from nightingale.linkage.guild import guild_tables
    from nightingale.platform.contracts import set_current_spine, spine_report
    from nightingale.platform.storage import DataRoot, atomic_write_json
    from tests.linkage.test_guild import constructed_spine

    root = DataRoot(world.settings.data_root)
    report = spine_report(root, "guild-run")
    report.parent.mkdir(parents=True)
    atomic_write_json(report, {"run_id": "guild-run", "guild": guild_tables(constructed_spine())})
    set_current_spine(root, "guild-run")
    request_id = _housing_only(world)
    signed_in("sam")
    page = " ".join(
        client.get(f"{PREFIX}/steward/requests/{request_id}", headers=HTML).text.split()
    )
    assert "Who fails to link (GUILD)" in page
    assert "health records linked to a housing record: 40 linked, 20 not linked" in page
    assert "+1.414 (marked)" in page  # 16-24 year olds: all of them linked
    # employment's five records are a suppressed cell, never a count
    pair = page[page.index("health records linked to an employment record") :]
    pair = pair[: pair.index("</table>")]
    assert "– linked" in pair and '<td class="num">5</td>' not in pair


def test_the_linkage_report_page_hides_subgroups_under_the_deployments_threshold(
    client: TestClient, signed_in: SignIn, world: World
) -> None:
    """The page is rendered from the report's JSON at the deployment's ``[sdc] threshold``
    when it is higher than the one the run stored (10)."""
    from nightingale.linkage.report import render_html
    from nightingale.platform.contracts import set_current_spine, spine_report
    from nightingale.platform.storage import DataRoot, atomic_write_json
    from tests.linkage.test_report_suppression import _region, _report

    stored = _report(_region({"F": (300, 40), "M": (280, 37), "U": (30, 15)}))
    report = {
        **stored,
        "run_id": "small-run",
        "created": "2026-12-03",
        "key_id": "linkage-v1",
        "threshold_match_weight": 0.0,
        "fields": [],
        "counts": {"pairs_scored": 0, "links": 0, "deterministic_links": 0},
        "overall": {**stored["overall"], "persons": 700},
        "estimated": {"precision": 1.0, "recall": 1.0},
        "measured": None,
        "weight_histogram": [],
        "parameters": [],
        "guild": {"threshold": 10, "characteristics": [], "tables": []},
        "clerical_review": [],
    }
    root = DataRoot(world.settings.data_root)
    path = spine_report(root, "small-run")
    path.parent.mkdir(parents=True)
    atomic_write_json(path, report)
    path.with_suffix(".html").write_text(render_html(report), encoding="utf-8")
    set_current_spine(root, "small-run")
    signed_in("sam")
    row = '<td>sex</td><td>U</td> <td class="num">'

    def shown() -> str:
        page = " ".join(client.get(f"{PREFIX}/steward/linkage-report", headers=HTML).text.split())
        return page[page.index(row) + len(row) :].split("<", 1)[0]

    assert shown() == "45"  # 30 linked, 15 unlinked: both at least 10
    app = client.app
    app.state.settings = world.settings.model_copy(update={"sdc": {"threshold": 20}})  # type: ignore[attr-defined]
    assert shown() == "-"  # 15 unlinked is under 20
