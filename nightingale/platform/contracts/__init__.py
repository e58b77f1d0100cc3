"""What packages share on disk, written down once.

Linkage writes the content zone and the spine; cohorts reads them and writes releases;
the web pages, the hub and notebooks read releases and linkage reports. None of them
spells another's paths or JSON keys: they meet here, at small typed models and path
functions, so a renamed key fails the type checker and the tests instead of a page
silently showing nothing.

- :mod:`.zones`: where the shared zones keep their files (content tables, spine runs,
  release folders);
- :mod:`.spine`: the pointer to the spine in force (``linkage/spine/current.json``);
- :mod:`.manifest`: a release's ``manifest.json``;
- :mod:`.demographics`: the date of birth and sex per identifier record that linkage
  publishes for cohort builds (the only identifying values a build reads; cohorts never
  opens the sealed identifier files itself).
"""

from nightingale.platform.contracts.demographics import DEMOGRAPHIC_COLUMNS, Demographics
from nightingale.platform.contracts.errors import ContractError
from nightingale.platform.contracts.manifest import (
    CodelistRecord,
    KAnonymityRecord,
    ReleaseManifest,
    RowCounts,
    read_manifest,
    write_manifest,
)
from nightingale.platform.contracts.spine import (
    SpinePointer,
    clear_current_spine,
    current_spine_run,
    read_spine_pointer,
    set_current_spine,
)
from nightingale.platform.contracts.zones import (
    MANIFEST_FILE,
    PANEL_FILE,
    PERSONS_FILE,
    SPINE_FILE,
    SPINE_REPORT_HTML,
    SPINE_REPORT_JSON,
    confined_release_folder,
    content_providers,
    content_table,
    content_versions,
    release_folder,
    spine_file,
    spine_report,
    spine_run_folder,
    spine_zone,
)

__all__ = [
    "DEMOGRAPHIC_COLUMNS",
    "MANIFEST_FILE",
    "PANEL_FILE",
    "PERSONS_FILE",
    "SPINE_FILE",
    "SPINE_REPORT_HTML",
    "SPINE_REPORT_JSON",
    "CodelistRecord",
    "ContractError",
    "Demographics",
    "KAnonymityRecord",
    "ReleaseManifest",
    "RowCounts",
    "SpinePointer",
    "clear_current_spine",
    "confined_release_folder",
    "content_providers",
    "content_table",
    "content_versions",
    "current_spine_run",
    "read_manifest",
    "read_spine_pointer",
    "release_folder",
    "set_current_spine",
    "spine_file",
    "spine_report",
    "spine_run_folder",
    "spine_zone",
    "write_manifest",
]
