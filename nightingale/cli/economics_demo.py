"""The demo's economics stages: 100 runs the pilot's economic evaluation, 110 takes the
evaluation and economics bundles through the airlock, publishes them and writes the report.

Stage 110 plays each role with the real governance calls, so the audit log tells the
story a real platform would: the researcher (rita) submits each bundle's tables, figures
and summary against the release they came from; files the file check blocks are left out
and listed with the rules that block them (a blocked file can never be approved); two
output checkers (otto, then owen) each approve, with the override and a reason when files
need review (figures, magnitudes the file alone cannot prove safe), and the second
approval releases them; the evaluator (eve) publishes both as one result;
``nightingale report`` renders ``published/<result_id>/report.html``. Running it again
re-renders the report of the result already published.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from nightingale.governance.filecheck import ReleaseEvidence
    from nightingale.governance.outputs import OutputFileSpec
    from nightingale.platform.settings import Settings

console = Console(highlight=False)
PROJECT = "dfh-pilot"
RESEARCHER, EVALUATOR = "rita", "eve"
DEMO_TEXT_LENGTH = 400
"""The demo's ``[sdc] max_text_length``: the CHEERS checklist's methods text runs to about
350 characters, and the file check blocks longer table cells as free text (default 200)."""
CHECKERS = ("otto", "owen")
"""Two different output checkers: release needs both (governance ``output_approvals``)."""
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


def airlock_settings(settings: Settings) -> Settings:
    """``settings`` with table cells of up to :data:`DEMO_TEXT_LENGTH` characters allowed
    (never lower than the deployment's own limit): the demo's CHEERS table must pass."""
    sdc = dict(settings.sdc or {})
    sdc["max_text_length"] = max(int(sdc.get("max_text_length", 0)), DEMO_TEXT_LENGTH)
    return settings.model_copy(update={"sdc": sdc})


def _release_evidence(settings: Settings, release_id: str | None) -> ReleaseEvidence | None:
    """The release the bundles came from, if it is on disk (else the files speak alone)."""
    from nightingale.governance.errors import NotFound
    from nightingale.governance.filecheck import load_release

    if release_id is None:
        return None
    try:
        return load_release(settings.data_root, PROJECT, release_id)
    except NotFound:
        return None


def _unblocked(
    settings: Settings, evidence: ReleaseEvidence | None, specs: list[OutputFileSpec]
) -> tuple[list[OutputFileSpec], list[str]]:
    """The files the file check does not block, and a line for each one left out.

    Checked as the airlock will (the same release, the same metadata), again after each
    round of leaving files out: a figure whose data file was left out is blocked next.
    """
    from nightingale.governance.filecheck import check_files
    from nightingale.governance.settings import sdc_settings

    left_out: list[str] = []
    while specs:
        verdicts = check_files(
            [s.path for s in specs],
            release=evidence,
            declared={s.path.name: s.sdc for s in specs if s.sdc is not None},
            settings=sdc_settings(settings),
        )
        blocked = {v.file: v for v in verdicts if v.outcome == "block"}
        if not blocked:
            break
        for name, verdict in blocked.items():
            rules = sorted({f.rule for f in verdict.findings if f.severity == "block"})
            left_out.append(f"{name} ({', '.join(rules) or 'failing cells'})")
        specs = [s for s in specs if s.path.name not in blocked]
    return specs, left_out


def _through_airlock(
    settings: Settings, label: str, bundle: Path, release_id: str | None = None
) -> int | None:
    """Rita submits the bundle's unblocked files; otto and owen approve, releasing them.

    The files are checked against ``release_id`` when it is on disk, else on their own,
    with the demo's airlock settings (:func:`airlock_settings`).
    """
    settings = airlock_settings(settings)
    from nightingale.cli.governance import governance_unit
    from nightingale.governance import output_gate
    from nightingale.operations import airlock

    evidence = _release_evidence(settings, release_id)
    safe, left_out = _unblocked(settings, evidence, bundle_files(bundle))
    named = release_id if evidence is not None else None
    for line in left_out:
        console.print(f"  left out {line}: blocked by the file check")
    if not safe:
        console.print(f"  nothing from the {label} bundle passes the file check")
        return None
    with governance_unit(settings, RESEARCHER) as work:
        output = airlock.submit(
            work, project=PROJECT, title=f"Pilot {label} results", files=safe, release=named
        )
        output_id, review = output.id, sorted(output_gate.gate_of(output).review)
    reason = (
        "demo output checker: every file read; estimates and figures are aggregates over "
        "hundreds of tenants, each figure matches its data file, no disclosure risk"
    )
    if review:
        console.print(f"  {len(review)} of {len(safe)} files need review; each checker overrides")
    for checker in CHECKERS:  # each decision its own unit of work, as on the web
        with governance_unit(settings, checker) as work:
            outcome = airlock.decide(
                work, output_id, "approve", f"{checker}: {reason}", override=bool(review)
            )
        console.print(
            f"  {label}: output request {output_id} ({len(safe)} files) approved by "
            f"{checker}: {outcome.status} ({outcome.tally} approvals)"
        )
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
        console.print(
            f"  the demo's airlock allows table cells of up to {DEMO_TEXT_LENGTH} characters "
            "(\\[sdc] max_text_length, default 200): the CHEERS checklist's methods text is "
            "longer"
        )
        ids = [
            output_id
            for label, bundle in bundles.items()
            if (output_id := _through_airlock(settings, label, bundle, release_id)) is not None
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
