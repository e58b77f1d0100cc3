"""The pointer to the spine in force: ``linkage/spine/current.json`` = ``{"run_id": ...}``.

Linkage switches it (atomically) only after a run's folder is complete, so a reader
sees the old spine or the new one. Readers: the cohort builder (which spine to join),
the steward's pages (which quality report to show, and when a cached estimate is stale).
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from nightingale.platform.contracts.errors import ContractError
from nightingale.platform.contracts.zones import is_safe_name, spine_zone
from nightingale.platform.storage import DataRoot, atomic_write_json

POINTER_FILE = "current.json"


class SpinePointer(BaseModel):
    """Which link run's spine is in force."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str

    @field_validator("run_id")
    @classmethod
    def _one_folder(cls, value: str) -> str:
        # The run id is joined to a path: it must name one folder inside the spine zone.
        if not is_safe_name(value):
            raise ValueError(f"{value!r} is not a safe folder name")
        return value


def read_spine_pointer(root: DataRoot) -> SpinePointer | None:
    """The pointer, or None before the first link run; ContractError when unreadable."""
    path = spine_zone(root) / POINTER_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ContractError(f"{path}: unreadable spine pointer ({exc.strerror})") from exc
    try:
        return SpinePointer.model_validate(json.loads(text))
    except (ValueError, ValidationError) as exc:
        problem = _first_problem(exc)
        raise ContractError(f"{path}: unreadable spine pointer ({problem})") from exc


def current_spine_run(root: DataRoot) -> str | None:
    """The run id of the spine in force, if any."""
    pointer = read_spine_pointer(root)
    return None if pointer is None else pointer.run_id


def set_current_spine(root: DataRoot, run_id: str) -> None:
    """Make ``run_id`` the spine in force (one atomic write)."""
    pointer = SpinePointer(run_id=run_id)
    atomic_write_json(spine_zone(root) / POINTER_FILE, pointer.model_dump())


def clear_current_spine(root: DataRoot) -> None:
    """No spine in force (undoing a first link run whose transaction did not commit)."""
    (spine_zone(root) / POINTER_FILE).unlink(missing_ok=True)


def _first_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "document"
        return f"{field}: {error['msg']}"
    return str(exc)
