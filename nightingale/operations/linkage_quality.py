"""What a steward sees of linkage quality next to a request: who fails to link (GUILD).

The link run writes the GUILD tables into its quality report (``guild`` in
``report.json``, :mod:`nightingale.linkage.guild`), suppressed at docs/sdc.md's default
threshold. For a request's approval page this picks the report of the spine in force,
keeps the tables about the datasets of the request's round (each source's table and the
pairs among them, with the all-sources table), and applies the deployment's own
``[sdc] threshold`` when it is higher than the stored one. The tables hold counts only.
The full report page is rendered from its JSON the same way (:func:`report_page`), so its
subgroup rows and GUILD tables are never shown under a lower threshold than the
deployment's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nightingale.governance import rounds
from nightingale.governance.models import LinkageRequest
from nightingale.linkage.guild import resuppressed, tables_for_sources
from nightingale.linkage.report import render_html
from nightingale.operations.unit import Unit
from nightingale.platform.contracts import ContractError, current_spine_run, spine_report


def current_guild(unit: Unit) -> dict[str, Any] | None:
    """The ``guild`` section of the spine in force's report, at the deployment's threshold."""
    try:
        run_id = current_spine_run(unit.root)
    except ContractError:
        return None
    if run_id is None:
        return None
    path = spine_report(unit.root, run_id)
    try:
        guild = json.loads(path.read_text(encoding="utf-8")).get("guild")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(guild, dict):
        return None  # a report written before the GUILD tables existed
    return resuppressed(guild, unit.sdc.threshold)


def guild_for_request(unit: Unit, request: LinkageRequest) -> list[dict[str, Any]]:
    """The GUILD tables about the datasets ``request``'s round holds (all when none)."""
    guild = current_guild(unit)
    if guild is None:
        return []
    submitted = rounds.current_round(unit.session, request)
    names = [row.dataset_name for row in submitted.dataset_rows] if submitted else []
    names += [row.dataset_name for row in request.dataset_rows]
    return tables_for_sources(guild, sorted(set(names)))


def report_page(unit: Unit, json_path: Path) -> str | None:
    """The quality report at ``json_path`` as HTML, suppressed at the deployment's
    threshold; None when the file is not a link run's report (the caller serves the
    stored HTML as it is)."""
    try:
        report = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict) or "weight_histogram" not in report:
        return None
    return render_html(report, unit.sdc.threshold)
