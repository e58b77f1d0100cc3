"""A cohort's pseudonymised tables on a given spine, in memory, for a sensitivity analysis.

:func:`nightingale.cohorts.build.build_release` writes a release from the spine in force.
A linkage-sensitivity analysis needs the same cohort on spines linkage made at other
match-weight thresholds, compared with a release already built: same spec, same content
versions, same project pseudonyms. :func:`cohort_frames` runs the same steps (compile,
run, pseudonymise, refuse identifiers and dates) on the spine it is given and returns
the two tables without writing anything: they are never a release, are not recorded by
governance, and live only as long as the analysis that reads them.
"""

from __future__ import annotations

from collections.abc import Mapping

from nightingale.cohorts.build import check_release_safe, pseudonymised
from nightingale.cohorts.catalogue import Catalogue, default_catalogue, table_columns
from nightingale.cohorts.compile import compile_spec
from nightingale.cohorts.engines import CohortEngine, Source
from nightingale.cohorts.loading import embed_codelists, parse_spec
from nightingale.cohorts.pseudonyms import Pseudonymiser
from nightingale.cohorts.run import CohortTables, run_cohort
from nightingale.cohorts.zones import MissingInputError, locate_inputs
from nightingale.platform.contracts import Demographics
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import DataRoot


def cohort_frames(
    root: DataRoot,
    keystore: KeyStore,
    engine: CohortEngine,
    *,
    spec_text: str,
    project: str,
    spine: tuple[str, Source],
    versions: Mapping[str, str],
    demographics: Demographics | None = None,
    catalogue: Catalogue | None = None,
    source: str = "<spec>",
) -> CohortTables:
    """``spec_text``'s persons and panel for ``project`` on ``spine`` (run id, table).

    ``versions`` are the content versions of the release being compared with; the build
    refuses (:class:`~nightingale.cohorts.zones.MissingInputError`) when the content zone
    now holds others, since the comparison would then mix linkage with new data.
    """
    catalogue = catalogue or default_catalogue()
    spec_text = embed_codelists(spec_text, source)
    spec = parse_spec(spec_text, source)
    compiled = compile_spec(spec, catalogue, source)
    inputs = locate_inputs(root, table_columns(spec), demographics, spine=spine)
    if dict(inputs.versions) != dict(versions):
        raise MissingInputError(
            f"{source}: the release read content versions {dict(versions)} but the content "
            f"zone now holds {dict(inputs.versions)}; rebuild the release first"
        )
    tables = pseudonymised(
        run_cohort(engine, compiled, inputs.spine, inputs.tables), Pseudonymiser(keystore, project)
    )
    check_release_safe("persons", tables.persons)
    check_release_safe("panel", tables.panel)
    return tables
