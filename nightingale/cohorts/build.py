"""Build a release: run the cohort, pseudonymise, check, measure k, write it atomically.

The builder knows nothing of approvals or of sealed files: the caller (the operation
:func:`nightingale.operations.cohorts.build_request`) asks the governance policy whether
the request may be built, asks linkage for the demographics the spec reads, passes the
approved spec text and those demographics here, and records the returned release with
governance. Everything the release needs is decided here, in one order:

1. validate the spec against the catalogue and compile it;
2. find the inputs (spine in force, newest content versions, the demographics given)
   and run both queries;
   without the records of people who opted out of research use of their health data,
   and leave those people out of a release drawing that data (:mod:`.optout`);
3. replace ``person_id`` with the project's pseudonym, under the key governance pinned
   for the project (``pseudonym_key_id``), and sort by it (row order says nothing about
   linkage order);
4. refuse to continue if a table holds an identifier column or any date (dates leave
   only as months, ages only as bands);
5. measure k-anonymity over the quasi-identifiers (and, when the caller enforces the
   target, stop if it is below the spec's ``min_k``);
6. write ``persons.parquet``, ``panel.parquet`` and ``manifest.json`` (the typed
   :class:`~nightingale.platform.contracts.ReleaseManifest`, with the spec's hash over its
   text with the codelists embedded, and every codelist's hash) into a hidden folder and
   rename it into place: a release appears whole or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from nightingale.cohorts.catalogue import Catalogue, default_catalogue, table_columns
from nightingale.cohorts.compile import compile_spec
from nightingale.cohorts.engines import CohortEngine
from nightingale.cohorts.kanonymity import KAnonymity, measure
from nightingale.cohorts.loading import embed_codelists, parse_spec, spec_hash
from nightingale.cohorts.optout import drop_opted_out_people, without_opted_out
from nightingale.cohorts.pseudonyms import Pseudonymiser
from nightingale.cohorts.run import CohortTables, run_cohort
from nightingale.cohorts.spec import CohortSpec
from nightingale.cohorts.zones import BuildInputs, demographics_needed, locate_inputs
from nightingale.platform.contracts import (
    PANEL_FILE,
    PERSONS_FILE,
    CodelistRecord,
    Demographics,
    KAnonymityRecord,
    ReleaseManifest,
    RowCounts,
    release_folder,
    write_manifest,
)
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import (
    DataRoot,
    atomic_directory,
    sha256_file,
    write_parquet,
)

#: Column names that would mean identifiers reached a release.
IDENTIFIER_COLUMNS = frozenset(
    {
        "person_id",
        "record_id",
        "name",
        "forename",
        "surname",
        "given_name",
        "family_name",
        "date_of_birth",
        "dob",
        "postcode",
        "address",
        "uprn",
        "nhs_number",
        "ni_number",
    }
)


class ReleaseSafetyError(NightingaleError):
    """A release would have held identifiers or exact dates; nothing was written."""


class BelowKTarget(ReleaseSafetyError):
    """A release's k-anonymity is below its spec's target and no one overrode it.

    Nothing was written; ``k`` is the measure, for the refusal's message and audit entry.
    """

    def __init__(self, k: KAnonymity) -> None:
        super().__init__(
            f"k-anonymity {k.k} over {', '.join(k.quasi_identifiers) or 'no quasi-identifiers'} "
            f"is below the target {k.min_k} ({k.people_below_min_k} people in groups smaller "
            f"than {k.min_k}); coarsen the quasi-identifiers in the spec, or a steward may "
            "build it with an override and a reason"
        )
        self.k = k


@dataclass(frozen=True)
class Release:
    """A written release: where it is and what its manifest says."""

    release_id: str
    project: str
    path: Path
    manifest: ReleaseManifest
    manifest_sha256: str


def new_release_id(now: datetime) -> str:
    """A sortable, unique release id: ``r<UTC timestamp>-<random>``."""
    return f"r{now.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}"


def check_release_safe(name: str, table: pa.Table) -> None:
    """Refuse a table with identifier columns or exact dates (see module docstring)."""
    leaked = sorted(IDENTIFIER_COLUMNS.intersection(table.column_names))
    if leaked:
        raise ReleaseSafetyError(f"{name}: identifier columns {leaked} may not be released")
    for field in table.schema:
        if pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            raise ReleaseSafetyError(
                f"{name}: column {field.name!r} is a date; release months or bands instead"
            )


def pseudonymised(tables: CohortTables, pseudonymiser: Pseudonymiser) -> CohortTables:
    """Both tables keyed by ``pid`` and sorted by it (persons) or by it and period (panel)."""
    persons, panel = pseudonymiser.replace_person_id(tables.persons, tables.panel)
    persons = persons.sort_by("pid")
    # Sort the panel by each pid's position in persons (integers sort faster than text).
    rank = pc.index_in(panel["pid"], value_set=persons["pid"])
    keys = pa.table({"rank": rank, "period": panel["period"]})
    panel = panel.take(pc.sort_indices(keys, [("rank", "ascending"), ("period", "ascending")]))
    return CohortTables(persons=persons, panel=panel)


def estimate_k_anonymity(
    spec: CohortSpec,
    inputs: BuildInputs,
    engine: CohortEngine,
    catalogue: Catalogue | None = None,
) -> KAnonymity:
    """The k a release of ``spec`` would have today (shown to stewards before approval)."""
    catalogue = catalogue or default_catalogue()
    compiled = compile_spec(spec, catalogue)
    engine.register_inputs(inputs.spine, inputs.tables)
    persons = engine.run(compiled.persons)
    return measure(persons, catalogue.quasi_identifiers(spec), spec.disclosure.min_k)


def demographics_needed_by(
    root: DataRoot, spec_text: str, source: str = "<spec>"
) -> dict[str, str] | None:
    """The versions whose demographics a build of ``spec_text`` would read today.

    None when the spec reads no demographics. The caller asks linkage to publish them
    (``nightingale.linkage.demographics``) and passes them to :func:`build_release` or
    :func:`estimate_release`.
    """
    return demographics_needed(root, table_columns(parse_spec(spec_text, source)))


def estimate_release(
    root: DataRoot,
    engine: CohortEngine,
    *,
    spec_text: str,
    demographics: Demographics | None = None,
    catalogue: Catalogue | None = None,
    source: str = "cohort spec",
) -> KAnonymity:
    """:func:`estimate_k_anonymity` of a spec's text on the data root's current zones.

    What the steward's request page and ``nightingale cohort estimate`` show.
    """
    spec = parse_spec(spec_text, source)
    inputs = locate_inputs(root, table_columns(spec), demographics)
    return estimate_k_anonymity(spec, inputs, engine, catalogue)


def build_release(
    root: DataRoot,
    keystore: KeyStore,
    engine: CohortEngine,
    *,
    spec_text: str,
    project: str,
    request_id: str,
    demographics: Demographics | None = None,
    release_id: str | None = None,
    catalogue: Catalogue | None = None,
    source: str = "<spec>",
    now: datetime | None = None,
    enforce_k_target: bool = False,
    pseudonym_key_id: str | None = None,
    extends: str | None = None,
    opted_out: Mapping[str, pa.Array] | None = None,
) -> Release:
    """Build and write one release of ``spec_text`` for ``project`` (all or nothing).

    ``demographics`` is what linkage published for the spec
    (:func:`~nightingale.cohorts.zones.demographics_needed`); a spec that reads none
    needs none. ``keystore`` gives the project's pseudonym key only. With
    ``enforce_k_target`` a release whose k-anonymity is below the spec's ``min_k`` is
    refused (:class:`BelowKTarget`) before anything is written; the build operation
    enforces it unless a steward overrode the target.

    ``pseudonym_key_id`` is the project's pinned key (the current ``pseudonym`` key when
    None: a project's first release); ``extends`` the release this one follows, recorded
    in the manifest. ``opted_out`` maps a provider to the record ids of opted-out people
    (:mod:`.optout`); how many people that removed is the manifest's
    ``opted_out_removed``.
    """
    catalogue = catalogue or default_catalogue()
    now = now or datetime.now(UTC)
    target = release_folder(root, project, release_id or new_release_id(now))
    release_id = target.name
    # The hash covers the codelists: a stored request embeds them (then this is its text).
    spec_text = embed_codelists(spec_text, source)
    spec = parse_spec(spec_text, source)
    compiled = compile_spec(spec, catalogue, source)
    draws = table_columns(spec)
    filtered = without_opted_out(locate_inputs(root, draws, demographics), opted_out or {})
    inputs = filtered.inputs
    pseudonymiser = Pseudonymiser(keystore, project, pseudonym_key_id)
    cohort, removed = drop_opted_out_people(
        run_cohort(engine, compiled, inputs.spine, inputs.tables), filtered, set(draws)
    )
    tables = pseudonymised(cohort, pseudonymiser)
    check_release_safe("persons", tables.persons)
    check_release_safe("panel", tables.panel)
    k = measure(tables.persons, catalogue.quasi_identifiers(spec), spec.disclosure.min_k)
    if enforce_k_target and not k.meets_target:
        raise BelowKTarget(k)

    with atomic_directory(target) as folder:
        files = {
            PERSONS_FILE: write_parquet(folder / PERSONS_FILE, tables.persons),
            PANEL_FILE: write_parquet(folder / PANEL_FILE, tables.panel),
        }
        manifest = ReleaseManifest(
            release_id=release_id,
            project=project,
            request_id=request_id,
            cohort=spec.name,
            spec_sha256=spec_hash(spec_text),
            source_versions=inputs.versions,
            spine_run_id=inputs.spine_run,
            engine=engine.dialect,
            pseudonym_key_id=pseudonymiser.key_id,
            rows=RowCounts(persons=tables.persons.num_rows, panel=tables.panel.num_rows),
            files=files,
            k_anonymity=KAnonymityRecord(**k.as_dict()),
            created_at=now,
            codelists=[
                CodelistRecord(
                    name=used.name,
                    file=used.file,
                    sha256=used.sha256,
                    codes=used.codes,
                    used_by=list(used.used_by),
                )
                for used in compiled.codelists
            ],
            extends=extends,
            opted_out_removed=removed,
        )
        written = write_manifest(folder, manifest)
    manifest_sha = sha256_file(target / written.name)
    return Release(release_id, project, target, manifest, manifest_sha)
