"""Linkage error carried into the estimates: a release's cohort at other link thresholds.

Three domains each do their own part, and this operation orchestrates them:

- linkage re-links the release's spine run at each match-weight threshold from the
  run's stored scored pairs (:func:`nightingale.linkage.threshold_spines.spine_at`) and
  publishes the demographics the spec reads, as for a build;
- cohorts builds the request's cohort on each of those spines, with the project's
  pseudonyms and the release's content versions, in memory
  (:func:`nightingale.cohorts.frames.cohort_frames`): never a release, never written;
- analyses runs the plan's primary analysis on each and tabulates the spread
  (:mod:`nightingale.analyses.evaluations.linkage_sensitivity`).

The acting person must be allowed to read the release (the policy's ``release.access``;
a refusal is audited); the run is audited as ``release.linkage_sensitivity`` with the
thresholds and the spine run (no personal data). Only the estimates leave, in the
results bundle, which goes through the airlock like every other output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from nightingale.analyses.evaluations.dfh_pilot import (
    PLAN_PATH,
    evaluate,
    load_release,
    write_bundle,
)
from nightingale.analyses.evaluations.linkage_sensitivity import (
    add_linkage_sensitivity,
    sensitivity_table,
)
from nightingale.analyses.plan import load_plan
from nightingale.analyses.results import AnalysisResult
from nightingale.cohorts.build import demographics_needed_by
from nightingale.cohorts.catalogue import catalogue_for
from nightingale.cohorts.engines import CohortEngine, engine_for
from nightingale.cohorts.frames import cohort_frames
from nightingale.cohorts.loading import embed_codelists, spec_hash
from nightingale.governance.acting import acting
from nightingale.governance.facts import release_facts
from nightingale.governance.policy import Action
from nightingale.governance.releases import get_release
from nightingale.linkage.demographics import publish_demographics
from nightingale.linkage.threshold_spines import run_threshold, spine_at
from nightingale.operations.unit import Unit
from nightingale.platform.contracts import read_manifest
from nightingale.platform.errors import NightingaleError

#: Thresholds tried by default: the release's own, and this many match-weight bits either
#: side (2 bits: the odds of a match four times lower or higher).
DEFAULT_STEP = 2.0


@dataclass(frozen=True)
class Variants:
    """The release's cohort at each threshold (its own ``chosen`` among them)."""

    release_id: str
    spine_run_id: str
    chosen: float
    frames: dict[float, tuple[pd.DataFrame, pd.DataFrame]] = field(repr=False)


def default_thresholds(chosen: float) -> list[float]:
    """The release's threshold and :data:`DEFAULT_STEP` either side."""
    return [chosen - DEFAULT_STEP, chosen, chosen + DEFAULT_STEP]


def linkage_variants(
    unit: Unit,
    release_id: str,
    thresholds: Sequence[float] | None = None,
    engine: CohortEngine | None = None,
) -> Variants:
    """Release ``release_id``'s persons and panel at each threshold (see the module
    docstring); the release's own threshold is always included, as the release itself.

    ``engine`` defaults to the configured cohort engine, closed afterwards.
    """
    release = get_release(unit.session, release_id)
    with acting(
        unit.session,
        unit.keystore,
        unit.actor,
        Action.RELEASE_ACCESS,
        release_facts(unit.session, release),
        object_type="release",
        object_id=release_id,
    ) as who:
        folder = unit.root.path / release.location
        manifest = read_manifest(folder)
        run_id = manifest.spine_run_id
        chosen = run_threshold(unit.root, run_id)
        wanted = sorted({float(t) for t in (thresholds or default_thresholds(chosen))} | {chosen})
        request = release.request
        source = f"request {request.id}"
        spec_text = embed_codelists(request.spec_text, source)
        if spec_hash(spec_text) != manifest.spec_sha256:
            raise NightingaleError(
                f"release {release_id}: request {request.id}'s spec has changed since the "
                "release was built; build it again before a linkage sensitivity analysis"
            )
        built = load_release(folder)
        frames = {chosen: (built.persons, built.panel)}
        versions = demographics_needed_by(unit.root, spec_text, source)
        demographics = (
            None if versions is None else publish_demographics(unit.root, unit.keystore, versions)
        )
        adapter = engine or engine_for(unit.settings)
        try:
            for threshold in wanted:
                if threshold == chosen:
                    continue
                spine = spine_at(unit.root, unit.keystore, run_id, threshold)
                tables = cohort_frames(
                    unit.root,
                    unit.keystore,
                    adapter,
                    spec_text=spec_text,
                    project=manifest.project,
                    spine=(f"{run_id}@{threshold:g}", _arrow(spine)),
                    versions=manifest.source_versions,
                    demographics=demographics,
                    catalogue=catalogue_for(unit.root),
                    source=source,
                )
                frames[threshold] = (tables.persons.to_pandas(), tables.panel.to_pandas())
        finally:
            if engine is None:
                adapter.close()
        who.audit(
            "release.linkage_sensitivity",
            {
                "spine_run_id": run_id,
                "chosen_threshold": chosen,
                "thresholds": wanted,
                "persons": {f"{t:g}": len(frames[t][0]) for t in wanted},
            },
        )
    return Variants(release_id, run_id, chosen, frames)


def _arrow(spine: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(spine, preserve_index=False)


def evaluate_with_linkage_sensitivity(
    unit: Unit,
    release_id: str,
    out: Path,
    plan_path: Path = PLAN_PATH,
    thresholds: Sequence[float] | None = None,
    engine: CohortEngine | None = None,
) -> tuple[Path, AnalysisResult]:
    """``nightingale evaluate dfh-pilot --linkage-sensitivity``: the plan on the release,
    with the linkage sensitivity table in the bundle, the summary and the main table."""
    plan = load_plan(plan_path)
    variants = linkage_variants(unit, release_id, thresholds, engine)
    release = load_release(unit.root.path / get_release(unit.session, release_id).location)
    result = evaluate(release.persons, release.panel, plan)
    table = sensitivity_table(variants.frames, variants.chosen, plan)
    add_linkage_sensitivity(result, table)
    return write_bundle(result, out, plan, release), result
