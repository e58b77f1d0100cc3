"""Clerical review of a link run's sample: list it, show a pair, decide, see the estimates.

Linkage keeps the sample and the estimator's input sealed in the run's folder
(:mod:`nightingale.linkage.review`); governance decides who may see and decide and
records each decision (:mod:`nightingale.governance.clerical`). Each operation here asks
governance first (a refusal is audited and nothing is opened), then opens the identifier
zone for that request only. Nothing here logs or audits an identifier: entries name the
pair by its key (sources and random record ids).

After each decision the estimates are made again with every reviewer's current decision
(a pair the reviewers disagree on counts as unsure, and unsure pairs are left out) and
written into the run's report as ``estimated_after_review``; should the unit not
commit, the report is put back as it was (:mod:`.undo`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nightingale.governance import clerical
from nightingale.governance.models import ReviewDecision
from nightingale.linkage.report import render_html
from nightingale.linkage.review import (
    ReviewBundle,
    estimates_after_review,
    pair_identifiers,
    read_review,
    strata_order,
    write_report,
    write_report_after_review,
)
from nightingale.operations.undo import undo_unless_committed
from nightingale.operations.unit import Unit
from nightingale.platform.contracts import SPINE_REPORT_JSON, spine_run_folder


@dataclass(frozen=True)
class SampleRow:
    """One sampled pair as the list shows it (no identifiers)."""

    pair_key: str
    stratum: str
    weight: float
    probability: float
    linked: bool
    outcome: str | None
    """What the reviewers' current decisions add up to (None: nobody has decided)."""
    reviewers: dict[str, str]


@dataclass(frozen=True)
class Stratum:
    name: str
    rows: list[SampleRow]

    @property
    def decided(self) -> int:
        return sum(row.outcome is not None for row in self.rows)


@dataclass(frozen=True)
class PairView:
    """A sampled pair with both records' identifiers: for the authorised request only."""

    pair_key: str
    stratum: str
    source_l: str
    record_l: str
    source_r: str
    record_r: str
    weight: float
    probability: float
    linked: bool
    agreement: dict[str, str]
    left: dict[str, str]
    right: dict[str, str]
    decisions: list[ReviewDecision]


def _bundle(unit: Unit, run_id: str) -> ReviewBundle:
    return read_review(unit.root, unit.keystore, run_id)


def sample(unit: Unit, run_id: str) -> list[Stratum]:
    """The run's review sample by stratum, with each pair's decisions so far."""
    clerical.require_list(unit.session, unit.keystore, unit.actor, run_id)
    bundle = _bundle(unit, run_id)
    current = clerical.current_decisions(unit.session, run_id)
    strata: dict[str, list[SampleRow]] = {}
    for row in bundle.sample.itertuples(index=False):
        decided = current.get(str(row.pair_key))
        strata.setdefault(str(row.stratum), []).append(
            SampleRow(
                pair_key=str(row.pair_key),
                stratum=str(row.stratum),
                weight=float(str(row.weight)),
                probability=float(str(row.probability)),
                linked=bool(row.linked),
                outcome=decided.outcome if decided else None,
                reviewers=dict(decided.by_reviewer) if decided else {},
            )
        )
    return [Stratum(name, strata[name]) for name in strata_order(bundle)]


def show(unit: Unit, run_id: str, pair_key: str) -> PairView:
    """A sampled pair's identifiers side by side (allowed and audited first)."""
    clerical.require_list(unit.session, unit.keystore, unit.actor, run_id)
    bundle = _bundle(unit, run_id)
    row = bundle.row(pair_key)
    clerical.record_view(unit.session, unit.keystore, unit.actor, run_id, pair_key, row is not None)
    assert row is not None  # governance refused a pair outside the sample
    left, right = pair_identifiers(unit.root, unit.keystore, bundle, pair_key)
    decisions = [d for d in clerical.decisions_of(unit.session, run_id) if d.pair_key == pair_key]
    return PairView(
        pair_key=pair_key,
        stratum=str(row["stratum"]),
        source_l=str(row["source_l"]),
        record_l=str(row["record_l"]),
        source_r=str(row["source_r"]),
        record_r=str(row["record_r"]),
        weight=float(row["weight"]),
        probability=float(row["probability"]),
        linked=bool(row["linked"]),
        agreement=dict(row["agreement"]),
        left=left,
        right=right,
        decisions=decisions,
    )


def decide(
    unit: Unit,
    run_id: str,
    pair_key: str,
    decision: str,
    note: str | None = None,
    *,
    revise: bool = False,
) -> dict[str, Any]:
    """Record a decision on a sampled pair and return the estimates after review.

    Refused (audited) for anyone but a linkage steward, a pair outside the sample, or a
    second decision by the same reviewer that is not a revision.
    """
    clerical.require_list(unit.session, unit.keystore, unit.actor, run_id)
    bundle = _bundle(unit, run_id)
    clerical.record_decision(
        unit.session,
        unit.keystore,
        by=unit.actor,
        run_id=run_id,
        pair_key=pair_key,
        in_sample=bundle.row(pair_key) is not None,
        decision=decision,
        note=note,
        revise=revise,
    )
    return refresh(unit, run_id, bundle)


def outcomes(unit: Unit, run_id: str) -> dict[str, str]:
    """Each decided pair's outcome from the reviewers' current decisions."""
    current = clerical.current_decisions(unit.session, run_id)
    return {key: decided.outcome for key, decided in current.items()}


def _through(unit: Unit, run_id: str) -> int:
    """The newest decision's id on the run (0 for none): what the report's figures include."""
    return max((d.id for d in clerical.decisions_of(unit.session, run_id)), default=0)


def refresh(unit: Unit, run_id: str, bundle: ReviewBundle | None = None) -> dict[str, Any]:
    """Make the estimates after review again and write them into the run's report.

    The figures carry ``decisions_through`` (the newest decision they include), so a
    report written by one of two reviewers deciding at once is seen to lag and is made
    again (:func:`report_estimates`).
    """
    bundle = bundle or _bundle(unit, run_id)
    after = estimates_after_review(bundle, outcomes(unit, run_id))
    after["decisions_through"] = _through(unit, run_id)
    previous = write_report_after_review(unit.root, run_id, after, render_html)
    undo_unless_committed(
        unit.session, lambda: write_report(unit.root, run_id, previous, render_html)
    )
    return after


def report_estimates(unit: Unit, run_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The run report's estimates before review and after (None until a decision)."""
    clerical.require_list(unit.session, unit.keystore, unit.actor, run_id)
    report = json.loads((spine_run_folder(unit.root, run_id) / SPINE_REPORT_JSON).read_text())
    after = report.get("estimated_after_review")
    through = _through(unit, run_id)
    if through and (after is None or after.get("decisions_through") != through):
        after = refresh(unit, run_id)  # behind the decisions (two reviewers at once)
    return report["estimated"], after
