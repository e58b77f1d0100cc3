"""Notebooks leave only as their rendered HTML, and are checked as that HTML.

A ``.ipynb`` file is JSON that can hold anything in its outputs (printed frames, base64
images, widget state) and in its metadata. It is rendered with nbconvert, when nbconvert is
installed, and the HTML is what gets checked (and what the airlock should store and
release in the notebook's place). Without nbconvert the notebook is refused with a message
asking for the rendered HTML.
"""

from __future__ import annotations

from pathlib import Path

from nightingale.governance.errors import InvalidInput


class NotebookNotRendered(InvalidInput):
    """A notebook that cannot be rendered here: submit its HTML instead."""


def render_notebook(path: Path) -> str:
    """The notebook at ``path`` rendered as HTML, with its outputs (raises if it cannot be)."""
    try:
        import nbformat
        from nbconvert import HTMLExporter
    except ImportError as exc:
        raise NotebookNotRendered(
            f"{path.name}: notebooks cannot be rendered here (nbconvert is not installed); "
            "submit the notebook as HTML (File > Save and Export Notebook As > HTML)"
        ) from exc
    try:
        notebook = nbformat.read(str(path), as_version=4)  # type: ignore[no-untyped-call]
        exporter = HTMLExporter()  # type: ignore[no-untyped-call]
        html, _resources = exporter.from_notebook_node(notebook)
    except Exception as exc:  # nbformat and nbconvert raise many unrelated types
        raise NotebookNotRendered(
            f"{path.name}: not a readable notebook ({type(exc).__name__}: {exc}); submit it as HTML"
        ) from exc
    return str(html)
