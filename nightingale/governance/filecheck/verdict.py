"""What the file check says about one file: an outcome, findings that name where, cells.

A :class:`Finding` is one rule that fired at one place ("line 12, column pid",
"cell (18-24, F)", "PNG text chunk 'Comment'"). Its severity decides the file's outcome:
any ``block`` finding blocks the file, any ``review`` finding sends it to the checker, a
``note`` only informs. The JSON form of a finding is exactly ``{rule, where, detail}``
(the shape ``nightingale outputs check-file --json`` prints); the severity stays in Python,
where the airlock reads it, and in the file's outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from nightingale.governance.sdc import Outcome


class FileOutcome(StrEnum):
    """A file's verdict; ``worst`` orders them block > review > pass."""

    PASS = "pass"  # noqa: S105 (an outcome, not a password)
    REVIEW = "review"
    BLOCK = "block"

    @staticmethod
    def worst(outcomes: Iterable[FileOutcome]) -> FileOutcome:
        rank = {FileOutcome.PASS: 0, FileOutcome.REVIEW: 1, FileOutcome.BLOCK: 2}
        return max(outcomes, key=rank.__getitem__, default=FileOutcome.PASS)

    @staticmethod
    def of_cell(outcome: Outcome) -> FileOutcome:
        """A cell's SDC outcome as a file outcome (a failing cell blocks its file)."""
        return {
            Outcome.PASS: FileOutcome.PASS,
            Outcome.REVIEW: FileOutcome.REVIEW,
            Outcome.FAIL: FileOutcome.BLOCK,
        }[outcome]


BLOCK = FileOutcome.BLOCK
REVIEW = FileOutcome.REVIEW
NOTE = FileOutcome.PASS  # a finding that informs the checker without changing the outcome


@dataclass(frozen=True)
class Finding:
    """One rule that fired at one place in a file."""

    rule: str
    where: str
    detail: str
    severity: FileOutcome = BLOCK

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "where": self.where, "detail": self.detail}


@dataclass(frozen=True)
class FileVerdict:
    """Everything the automatic check found in one file.

    ``outcome`` is the worst of the findings' severities and the cells' outcomes;
    ``cells`` holds :meth:`CellCheck.as_dict` rows for tables and models.
    """

    file: str
    outcome: FileOutcome
    findings: tuple[Finding, ...] = ()
    cells: tuple[dict[str, Any], ...] = ()

    @classmethod
    def of(
        cls, file: str, findings: Iterable[Finding], cells: Iterable[dict[str, Any]] = ()
    ) -> FileVerdict:
        """A verdict whose outcome follows from its findings and cells."""
        found = tuple(findings)
        rows = tuple(cells)
        outcome = FileOutcome.worst(
            [f.severity for f in found] + [FileOutcome.of_cell(Outcome(c["outcome"])) for c in rows]
        )
        return cls(file, outcome, found, rows)

    def with_findings(self, extra: Iterable[Finding]) -> FileVerdict:
        """This verdict with more findings (the outcome can only get worse)."""
        return FileVerdict.of(self.file, (*self.findings, *extra), self.cells)

    def rules(self) -> set[str]:
        """The names of the rules that fired (handy for tests and summaries)."""
        return {f.rule for f in self.findings}

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "outcome": str(self.outcome),
            "findings": [f.as_dict() for f in self.findings],
            "cells": list(self.cells),
        }
