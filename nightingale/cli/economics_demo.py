"""The demo's economics stages: 100 runs the pilot's economic evaluation, 110 takes the
evaluation and economics bundles through the airlock, publishes them and writes the report.

Stage 110 plays each role with the real governance calls, so the audit log tells the
story a real platform would: the researcher (rita) submits each bundle's tables,
figures and summary; files whose automatic SDC checks fail are left out and listed;
the output checker (otto) approves, which releases them; the evaluator (eve) publishes both as
one result; ``nightingale report`` renders ``published/<result_id>/report.html``.
Running it again re-renders the report of the result already published.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from nightingale.governance.outputs import OutputFileSpec
    from nightingale.platform.settings import Settings

console = Console(highlight=False)
PROJECT = "dfh-pilot"
RESEARCHER, CHECKER, EVALUATOR = "rita", "otto", "eve"
TITLE = "Designed-for-health homes pilot: evaluation and cost-effectiveness"
ECONOMICS_SDC = "models/economics_sdc.json"
CHEERS_ANSWERS = (
    Path(__file__).resolve().parent.parent / "analyses" / "evaluations" / "dfh_pilot_cheers.yaml"
)
"""The evaluator's CHEERS 2022 items for the pilot (funding, interests, engagement, ...)."""


def result_id_for(release_id: str) -> str:
    """A valid, stable published-result id for a release."""
    slug = re.sub(r"[^a-z0-9-]+", "-", release_id.lower()).strip("-")
    return f"{PROJECT}-{slug}"[:64].rstrip("-")


def bundle_files(bundle: Path) -> list[OutputFileSpec]:
    """A bundle's tables, figures and summary with the SDC metadata the analysis wrote."""
    from nightingale.governance.outputs import OutputFileSpec

    sdc_path = bundle / ECONOMICS_SDC
    metadata = json.loads(sdc_path.read_text(encoding="utf-8")) if sdc_path.is_file() else {}
    specs = [
        OutputFileSpec(path, "table", metadata.get(path.stem))
        for path in sorted((bundle / "tables").glob("*.csv"))
    ]
    specs += [OutputFileSpec(p, "figure") for p in sorted((bundle / "figures").glob("*.png"))]
    if (bundle / "summary.txt").is_file():
        specs.append(OutputFileSpec(bundle / "summary.txt", "other"))
    return specs


def _through_airlock(settings: Settings, label: str, bundle: Path) -> int | None:
    """Rita submits the bundle's safe files; otto approves, which releases them."""
    from nightingale.cli.governance import governance_unit
    from nightingale.governance import outputs
    from nightingale.governance.sdc import Outcome
    from nightingale.governance.settings import sdc_settings
    from nightingale.operations import airlock

    rules = sdc_settings(settings)
    safe: list[OutputFileSpec] = []
    unsafe: list[OutputFileSpec] = []
    for spec in bundle_files(bundle):
        failing = outputs.check_file(spec, rules).outcome == Outcome.FAIL
        (unsafe if failing else safe).append(spec)
    for spec in unsafe:
        console.print(f"  left out {spec.path.name}: it fails the automatic SDC checks")
    if not safe:
        console.print(f"  nothing from the {label} bundle passes the checks")
        return None
    with governance_unit(settings, RESEARCHER) as work:
        output_id = airlock.submit(
            work, project=PROJECT, title=f"Pilot {label} results", files=safe
        ).id
    reason = "demo output checker: every cell passes or was reviewed; no disclosure risk"
    with governance_unit(settings, CHECKER) as work:
        outcome = airlock.decide(work, output_id, "approve", reason)
    console.print(f"  {label}: output request {output_id} ({len(safe)} files) {outcome.status}")
    return output_id


def publish_and_report(settings: Settings, release_id: str, bundles: dict[str, Path]) -> Path:
    """Airlock, publish (once per release) and render the report; return its path.

    Each person acts in their own unit of work, as they would from the CLI or the web.
    """
    from nightingale.cli.governance import governance_unit
    from nightingale.governance.models import PublishedResult
    from nightingale.operations import airlock, cheers, reports

    result_id = result_id_for(release_id)
    with governance_unit(settings) as work:
        existing = work.session.get(PublishedResult, result_id) is not None
    if not existing:
        ids = [
            output_id
            for label, bundle in bundles.items()
            if (output_id := _through_airlock(settings, label, bundle)) is not None
        ]
        with governance_unit(settings, EVALUATOR) as work:
            answers = cheers.read_answers(CHEERS_ANSWERS)
            airlock.publish(
                work, title=TITLE, output_ids=ids, result_id=result_id, cheers_answers=answers
            )
        console.print(f"  published as {result_id} by {EVALUATOR}")
    else:
        console.print(f"  {result_id} is already published; re-rendering its report")
    with governance_unit(settings) as work:
        return reports.write_report(work, reports.published_folder(work, result_id))
