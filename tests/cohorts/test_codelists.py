"""Codelists in cohort specs, against a fourth provider's hand-made coded events.

Rules under test (nightingale/cohorts/codelists.py, codesystems.py, ctes.py): ICD-10 and
OPCS-4 codes match by prefix, SNOMED CT exactly; dots, case and surrounding space do not
matter; a malformed codelist is refused naming its file and line; the compiled SQL shows
each codelist's name and version hash; the spec's hash covers the codelists' content; a
release's manifest records every codelist used. The tables come from a provider declared
only by a file in the data root (an operator-onboarded fourth provider).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from textwrap import dedent

import pytest

from nightingale.cohorts.build import build_release
from nightingale.cohorts.catalogue import Catalogue, Column, catalogue_for, default_catalogue
from nightingale.cohorts.compile import compile_spec
from nightingale.cohorts.engines import CohortEngine
from nightingale.cohorts.loading import (
    CodelistFileError,
    SpecError,
    embed_codelists,
    load_spec,
    parse_spec,
    read_spec_text,
    spec_hash,
)
from nightingale.cohorts.run import run_cohort
from nightingale.cohorts.validation import validate_spec
from nightingale.platform.contracts import read_manifest
from nightingale.platform.keystore import MemoryKeyStore
from nightingale.platform.storage import DataRoot, atomic_write_json, write_parquet
from tests.cohorts.tables import rows, table

# A second council's register with coded hospital and GP events: known only from this file.
NORTH = """\
provider: north
date_format: "%Y-%m-%d"
people:
  file: tenants.csv
  description: A second council's housing register.
  record: The tenancy.
  identifiers:
    given_name: [first_names]
    postcode: [post_code]
  columns:
    tenancy_no: {zone: key, pattern: '^N\\d+$', required: true, unique: true}
    first_names: {zone: linkage}
    post_code: {zone: linkage}
    started: {type: date, sensitivity: personal, description: Start of the tenancy.}
    scheme:
      values: [designed_for_health, standard]
      sensitivity: personal
      description: The homes scheme.
events:
  - file: episodes.csv
    description: Hospital episodes and GP events, coded.
    record: The tenancy.
    columns:
      tenancy_no: {zone: key, required: true}
      event_date: {type: date, sensitivity: special_category, description: Date.}
      diag_primary:
        type: code
        system: icd10
        sensitivity: special_category
        description: Primary diagnosis.
      diag_secondary:
        type: code
        system: icd10
        sensitivity: special_category
        description: First secondary diagnosis.
      procedure:
        type: code
        system: opcs4
        sensitivity: special_category
        description: Main procedure.
      concept:
        type: code
        system: snomedct
        sensitivity: special_category
        description: GP event concept.
      ward: {sensitivity: administrative, description: Ward (not coded).}
"""


def _spec(*outcomes: str, name: str = "coded") -> str:
    listed = "".join(f"\n    - {outcome}" for outcome in outcomes)
    return (
        dedent(f"""\
        name: {name}
        population:
          source: north.tenants
          index_date: started
          exposure:
            {{name: treated, column: scheme, groups: {{designed_for_health: 1, standard: 0}}}}
        follow_up:
          periods: [0-12]
          censoring: {{end_of_data: 2026-06-30, move_out: false}}
          outcomes:""")
        + listed.replace("\n", "\n  ")
        + "\n"
    )


def _count(name: str, file: str, column: str = "diag_primary", extra: str = "") -> str:
    return (
        f"{{name: {name}, kind: count, table: north.episodes, date: event_date, "
        f"codelist: {{file: {file}, column: {column}{extra}}}}}"
    )


@pytest.fixture
def north_root(tmp_path: Path) -> DataRoot:
    root = DataRoot(tmp_path / "var")
    (root.path / "providers").mkdir(parents=True)
    (root.path / "providers" / "north.yaml").write_text(NORTH)
    return root


@pytest.fixture
def north(north_root: DataRoot) -> Catalogue:
    return catalogue_for(north_root)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Where the specs and their codelists live (a researcher's project folder)."""
    place = tmp_path / "study"
    (place / "codelists").mkdir(parents=True)
    return place


def _codelist(folder: Path, name: str, text: str) -> str:
    (folder / "codelists" / name).write_text(dedent(text))
    return f"codelists/{name}"


SPINE = table("""
    source | record_id | person_id
    north  | t1        | p1
    north  | e1        | p1
    north  | e2        | p1
    north  | e3        | p1
    north  | e4        | p1
    north  | e5        | p1
    north  | e6        | p1
    north  | e7        | p1
    north  | e8        | p1
    north  | e9        | p1
""")
TENANTS = table("""
    record_id | started    | scheme
    t1        | 2022-01-01 | standard
""")
EPISODES = table("""
    record_id | event_date | diag_primary | diag_secondary | procedure | concept:str | ward
    e1        | 2022-02-01 | J459         |                | W371      | 195967001   | A
    e2        | 2022-03-01 | j45.0        | K590           | w37.2     | 1959670011  | B
    e3        | 2022-04-01 |  J46.0       |                | W38       | 19596700    | C
    e4        | 2022-05-01 | J461         | J450           |           |             | D
    e5        | 2022-06-01 | J4           |                | W3        | 13645005    | E
    e6        | 2022-07-01 | K45          |                |           |             | F
    e7        | 2022-08-01 |              | J46            |           |             | G
    e8        | 2022-09-01 | XJ45         |                |           |             | H
    e9        | 2024-01-01 | J459         |                |           | 195967001   | I
""")


def _outcomes(engine: CohortEngine, catalogue: Catalogue, spec_text: str, folder: Path) -> dict:
    spec = parse_spec(spec_text, "spec.yaml", folder)
    compiled = compile_spec(spec, catalogue)
    tables = {"north.tenants": TENANTS, "north.episodes": EPISODES}
    (period,) = rows(run_cohort(engine, compiled, SPINE, tables).panel)
    return {name: period[name] for name in spec.panel_columns[4:]}


def test_icd10_and_opcs4_match_by_prefix_and_snomed_ct_exactly(
    engine: CohortEngine, north: Catalogue, folder: Path
) -> None:
    asthma = _codelist(folder, "asthma.csv", "code,term\nJ45,Asthma\nJ46.0,Status asthmaticus\n")
    ops = _codelist(folder, "hip.csv", "code\nW37\n")
    gp = _codelist(folder, "gp-asthma.csv", "code\n195967001\n")
    spec = _spec(
        _count("asthma", asthma),
        _count("hip", ops, "procedure"),
        _count("gp_asthma", gp, "concept"),
    )
    # asthma: J459, j45.0, " J46.0" (dots, case, space); not J461, J4, K45, XJ45, nor
    # the 2024 row (after the period). hip: W371 and w37.2, not W38 or W3. gp: the exact
    # id only, not one with a digit more or less.
    assert _outcomes(engine, north, spec, folder) == {"asthma": 3, "hip": 2, "gp_asthma": 1}


def test_any_of_several_coded_columns_matches(
    engine: CohortEngine, north: Catalogue, folder: Path
) -> None:
    asthma = _codelist(folder, "asthma.csv", "code\nJ45\nJ46\n")
    both = _count("any_position", asthma, "[diag_primary, diag_secondary]")
    # e1, e2, e3, e4 (J461 primary, J450 secondary), e7 (secondary only); e2 counts once.
    assert _outcomes(engine, north, _spec(both), folder) == {"any_position": 5}


def test_the_codelist_column_can_be_named(
    engine: CohortEngine, north: Catalogue, folder: Path
) -> None:
    renamed = _codelist(folder, "opencodelists.csv", "icd10_code,description\nJ46,x\n")
    spec = _spec(_count("status", renamed, extra=", code_column: icd10_code"))
    assert _outcomes(engine, north, spec, folder) == {"status": 2}  # " J46.0" and J461


def test_a_malformed_codelist_is_refused_naming_its_file_and_line(
    north: Catalogue, folder: Path
) -> None:
    bad = _codelist(folder, "bad.csv", "code,term\nJ45,Asthma\nJ4-5,typo\n12345,number\n")
    with pytest.raises(SpecError) as caught:
        validate_spec(_spec(_count("asthma", bad)), "spec.yaml", north, folder)
    message = str(caught.value)
    assert "follow_up.outcomes.asthma.codelist: malformed icd10 codes" in message
    assert "codelists/bad.csv:3: 'J4-5'" in message
    assert "codelists/bad.csv:4: '12345'" in message


def test_a_codelist_without_its_code_column_or_codes_is_refused(
    north: Catalogue, folder: Path
) -> None:
    nameless = _codelist(folder, "terms.csv", "term\nAsthma\n")
    with pytest.raises(SpecError, match=r"codelists/terms.csv:1: no column 'code'"):
        validate_spec(_spec(_count("asthma", nameless)), "spec.yaml", north, folder)
    gap = _codelist(folder, "gap.csv", "code,term\nJ45,Asthma\n,Nothing\n")
    with pytest.raises(SpecError, match=r"codelists/gap.csv:3: no code"):
        validate_spec(_spec(_count("asthma", gap)), "spec.yaml", north, folder)


def test_a_codelist_on_a_column_without_a_coding_system_is_refused(
    north: Catalogue, folder: Path
) -> None:
    asthma = _codelist(folder, "asthma.csv", "code\nJ45\n")
    with pytest.raises(SpecError, match=r"north.episodes.ward is not a coded column"):
        validate_spec(_spec(_count("asthma", asthma, "ward")), "spec.yaml", north, folder)


def test_a_missing_codelist_names_the_specs_line(north: Catalogue, folder: Path) -> None:
    text = _spec(_count("asthma", "codelists/nowhere.csv"))
    with pytest.raises(CodelistFileError, match=r"spec.yaml:\d+: follow_up.outcomes.0.codelist"):
        validate_spec(text, "spec.yaml", north, folder)


def test_a_text_only_spec_reads_codelists_from_the_shipped_examples_alone(
    north: Catalogue,
) -> None:
    shipped = _spec(_count("resp", "codelists/respiratory-admissions.csv"))
    assert validate_spec(shipped, "form", north).codelists
    escaping = _spec(_count("resp", "../codelists.py.csv"))
    with pytest.raises(CodelistFileError, match="not found"):
        validate_spec(escaping, "form", north)


def test_the_sql_shows_each_codelists_name_and_version_hash(north: Catalogue, folder: Path) -> None:
    asthma = _codelist(folder, "asthma.csv", "code\nJ45\n")
    spec = parse_spec(_spec(_count("asthma", asthma)), "spec.yaml", folder)
    sql = compile_spec(spec, north).sql()["panel"]
    digest = spec.codelists[asthma].sha256
    assert f"/* codelist asthma: codelists/asthma.csv, sha256 {digest}, 1 codes */" in sql
    assert '"codelist_asthma" AS' in sql


def test_embedding_makes_the_spec_text_whole_and_its_hash_cover_the_codes(
    folder: Path,
) -> None:
    asthma = _codelist(folder, "asthma.csv", "code\nJ45\n")
    (folder / "spec.yaml").write_text(_spec(_count("asthma", asthma)))
    first = read_spec_text(folder / "spec.yaml")
    assert first.startswith((folder / "spec.yaml").read_text())  # the researcher's text kept
    assert embed_codelists(first) == first  # already whole: unchanged
    assert parse_spec(first).codelists == load_spec(folder / "spec.yaml").codelists
    _codelist(folder, "asthma.csv", "code\nJ45\nJ46\n")
    second = read_spec_text(folder / "spec.yaml")
    assert spec_hash(second) != spec_hash(first)  # a changed codelist is a changed spec


def test_an_embedded_codelist_edited_by_hand_is_refused(folder: Path) -> None:
    asthma = _codelist(folder, "asthma.csv", "code\nJ45\n")
    (folder / "spec.yaml").write_text(_spec(_count("asthma", asthma)))
    edited = read_spec_text(folder / "spec.yaml").replace("J45", "J46")
    with pytest.raises(SpecError, match=r"codelists.codelists/asthma.csv: sha256 does not match"):
        parse_spec(edited, "request 3")


def test_a_fourth_providers_tables_are_usable_only_with_the_data_roots_catalogue(
    north: Catalogue, folder: Path
) -> None:
    asthma = _codelist(folder, "asthma.csv", "code\nJ45\n")
    text = _spec(_count("asthma", asthma))
    assert validate_spec(text, "spec.yaml", north, folder).population.source == "north.tenants"
    with pytest.raises(SpecError, match="unknown table 'north.tenants'"):
        validate_spec(text, "spec.yaml", default_catalogue(), folder)


def test_the_release_manifest_records_every_codelist_with_its_hash(
    north_root: DataRoot, north: Catalogue, folder: Path, duckdb_engine
) -> None:
    asthma = _codelist(folder, "asthma.csv", "code\nJ45\nJ46\n")
    ops = _codelist(folder, "hip.csv", "code\nW37\n")
    (folder / "spec.yaml").write_text(
        _spec(
            _count("asthma", asthma),
            _count("asthma_2", asthma, "diag_secondary"),
            _count("hip", ops, "procedure"),
        )
    )
    text = read_spec_text(folder / "spec.yaml")
    write_parquet(north_root.content_version("north", "v1") / "tenants.parquet", TENANTS)
    write_parquet(north_root.content_version("north", "v1") / "episodes.parquet", EPISODES)
    write_parquet(north_root.linkage / "spine" / "run1" / "spine.parquet", SPINE)
    atomic_write_json(north_root.linkage / "spine" / "current.json", {"run_id": "run1"})
    keystore = MemoryKeyStore()
    keystore.ensure("pseudonym")
    release = build_release(
        north_root,
        keystore,
        duckdb_engine,
        spec_text=text,
        project="north-study",
        request_id="1",
        catalogue=north,
        now=datetime(2026, 7, 1, tzinfo=UTC),
    )
    manifest = read_manifest(release.path)
    assert manifest.spec_sha256 == spec_hash(text)
    spec = parse_spec(text)
    assert [(c.name, c.file, c.sha256, c.codes, c.used_by) for c in manifest.codelists] == [
        (
            "asthma",
            asthma,
            spec.codelists[asthma].sha256,
            2,
            ["follow_up.outcomes.asthma", "follow_up.outcomes.asthma_2"],
        ),
        ("hip", ops, spec.codelists[ops].sha256, 1, ["follow_up.outcomes.hip"]),
    ]


EXAMPLES = Path(__file__).parents[2] / "nightingale" / "cohorts" / "examples"

#: The coded columns the synthetic region's health extract declares (coded-synth work);
#: added here only while the shipped provider file does not have them yet.
CODED = {
    "health.admissions": {"diag_primary": "icd10", "diag_secondary": "icd10"},
    "health.gp_consultations": {"snomed_code": "snomedct"},
}


def _with_coded_columns(catalogue: Catalogue) -> Catalogue:
    tables = dict(catalogue.tables)
    for name, columns in CODED.items():
        table_ = tables[name]
        extra = {
            column: Column(
                type="string",
                system=system,  # type: ignore[arg-type]
                sensitivity="special_category",
                description="coded",
            )
            for column, system in columns.items()
            if column not in table_.columns
        }
        tables[name] = table_.model_copy(update={"columns": {**table_.columns, **extra}})
    return Catalogue(tables=tables)


@pytest.mark.parametrize("name", ["dfh_pilot_conditions.yaml"])
def test_the_shipped_example_with_codelists_validates_and_compiles(name: str) -> None:
    path = EXAMPLES / name
    catalogue = _with_coded_columns(default_catalogue())
    spec = validate_spec(read_spec_text(path), str(path), catalogue, path.parent)
    sql = compile_spec(spec, catalogue).sql()["panel"]
    for codelist in ("respiratory_admissions", "asthma_admissions", "falls", "gp_respiratory"):
        assert f'"codelist_{codelist}" AS' in sql
