"""The airlock as operations: submit outputs, a checker's decision, withdraw, publish.

Each is one call for every edge (the CLI's ``outputs`` commands, the airlock and publish
pages, the workspace client's ``POST /api/outputs``), acting as the unit's actor in the
unit's transaction. Submitting runs the file check on every file against the release the
request names (:mod:`nightingale.governance.output_gate`). "Approve" means one thing
wherever it is said: the checker's approval is recorded, and once the approvals the rules
require are in (the governance setting ``output_approvals``, two different checkers by
default; :func:`nightingale.governance.outputs.output_tally`) the output is released in
the same operation, its checksums re-verified. There is no separate release step;
publishing takes released outputs only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nightingale.governance import jobs, output_gate, outputs, publishing
from nightingale.governance.approvals import Tally
from nightingale.governance.filecheck import FileVerdict
from nightingale.governance.filecheck import check_file as check_one_file
from nightingale.governance.models import JobOutput, OutputRequest, PublishedResult
from nightingale.governance.outputs import OutputFileSpec
from nightingale.operations.cheers import checklist_for
from nightingale.operations.unit import Unit

SIDECAR = ".sdc.json"
"""A job's ``PATH.sdc.json`` output beside ``PATH`` is that file's SDC metadata."""

DECISIONS = tuple(outputs.DECISIONS)
"""What a checker may decide: approve (and so release, once enough have), reject, return."""


@dataclass(frozen=True)
class OutputOutcome:
    """Where an output request stands after a checker's decision."""

    output_id: int
    decision: str
    status: str
    tally: Tally

    @property
    def released(self) -> bool:
        return self.status == "released"


def submit(
    unit: Unit,
    *,
    project: str,
    title: str,
    files: Sequence[OutputFileSpec],
    release: str | None = None,
) -> OutputRequest:
    """Check ``files`` against ``release`` (default: the project's newest) and queue them.

    Refused (audited) when a file's type may not leave; every other file is stored with
    its verdict for the output checkers. Refused too where the deployment takes only job
    outputs (``[governance] require_job_outputs``): use :func:`submit_job_outputs` there.
    """
    if unit.governance.require_job_outputs:
        jobs.refuse_unproduced(
            unit.session,
            unit.keystore,
            by=unit.actor,
            project=project,
            names=[f.path.name for f in files],
        )
    return outputs.submit_outputs(
        unit.session,
        unit.keystore,
        by=unit.actor,
        project=project,
        title=title,
        files=files,
        data_root=unit.settings.data_root,
        settings=unit.sdc,
        release_id=release,
    )


def check_file(unit: Unit, path: Path, *, release: str | None = None) -> FileVerdict:
    """The file check's verdict on one file, against a recorded release if one is named.

    Metadata ``FILE.sdc.json`` beside the file is read as the researcher's context, as
    ``outputs submit`` does; the file's neighbours are its companions (a figure's data).
    """
    evidence = (
        None
        if release is None
        else output_gate.release_evidence(unit.session, unit.settings.data_root, release)
    )
    return check_one_file(
        path, release=evidence, declared=output_gate.read_sidecar(path), settings=unit.sdc
    )


def submit_job_outputs(
    unit: Unit,
    *,
    job_id: int,
    paths: Sequence[str],
    title: str,
    sdc: Mapping[str, dict[str, Any]] | None = None,
) -> OutputRequest:
    """Submit ``moderately_sensitive`` outputs of a succeeded job, with their provenance.

    The files are checked against the release the job read. ``sdc`` gives a file's SDC
    metadata by its path in the job; else a ``PATH.sdc.json`` the job declared beside it
    is used. Each airlock file is tied to the job output it came from, so its provenance
    (commit, release, plan, job) reaches publication.
    """
    chosen = jobs.releasable_outputs(
        unit.session,
        unit.keystore,
        by=unit.actor,
        job_id=job_id,
        paths=paths,
        data_root=unit.settings.data_root,
    )
    job = jobs.get_job(unit.session, job_id)
    specs = [
        _job_file_spec(file, (sdc or {}).get(output.path), output.path, job.outputs)
        for output, file in chosen
    ]
    output = outputs.submit_outputs(
        unit.session,
        unit.keystore,
        by=unit.actor,
        project=job.project.slug,
        title=title,
        files=specs,
        data_root=unit.settings.data_root,
        settings=unit.sdc,
        release_id=job.release_id,  # the files are checked against the release the job read
    )
    jobs.record_sources(unit.session, output, chosen)
    unit.audit(
        "output.sources",
        "output",
        str(output.id),
        {"job": job_id, "files": {file.name: o.path for o, file in chosen}},
    )
    return output


def _job_file_spec(
    file: Path, metadata: dict[str, Any] | None, path: str, produced: Sequence[JobOutput]
) -> OutputFileSpec:
    """A job output as an airlock file: its kind and SDC metadata (given, or declared)."""
    if metadata is None:
        sidecar = {o.path for o in produced}
        if f"{path}{SIDECAR}" in sidecar:
            metadata = json.loads((file.parent / f"{file.name}{SIDECAR}").read_text("utf-8"))
    if metadata is not None and metadata.get("kind") in {"table", "model"}:
        return OutputFileSpec(file, str(metadata["kind"]), metadata)
    kind = "figure" if file.suffix.lower() in {".png", ".jpg", ".jpeg", ".pdf"} else "other"
    return OutputFileSpec(file, kind)


def decide(
    unit: Unit, output_id: int, decision: str, reason: str, *, override: bool = False
) -> OutputOutcome:
    """A checker's decision (approve, reject, return) with a reason.

    Approving is refused while a file is blocked, and needs ``override`` while a file
    needs review. An approval that completes the tally releases the output here; a
    refused release (a file changed after checking) leaves the output as it was,
    approval included.
    """
    output = outputs.decide_output(
        unit.session,
        unit.keystore,
        by=unit.actor,
        output_id=output_id,
        decision=decision,
        reason=reason,
        data_root=unit.settings.data_root,
        override=override,
        settings=unit.governance,
    )
    tally = outputs.output_tally(output, unit.governance)
    return OutputOutcome(output.id, decision, output.status, tally)


def withdraw(unit: Unit, output_id: int, reason: str) -> OutputRequest:
    """A project member withdraws an output request before it is released."""
    return outputs.withdraw_output(
        unit.session, unit.keystore, by=unit.actor, output_id=output_id, reason=reason
    )


def publish(
    unit: Unit,
    *,
    title: str,
    output_ids: Sequence[int],
    result_id: str | None = None,
    cheers_answers: Mapping[int, str] | None = None,
) -> PublishedResult:
    """An evaluator publishes released outputs as one public result under ``published/``.

    Refused (and audited) unless every named output request has been released and, for
    an economic evaluation, every CHEERS 2022 item is filled: by the analysis, the lodged
    plan or the evaluator's ``cheers_answers`` (:mod:`nightingale.operations.cheers`).
    """
    checklist = checklist_for(unit, output_ids, cheers_answers)
    return publishing.publish_result(
        unit.session,
        unit.keystore,
        by=unit.actor,
        title=title,
        output_ids=output_ids,
        data_root=unit.settings.data_root,
        result_id=result_id,
        cheers=checklist.rows,
        cheers_missing=checklist.missing,
    )
