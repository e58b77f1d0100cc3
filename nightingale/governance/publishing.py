"""Publishing: an evaluator turns released outputs into a public result.

A published result is a folder ``published/<result_id>/`` holding copies of released
output files (each copy's SHA-256 re-checked against the one the output checkers
approved: a file changed in the airlock afterwards is refused) and a ``manifest.json``
naming the output requests they came from and each file's checksum (and, for a file an
analysis job produced, its provenance: commit, release, pipeline and plan hashes, job
id), written atomically; the database records who published what, from which outputs,
and the audit chain records ``result.published``.

An economic evaluation carries its completed CHEERS 2022 checklist (``cheers.json``,
written beside the files; its SHA-256 in the manifest and in the audit entry, so a
report can tell it was not changed). The policy refuses to publish while the checklist
has empty items (``cheers_missing``), naming them, and refuses an evaluator any output of
a project they are not a member of.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance.acting import acting
from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.facts import output_facts
from nightingale.governance.jobs import provenance_of
from nightingale.governance.models import PublishedResult, PublishedSource
from nightingale.governance.outputs import RESULTS_FILE, get_output
from nightingale.governance.policy import Action, PublishFacts
from nightingale.governance.service import utcnow
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import atomic_directory, atomic_write_json, sha256_file

CHEERS_FILE = "cheers.json"
RESULT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")


def _same_as_approved(copy: Path, output_id: int, name: str, approved_sha256: str) -> None:
    """Refuse a file whose bytes are not the ones the checkers approved.

    The copy about to be published is hashed (not the airlock's file, which could change
    again between a check and the copy), and compared with the SHA-256 recorded when the
    output was submitted and checked. A refusal rolls back; nothing is published.
    """
    if sha256_file(copy) != approved_sha256:
        raise InvalidInput(
            f"output request {output_id}: {name} has changed since it was checked and "
            "approved (its SHA-256 differs); it is not published"
        )


def publish_result(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    title: str,
    output_ids: Sequence[int],
    data_root: Path,
    result_id: str | None = None,
    cheers: Sequence[dict[str, Any]] | None = None,
    cheers_missing: Sequence[str] = (),
) -> PublishedResult:
    """Publish the files of released output requests as one result.

    ``cheers`` is the completed CHEERS 2022 checklist of an economic evaluation (None
    for other results); ``cheers_missing`` names its empty items, and while there are
    any the policy refuses (audited).
    """
    chosen = result_id or uuid.uuid4().hex[:12]
    if not RESULT_ID.match(chosen):
        raise InvalidInput(f"result id {chosen!r} must be 3-64 lower-case letters, digits, -")
    if not title.strip():
        raise InvalidInput("a published result needs a title")
    if session.get(PublishedResult, chosen) is not None:
        raise InvalidInput(f"a result called {chosen!r} is already published")
    try:
        outputs = [get_output(session, i) for i in sorted(set(output_ids))]
    except NotFound as exc:
        raise InvalidInput(str(exc)) from exc
    with acting(
        session,
        keystore,
        by,
        Action.RESULT_PUBLISH,
        PublishFacts(tuple(output_facts(o) for o in outputs), tuple(cheers_missing)),
        object_type="result",
        object_id=chosen,
    ) as who:
        location = f"published/{chosen}"
        files: dict[str, str] = {}
        provenance: dict[str, dict[str, object]] = {}
        with atomic_directory(data_root / location) as folder:
            for output in outputs:
                sources = provenance_of(session, output.id)
                for item in output.files:
                    name = f"{output.id}-{item.name}"
                    shutil.copyfile(data_root / output.location / item.name, folder / name)
                    _same_as_approved(folder / name, output.id, item.name, item.sha256)
                    files[name] = item.sha256
                    if item.name in sources:
                        provenance[name] = sources[item.name]
            extra: dict[str, Any] = {}
            if cheers is not None:
                atomic_write_json(folder / CHEERS_FILE, {"items": list(cheers)})
                extra["cheers"] = {"file": CHEERS_FILE, "sha256": sha256_file(folder / CHEERS_FILE)}
            atomic_write_json(
                folder / "manifest.json",
                {
                    "result_id": chosen,
                    "title": title,
                    "published_by": by,
                    "published_at": utcnow().isoformat(),
                    "output_requests": [o.id for o in outputs],
                    "files": files,
                    "provenance": provenance,
                    "checks": RESULTS_FILE + " stays in the airlock",
                    **extra,
                },
            )
        result = PublishedResult(
            result_id=chosen,
            title=title,
            evaluator=who.person,
            location=location,
            created_at=utcnow(),
            source_rows=[PublishedSource(output_id=o.id) for o in outputs],
        )
        session.add(result)
        session.flush()
        details: dict[str, Any] = {"outputs": [o.id for o in outputs], "files": sorted(files)}
        if "cheers" in extra:
            details["cheers_sha256"] = extra["cheers"]["sha256"]
        who.audit("result.published", details)
        return result


def list_results(session: Session) -> list[PublishedResult]:
    return list(session.scalars(select(PublishedResult).order_by(PublishedResult.created_at)))
