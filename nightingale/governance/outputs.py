"""The airlock: outputs leave a workspace only after SDC checks and an output checker.

A researcher submits files with the SDC metadata the workspace helpers produce
(:mod:`.tables`: per-cell counts and largest contributions, or a model's residual degrees
of freedom). Every file gets automatic per-cell checks, written as ``sdc_results.json``
beside the copies in ``projects/<project>/outputs/<id>/``. An output checker who is not
on the project then approves, rejects or returns the request; approving a request with
failing cells needs an explicit override with a reason (ACRO's "exception request").

Approving has one meaning: the checker's approval is recorded, and once the approvals the
rules require are in (:func:`output_tally`; today one checker) the request is released in
the same step, after re-verifying every file's checksum, so nothing altered after checking
leaves. There is no separate release: an approved request whose files changed is refused
and stays where it was. Evaluators publish released requests only (:mod:`.publishing`).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance import audit, states
from nightingale.governance.approvals import Tally
from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.facts import output_facts, project_facts
from nightingale.governance.models import OutputDecision, OutputFile, OutputRequest, Person
from nightingale.governance.policy import Action
from nightingale.governance.projects import get_project
from nightingale.governance.sdc import Outcome
from nightingale.governance.service import acting, actor_of, guard, lock_row, refuse, utcnow
from nightingale.governance.settings import SdcSettings
from nightingale.governance.tables import ModelSummary, SdcTable, check_model, check_table
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import atomic_directory, atomic_write_json, sha256_file

KINDS = ("table", "model", "figure", "other")
RESULTS_FILE = "sdc_results.json"
DECISIONS = {"approve": "approved", "reject": "rejected", "return": "returned"}
OUTPUT_APPROVALS = 1
"""Different output checkers who must approve before a request leaves the airlock.

Count approvals only with :func:`output_tally` (never ``== 1``): requiring two independent
checkers is then a change of this number and of the policy, not of every caller.
"""


@dataclass(frozen=True)
class OutputFileSpec:
    """A file to submit, its kind and (for tables and models) its SDC metadata."""

    path: Path
    kind: str = "table"
    sdc: dict[str, Any] | None = None


@dataclass(frozen=True)
class FileCheck:
    name: str
    kind: str
    outcome: Outcome
    cells: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "outcome": str(self.outcome),
            "cells": self.cells,
            "notes": self.notes,
        }


def check_file(spec: OutputFileSpec, settings: SdcSettings | None = None) -> FileCheck:
    """The automatic checks for one file (every cell, or the model, or a manual review)."""
    name = spec.path.name
    if spec.sdc is None:
        return FileCheck(
            name,
            spec.kind,
            Outcome.REVIEW,
            notes=["no SDC metadata: the output checker reviews it by hand"],
        )
    if spec.sdc.get("kind") == "model":
        known = {"model", "nobs", "residual_dof", "coefficients"}
        summary = ModelSummary(**{k: v for k, v in spec.sdc.items() if k in known})
        result = check_model(summary, settings)
        return FileCheck(name, spec.kind, result.outcome, [result.as_dict()])
    if spec.sdc.get("kind") == "table":
        cells = check_table(SdcTable.from_json(spec.sdc), settings)
        return FileCheck(
            name, spec.kind, Outcome.worst(c.outcome for c in cells), [c.as_dict() for c in cells]
        )
    raise InvalidInput(f"{name}: SDC metadata kind must be 'table' or 'model'")


def get_output(session: Session, output_id: int) -> OutputRequest:
    found = session.get(OutputRequest, output_id)
    if found is None:
        raise NotFound(f"no output request {output_id}")
    return found


def queue(session: Session, status: str | None = "submitted") -> list[OutputRequest]:
    """Output requests waiting for a checker (or in ``status``; ``None`` for all)."""
    query = select(OutputRequest).order_by(OutputRequest.id)
    if status is not None:
        query = query.where(OutputRequest.status == status)
    return list(session.scalars(query))


def _validate(files: Sequence[OutputFileSpec]) -> None:
    if not files:
        raise InvalidInput("an output request needs at least one file")
    names = [f.path.name for f in files]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInput(f"two files share the name {', '.join(duplicates)}")
    for spec in files:
        if spec.kind not in KINDS:
            raise InvalidInput(f"{spec.path.name}: kind {spec.kind!r} is not one of {KINDS}")
        if not spec.path.is_file():
            raise InvalidInput(f"{spec.path}: no such file")
        if spec.path.name == RESULTS_FILE:
            raise InvalidInput(f"{RESULTS_FILE} is reserved for the airlock's own results")


def submit_outputs(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    project: str,
    title: str,
    files: Sequence[OutputFileSpec],
    data_root: Path,
    settings: SdcSettings | None = None,
) -> OutputRequest:
    """Copy files into the airlock, check every cell, and queue them for a checker."""
    found = get_project(session, project)
    who = acting(session, keystore, by, Action.OUTPUT_SUBMIT, "project", project)
    guard(
        session,
        keystore,
        actor_of(who),
        Action.OUTPUT_SUBMIT,
        project_facts(found),
        object_type="project",
        object_id=project,
    )
    try:
        _validate(files)
        checks = [check_file(spec, settings) for spec in files]
    except InvalidInput as exc:
        refuse(
            session,
            keystore,
            actor=by,
            action=str(Action.OUTPUT_SUBMIT),
            object_type="project",
            object_id=project,
            reason=str(exc).removeprefix("refused: "),
            error=InvalidInput,
        )
    output = OutputRequest(
        project=found,
        submitter=who,
        title=title,
        status="submitted",
        location="",
        created_at=utcnow(),
    )
    session.add(output)
    session.flush()
    output.location = f"projects/{project}/outputs/{output.id}"
    with atomic_directory(data_root / output.location, replace=True) as folder:
        for spec in files:
            shutil.copyfile(spec.path, folder / spec.path.name)
        atomic_write_json(
            folder / RESULTS_FILE,
            {"output_request": output.id, "files": [c.as_dict() for c in checks]},
        )
        for spec, check in zip(files, checks, strict=True):
            output.files.append(
                OutputFile(
                    name=spec.path.name,
                    sha256=sha256_file(folder / spec.path.name),
                    kind=spec.kind,
                    outcome=str(check.outcome),
                    checks_json=json.dumps(check.as_dict()),
                )
            )
    session.flush()
    audit.record(
        session,
        keystore,
        actor=by,
        action="output.submitted",
        object_type="output",
        object_id=str(output.id),
        details={"project": project, "files": {c.name: str(c.outcome) for c in checks}},
    )
    return output


def approvals_of(output: OutputRequest) -> list[OutputDecision]:
    """The checkers' approving decisions on ``output``, oldest first."""
    return [d for d in output.decisions if d.decision == "approve"]


def output_tally(output: OutputRequest) -> Tally:
    """Different checkers who approved ``output``, against how many must before it leaves."""
    return Tally(len({d.checker.username for d in approvals_of(output)}), OUTPUT_APPROVALS)


def decide_output(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    output_id: int,
    decision: str,
    reason: str,
    data_root: Path,
    override: bool = False,
) -> OutputRequest:
    """An output checker approves, rejects or returns an output request, with a reason.

    An approval that completes the tally releases the request in the same transaction
    (checksums re-verified); a release that is refused discards the approval with it.
    """
    if decision not in DECISIONS:
        raise InvalidInput(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
    if not reason.strip():
        raise InvalidInput("an output decision needs a reason")
    output = lock_row(
        session, OutputRequest, OutputRequest.id, output_id, touch=OutputRequest.status
    )
    if output is None:
        raise NotFound(f"no output request {output_id}")
    checker = acting(session, keystore, by, Action.OUTPUT_CHECK, "output", str(output_id))
    guard(
        session,
        keystore,
        actor_of(checker),
        Action.OUTPUT_CHECK,
        output_facts(output),
        object_type="output",
        object_id=str(output_id),
    )
    failing = sorted(f.name for f in output.files if f.outcome == Outcome.FAIL)
    if decision == "approve" and failing and not override:
        refuse(
            session,
            keystore,
            actor=by,
            action=str(Action.OUTPUT_CHECK),
            object_type="output",
            object_id=str(output_id),
            reason=f"{', '.join(failing)} has failing cells; suppress or round them, or "
            "approve with an override and a reason for the exception",
        )
    output.decisions.append(
        OutputDecision(checker=checker, decision=decision, reason=reason, decided_at=utcnow())
    )
    session.flush()
    tally = output_tally(output)
    target = DECISIONS[decision]
    if decision == "approve" and not tally.complete:
        target = output.status  # waits, submitted, for the other checkers' approvals
    details = {
        "reason": reason,
        "override": override,
        "failing_files": failing,
        "approvals": tally.approvals,
        "needed": tally.needed,
    }
    if target == output.status:
        audit.record(
            session,
            keystore,
            actor=by,
            action="output.approval",
            object_type="output",
            object_id=str(output_id),
            details=details,
        )
        return output
    output.status = states.transition(
        "output", f"output request {output_id}", output.status, target
    )
    audit.record(
        session,
        keystore,
        actor=by,
        action=f"output.{target}",
        object_type="output",
        object_id=str(output_id),
        details=details,
    )
    if output.status == "approved":
        _release(session, keystore, checker, output, data_root)
    return output


def withdraw_output(
    session: Session, keystore: KeyStore, *, by: str, output_id: int, reason: str
) -> OutputRequest:
    """A project member withdraws an output request before it is released."""
    output = get_output(session, output_id)
    who = acting(session, keystore, by, Action.OUTPUT_WITHDRAW, "output", str(output_id))
    guard(
        session,
        keystore,
        actor_of(who),
        Action.OUTPUT_WITHDRAW,
        output_facts(output),
        object_type="output",
        object_id=str(output_id),
    )
    before = output.status
    output.status = states.transition("output", f"output request {output_id}", before, "withdrawn")
    audit.record(
        session,
        keystore,
        actor=by,
        action="output.withdrawn",
        object_type="output",
        object_id=str(output_id),
        details={"from": before, "reason": reason},
    )
    return output


def _release(
    session: Session, keystore: KeyStore, checker: Person, output: OutputRequest, data_root: Path
) -> None:
    """Release a fully approved request after re-verifying every file's checksum."""
    object_id = str(output.id)
    guard(
        session,
        keystore,
        actor_of(checker),
        Action.OUTPUT_RELEASE,
        output_facts(output),
        object_type="output",
        object_id=object_id,
    )
    folder = data_root / output.location
    changed = [
        f.name
        for f in output.files
        if not (folder / f.name).is_file() or sha256_file(folder / f.name) != f.sha256
    ]
    if changed:
        refuse(
            session,
            keystore,
            actor=checker.username,
            action=str(Action.OUTPUT_RELEASE),
            object_type="output",
            object_id=object_id,
            reason=f"{', '.join(changed)} changed or vanished after checking; not released",
        )
    output.status = states.transition(
        "output", f"output request {object_id}", output.status, "released"
    )
    audit.record(
        session,
        keystore,
        actor=checker.username,
        action="output.released",
        object_type="output",
        object_id=object_id,
        details={"files": {f.name: f.sha256 for f in output.files}},
    )


def file_checks(output: OutputRequest) -> list[dict[str, Any]]:
    """The stored automatic checks of each file of an output request."""
    return [json.loads(f.checks_json) for f in output.files]
