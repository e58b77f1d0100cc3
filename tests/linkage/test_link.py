"""Link over the data root: the spine, the run record, the report and measured quality."""

from __future__ import annotations

import json
from collections.abc import Iterator

import duckdb
import pandas as pd
import pytest
from sqlalchemy import select

from nightingale.linkage.identifiers import keymap_context, keymap_path, read_sealed_table
from nightingale.linkage.link import LinkSummary, link
from nightingale.linkage.spine import current_run
from nightingale.linkage.tables import LinkRun, latest_version
from nightingale.platform import database
from nightingale.platform.storage import read_parquet
from tests.linkage.conftest import Platform
from tests.linkage.region import PEOPLE


@pytest.fixture(scope="module")
def linked(ingested: Platform) -> Iterator[tuple[Platform, LinkSummary]]:
    connection = duckdb.connect()
    with database.session_scope(ingested.engine) as session:
        summary = link(
            session,
            ingested.root,
            ingested.keystore,
            connection,
            truth_path=ingested.region / "truth" / "records.csv",
        )
    connection.close()
    yield ingested, summary


def _spine_with_truth(platform: Platform, run_id: str) -> pd.DataFrame:
    spine = read_parquet(platform.root.linkage / "spine" / run_id / "spine.parquet")
    maps = []
    with database.session_scope(platform.engine) as session:
        for provider in ("health", "housing", "employment"):
            version = latest_version(session, provider)[0].version_id
            keymap = read_sealed_table(
                keymap_path(platform.root, provider, version),
                platform.keystore,
                keymap_context(provider),
            ).to_pandas()
            maps.append(keymap.assign(source=provider))
    keys = pd.concat(maps)
    keys["truth"] = [
        platform.truth[(s, k)] for s, k in zip(keys.source, keys.local_key, strict=True)
    ]
    return spine.merge(keys, on=["source", "record_id"], how="left")


def test_every_accepted_record_is_on_the_spine_exactly_once(
    linked: tuple[Platform, LinkSummary],
) -> None:
    platform, summary = linked
    spine = _spine_with_truth(platform, summary.run_id)
    assert not spine.duplicated(["source", "record_id"]).any()
    assert spine["truth"].notna().all()
    assert len(spine) == len(platform.truth)
    assert spine["person_id"].notna().all()
    assert set(spine["link_run_id"]) == {summary.run_id}


def test_the_hand_made_region_links_to_exactly_its_people(
    linked: tuple[Platform, LinkSummary],
) -> None:
    """Nicknames, typos, a married surname and swapped dates link; twins and a father and
    son with one name at one address stay apart."""
    platform, summary = linked
    spine = _spine_with_truth(platform, summary.run_id)
    persons_per_truth = spine.groupby("truth")["person_id"].nunique()
    truths_per_person = spine.groupby("person_id")["truth"].nunique()
    assert (persons_per_truth == 1).all(), persons_per_truth[persons_per_truth > 1]
    assert (truths_per_person == 1).all()
    assert spine["truth"].nunique() == len(PEOPLE)


def test_the_run_becomes_current_and_is_recorded_with_its_model(
    linked: tuple[Platform, LinkSummary],
) -> None:
    platform, summary = linked
    assert current_run(platform.root) == summary.run_id
    with database.session_scope(platform.engine) as session:
        run = session.scalars(select(LinkRun).where(LinkRun.run_id == summary.run_id)).one()
        with open(run.parameters_path, encoding="utf-8") as handle:
            model = json.load(handle)
        assert run.key_id == summary.key_id == "linkage-v1"
    assert {c["output_column_name"] for c in model["comparisons"]} >= {
        "given_name",
        "family_name",
        "date_of_birth",
        "place",
    }


def test_the_report_measures_quality_against_truth(linked: tuple[Platform, LinkSummary]) -> None:
    _platform, summary = linked
    report = json.loads((summary.folder / "report.json").read_text())
    assert report["measured"]["all"]["f1"] == 1.0
    assert {"health~housing", "employment~health", "health~health"} <= set(report["measured"])
    assert {"age_band", "sex", "postcode_area", "source"} == {
        row["dimension"] for row in report["subgroups"]
    }
    assert report["parameters"] and report["weight_histogram"]


def test_the_report_holds_no_identifiers(linked: tuple[Platform, LinkSummary]) -> None:
    _platform, summary = linked
    text = (summary.folder / "report.json").read_text() + (
        summary.folder / "report.html"
    ).read_text()
    for _pid, forename, surname, dob, _sex, postcode, nhs, _ni, address in PEOPLE:
        for value in (forename, surname, dob, postcode, nhs, address):
            assert value.lower() not in text.lower(), value


def test_the_report_counts_the_second_look_links(linked: tuple[Platform, LinkSummary]) -> None:
    _platform, summary = linked
    report = json.loads((summary.folder / "report.json").read_text())
    assert 0 <= report["counts"]["second_look_links"] <= report["counts"]["links"]
    assert "second-look links" in (summary.folder / "report.html").read_text()


@pytest.mark.parametrize(
    "failing", ["draw_sample", "write_spine", "run_incremental", "write_tokens", "_write_pairs"]
)
def test_a_link_that_fails_while_writing_its_run_leaves_no_trace(
    linked: tuple[Platform, LinkSummary], monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    # The run's files are written by a second thread from before the linkage until the
    # report is built; an error on either thread, in the linkage or after it, leaves no
    # folder, no stray file and the spine in force.
    platform, summary = linked
    zone = platform.root.linkage / "spine"
    before = sorted(path.name for path in zone.iterdir())

    def fail(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"{failing} failed")

    monkeypatch.setattr(f"nightingale.linkage.link.{failing}", fail)
    connection = duckdb.connect()
    with (
        pytest.raises(RuntimeError, match=f"{failing} failed"),
        database.session_scope(platform.engine) as session,
    ):
        link(session, platform.root, platform.keystore, connection)
    connection.close()
    assert sorted(path.name for path in zone.iterdir()) == before
    assert current_run(platform.root) == summary.run_id
    with database.session_scope(platform.engine) as session:
        assert session.scalars(select(LinkRun.run_id)).all() == [summary.run_id]
