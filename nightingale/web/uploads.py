"""What the airlock upload (``POST /api/outputs``) accepts, checked before anything is written.

Each refusal answers 4xx with what to fix, and is audited (:mod:`.rejections`):

- a file name must be a plain name: not empty, ``.`` or ``..``, no ``/`` or ``\\``, no
  control characters, at most 200 characters, each name once (422). The name is refused,
  never silently shortened to its last part;
- a file over ``[governance] output_max_file_bytes`` is refused (413); the whole body's
  cap is :mod:`.limits`;
- the metadata must be a JSON object mapping file names to ``{"kind": ..., "sdc": {...}}``
  (422 for anything else: ``[]``, not JSON, a kind that is not text, ``sdc`` not an
  object, a name that is not uploaded).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import UploadFile
from pydantic import BaseModel, ConfigDict, RootModel, ValidationError
from starlette.types import Scope

from nightingale.web.rejections import reject

MAX_NAME = 200


class FileMetadata(BaseModel):
    """What a notebook says about one file (``sdc`` is context for the file check)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: str = "other"
    sdc: dict[str, Any] | None = None


class Metadata(RootModel[dict[str, FileMetadata]]):
    """``{file name: {kind, sdc}}``."""


def parse_metadata(scope: Scope, actor: str, text: str) -> dict[str, FileMetadata]:
    """The metadata form field as a validated mapping; 422 (audited) when it is not."""
    try:
        raw = json.loads(text)
    except ValueError:
        reject(
            scope,
            actor=actor,
            status=422,
            reason="metadata is not JSON",
            detail="metadata is not JSON; send {file name: {kind, sdc}}",
        )
    try:
        return Metadata.model_validate(raw).root
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'metadata'}: {error['msg']}"
            for error in exc.errors()
        )
        reject(
            scope,
            actor=actor,
            status=422,
            reason="metadata is not {file name: {kind, sdc}}",
            detail=f"metadata must map file names to {{kind, sdc}} ({where})",
        )


def plain_name(scope: Scope, actor: str, given: str | None) -> str:
    """``given`` if it names one file with no folder part; else 422 (audited)."""
    name = given or ""
    if (
        name in ("", ".", "..")
        or "/" in name
        or "\\" in name
        or len(name) > MAX_NAME
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
    ):
        reject(
            scope,
            actor=actor,
            status=422,
            reason="file name is not a plain name",
            detail=f"file name {name[:MAX_NAME]!r} is not a plain file name (no folders, "
            f"not '.' or '..', at most {MAX_NAME} characters)",
        )
    return name


def check_uploads(
    scope: Scope,
    actor: str,
    files: list[UploadFile],
    metadata: dict[str, FileMetadata],
    max_file_bytes: int,
) -> list[str]:
    """The uploads' names, each plain, once, within the cap, and the metadata's names
    all among them (else 413/422, audited)."""
    names = [plain_name(scope, actor, upload.filename) for upload in files]
    if len(set(names)) != len(names):
        reject(
            scope,
            actor=actor,
            status=422,
            reason="a file name is uploaded twice",
            detail="each file name may be uploaded once",
        )
    for name, upload in zip(names, files, strict=True):
        if upload.size is None or upload.size > max_file_bytes:
            reject(
                scope,
                actor=actor,
                status=413,
                reason=f"a file over {max_file_bytes} bytes",
                detail=f"{name} is larger than the airlock accepts ({max_file_bytes} bytes)",
            )
    unknown = sorted(set(metadata) - set(names))
    if unknown:
        reject(
            scope,
            actor=actor,
            status=422,
            reason="metadata names a file that is not uploaded",
            detail=f"metadata names files that are not uploaded: {', '.join(unknown)}",
        )
    return names
