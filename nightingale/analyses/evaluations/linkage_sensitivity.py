"""How far each primary estimate moves with the linkage: the linkage sensitivity table.

A linked cohort is only as right as its links. Missed links drop people's events (their
admissions filed under a record that did not link are not counted); false links add
someone else's. Which way an estimate moves depends on who is affected, so the honest
statement is empirical (Doidge and Harron, "Reflections on modern methods: linkage error
bias", IJE 2019): re-run the primary analysis on the cohort built from spines linked at
several match-weight thresholds and report the spread next to the estimate.

:func:`sensitivity_table` takes the release's frames at each threshold (built by the
operation :mod:`nightingale.operations.linkage_sensitivity`, the release's own threshold
among them), runs the plan's main analyses on each exactly as on the release
(:func:`~.dfh_pilot.evaluate` with ``detail=False``), and returns one row per outcome
and threshold. :func:`add_linkage_sensitivity` puts the table into the results bundle,
the lowest and highest estimate beside each primary estimate in the main table, and a
paragraph into the summary. Like the evaluation, it depends on the frames' content only:
not on pseudonym keys or row order.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nightingale.analyses.evaluations.dfh_pilot import evaluate
from nightingale.analyses.plan import LoadedPlan
from nightingale.analyses.results import AnalysisResult
from nightingale.platform.errors import NightingaleError

TABLE = "linkage_sensitivity"
COLUMNS = [
    "outcome",
    "scale",
    "analysis",
    "threshold",
    "chosen",
    "estimate",
    "ci_low",
    "ci_high",
    "shift",
    "lowest",
    "highest",
    "spread",
]

Frames = tuple[pd.DataFrame, pd.DataFrame]


def sensitivity_table(
    variants: Mapping[float, Frames], chosen: float, plan: LoadedPlan
) -> pd.DataFrame:
    """The primary estimate of every outcome at every threshold (see the module docstring).

    ``variants`` maps a match-weight threshold to the (persons, panel) frames of the
    cohort built from the spine linked at it; ``chosen`` is the release's threshold and
    must be one of them. ``shift`` is the estimate less the chosen threshold's;
    ``lowest``, ``highest`` and ``spread`` (highest less lowest) are over all thresholds.
    """
    if chosen not in variants:
        raise NightingaleError(f"the release's threshold {chosen} is not among {sorted(variants)}")
    rows = []
    for threshold in sorted(variants):
        persons, panel = variants[threshold]
        main = evaluate(persons, panel, plan, detail=False).tables["main_estimates"]
        primary = main[main["primary"].astype(bool)]
        for _, row in primary.iterrows():
            rows.append(
                {
                    "outcome": row["outcome"],
                    "scale": row["scale"],
                    "analysis": row["analysis"],
                    "threshold": float(threshold),
                    "chosen": threshold == chosen,
                    "estimate": float(row["estimate"]),
                    "ci_low": float(row["ci_low"]),
                    "ci_high": float(row["ci_high"]),
                }
            )
    table = pd.DataFrame(rows)
    order = {outcome.name: number for number, outcome in enumerate(plan.plan.outcomes)}
    by_outcome = table.groupby("outcome")["estimate"]
    table["lowest"] = by_outcome.transform("min")
    table["highest"] = by_outcome.transform("max")
    table["spread"] = table["highest"] - table["lowest"]
    at_chosen = table[table["chosen"]].set_index("outcome")["estimate"]
    table["shift"] = table["estimate"] - table["outcome"].map(at_chosen)
    table = table.sort_values(
        ["outcome", "threshold"], key=lambda c: c.map(order) if c.name == "outcome" else c
    )
    return table[COLUMNS].reset_index(drop=True)


def add_linkage_sensitivity(result: AnalysisResult, table: pd.DataFrame) -> AnalysisResult:
    """``result`` with the sensitivity table, its range beside each primary estimate of the
    main table (``linkage_lowest``, ``linkage_highest``) and a summary paragraph."""
    result.tables[TABLE] = table
    ranges = table.groupby("outcome").agg(
        linkage_lowest=("lowest", "first"), linkage_highest=("highest", "first")
    )
    main = result.tables["main_estimates"]
    primary = main["primary"].astype(bool)
    for column in ("linkage_lowest", "linkage_highest"):
        main[column] = main["outcome"].map(ranges[column]).where(primary)
    thresholds = sorted(set(table["threshold"]))
    chosen = float(table.loc[table["chosen"], "threshold"].iloc[0])
    lines = [
        "",
        "Linkage sensitivity: the primary analysis on cohorts built from spines linked at "
        f"match-weight thresholds {', '.join(f'{t:g}' for t in thresholds)} "
        f"(this release: {chosen:g}):",
    ]
    for outcome, part in table.groupby("outcome", sort=False):
        at = part[part["chosen"]].iloc[0]
        lines.append(
            f"- {outcome}: {at['estimate']:.3g} at {chosen:g}; {part['lowest'].iloc[0]:.3g} to "
            f"{part['highest'].iloc[0]:.3g} across thresholds (spread {at['spread']:.3g})"
        )
    result.summary = result.summary.rstrip() + "\n" + "\n".join(lines)
    return result
