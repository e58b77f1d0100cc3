"""The spine: every linked record's person, one folder per link run.

``linkage/spine/<run_id>/`` holds ``spine.parquet`` (``source``, ``record_id``,
``person_id``, ``link_run_id``), ``model.json`` (the Splink model's trained
parameters), ``report.json`` and ``report.html``. The folder appears in one rename, and
only then does the spine pointer (``linkage/spine/current.json``) switch to it: a reader
sees the old spine or the new one, never half of one. The paths and the pointer are the
shared contract (:mod:`nightingale.platform.contracts`) that cohorts and the web read.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from nightingale.platform.contracts import (
    SPINE_FILE,
    SPINE_REPORT_HTML,
    SPINE_REPORT_JSON,
    clear_current_spine,
    current_spine_run,
    set_current_spine,
    spine_run_folder,
)
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
    return spine_run_folder(root, run_id)


def write_run(
    root: DataRoot,
    run_id: str,
    spine: pd.DataFrame,
    model_json: dict[str, Any],
    report_json: dict[str, Any],
    report_html: str,
    extra: dict[str, pd.DataFrame | Path] | None = None,
    write_more: Callable[[Path], None] | None = None,
) -> Path:
    """Write a run's folder atomically, then make it the spine in force.

    ``extra`` names further Parquet files of the run (what the next, incremental run
    reuses, and the lineage of person ids: :mod:`.incremental`): a frame to write, or a
    file already written beside the spine zone's folders to move in. ``write_more``
    writes more files into the folder before it appears (the run's sealed
    clerical-review files, :mod:`.review`).
    """
    if spine.duplicated(["source", "record_id"]).any():
        raise NightingaleError("internal error: a record appears twice on the spine")
    target = spine_folder(root, run_id)
    frames = {SPINE_FILE: spine[["source", "record_id", "person_id", "link_run_id"]]}
    frames.update({n: item for n, item in (extra or {}).items() if not isinstance(item, Path)})
    with atomic_directory(target) as folder, ThreadPoolExecutor(2) as pool:
        # Parquet encoding runs outside the GIL: the files are written two at a time.
        written = [pool.submit(write_parquet, folder / n, frame) for n, frame in frames.items()]
        atomic_write_json(folder / "model.json", model_json)
        atomic_write_json(folder / SPINE_REPORT_JSON, report_json)
        atomic_write_text(folder / SPINE_REPORT_HTML, report_html)
        for name, item in (extra or {}).items():
            if isinstance(item, Path):
                item.replace(folder / name)
        if write_more is not None:
            write_more(folder)
        for future in written:
            future.result()
    set_current_spine(root, run_id)
    return target


def current_run(root: DataRoot) -> str | None:
    """The run id of the spine in force, if any."""
    return current_spine_run(root)


def withdraw_run(root: DataRoot, run_id: str, previous: str | None) -> None:
    """Undo :func:`write_run` when the database did not take the run.

    The spine that was in force before (``previous``; none for a first run) is put back,
    unless another run has since replaced this one, and the run's folder is removed.
    """
    import shutil

    if current_run(root) == run_id:
        if previous is None:
            clear_current_spine(root)
        else:
            set_current_spine(root, previous)
    shutil.rmtree(spine_folder(root, run_id), ignore_errors=True)
