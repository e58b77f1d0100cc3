"""The linkage quality report a steward sees next to a request.

The linkage package writes each run's quality report as HTML and JSON under
``<data_root>/linkage/spine/<run_id>/``; this module takes the report of the spine in
force (else the newest one it finds) and picks the headline
figures (top-level numbers) out of the JSON for the request page. It never reads
identifiers: the report holds aggregates only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nightingale.platform.contracts import ContractError, current_spine_run, spine_report
from nightingale.platform.storage import DataRoot


@dataclass(frozen=True)
class LinkageReport:
    """The newest quality report: where it is and its headline figures."""

    json_path: Path
    html_path: Path | None
    headline: list[tuple[str, str]] = field(default_factory=list)


def _reports(root: Path) -> list[Path]:
    return [
        p
        for p in root.rglob("*.json")
        if "report" in p.name or "quality" in p.name or p.parent.name in ("report", "reports")
    ]


def _current_run_report(root: DataRoot) -> Path | None:
    """The report of the spine in force (the spine pointer names its run)."""
    try:
        run_id = current_spine_run(root)
    except ContractError:
        return None
    if run_id is None:
        return None
    report = spine_report(root, run_id)
    return report if report.is_file() else None


def _figure(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, int | str) and len(str(value)) < 60:
        return str(value)
    return None


def latest_report(data_root: Path) -> LinkageReport | None:
    """The newest linkage quality report under the data root, if any run wrote one."""
    root = DataRoot(data_root)
    zone = root.linkage
    if not zone.is_dir():
        return None
    newest = _current_run_report(root)
    if newest is None:
        candidates = sorted(_reports(zone), key=lambda p: p.stat().st_mtime)
        if not candidates:
            return None
        newest = candidates[-1]
    try:
        content = json.loads(newest.read_text())
    except (OSError, ValueError):
        return LinkageReport(newest, None)
    headline: list[tuple[str, str]] = []
    if isinstance(content, dict):
        for key, value in content.items():
            if key == "guild":  # tables of their own on the request page, not headline
                continue
            figure = _figure(value)
            if figure is not None:
                headline.append((str(key).replace("_", " "), figure))
            elif isinstance(value, dict):
                headline += [
                    (f"{key} {k}".replace("_", " "), f)
                    for k, v in value.items()
                    if (f := _figure(v)) is not None
                ][:8]
    html = newest.with_suffix(".html")
    return LinkageReport(newest, html if html.is_file() else None, headline[:24])
