"""The spine: every linked record's person, one folder per link run.

``linkage/spine/<run_id>/`` holds ``spine.parquet`` (``source``, ``record_id``,
``person_id``, ``link_run_id``), ``model.json`` (the Splink model's trained
parameters), ``report.json`` and ``report.html``. The folder appears in one rename, and
only then does ``linkage/spine/current.json`` switch to it: a reader sees the old spine
or the new one, never half of one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import (
    DataRoot,
    atomic_directory,
    atomic_write_json,
    atomic_write_text,
    write_parquet,
)


def spine_folder(root: DataRoot, run_id: str) -> Path:
    """The folder of one run."""
    return root.linkage / "spine" / run_id


def write_run(
    root: DataRoot,
    run_id: str,
    spine: pd.DataFrame,
    model_json: dict[str, Any],
    report_json: dict[str, Any],
    report_html: str,
) -> Path:
    """Write a run's folder atomically, then make it the spine in force."""
    if spine.duplicated(["source", "record_id"]).any():
        raise NightingaleError("internal error: a record appears twice on the spine")
    with atomic_directory(spine_folder(root, run_id)) as folder:
        write_parquet(
            folder / "spine.parquet", spine[["source", "record_id", "person_id", "link_run_id"]]
        )
        atomic_write_json(folder / "model.json", model_json)
        atomic_write_json(folder / "report.json", report_json)
        atomic_write_text(folder / "report.html", report_html)
    atomic_write_json(root.linkage / "spine" / "current.json", {"run_id": run_id})
    return spine_folder(root, run_id)


def current_run(root: DataRoot) -> str | None:
    """The run id of the spine in force, if any."""
    pointer = root.linkage / "spine" / "current.json"
    if not pointer.is_file():
        return None
    value = json.loads(pointer.read_text(encoding="utf-8")).get("run_id")
    return str(value) if value else None


def withdraw_run(root: DataRoot, run_id: str, previous: str | None) -> None:
    """Undo :func:`write_run` when the database did not take the run.

    The spine that was in force before (``previous``; none for a first run) is put back,
    unless another run has since replaced this one, and the run's folder is removed.
    """
    import shutil

    pointer = root.linkage / "spine" / "current.json"
    if current_run(root) == run_id:
        if previous is None:
            pointer.unlink(missing_ok=True)
        else:
            atomic_write_json(pointer, {"run_id": previous})
    shutil.rmtree(spine_folder(root, run_id), ignore_errors=True)
