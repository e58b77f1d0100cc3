"""Paths in the zones more than one package reads (docs/developers.md, "Zones").

::

    content/<provider>/<version>/<table>.parquet   linkage writes, cohorts reads
    linkage/spine/current.json                     the spine in force (see .spine)
    linkage/spine/<run_id>/spine.parquet           source, record_id, person_id, link_run_id
    linkage/spine/<run_id>/report.json|.html       the run's quality report (aggregates)
    projects/<project>/releases/<release_id>/      persons.parquet, panel.parquet, manifest.json

Versions and run ids are time-ordered names, so the newest sorts last. Folders whose
names start with ``.`` (temporary siblings, scratch) are not entries.
"""

from __future__ import annotations

import re
from pathlib import Path

from nightingale.platform.contracts.errors import ContractError
from nightingale.platform.storage import DataRoot, visible_entries

PERSONS_FILE = "persons.parquet"
PANEL_FILE = "panel.parquet"
MANIFEST_FILE = "manifest.json"
SPINE_FILE = "spine.parquet"
SPINE_REPORT_JSON = "report.json"
SPINE_REPORT_HTML = "report.html"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def is_safe_name(value: str) -> bool:
    """Whether ``value`` can name one folder: no separators, no ``..``, no leading dot."""
    return bool(_NAME.match(value)) and ".." not in value


def safe_name(kind: str, value: str) -> str:
    """``value`` if it can name one folder (see :func:`is_safe_name`); else ContractError."""
    if not is_safe_name(value):
        raise ContractError(f"{kind} {value!r} is not a safe folder name")
    return value


def content_providers(root: DataRoot) -> list[str]:
    """Every provider with a folder in the content zone, sorted."""
    return sorted(p.name for p in visible_entries(root.content) if p.is_dir())


def content_versions(root: DataRoot, provider: str) -> list[str]:
    """The content versions of ``provider``, oldest first (empty when none)."""
    folder = root.content / safe_name("provider", provider)
    return sorted(p.name for p in visible_entries(folder) if p.is_dir())


def content_table(root: DataRoot, provider: str, version: str, table: str) -> Path:
    """Where a version's content table lives (``table`` is the extract file's stem)."""
    return (
        root.content_version(safe_name("provider", provider), safe_name("version", version))
        / f"{safe_name('table', table)}.parquet"
    )


def spine_zone(root: DataRoot) -> Path:
    """The folder holding every link run and the pointer to the one in force."""
    return root.linkage / "spine"


def spine_run_folder(root: DataRoot, run_id: str) -> Path:
    """The folder of one link run."""
    return spine_zone(root) / safe_name("link run", run_id)


def spine_file(root: DataRoot, run_id: str) -> Path:
    """A run's spine: ``source``, ``record_id``, ``person_id``, ``link_run_id``."""
    return spine_run_folder(root, run_id) / SPINE_FILE


def spine_report(root: DataRoot, run_id: str) -> Path:
    """A run's quality report figures (JSON; the page beside it is ``report.html``)."""
    return spine_run_folder(root, run_id) / SPINE_REPORT_JSON


def release_folder(root: DataRoot, project: str, release_id: str) -> Path:
    """Where one release of ``project`` lives."""
    return root.releases(safe_name("project", project)) / safe_name("release id", release_id)


def confined_release_folder(root: DataRoot, project: str, location: str | Path) -> Path:
    """The release folder ``location`` names, only if it is one of ``project``'s releases.

    ``location`` comes from the governance database (relative to the data root, or
    absolute from older rows); someone who can write that row must not be able to make
    the hub mount, share or chmod another folder (the keys, the identifier zone, ``/etc``).
    So the path is resolved (links and ``..`` followed) and must be a direct child of
    ``projects/<project>/releases/`` under the resolved data root; else ContractError.
    """
    releases = root.releases(safe_name("project", project)).resolve()
    given = Path(location)
    resolved = (given if given.is_absolute() else root.path / given).resolve()
    if resolved.parent != releases or not is_safe_name(resolved.name):
        raise ContractError(
            f"release location {str(location)!r} is not a folder under "
            f"projects/{project}/releases/ of the data root; refused"
        )
    return resolved
