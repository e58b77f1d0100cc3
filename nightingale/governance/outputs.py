"""The airlock: outputs leave a workspace only after the file check and two output checkers.

A researcher submits files (with, optionally, the SDC metadata the workspace helpers write)
and names the release they worked from (by default the project's newest). Every file is
read by the file check (:mod:`.filecheck`, through :mod:`.output_gate`): types outside the
list are refused at once; the rest are stored in ``projects/<project>/outputs/<id>/`` with
their verdicts (``sdc_results.json`` and each file's outcome: pass, review or block).
Metadata is context only; where it disagrees with a file, the checker is shown it.

Output checkers who are neither the submitter nor on the project then approve, reject or
return the request. A request with a blocked file cannot be approved at all; one with a
file that needs review can be approved only with an explicit override and a reason.

Approving has one meaning: the checker's approval is recorded, and once ``output_approvals``
(two by default) different checkers have approved (:func:`output_tally`, the policy's
``output.release``) the request is released in the same step, after re-verifying every
file's checksum, so nothing altered after checking leaves. A checker decides a request
once; one rejection stops it. Evaluators publish released requests only
(:mod:`.publishing`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance import audit, output_gate, states
from nightingale.governance.approvals import Tally
from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.facts import output_facts, project_facts
from nightingale.governance.models import OutputDecision, OutputFile, OutputRequest, Person
from nightingale.governance.policy import Action
from nightingale.governance.projects import get_project
from nightingale.governance.service import acting, actor_of, guard, lock_row, refuse, utcnow
from nightingale.governance.settings import GovernanceSettings, SdcSettings
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import atomic_directory, atomic_write_json, sha256_file

KINDS = ("table", "model", "figure", "other")
RESULTS_FILE = "sdc_results.json"
DECISIONS = {"approve": "approved", "reject": "rejected", "return": "returned"}


@dataclass(frozen=True)
class OutputFileSpec:
    """A file to submit, its kind and (optionally) the researcher's metadata for it.

    ``sdc`` is context for the file check (a table's definition, a model's figures); it
    never makes a file pass that the file itself would not.
    """

    path: Path
    kind: str = "table"
    sdc: dict[str, Any] | None = None


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
    release_id: str | None = None,
) -> OutputRequest:
    """Check every file against the release and queue the request for the checkers.

    ``release_id`` names the release the outputs come from (default: the project's newest
    live release). Refused, and audited, when a file's type may not leave.
    """
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
    with tempfile.TemporaryDirectory(prefix="nightingale-airlock-") as staging:
        try:
            _validate(files)
            staged = output_gate.stage(files, Path(staging))
            checked_against, evidence = output_gate.named_release(
                session, data_root, found, release_id
            )
            verdicts = output_gate.check_request(staged, evidence, settings)
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
            release_id=checked_against,
        )
        session.add(output)
        session.flush()
        output.location = f"projects/{project}/outputs/{output.id}"
        checks = [
            output_gate.stored(verdict, item.kind)
            for item, verdict in zip(staged, verdicts, strict=True)
        ]
        with atomic_directory(data_root / output.location, replace=True) as folder:
            for item in staged:
                shutil.copyfile(item.path, folder / item.path.name)
            atomic_write_json(
                folder / RESULTS_FILE,
                {"output_request": output.id, "release": checked_against, "files": checks},
            )
            for item, check in zip(staged, checks, strict=True):
                output.files.append(
                    OutputFile(
                        name=item.path.name,
                        sha256=sha256_file(folder / item.path.name),
                        kind=item.kind,
                        outcome=check["outcome"],
                        checks_json=json.dumps(check),
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
        details={
            "project": project,
            "release": checked_against,
            "files": {c["name"]: c["outcome"] for c in checks},
        },
    )
    return output


def approvals_of(output: OutputRequest) -> list[OutputDecision]:
    """The checkers' approving decisions on ``output``, oldest first."""
    return [d for d in output.decisions if d.decision == "approve"]


def output_tally(output: OutputRequest, settings: GovernanceSettings | None = None) -> Tally:
    """Different checkers who approved ``output``, against how many must before it leaves.

    Count approvals only here (never ``== 2``): the number is the governance setting
    ``output_approvals``, and the policy's ``output.release`` checks the same count.
    """
    needed = (settings or GovernanceSettings()).output_approvals
    return Tally(len({d.checker.username for d in approvals_of(output)}), needed)


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
    settings: GovernanceSettings | None = None,
) -> OutputRequest:
    """An output checker approves, rejects or returns an output request, with a reason.

    Approving is refused while any file is blocked, and without ``override`` while any
    file needs review (the reason then says why it is safe). An approval that completes
    the tally releases the request in the same transaction (checksums re-verified); a
    release that is refused discards the approval with it.
    """
    if decision not in DECISIONS:
        raise InvalidInput(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
    if not reason.strip():
        raise InvalidInput("an output decision needs a reason")
    chosen = settings or GovernanceSettings()
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
        output_facts(output, chosen.output_approvals),
        object_type="output",
        object_id=str(output_id),
    )
    gate = output_gate.gate_of(output)
    if decision == "approve" and (gate.blocked or (gate.needs_override and not override)):
        refuse(
            session,
            keystore,
            actor=by,
            action=str(Action.OUTPUT_CHECK),
            object_type="output",
            object_id=str(output_id),
            reason=gate.blocked_reason() if gate.blocked else gate.review_reason(),
        )
    output.decisions.append(
        OutputDecision(checker=checker, decision=decision, reason=reason, decided_at=utcnow())
    )
    session.flush()
    tally = output_tally(output, chosen)
    target = DECISIONS[decision]
    if decision == "approve" and not tally.complete:
        target = output.status  # waits, submitted, for the other checkers' approvals
    details = {
        "reason": reason,
        "override": override,
        "review_files": sorted(gate.review),
        "metadata_disagrees": sorted(gate.disagreements),
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
        _release(session, keystore, checker, output, data_root, chosen)
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
    session: Session,
    keystore: KeyStore,
    checker: Person,
    output: OutputRequest,
    data_root: Path,
    settings: GovernanceSettings,
) -> None:
    """Release a fully approved request after re-verifying every file's checksum."""
    object_id = str(output.id)
    guard(
        session,
        keystore,
        actor_of(checker),
        Action.OUTPUT_RELEASE,
        output_facts(output, settings.output_approvals),
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
    """The stored file check of each file of an output request (:func:`output_gate.stored`)."""
    return [json.loads(f.checks_json) for f in output.files]
