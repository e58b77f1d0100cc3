"""The airlock as operations: submit outputs, a checker's decision, withdraw, publish.

Each is one call for every edge (the CLI's ``outputs`` commands, the airlock and publish
pages, the workspace client's ``POST /api/outputs``), acting as the unit's actor in the
unit's transaction. "Approve" means one thing wherever it is said: the checker's
approval is recorded, and once the approvals the rules require are in
(:func:`nightingale.governance.outputs.output_tally`) the output is released in the same
operation, its checksums re-verified. There is no separate release step; publishing takes
released outputs only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nightingale.governance import outputs, publishing
from nightingale.governance.approvals import Tally
from nightingale.governance.models import OutputRequest, PublishedResult
from nightingale.governance.outputs import OutputFileSpec
from nightingale.operations.unit import Unit

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
    unit: Unit, *, project: str, title: str, files: Sequence[OutputFileSpec]
) -> OutputRequest:
    """Copy ``files`` into the project's airlock, check every cell, queue for a checker."""
    return outputs.submit_outputs(
        unit.session,
        unit.keystore,
        by=unit.actor,
        project=project,
        title=title,
        files=files,
        data_root=unit.settings.data_root,
        settings=unit.sdc,
    )


def decide(
    unit: Unit, output_id: int, decision: str, reason: str, *, override: bool = False
) -> OutputOutcome:
    """A checker's decision (approve, reject, return) with a reason.

    An approval that completes the tally releases the output here; a refused release
    (a file changed after checking) leaves the output as it was, approval included.
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
    )
    return OutputOutcome(output.id, decision, output.status, outputs.output_tally(output))


def withdraw(unit: Unit, output_id: int, reason: str) -> OutputRequest:
    """A project member withdraws an output request before it is released."""
    return outputs.withdraw_output(
        unit.session, unit.keystore, by=unit.actor, output_id=output_id, reason=reason
    )


def publish(
    unit: Unit, *, title: str, output_ids: Sequence[int], result_id: str | None = None
) -> PublishedResult:
    """An evaluator publishes released outputs as one public result under ``published/``.

    Refused (and audited) unless every named output request has been released.
    """
    return publishing.publish_result(
        unit.session,
        unit.keystore,
        by=unit.actor,
        title=title,
        output_ids=output_ids,
        data_root=unit.settings.data_root,
        result_id=result_id,
    )
