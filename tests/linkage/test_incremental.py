"""A provider refresh: stable record ids, an incremental link, kept person ids, lineage.

The hand-made region is ingested and linked; then the health provider sends its next
extract: one patient moved (changed identifiers), the within-source duplicate was
withdrawn with its admission, and a new patient registered. ``nightingale link`` links
incrementally; ``nightingale link --full`` relinks from scratch on the same inputs.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select, text

from nightingale.cli import main
from nightingale.cli.governance_demo import OFFICER, intake_ready
from nightingale.linkage.engine import LinkOptions
from nightingale.linkage.identifiers import (
    identifier_context,
    identifiers_path,
    keymap_context,
    keymap_path,
    read_sealed_table,
)
from nightingale.linkage.incremental import (
    BELOW_FILE,
    LINEAGE_FILE,
    PAIRS_FILE,
    RECORDS_FILE,
    TOKENS_FILE,
    PreviousRun,
    departed_rows,
    fingerprints,
    fresh_records,
    full_relink_reason,
    kept_pairs,
    moved_rows,
    reuse_tokens,
    saved_pairs,
    saved_rows,
    spine_rows,
    token_rows,
    with_text_as,
)
from nightingale.linkage.positions import positions
from nightingale.linkage.positions import text as arrow_text
from nightingale.linkage.tables import LinkRun, versions_of
from nightingale.linkage.tokens import Tokeniser
from nightingale.linkage.unchanged import linked_versions
from nightingale.operations import linkage
from nightingale.operations.unit import open_unit
from nightingale.platform import database
from nightingale.platform.storage import read_parquet
from tests.linkage.conftest import FILES, Platform, ingest_all, make_platform
from tests.linkage.region import PEOPLE

MOVED, WITHDRAWN, NEW = "P100000007", "P200000001", "P300000001"
AS = ("--as", OFFICER)


def _run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _refresh_health(platform: Platform, folder: Path) -> list[Path]:
    """The health provider's next extract (see the module docstring)."""
    people = pd.read_csv(
        platform.extract("health", "gp_registrations.csv"), dtype=str, keep_default_na=False
    )
    people.loc[people["patient_id"] == MOVED, "postcode"] = "LS1 4AP"
    people = people[people["patient_id"] != WITHDRAWN]
    new = people.iloc[[0]].copy()
    new[["patient_id", "nhs_number", "forename", "surname", "date_of_birth", "sex"]] = [
        NEW,
        "",
        "Harriet",
        "Lumb",
        "1975-03-09",
        "F",
    ]
    new["postcode"] = "LS2 9JT"
    people = pd.concat([people, new], ignore_index=True)
    admissions = pd.read_csv(
        platform.extract("health", "admissions.csv"), dtype=str, keep_default_na=False
    )
    admissions = admissions[admissions["patient_id"] != WITHDRAWN]
    folder.mkdir(parents=True)
    people.to_csv(folder / "gp_registrations.csv", index=False)
    admissions.to_csv(folder / "admissions.csv", index=False)
    return [folder / "gp_registrations.csv", folder / "admissions.csv"]


@dataclass
class Refreshed:
    platform: Platform
    runs: list[LinkRun]  # first (full), after the refresh (incremental), --full
    outputs: list[str]

    def spine(self, number: int) -> pd.DataFrame:
        folder = self.platform.root.linkage / "spine" / self.runs[number].run_id
        return read_parquet(folder / "spine.parquet")

    def lineage(self, number: int) -> pd.DataFrame:
        folder = self.platform.root.linkage / "spine" / self.runs[number].run_id
        return read_parquet(folder / LINEAGE_FILE)

    def keymap(self, version: str) -> dict[str, str]:
        table = read_sealed_table(
            keymap_path(self.platform.root, "health", version),
            self.platform.keystore,
            keymap_context("health"),
        )
        return dict(
            zip(table["local_key"].to_pylist(), table["record_id"].to_pylist(), strict=True)
        )

    def person_of(self, number: int, local_key: str, version: str) -> str:
        spine = self.spine(number)
        record_id = self.keymap(version)[local_key]
        row = spine[(spine["source"] == "health") & (spine["record_id"] == record_id)]
        return str(row["person_id"].iloc[0])


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Refreshed]:
    folder = tmp_path_factory.mktemp("refresh")
    platform = make_platform(folder)
    ingest_all(platform)
    with open_unit(platform.settings, "setup") as unit:  # ingest and link are governed
        officer = intake_ready(unit.session, unit.keystore)
    root = str(platform.settings.data_root)
    truth = str(platform.region / "truth" / "records.csv")
    outputs = []
    for argv in (
        ["link", "--truth", truth],
        ["ingest", "health", *map(str, _refresh_health(platform, folder / "next"))],
        ["link"],
        ["link", "--full"],
    ):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            assert _run(["--data-root", root, *argv, "--as", officer]) == 0
        outputs.append(buffer.getvalue())
    with database.session_scope(platform.engine) as session:
        runs = list(session.scalars(select(LinkRun).order_by(LinkRun.run_id)))
        session.expunge_all()
    yield Refreshed(platform, runs, [outputs[0], outputs[2], outputs[3]])
    platform.engine.dispose()


def _versions(platform: Platform) -> list[str]:
    with database.session_scope(platform.engine) as session:
        return sorted({row.version_id for row in versions_of(session, "health")})


def test_a_refresh_keeps_the_record_id_of_every_provider_key_it_still_holds(
    refreshed: Refreshed,
) -> None:
    first, second = (refreshed.keymap(v) for v in _versions(refreshed.platform))
    assert WITHDRAWN in first and WITHDRAWN not in second
    for key in set(first) & set(second):
        assert first[key] == second[key]
    assert second[NEW] not in set(first.values())


def test_linking_after_a_refresh_is_incremental_and_scores_only_the_fresh_records(
    refreshed: Refreshed,
) -> None:
    first, incremental, full = (json.loads(run.counts) for run in refreshed.runs)
    assert first["incremental"] == 0 and full["incremental"] == 0
    assert incremental["incremental"] == 1
    assert incremental["records_fresh"] == 2  # the moved patient and the new one
    assert incremental["pairs_reused"] > 0
    assert incremental["pairs_rescored"] < full["pairs_scored"]
    assert "incremental: 2 new or changed records" in refreshed.outputs[1]
    assert "full relink (a full relink was asked for)" in refreshed.outputs[2]


def test_every_person_whose_records_still_belong_together_keeps_its_id(
    refreshed: Refreshed,
) -> None:
    v1, v2 = _versions(refreshed.platform)
    for key in refreshed.keymap(v2):
        if key == NEW:
            continue
        assert refreshed.person_of(1, key, v2) == refreshed.person_of(0, key, v1), key
    before = set(refreshed.spine(0)["person_id"])
    after = set(refreshed.spine(1)["person_id"])
    assert after - before == {refreshed.person_of(1, NEW, v2)}


def test_the_lineage_names_the_new_person_and_nothing_else(refreshed: Refreshed) -> None:
    v2 = _versions(refreshed.platform)[1]
    lineage = refreshed.lineage(1)
    assert lineage[["old_person_id", "new_person_id", "kind", "records"]].values.tolist() == [
        [None, refreshed.person_of(1, NEW, v2), "new", 1]
    ]
    counts = json.loads(refreshed.runs[1].counts)
    assert (counts["persons_new"], counts["persons_merged"], counts["persons_split"]) == (1, 0, 0)
    assert "1 new, 0 merged, 0 split, 0 retired" in refreshed.outputs[1]


def test_a_full_relink_gives_the_same_partition_and_the_same_ids(refreshed: Refreshed) -> None:
    incremental, full = refreshed.spine(1), refreshed.spine(2)

    def partition(spine: pd.DataFrame) -> set[frozenset[tuple[str, str]]]:
        groups = spine.groupby("person_id")[["source", "record_id"]]
        return {frozenset(map(tuple, g.to_numpy().tolist())) for _p, g in groups}

    assert partition(incremental) == partition(full)
    merged = incremental.merge(full, on=["source", "record_id"])
    assert (merged["person_id_x"] == merged["person_id_y"]).all()
    assert refreshed.lineage(2).empty


def test_the_link_audit_entry_says_how_the_run_linked(refreshed: Refreshed) -> None:
    with refreshed.platform.engine.connect() as connection:
        details = connection.execute(
            text("select details from audit_log where action = 'linkage.run' order by seq")
        ).all()
    modes = [json.loads(d)["mode"] for (d,) in details]
    assert modes == ["full", "incremental", "full"]


def test_lineage_prints_a_runs_changes_by_kind_without_ids(refreshed: Refreshed) -> None:
    root = str(refreshed.platform.settings.data_root)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert _run(["--data-root", root, "lineage", "--run", refreshed.runs[1].run_id, *AS]) == 0
    out = buffer.getvalue()
    assert "1 changes" in out
    assert "new: 1 persons, 1 records (no record on the previous spine)" in out
    assert not any(pid in out for pid in refreshed.spine(1)["person_id"])
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert _run(["--data-root", root, "lineage", *AS]) == 0
    assert "every previous person kept its id" in buffer.getvalue()


def _previous(key_id: str = "linkage-v1", **model: object) -> PreviousRun:
    empty = pd.DataFrame()
    pairs = pd.DataFrame({"unique_id_l": ["a"], "row_l": [0], "row_r": [0]})
    records = pd.DataFrame({"source": ["a"], "record_id": ["r0"], "fingerprint": [1]})
    model_json = {
        "link_type": "link_and_dedupe",
        "comparisons": [{"output_column_name": "given_name"}],
        **model,
    }
    return PreviousRun("run", empty, pairs, records, model_json, key_id, trained=True)


def _from_before_rows() -> PreviousRun:
    """A run saved before pairs named their records' rows."""
    previous = _previous()
    previous.pairs = previous.pairs.drop(columns=["row_l", "row_r"])
    return previous


def _tokens(*sources: str) -> pa.Table:
    ids = [f"r{n}" for n in range(len(sources))]
    return pa.table({"unique_id": ids, "source_dataset": list(sources)})


FIELDS = {"given_name"}


@pytest.mark.parametrize(
    ("previous", "table", "fields", "reason"),
    [
        (None, _tokens("a", "b"), FIELDS, "no previous spine"),
        (_previous("linkage-v2"), _tokens("a", "b"), FIELDS, "the linkage key was rotated"),
        (
            _previous(),
            _tokens("a", "b"),
            {"given_name", "sex"},
            "the identifier fields present changed",
        ),
        (_previous(), _tokens("a", "a"), FIELDS, "the number of sources changed"),
        (_previous(ng_floor_weight=-4.0), _tokens("a", "b"), FIELDS, "the floor weight changed"),
        (
            _from_before_rows(),
            _tokens("a", "b"),
            FIELDS,
            "the previous run's pairs name no record rows (a run from before they did)",
        ),
        (_previous(), _tokens("a", "b"), FIELDS, None),
    ],
)
def test_what_forces_a_full_relink(
    previous: PreviousRun | None, table: pa.Table, fields: set[str], reason: str | None
) -> None:
    assert full_relink_reason(previous, table, "linkage-v1", LinkOptions(), fields) == reason


def test_what_a_run_keeps_for_the_next_holds_no_identifiers(refreshed: Refreshed) -> None:
    folder = refreshed.platform.root.linkage / "spine" / refreshed.runs[1].run_id
    pairs = read_parquet(folder / PAIRS_FILE)
    for column in pairs.columns:
        assert column in {
            "match_weight",
            "match_probability",
            "deterministic",
            "linked",
            "row_l",
            "row_r",
        } or column.startswith(("unique_id_", "source_dataset_", "gamma_")), column
    assert list(read_parquet(folder / RECORDS_FILE).columns) == [
        "source",
        "record_id",
        "fingerprint",
    ]
    for name in (PAIRS_FILE, RECORDS_FILE, TOKENS_FILE, LINEAGE_FILE):
        cells = " ".join(read_parquet(folder / name).astype(str).to_numpy().ravel()).lower()
        for person in PEOPLE:
            for value in (person[1], person[2], person[3], person[6]):  # names, dob, NHS
                assert value.lower() not in cells, (name, value)


def test_reused_tokens_equal_a_full_tokenisation(refreshed: Refreshed) -> None:
    tables = []
    for number in (1, 2):  # the incremental run's (mostly reused) and the full relink's
        folder = refreshed.platform.root.linkage / "spine" / refreshed.runs[number].run_id
        table = pq.read_table(folder / TOKENS_FILE)
        tables.append(table.sort_by([("source_dataset", "ascending"), ("unique_id", "ascending")]))
    assert tables[0].num_rows == len(refreshed.spine(1))  # every record on the spine
    assert tables[0].equals(tables[1])


def _run_with(
    pairs: list[tuple[str, str, str, str]], records: list[tuple[str, str]]
) -> PreviousRun:
    frame = pd.DataFrame(
        pairs, columns=["source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r"]
    )
    saved = pd.DataFrame(records, columns=["source", "record_id"]).assign(fingerprint=7)
    frame = saved_pairs(frame, arrow_text(saved["source"]), arrow_text(saved["record_id"]))
    return PreviousRun("run", pd.DataFrame(), frame, saved, {}, "linkage-v1", trained=True)


def test_a_saved_pair_is_kept_only_while_both_its_records_are_present_and_unchanged() -> None:
    # Record ids repeat across sources: ("a", "r1") and ("b", "r1") are different records.
    previous = _run_with(
        [
            ("a", "r0", "b", "r0"),  # both unchanged: kept
            ("a", "r1", "b", "r0"),  # a/r1 changed: dropped
            ("a", "r0", "b", "r1"),  # b/r1 unchanged (only a/r1 changed): kept
            ("b", "r0", "b", "r2"),  # b/r2 withdrawn: dropped
        ],
        [("a", "r0"), ("a", "r1"), ("b", "r0"), ("b", "r1"), ("b", "r2")],
    )
    # This run's records in another order: rows are mapped, not assumed.
    table = pa.table(
        {"unique_id": ["r1", "r0", "r1", "r0"], "source_dataset": ["b", "b", "a", "a"]}
    )
    rows = saved_rows(table["source_dataset"], table["unique_id"], previous)
    moved = moved_rows(rows, len(previous.records))
    kept = kept_pairs(previous.pairs, moved, [False, False, True, False])
    assert kept.values.tolist() == [["a", "r0", "b", "r0", 3, 1], ["a", "r0", "b", "r1", 3, 0]]
    assert list(kept.columns[-2:]) == ["node_l", "node_r"]  # positions in this run's table


def test_a_saved_pair_names_its_records_rows_in_the_records_file(refreshed: Refreshed) -> None:
    for run in refreshed.runs:
        folder = refreshed.platform.root.linkage / "spine" / run.run_id
        records = pd.read_parquet(folder / RECORDS_FILE)
        for name in (PAIRS_FILE, BELOW_FILE):
            pairs = pd.read_parquet(folder / name)
            assert len(pairs)
            for side in ("l", "r"):
                at = records.iloc[pairs[f"row_{side}"].to_numpy()]
                assert at["record_id"].tolist() == pairs[f"unique_id_{side}"].tolist()
                if f"source_dataset_{side}" in pairs:
                    assert at["source"].tolist() == pairs[f"source_dataset_{side}"].tolist()


def test_an_incremental_and_a_full_runs_pair_files_read_back_alike(refreshed: Refreshed) -> None:
    # The incremental run keeps the ids of its pairs below the floor in Arrow memory, the
    # full run as Python strings; the files carry no trace of which (no pandas metadata).
    incremental, full = (
        refreshed.platform.root.linkage / "spine" / refreshed.runs[number].run_id
        for number in (1, 2)
    )
    for name in (PAIRS_FILE, BELOW_FILE):
        schemas = [pq.read_schema(folder / name) for folder in (incremental, full)]
        columns = [sorted(zip(s.names, map(str, s.types), strict=True)) for s in schemas]
        assert columns[0] == columns[1]  # in any order: Splink's differs
        assert schemas[0].pandas_metadata is None and schemas[1].pandas_metadata is None
        read = pd.read_parquet(incremental / name)
        assert read["unique_id_l"].dtype == object


def test_pair_ids_go_to_arrow_text_and_back_unchanged() -> None:
    pairs = pd.DataFrame(
        {
            "source_dataset_l": ["a", None],  # one source deduplicated: no names
            "unique_id_l": ["r1", "r2"],
            "unique_id_r": ["r3", "r4"],
            "match_weight": [1.5, -2.0],
        }
    )
    arrow = with_text_as(pairs, arrow=True)
    assert all(isinstance(arrow[c].dtype, pd.ArrowDtype) for c in ("unique_id_l", "unique_id_r"))
    back = with_text_as(arrow, arrow=False)
    assert back["source_dataset_l"].tolist() == ["a", None]
    pd.testing.assert_frame_equal(back, pairs)
    assert with_text_as(pairs.iloc[0:0], arrow=True).empty


def test_every_runs_fingerprints_are_what_hashing_every_record_of_its_versions_gives(
    refreshed: Refreshed,
) -> None:
    # The incremental run hashed only the records that changed since the versions the
    # first run linked (.unchanged); the others' fingerprints were taken as saved.
    root, keystore = refreshed.platform.root, refreshed.platform.keystore
    tokeniser = Tokeniser.from_keystore(keystore)
    for run in refreshed.runs:
        folder = root.linkage / "spine" / run.run_id
        versions = linked_versions(folder)
        assert sorted(versions) == ["employment", "health", "housing"]
        tables = [
            (
                name,
                read_sealed_table(
                    identifiers_path(root, name, v), keystore, identifier_context(name)
                ),
            )
            for name, v in sorted(versions.items())
        ]
        saved = pd.read_parquet(folder / RECORDS_FILE)["fingerprint"]
        assert saved.tolist() == fingerprints(tables, tokeniser).tolist()


def test_a_record_is_fresh_when_new_or_when_its_fingerprint_changed() -> None:
    previous = _run_with([], [("a", "r0"), ("a", "r1"), ("b", "r0")])
    previous.records["fingerprint"] = [1, 2, 3]
    fresh = fresh_records(["a", "a", "b", "b"], ["r0", "r1", "r0", "r9"], [1, 5, 3, 4], previous)
    assert fresh.tolist() == [False, True, False, True]


def _saved_tokens(records: list[tuple[str, str]]) -> pa.Table:
    """A token table of ``records`` in that order (one token column, and ``dob_fits``)."""
    return pa.table(
        {
            "unique_id": [record_id for _source, record_id in records],
            "source_dataset": [source for source, _record_id in records],
            "gn": list(range(len(records))),
            "dob_fits": [1] * len(records),
        }
    )


def test_the_rows_looked_up_once_give_the_tokens_and_departures_a_look_up_each_gives() -> None:
    before = [("a", "r0"), ("a", "r1"), ("b", "r0"), ("b", "r2")]
    previous = _run_with([], before)
    previous.records["fingerprint"] = [1, 2, 3, 4]
    sources, ids, prints = ["b", "a", "a", "b"], ["r0", "r1", "r9", "r2"], [3, 2, 0, 5]
    saved = _saved_tokens(before)
    rows = saved_rows(sources, ids, previous)
    assert rows.tolist() == [2, 1, -1, 3]
    fresh = fresh_records(sources, ids, prints, previous, rows)
    assert fresh.tolist() == fresh_records(sources, ids, prints, previous).tolist()
    assert fresh.tolist() == [False, False, True, True]  # a/r9 new, b/r2 changed
    in_tokens = token_rows(saved, previous, rows)
    assert in_tokens is not None
    new = _saved_tokens([("a", "r9"), ("b", "r2")]).set_column(2, "gn", pa.array([10, 11]))
    fits = pa.array([3, 3, 3, 3])
    looked_up = reuse_tokens(saved, sources, ids, fresh, new, fits)
    assert reuse_tokens(saved, sources, ids, fresh, new, fits, in_tokens).equals(looked_up)
    assert looked_up.column("gn").to_pylist() == [2, 1, 10, 11]
    departed = departed_rows(saved, sources, ids, fresh)
    assert departed_rows(saved, sources, ids, fresh, in_tokens).equals(departed)
    assert departed.column("unique_id").to_pylist() == ["r0", "r2"]  # a/r0 gone, b/r2 changed


def test_token_rows_are_looked_up_again_when_the_saved_files_name_records_apart() -> None:
    before = [("a", "r0"), ("a", "r1")]
    previous = _run_with([], before)
    rows = saved_rows(["a", "a"], ["r1", "r0"], previous)
    assert token_rows(_saved_tokens(before), previous, rows) is not None
    assert token_rows(_saved_tokens(before[::-1]), previous, rows) is None
    assert token_rows(_saved_tokens(before[:1]), previous, rows) is None


def test_the_previous_spines_records_are_found_now_by_their_rows_while_in_records_order() -> None:
    before = [("a", "r0"), ("a", "r1"), ("b", "r0")]
    previous = _run_with([], before)
    sources, ids = ["b", "a", "a"], ["r0", "r0", "r9"]  # a/r1 left, a/r9 is new
    rows = saved_rows(sources, ids, previous)
    previous.spine = previous.records[["source", "record_id"]].assign(person_id="P1")
    assert spine_rows(previous, rows).tolist() == [1, -1, 0]
    # The same positions a look-up of every previous spine record gives.
    assert positions(
        previous.spine["source"], previous.spine["record_id"], sources, ids
    ).tolist() == [1, -1, 0]
    previous.spine = previous.spine.iloc[::-1].reset_index(drop=True)
    assert spine_rows(previous, rows) is None  # in another order: the caller looks them up


def _partition(platform: Platform, run_id: str) -> set[frozenset[str]]:
    spine = read_parquet(platform.root.linkage / "spine" / run_id / "spine.parquet")
    return {frozenset(group) for _person, group in spine.groupby("person_id")["record_id"]}


def test_one_provider_alone_is_linked_and_then_relinked_incrementally(platform: Platform) -> None:
    # Splink names no source in the pairs when it deduplicates a single one.
    files = [platform.extract("housing", name) for name in FILES["housing"]]
    with open_unit(platform.settings, "setup") as unit:
        officer = intake_ready(unit.session, unit.keystore)
    runs = []
    for moved in (False, True):
        if moved:  # the first tenant moves
            tenancies = pd.read_csv(files[0], dtype=str, keep_default_na=False)
            tenancies.loc[0, "postcode"] = "LS1 4AP"
            tenancies.to_csv(files[0], index=False)
        with open_unit(platform.settings, officer) as unit:
            linkage.ingest(unit, "housing", files)
            runs.append(linkage.link(unit))
    with open_unit(platform.settings, officer) as unit:
        full = linkage.link(unit, full=True)
    assert runs[0].full_reason is not None and runs[1].full_reason is None
    assert runs[1].counts["records_fresh"] == 1
    assert _partition(platform, runs[1].run_id) == _partition(platform, full.run_id)
