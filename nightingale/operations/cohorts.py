"""Cohort operations: estimate a spec's k-anonymity; build an approved request's release.

Here three domains meet, each doing only its own part:

- governance decides whether the request may be built (refusals audited there) and
  records what was built (``release.built``);
- linkage opens the sealed identifier zone and publishes the demographics the spec
  reads (:func:`nightingale.linkage.demographics.publish_demographics`);
- cohorts runs the spec over the zones and writes the release.

Every table the spec draws must be covered by a current data sharing agreement for the
project's purpose (governance checks it with the build). The project's pseudonyms stay
the same from release to release: the build uses the pseudonym key governance pinned at
the project's first release (pinning it then), whatever the keystore's current version,
and the manifest names the release it extends. People on the national data opt-out list
are left out of releases drawing health data (linkage names their records; the manifest
and the ``release.built`` entry count them).

A release exists only when governance knows it: if recording fails, or the unit's
transaction rolls back later for any reason, the release folder is removed again. A
release below its spec's k-anonymity target is not built (refused and audited, nothing
written) unless a steward overrides the target with a reason, which is recorded with the
release and shown on its page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
from sqlalchemy import event
from sqlalchemy.orm import Session

from nightingale.cohorts.build import (
    BelowKTarget,
    Release,
    build_release,
    demographics_needed_by,
    estimate_release,
)
from nightingale.cohorts.catalogue import catalogue_for, table_columns
from nightingale.cohorts.engines import CohortEngine, engine_for
from nightingale.cohorts.kanonymity import KAnonymity
from nightingale.cohorts.spec import CohortSpec
from nightingale.cohorts.validation import validate_spec
from nightingale.cohorts.zones import input_versions
from nightingale.governance import pseudonym_keys, releases, requests
from nightingale.linkage.demographics import publish_demographics
from nightingale.linkage.optout import opted_out_records
from nightingale.operations import plans
from nightingale.operations.intake import tables_drawn
from nightingale.operations.requests import datasets_read_by
from nightingale.operations.unit import Unit
from nightingale.platform.contracts import Demographics


def estimate(unit: Unit, spec_text: str, engine: CohortEngine | None = None) -> KAnonymity:
    """The k-anonymity a release of ``spec_text`` would have on today's zones.

    What stewards see before they approve (the request page, ``nightingale cohort
    estimate``). Needs ingested and linked data; raises a NightingaleError saying what
    is missing otherwise. ``engine`` defaults to the configured one, closed afterwards.
    """
    demographics = _demographics(unit, spec_text, "cohort spec")
    adapter = engine or engine_for(unit.settings)
    try:
        return estimate_release(
            unit.root,
            adapter,
            spec_text=spec_text,
            demographics=demographics,
            catalogue=catalogue_for(unit.root),
        )
    finally:
        if engine is None:
            adapter.close()


def build_request(
    unit: Unit,
    request_id: int,
    engine: CohortEngine | None = None,
    *,
    k_override: str | None = None,
) -> Release:
    """Build request ``request_id``'s release if governance lets ``unit.actor``, and record it.

    The spec built is the request's text, and governance refuses it (audited) unless it
    is the spec submitted in the approved round and every dataset it reads, as the
    compiler says, was in that round. ``engine`` defaults to the configured one (DuckDB
    or Spark), closed afterwards; a caller's engine is left open. Below the spec's
    k-anonymity target the build is refused unless ``k_override`` gives a steward's
    reason (the policy's ``release.k_override``).
    """
    request = requests.get_request(unit.session, request_id)
    source = f"request {request_id}"
    catalogue = catalogue_for(unit.root)
    spec = validate_spec(request.spec_text, source, catalogue)
    releases.require_build(
        unit.session,
        unit.keystore,
        request,
        unit.actor,
        spec_text=request.spec_text,
        reads=datasets_read_by(spec),
        draws=tables_drawn(unit.root, spec),
    )
    if k_override is not None:
        releases.require_k_override(unit.session, unit.keystore, request, unit.actor, k_override)
    plans.require_plan_for_build(unit, request)
    demographics = _demographics(unit, request.spec_text, source)
    project = request.project.slug
    earlier = releases.list_releases(unit.session, project)
    opted_out = _opted_out(unit, spec)
    adapter = engine or engine_for(unit.settings)
    try:
        built = build_release(
            unit.root,
            unit.keystore,
            adapter,
            spec_text=request.spec_text,
            project=request.project.slug,
            request_id=str(request_id),
            demographics=demographics,
            catalogue=catalogue,
            source=source,
            enforce_k_target=k_override is None,
            pseudonym_key_id=pseudonym_keys.pinned_key(unit.session, project),
            extends=earlier[-1].release_id if earlier else None,
            opted_out=opted_out,
        )
    except BelowKTarget as exc:
        releases.refuse_below_k_target(unit.session, unit.keystore, request, unit.actor, str(exc))
    finally:
        if engine is None:
            adapter.close()
    _remove_unless_committed(unit.session, built.path)
    below_target = not built.manifest.k_anonymity.meets_target
    try:
        releases.record_release(
            unit.session,
            unit.keystore,
            request_id,
            str(built.path.relative_to(unit.root.path)),
            built.manifest_sha256,
            actor=unit.actor,
            spec_sha256=built.manifest.spec_sha256,
            release_id=built.release_id,
            details={
                "rows": built.manifest.rows.model_dump(),
                "k_anonymity": built.manifest.k_anonymity.k,
                "k_target": built.manifest.k_anonymity.min_k,
                "pseudonym_key_id": built.manifest.pseudonym_key_id,
                "extends": built.manifest.extends,
                "opted_out_removed": built.manifest.opted_out_removed,
            },
            k_override=k_override if below_target else None,
        )
        pseudonym_keys.pin_first_key(
            unit.session,
            unit.keystore,
            project=request.project,
            key_id=built.manifest.pseudonym_key_id,
            release_id=built.release_id,
            actor=unit.actor,
        )
    except BaseException:
        shutil.rmtree(built.path, ignore_errors=True)
        raise
    return built


def _demographics(unit: Unit, spec_text: str, source: str) -> Demographics | None:
    """What linkage publishes for the versions a build of ``spec_text`` reads, if any."""
    versions = demographics_needed_by(unit.root, spec_text, source)
    if versions is None:
        return None
    return publish_demographics(unit.root, unit.keystore, versions)


def _opted_out(unit: Unit, spec: CohortSpec) -> dict[str, pa.Array]:
    """The records of opted-out people in each provider version the build reads, by
    provider (providers without an opt-out list give none)."""
    versions = input_versions(unit.root, table_columns(spec))
    return {
        provider: opted_out_records(unit.root, unit.keystore, provider, version)
        for provider, version in versions.items()
    }


def _remove_unless_committed(session: Session, folder: Path) -> None:
    """Remove ``folder`` when ``session``'s transaction rolls back instead of committing.

    The unit commits after the operation returns; a commit that fails (or any error
    later in the unit) must not leave a release governance never recorded.
    """
    settled = False

    def committed(_session: Session) -> None:
        nonlocal settled
        settled = True

    def rolled_back(_session: Session) -> None:
        nonlocal settled
        if not settled:
            settled = True
            shutil.rmtree(folder, ignore_errors=True)

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_rollback", rolled_back)
