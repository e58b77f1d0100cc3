"""The output gate between the file check and the airlock: what is checked, and what it allows.

At submission (:func:`stage` then :func:`check_request`) every file is copied to a staging
folder (a notebook is rendered to HTML there and only the HTML goes on), the release the
request names is read (by default the project's newest live release), and
:func:`nightingale.governance.filecheck.check_files` reads every file itself, with the
researcher's metadata as context only. Types outside the list (archives, pickles,
spreadsheets, a ZIP renamed ``.csv``...) are refused there and then, with the allowed
types named; everything else is stored with its verdict.

At a checker's decision, :func:`gate_of` reads the stored verdicts back: a ``block``
finding anywhere means the request cannot be approved at all, not even with an override;
a ``review`` finding (a figure, a magnitude the file cannot prove safe, the metadata
disagreeing with the file...) means approving needs the checker's explicit override and a
reason. Nothing is released on the researcher's word.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.filecheck import (
    ALLOWED_TYPES,
    FileOutcome,
    FileVerdict,
    Finding,
    ReleaseEvidence,
    check_files,
    load_release,
    render_notebook,
)
from nightingale.governance.models import LinkageRequest, OutputRequest, Project, Release
from nightingale.governance.settings import SdcSettings

if TYPE_CHECKING:
    from nightingale.governance.outputs import OutputFileSpec

#: Findings that mean the file's type may not enter the airlock at all.
REFUSED_RULES = frozenset({"file-type", "disguised-file", "notebook-not-rendered"})
METADATA_RULE = "metadata-disagrees"
LEGACY_FAIL = "fail"
"""What outputs checked before the file check called a blocked file (see migration g0006)."""


SIDECAR = ".sdc.json"
"""``FILE.sdc.json`` beside a file is the researcher's metadata for it (``check-table --out``)."""


def read_sidecar(path: Path) -> dict[str, Any] | None:
    """The metadata beside ``path`` (``FILE.sdc.json``), or None when there is none."""
    sidecar = path.with_name(path.name + SIDECAR)
    if not sidecar.is_file():
        return None
    try:
        metadata = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{sidecar}: not readable JSON ({exc})") from exc
    if not isinstance(metadata, dict):
        raise InvalidInput(f"{sidecar}: metadata must be a JSON object")
    return metadata


@dataclass(frozen=True)
class Staged:
    """A submitted file as it will be stored: its path in staging, name, kind, metadata."""

    path: Path
    kind: str
    declared: Mapping[str, Any] | None
    rendered_from: str | None = None


def stage(files: Sequence[OutputFileSpec], folder: Path) -> list[Staged]:
    """Copy ``files`` into ``folder``; notebooks become their rendered HTML.

    What is checked is then exactly what is stored. Raises :class:`InvalidInput` when a
    notebook cannot be rendered or two files would share a name.
    """
    staged: list[Staged] = []
    for spec in files:
        if spec.path.suffix.lower() == ".ipynb":
            target = folder / f"{spec.path.stem}.html"
            if target.exists():
                raise InvalidInput(f"two files would be stored as {target.name}")
            target.write_text(render_notebook(spec.path), encoding="utf-8")
            staged.append(Staged(target, "other", spec.sdc, rendered_from=spec.path.name))
            continue
        target = folder / spec.path.name
        if target.exists():
            raise InvalidInput(f"two files would be stored as {target.name}")
        shutil.copyfile(spec.path, target)
        staged.append(Staged(target, spec.kind, spec.sdc))
    return staged


def _live(release: Release) -> bool:
    return release.revoked_at is None and release.deleted_at is None


def releases_of(session: Session, project: Project) -> list[Release]:
    """The project's releases, oldest first."""
    query = (
        select(Release)
        .join(LinkageRequest, Release.request_id == LinkageRequest.id)
        .where(LinkageRequest.project_id == project.id)
        .order_by(Release.created_at, Release.release_id)
    )
    return list(session.scalars(query))


def named_release(
    session: Session, data_root: Path, project: Project, release_id: str | None
) -> tuple[str | None, ReleaseEvidence | None]:
    """The release a request is checked against: the one named, else the newest live one.

    A named release must be one of the project's and still on disk. A project without a
    live release gives ``(None, None)``: the files are then checked on what they show.
    """
    if release_id is None:
        live = [r for r in releases_of(session, project) if _live(r)]
        if not live:
            return None, None
        chosen = live[-1]
    else:
        found = session.get(Release, release_id)
        if found is None or found.request.project_id != project.id:
            raise InvalidInput(f"release {release_id} is not a release of project {project.slug}")
        if found.deleted_at is not None:
            raise InvalidInput(f"release {release_id} has been deleted; name a current release")
        chosen = found
    return chosen.release_id, release_evidence(session, data_root, chosen.release_id)


def release_evidence(session: Session, data_root: Path, release_id: str) -> ReleaseEvidence:
    """What the file check needs of a recorded release, read from its folder."""
    found = session.get(Release, release_id)
    if found is None:
        raise NotFound(f"no release {release_id!r}")
    try:
        return load_release(data_root, found.request.project.slug, release_id)
    except NotFound as exc:
        raise InvalidInput(f"release {release_id}'s files are not on disk ({exc})") from exc


def check_request(
    staged: Sequence[Staged], release: ReleaseEvidence | None, settings: SdcSettings | None
) -> list[FileVerdict]:
    """Every staged file's verdict; refuses (InvalidInput) any type outside the list."""
    declared = {s.path.name: s.declared for s in staged if s.declared is not None}
    verdicts = check_files(
        [s.path for s in staged], release=release, declared=declared, settings=settings
    )
    refused = [
        f"{v.file}: {f.detail}" + ("" if "allowed:" in f.detail else f" (allowed: {ALLOWED_TYPES})")
        for v in verdicts
        for f in v.findings
        if f.rule in REFUSED_RULES
    ]
    if refused:
        raise InvalidInput("; ".join(refused))
    return [
        v.with_findings([_rendered_note(s)]) if s.rendered_from else v
        for s, v in zip(staged, verdicts, strict=True)
    ]


def _rendered_note(staged: Staged) -> Finding:
    return Finding(
        "notebook",
        "file",
        f"rendered from the notebook {staged.rendered_from}: only this HTML is stored and "
        "may leave; lines refer to it",
        FileOutcome.REVIEW,
    )


def stored(verdict: FileVerdict, kind: str) -> dict[str, Any]:
    """A verdict as stored with the request (``sdc_results.json`` and the database).

    The file check's JSON (``file``, ``outcome``, ``findings``, ``cells``) plus the name
    and kind the airlock shows, and each finding's severity (which ones block).
    """
    record = verdict.as_dict()
    record["findings"] = [{**f.as_dict(), "severity": str(f.severity)} for f in verdict.findings]
    return {"name": verdict.file, "kind": kind, **record}


@dataclass(frozen=True)
class Gate:
    """What the stored verdicts of a request let a checker do."""

    blocked: dict[str, list[str]]
    """Files with a block, and the rules that block them (approval impossible)."""
    review: dict[str, list[str]]
    """Files that need review, and the rules why (approval needs an override)."""
    disagreements: dict[str, list[str]]
    """Files whose metadata disagrees with them: where and how (shown to the checker)."""

    @property
    def needs_override(self) -> bool:
        return bool(self.review)

    def blocked_reason(self) -> str:
        return (
            "; ".join(f"{name} ({', '.join(rules)})" for name, rules in self.blocked.items())
            + " blocked by the file check: a blocked file cannot be approved, not even with "
            "an override; return the request for changes or reject it"
        )

    def review_reason(self) -> str:
        said = "; ".join(f"{name} ({', '.join(rules)})" for name, rules in self.review.items())
        disagree = (
            "; the researcher's metadata disagrees with " + ", ".join(sorted(self.disagreements))
            if self.disagreements
            else ""
        )
        return (
            f"{said} need review{disagree}: nothing is released automatically; approve "
            "with an override and say in the reason why it is safe"
        )


def _rules(findings: list[dict[str, Any]], severity: str) -> list[str]:
    return list(dict.fromkeys(f["rule"] for f in findings if f.get("severity") == severity))


def gate_of(output: OutputRequest) -> Gate:
    """The gate of a stored request, from each file's stored outcome and findings."""
    blocked: dict[str, list[str]] = {}
    review: dict[str, list[str]] = {}
    disagreements: dict[str, list[str]] = {}
    for record in output.files:
        check = json.loads(record.checks_json)
        findings: list[dict[str, Any]] = list(check.get("findings", []))
        if record.outcome in {str(FileOutcome.BLOCK), LEGACY_FAIL}:
            blocked[record.name] = _rules(findings, "block") or ["failing cells"]
        elif record.outcome == str(FileOutcome.REVIEW):
            review[record.name] = _rules(findings, "review") or ["review by hand"]
        disagree = [
            f"{f['where']}: {f['detail']}" for f in findings if f.get("rule") == METADATA_RULE
        ]
        if disagree:
            disagreements[record.name] = disagree
    return Gate(blocked, review, disagreements)
