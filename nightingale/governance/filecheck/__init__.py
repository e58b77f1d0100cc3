"""The output gate's file check: evidence read from the submitted files themselves.

The airlock used to trust the disclosure metadata a researcher's notebook wrote. This
package reads the files: every allowed type is opened as what it is (content decides, not
only the suffix), every piece of text in it is hunted for what must never leave, and the
SDC rules are applied to what the file shows, recomputed from the release when the request
names one. Metadata is context and can only make a verdict stricter.

Public API::

    check_file(path, *, release=None, declared=None, settings=None, companions=None)
        -> FileVerdict
    check_files(paths, *, release=None, declared=None, settings=None) -> list[FileVerdict]
    load_release(root, project, release_id) -> ReleaseEvidence
    render_notebook(path) -> str

Modules, one job each: :mod:`.kinds` (allowed types, magic bytes), :mod:`.grid` (table
files as located text cells), :mod:`.scanners` (identifiers, dates, postcodes, free
text), :mod:`.table_rules` (counts, zeros, row-level data), :mod:`.recompute` (tables
rebuilt from the release; metadata compared), :mod:`.model_files` (residual degrees of
freedom), :mod:`.figures` (PNG/SVG and their data files), :mod:`.markup` (HTML and SVG
text), :mod:`.notebooks`, :mod:`.differencing` (across a request's tables),
:mod:`.release` (what the check knows of the release), :mod:`.engine` (the entry points),
:mod:`.verdict` (the result).
"""

from nightingale.governance.filecheck.engine import check_file, check_files
from nightingale.governance.filecheck.kinds import ALLOWED_SUFFIXES, ALLOWED_TYPES
from nightingale.governance.filecheck.notebooks import NotebookNotRendered, render_notebook
from nightingale.governance.filecheck.recompute import TableDefinition
from nightingale.governance.filecheck.release import ReleaseEvidence, load_release
from nightingale.governance.filecheck.verdict import FileOutcome, FileVerdict, Finding

__all__ = [
    "ALLOWED_SUFFIXES",
    "ALLOWED_TYPES",
    "FileOutcome",
    "FileVerdict",
    "Finding",
    "NotebookNotRendered",
    "ReleaseEvidence",
    "TableDefinition",
    "check_file",
    "check_files",
    "load_release",
    "render_notebook",
]
