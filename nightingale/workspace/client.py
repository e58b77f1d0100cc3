"""The workspace client: what a researcher uses in a notebook.

    from nightingale import workspace as ws
    ws.releases()                                  # what is mounted for you, newest last
    persons = ws.load("persons")                   # the newest release of your project
    table = ws.table(persons, "treated", "sex")    # a table with its SDC evidence
    ws.show(table)                                 # the table, with cells that would fail
    ws.submit("Counts by arm and sex", {"counts.csv": table})

Releases are read from ``$NIGHTINGALE_RELEASES_DIR`` (``~/releases/<project>/<id>/``),
mounted read-only by the hub. Outputs go to the airlock through the governance service's
API (``$NIGHTINGALE_SERVICE_URL``), authenticated with the server's own hub token
(``$JUPYTERHUB_API_TOKEN``): the notebook never holds a password or a database URL.

This module is an edge, like the web service: it reuses governance's table helpers
(:mod:`nightingale.governance.tables`) so a table is checked by the same rules in the
notebook and in the airlock.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nightingale.governance.tables import (
    ModelSummary,
    SdcTable,
    build_table,
    check_model,
    check_table,
    model_summary,
)
from nightingale.platform.errors import NightingaleError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Release", "load", "model_summary", "releases", "show", "submit", "table"]

Output = SdcTable | ModelSummary | Path | str | bytes
"""What :func:`submit` accepts per file name: a checked table, a model summary, a file."""


@dataclass(frozen=True)
class Release:
    """A release mounted in this workspace."""

    project: str
    release_id: str
    path: Path

    @property
    def manifest(self) -> dict[str, Any]:
        try:
            content = json.loads((self.path / "manifest.json").read_text())
        except (OSError, ValueError):
            return {}
        return content if isinstance(content, dict) else {}

    @property
    def tables(self) -> list[str]:
        return sorted(p.stem for p in self.path.glob("*.parquet"))


def _releases_dir() -> Path:
    return Path(os.environ.get("NIGHTINGALE_RELEASES_DIR", Path.home() / "releases")).expanduser()


def releases(project: str | None = None) -> list[Release]:
    """The releases mounted for you (of ``project`` only, if given), oldest first."""
    root = _releases_dir()
    found = [
        Release(project_dir.name, release_dir.name, release_dir)
        for project_dir in sorted(root.iterdir() if root.is_dir() else [])
        if project_dir.is_dir() and (project is None or project_dir.name == project)
        for release_dir in sorted(project_dir.iterdir())
        if release_dir.is_dir()
    ]
    return sorted(found, key=lambda r: (str(r.manifest.get("created_at", "")), r.release_id))


def _default_project() -> str | None:
    return os.environ.get("NIGHTINGALE_PROJECT") or None


def load(
    table_name: str = "persons", release: str | None = None, project: str | None = None
) -> pd.DataFrame:
    """A release's table (``persons`` or ``panel``) as pandas; the newest release by default."""
    import pandas as pd

    candidates = releases(project or _default_project())
    if release is not None:
        candidates = [r for r in candidates if r.release_id == release]
    if not candidates:
        where = f"release {release}" if release else "any release"
        raise NightingaleError(
            f"no {where} is mounted in {_releases_dir()}; a release appears here once a "
            "steward-approved request has been built (restart your server to see new ones)"
        )
    chosen = candidates[-1]
    path = chosen.path / f"{table_name}.parquet"
    if not path.is_file():
        raise NightingaleError(
            f"release {chosen.release_id} has no table {table_name!r} "
            f"(it has: {', '.join(chosen.tables)})"
        )
    return pd.read_parquet(path)


def table(
    frame: pd.DataFrame, index: str, columns: str, values: str | None = None, agg: str = "count"
) -> SdcTable:
    """``index`` x ``columns`` of ``agg`` over ``values``, with the evidence the airlock checks."""
    return build_table(frame, index, columns, values, agg)


def show(item: SdcTable | ModelSummary) -> pd.DataFrame:
    """The table (or model check) with each cell's outcome, as the output checker will see it."""
    import pandas as pd

    if isinstance(item, ModelSummary):
        check = check_model(item)
        return pd.DataFrame([check.as_dict()])
    checks = check_table(item)
    frame = pd.DataFrame([c.as_dict() for c in checks])
    frame["reasons"] = frame["reasons"].map("; ".join)
    return frame.pivot(index="row", columns="column", values=["value", "outcome"])


def _file_content(name: str, item: Output) -> tuple[bytes, dict[str, Any]]:
    if isinstance(item, SdcTable):
        csv = item.to_frame().to_csv().encode()
        return csv, {"kind": "table", "sdc": item.to_json()}
    if isinstance(item, ModelSummary):
        return json.dumps(item.to_json(), indent=2).encode(), {
            "kind": "model",
            "sdc": item.to_json(),
        }
    if isinstance(item, bytes):
        return item, {"kind": "other"}
    path = Path(item)
    kind = "figure" if path.suffix.lower() in (".png", ".svg", ".pdf") else "other"
    return path.read_bytes(), {"kind": kind}


def _newest_release(project: str) -> str | None:
    mounted = releases(project)
    return mounted[-1].release_id if mounted else None


def submit(
    title: str,
    outputs: Mapping[str, Output],
    project: str | None = None,
    *,
    release: str | None = None,
    service_url: str | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """Send outputs to the airlock; returns the request with each file's verdict.

    The airlock reads every file itself, against ``release`` (default: the newest release
    of the project mounted here): pseudonyms, dates, postcodes and row-level data are
    hunted, and a table built with :func:`table` is recomputed from the release. A table's
    or model's evidence is context, never an override. Nothing leaves until two output
    checkers approve.
    """
    import httpx

    chosen = project or _default_project()
    if chosen is None:
        raise NightingaleError("say which project these outputs belong to: project='...'")
    named = release or _newest_release(chosen)
    url = service_url or os.environ.get("NIGHTINGALE_SERVICE_URL")
    secret = token or os.environ.get("JUPYTERHUB_API_TOKEN")
    if not url or not secret:
        raise NightingaleError(
            "no governance service configured: run this inside a Nightingale workspace"
        )
    files = []
    metadata = {}
    for name, item in outputs.items():
        content, about = _file_content(name, item)
        files.append(("files", (name, content)))
        metadata[name] = about
    reply = httpx.post(
        url.rstrip("/") + "/api/outputs",
        data={
            "project": chosen,
            "title": title,
            "metadata": json.dumps(metadata),
            **({"release": named} if named else {}),
        },
        files=files,
        headers={"Authorization": f"token {secret}"},
        timeout=60,
    )
    if reply.status_code >= 400:
        raise NightingaleError(f"the airlock refused: {reply.json().get('detail', reply.text)}")
    result: dict[str, Any] = reply.json()
    flagged = sum(len(f["flagged"]) for f in result["files"])
    worst = _worst(f["outcome"] for f in result["files"])
    print(  # notebooks show this line to the researcher
        f"output request {result['id']} submitted: {worst} ({flagged} finding(s) or cell(s) "
        "flagged); two output checkers will review it"
    )
    return result


def _worst(outcomes: Iterable[str]) -> str:
    """The worst file verdict: block, then review, then pass."""
    order = ("block", "review", "pass")
    seen = set(outcomes)
    return next((o for o in order if o in seen), "pass")
