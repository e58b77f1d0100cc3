"""The designed-for-health homes pilot's evaluation: its pre-registered plan on a release.

``evaluate`` runs the plan on a release's persons and panel frames and returns one
:class:`AnalysisResult` holding everything; ``write_bundle`` writes it with the plan's
hash and the release's manifest checksum as a results bundle for the airlock. The steps:

1. value EQ-5D profiles and derive the baseline covariates the plan names;
2. propensity score (logistic); inverse-probability (ATT) weights, and 1:1
   nearest-neighbour matching on its logit within a caliper;
3. balance before and after (SMD tables for matching and weighting, love plot);
4. per outcome: doubly robust (ATT weights plus covariate adjustment), matched, IPW and
   naive estimates, the plan naming the primary one; then the plan's secondary
   analyses (negative binomial, GEE, difference-in-differences and event study, MICE);
5. time to the first emergency admission: Cox model and Kaplan–Meier curves.

The bundle is byte-identical across runs with the same release, plan and seed, and
across pseudonym keys and row orders: the frames are first put in content order
(:func:`~nightingale.analyses.canonical.canonical_release`) and every random step draws
from a seed derived from the plan's hash and the step's purpose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nightingale.analyses.balance import balance_table, love_plot
from nightingale.analyses.canonical import canonical_release, derive_seed
from nightingale.analyses.evaluations.outcomes import Samples, main_rows, secondary
from nightingale.analyses.evaluations.prepare import (
    complete_covariates,
    first_event_times,
    prepare_panel,
    prepare_persons,
)
from nightingale.analyses.matching import nearest_neighbour_match
from nightingale.analyses.plan import LoadedPlan, load_plan
from nightingale.analyses.propensity import estimate_propensity
from nightingale.analyses.results import AnalysisResult, to_json
from nightingale.analyses.survival import cox_hazard_ratio
from nightingale.analyses.weighting import effective_sample_size, ipw_weights
from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import (
    atomic_directory,
    atomic_write_text,
    read_parquet,
    sha256_file,
    visible_entries,
)

PLAN_PATH = Path(__file__).with_name("dfh_pilot_plan.yaml")


@dataclass(frozen=True)
class Release:
    """A release folder's frames and the checksum of its manifest."""

    release_id: str
    persons: pd.DataFrame
    panel: pd.DataFrame
    manifest_sha256: str
    manifest: dict[str, Any] = field(repr=False)


def load_release(folder: Path) -> Release:
    """Read ``persons.parquet``, ``panel.parquet`` and ``manifest.json`` of a release."""
    manifest_path = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError as exc:
        raise NightingaleError(f"{folder}: not a release (no manifest.json)") from exc
    except ValueError as exc:
        raise NightingaleError(f"{manifest_path}: not valid JSON ({exc})") from exc
    return Release(
        release_id=str(manifest.get("release_id", folder.name)),
        persons=read_parquet(folder / "persons.parquet"),
        panel=read_parquet(folder / "panel.parquet"),
        manifest_sha256=sha256_file(manifest_path),
        manifest=manifest,
    )


def latest_release(releases: Path) -> Path:
    """The most recently created complete release under a project's ``releases`` folder."""
    candidates = [p for p in visible_entries(releases) if (p / "manifest.json").is_file()]
    if not candidates:
        raise NightingaleError(f"no release under {releases}; build one first")

    def created(path: Path) -> tuple[str, str]:
        try:
            manifest = json.loads((path / "manifest.json").read_text())
            stamp = str(manifest.get("created_at", manifest.get("created", "")))
        except ValueError:
            stamp = ""
        return stamp, path.name

    return max(candidates, key=created)


def evaluate(
    persons: pd.DataFrame, panel: pd.DataFrame, plan: LoadedPlan, *, detail: bool = True
) -> AnalysisResult:
    """Run the plan on release-shaped frames; ``detail=False`` keeps the main table only.

    The main table (``tables["main_estimates"]``) has one row per outcome and analysis
    (``doubly_robust``, ``matched``, ``ipw``, ``naive``); its ``primary`` column marks
    the plan's primary analysis. ``detail=False`` skips figures and secondary analyses
    — the validity benchmark uses it to run many regions quickly.
    """
    spec = plan.plan
    comparison = spec.comparison
    persons, panel = canonical_release(persons, panel)
    matching_seed = derive_seed(plan.sha256, "matching")
    people = prepare_persons(persons, spec)
    covariates = complete_covariates(people, list(comparison.covariates))
    scores = estimate_propensity(people, comparison.treatment, covariates)
    matched = nearest_neighbour_match(
        scores.logit,
        people[comparison.treatment],
        caliper=comparison.matching.caliper_sd,
        replace=comparison.matching.replace,
        ratio=comparison.matching.ratio,
        seed=matching_seed,
    )
    weighting = comparison.weighting
    ipw = ipw_weights(
        scores.scores, people[comparison.treatment], weighting.estimand,
        stabilise=weighting.stabilise, truncate=weighting.truncate,
    )  # fmt: skip
    people["treated"] = people[comparison.treatment].astype(int)
    people["match_weight"] = matched.weights.reindex(people.index).fillna(0.0)
    people["ipw"] = ipw
    rows = prepare_panel(panel, spec)
    joined = rows.merge(
        people[["treated", "match_weight", "ipw", *covariates, "eq5d_pre_utility_raw"]],
        left_on="pid", right_index=True, how="inner",
    )  # fmt: skip
    samples = Samples(people, joined, covariates, spec)

    result = AnalysisResult(name=spec.plan, summary="")
    main: list[dict[str, Any]] = []
    for outcome in spec.outcomes:
        outcome_rows, primary = main_rows(samples, outcome)
        main.extend({**row, "main": outcome.main} for row in outcome_rows)
        if detail:
            result.merge(primary, prefix=outcome.name)
            seed = derive_seed(plan.sha256, f"imputation:{outcome.name}")
            for extra in secondary(samples, outcome, seed):
                result.merge(extra, prefix=extra.name)
    result.tables["main_estimates"] = pd.DataFrame(main)

    balance = balance_table(people, "treated", covariates, matched.weights)
    balance_ipw = balance_table(people, "treated", covariates, ipw)
    result.tables["balance_matched"] = balance
    result.tables["balance_ipw"] = balance_ipw
    result.tables["matched_pairs_summary"] = pd.DataFrame([matched.summary()])
    result.models["propensity"] = scores.model
    result.models["matching"] = {
        **matched.summary(),
        "ipw_effective_sample_size": effective_sample_size(ipw),
        "seed": matching_seed,
        "seed_from": "SHA-256 of the plan and the purpose 'matching'",
    }
    if detail:
        result.figures["love_plot"] = love_plot(balance, "Balance before and after matching")
        result.figures["main_estimates"] = forest_plot(result.tables["main_estimates"])
        if spec.survival is not None:
            result.merge(_survival(samples, spec.survival.outcome), prefix="time_to_first")
    result.summary = _summary(
        result.tables["main_estimates"], matched.summary(), balance, balance_ipw,
        comparison.primary,
    )  # fmt: skip
    return result


def _survival(samples: Samples, outcome: str) -> AnalysisResult:
    matched = samples.matched_panel
    times = first_event_times(matched, outcome)
    frame = times.merge(
        samples.persons[["treated", "match_weight"]], left_on="pid", right_index=True
    )
    frame = frame.rename(columns={"event": f"first_{outcome}"})
    result = cox_hazard_ratio(frame, "days", f"first_{outcome}", "treated", weights="match_weight")
    result.name = f"time_to_first_{outcome}"
    return result


def forest_plot(main: pd.DataFrame) -> Figure:
    """Matched, IPW and naive estimates per outcome, side by side (one panel each)."""
    outcomes = list(dict.fromkeys(main["outcome"]))
    figure = Figure(figsize=(9.0, 1.1 * len(outcomes) + 1.0))
    for i, name in enumerate(outcomes, start=1):
        axes = figure.add_subplot(len(outcomes), 1, i)
        part = main[main["outcome"] == name].reset_index(drop=True)
        y = np.arange(len(part))
        axes.errorbar(
            part["estimate"], y,
            xerr=[part["estimate"] - part["ci_low"], part["ci_high"] - part["estimate"]],
            fmt="o", capsize=3,
        )  # fmt: skip
        null = 1.0 if part["scale"].iloc[0] == "rate_ratio" else 0.0
        axes.axvline(null, color="grey", linestyle="--", linewidth=1)
        axes.set_yticks(y, part["analysis"], fontsize=7)
        axes.set_title(f"{name} ({part['scale'].iloc[0].replace('_', ' ')})", fontsize=8)
        axes.tick_params(axis="x", labelsize=7)
    figure.tight_layout()
    return figure


PRIMARY_WORDS = {
    "doubly_robust": "doubly robust: everyone, ATT weights and covariate adjustment",
    "matched": "matched, covariate-adjusted",
}


def _summary(
    main: pd.DataFrame,
    matching: dict[str, Any],
    balance: pd.DataFrame,
    balance_ipw: pd.DataFrame,
    primary: str,
) -> str:
    lines = [
        "Designed-for-health homes pilot: comparison with standard social homes.",
        f"{matching['matched_treated']} tenants of designed-for-health homes were matched to "
        f"{matching['distinct_controls']} comparison tenants ({matching['unmatched_treated']} "
        "had no comparison tenant close enough and are not in the matched estimates).",
        f"Largest absolute standardised difference: {balance['smd_before'].abs().max():.2f} "
        f"before matching, {balance['smd_after'].abs().max():.2f} after, "
        f"{balance_ipw['smd_after'].abs().max():.2f} after weighting.",
        "",
        f"Primary estimates ({PRIMARY_WORDS[primary]}), with the naive comparison for contrast:",
    ]
    for name, part in main.groupby("outcome", sort=False):
        by = part.set_index("analysis")
        m, n = by.loc[primary], by.loc["naive"]
        scale = str(m["scale"]).replace("_", " ")
        lines.append(
            f"- {name}: {scale} {m['estimate']:.3g} (95% CI {m['ci_low']:.3g} to "
            f"{m['ci_high']:.3g}); naive {n['estimate']:.3g}"
        )
    return "\n".join(lines)


def write_bundle(result: AnalysisResult, out: Path, plan: LoadedPlan, release: Release) -> Path:
    """Write the results bundle atomically to ``out`` (replacing an older one)."""
    with atomic_directory(out, replace=True) as folder:
        written = result.to_bundle(folder)
        files = {p.relative_to(folder).as_posix(): sha256_file(p) for p in written}
        manifest = {
            "evaluation": plan.plan.plan,
            "plan_version": plan.plan.version,
            "plan_sha256": plan.sha256,
            "release_id": release.release_id,
            "release_manifest_sha256": release.manifest_sha256,
            "seed": plan.plan.seed,
            "files": files,
        }
        atomic_write_text(folder / "bundle.json", to_json(manifest))
    return out


def run(
    release_folder: Path, out: Path, plan_path: Path = PLAN_PATH
) -> tuple[Path, AnalysisResult]:
    """Load the plan and the release, evaluate, write the bundle; return its folder."""
    plan = load_plan(plan_path)
    release = load_release(release_folder)
    result = evaluate(release.persons, release.panel, plan)
    return write_bundle(result, out, plan, release), result
