"""Ingest and link: linkage's work, registered and audited in the caller's unit.

Whoever runs them (the CLI, a benchmark, a notebook's Python), an ingested dataset
version is registered together with its ``dataset.ingested`` audit entry, and a link run
with its ``linkage.run`` entry, in the unit's transaction: both or neither. The files
written before the commit (a version's content, sealed identifiers, key map and
quarantine; a run's spine folder and the pointer to the spine in force) are removed
again if that transaction does not commit (:mod:`.undo`), so nothing on disk looks
ingested or linked that the database and the audit log do not know. Audit details hold
counts, ids and checksums only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from nightingale.governance import intake
from nightingale.linkage.backend import LinkBackend, backend_for
from nightingale.linkage.engine import LinkOptions
from nightingale.linkage.incremental import read_lineage
from nightingale.linkage.ingest import IngestReport, discard_version
from nightingale.linkage.ingest import ingest as ingest_version
from nightingale.linkage.link import LinkSummary
from nightingale.linkage.link import link as link_all
from nightingale.linkage.schemas import provider as provider_spec
from nightingale.linkage.spine import current_run, spine_folder, withdraw_run
from nightingale.operations.undo import undo_unless_committed
from nightingale.operations.unit import Unit


def ingest(unit: Unit, provider: str, files: Sequence[Path]) -> IngestReport:
    """Ingest ``files`` (the people file and any event files) as one version of ``provider``.

    Governed: ``unit.actor`` must be a linkage officer and a current data sharing
    agreement with ``provider`` must cover every file's table (refused and audited
    ``dataset.ingest.refused`` before anything is written otherwise). Registers and
    audits the version in ``unit``'s transaction. Files already ingested as the newest
    version are a no-op (``report.version_id`` is None; nothing audited).
    """
    unit.root.read_marker()  # refuse to write into a folder that is not a data root
    spec = provider_spec(provider, unit.root)
    tables = [Path(f).name.rsplit(".", 1)[0] for f in files]
    intake.require_ingest(unit.session, unit.keystore, unit.actor, spec.name, tables)
    report = ingest_version(unit.session, unit.root, unit.keystore, spec, list(files))
    version = report.version_id
    if version is None:
        return report
    undo_unless_committed(unit.session, lambda: discard_version(unit.root, spec.name, version))
    unit.audit(
        "dataset.ingested",
        "dataset_version",
        f"{spec.name}/{version}",
        {
            "provider": spec.name,
            "version": version,
            "files": {
                f.file_name: {
                    "sha256": f.sha256,
                    "rows": f.rows_input,
                    "accepted": f.rows_accepted,
                    "quarantined": f.rows_quarantined,
                }
                for f in report.files
            },
        },
    )
    return report


def link(
    unit: Unit,
    *,
    truth: Path | None = None,
    threshold: float | None = None,
    backend: LinkBackend | None = None,
    full: bool = False,
) -> LinkSummary:
    """Link every provider's newest version into a new spine in force, with its report.

    With a spine in force the run is incremental (the model is retrained as a full relink
    trains it, only pairs involving new or changed records are compared, the kept pairs
    are re-weighed: :mod:`nightingale.linkage.incremental`) unless ``full`` asks for a
    full relink; either way persons keep their ids by record overlap and the run's
    lineage (merges, splits, new and retired persons) is written beside the spine.

    ``truth`` (a synthetic region's ``truth/records.csv``) adds measured precision and
    recall to the report; ``threshold`` is the match weight at which a pair links.
    Without ``backend`` the configured engine's (``settings.engine``) is opened and closed
    here; a backend passed in stays the caller's to close. Governed: only a linkage
    officer or an administrator links (refused and audited otherwise).
    """
    unit.root.read_marker()
    intake.require_link(unit.session, unit.keystore, unit.actor)
    options = LinkOptions() if threshold is None else LinkOptions(threshold_weight=threshold)
    chosen = backend_for(unit.settings) if backend is None else backend
    previous = current_run(unit.root)
    try:
        summary = link_all(
            unit.session, unit.root, unit.keystore, chosen, options, truth, full=full
        )
    except BaseException:
        written = current_run(unit.root)
        if written is not None and written != previous:  # failed after switching spines
            withdraw_run(unit.root, written, previous)
        raise
    finally:
        if backend is None:
            chosen.close()
    undo_unless_committed(unit.session, lambda: withdraw_run(unit.root, summary.run_id, previous))
    unit.audit(
        "linkage.run",
        "link_run",
        summary.run_id,
        {
            "key_id": summary.key_id,
            "versions": summary.versions,
            "counts": summary.counts,
            "mode": "incremental" if summary.full_reason is None else "full",
            "full_reason": summary.full_reason,
        },
    )
    return summary


def lineage(unit: Unit, run_id: str | None = None) -> tuple[str, pd.DataFrame]:
    """The lineage of person ids written by ``run_id`` (default: the spine in force).

    Rows ``old_person_id``, ``new_person_id``, ``kind`` (merge, split, new, retired),
    ``records``, ``reason``: which persons of the previous spine changed, so the projects
    holding their pseudonyms can be told (:func:`.lineage.changed_person_ids`). Person ids
    stay in the linkage zone: only a linkage officer or an administrator reads them.
    """
    from nightingale.platform.errors import NightingaleError

    intake.require_link(unit.session, unit.keystore, unit.actor)  # person ids: linkage only
    chosen = run_id or current_run(unit.root)
    if chosen is None:
        raise NightingaleError("no spine yet: run 'nightingale link' first")
    folder = spine_folder(unit.root, chosen)
    if not folder.is_dir():
        raise NightingaleError(f"no link run {chosen}")
    return chosen, read_lineage(folder)
