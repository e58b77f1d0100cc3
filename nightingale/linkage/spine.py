"""The spine: every linked record's person, one folder per link run.

``linkage/spine/<run_id>/`` holds ``spine.parquet`` (``source``, ``record_id``,
``person_id``, ``link_run_id``), ``model.json`` (the Splink model's trained
parameters), ``report.json`` and ``report.html``. The folder appears in one rename, and
only then does the spine pointer (``linkage/spine/current.json``) switch to it: a reader
sees the old spine or the new one, never half of one. The paths and the pointer are the
shared contract (:mod:`nightingale.platform.contracts`) that cohorts and the web read.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def new_run(root: DataRoot, run_id: str) -> Iterator[Path]:
    """The folder of a new run to fill; it appears whole when the block ends without an
    error, and only then becomes the spine in force (on an error it never appears).

    Files may be written into it in any order, by more than one thread, as long as
    every write has finished when the block ends.
    """
    with atomic_directory(spine_folder(root, run_id)) as folder:
        yield folder
    set_current_spine(root, run_id)


def write_spine(folder: Path, spine: pd.DataFrame) -> None:
    """The spine file of a run's folder (refused if a record appears twice)."""
    if spine.duplicated(["source", "record_id"]).any():
        raise NightingaleError("internal error: a record appears twice on the spine")
    write_parquet(folder / SPINE_FILE, spine[["source", "record_id", "person_id", "link_run_id"]])


def write_report(
    folder: Path, model_json: dict[str, Any], report_json: dict[str, Any], report_html: str
) -> None:
    """The model and the quality report (JSON and HTML) of a run's folder."""
    atomic_write_json(folder / "model.json", model_json)
    atomic_write_json(folder / SPINE_REPORT_JSON, report_json)
    atomic_write_text(folder / SPINE_REPORT_HTML, report_html)


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
