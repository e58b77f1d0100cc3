"""The quality report of a link run, for data stewards: JSON for machines, HTML for people.

Contents: the match-weight distribution; the model's m and u probabilities per
comparison level with their weights; precision and recall *estimated* from the model's
match probabilities; link rates by subgroup (age band, sex, postcode area, source) to
expose linkage bias; a clerical-review sample of pairs near the threshold; and, when a
synthetic region's truth is available, *measured* precision, recall and F1 per source
pair.

Nothing in the report is personal data: pairs are shown by record id (random), source,
match weight and the agreement level of each comparison ("one edit", "nickname"), never
by value. Subgroup rows are counts of at least :data:`MIN_CELL` records; smaller
subgroups are merged into "other" so that no row singles out a few people.
"""

from __future__ import annotations

import math
from datetime import date
from importlib import resources
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from nightingale.linkage.engine import LinkResult

MIN_CELL = 10
AGE_BANDS = [(0, 15), (16, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 74), (75, 200)]
REVIEW_SAMPLE = 40


def age_band(dob: pd.Series, on: date) -> pd.Series:
    """Age bands (``35-44``, ``75+``) at ``on`` from ISO dates; ``unknown`` when invalid."""
    parsed = pd.to_datetime(dob, format="%Y-%m-%d", errors="coerce")
    on_ts = pd.Timestamp(on)
    age = (
        on_ts.year
        - parsed.dt.year
        - (
            (parsed.dt.month > on_ts.month)
            | ((parsed.dt.month == on_ts.month) & (parsed.dt.day > on_ts.day))
        ).astype(int)
    )
    labels = pd.Series("unknown", index=dob.index, dtype="object")
    for low, high in AGE_BANDS:
        name = f"{low}+" if high >= 200 else f"{low}-{high}"
        labels[(age >= low) & (age <= high)] = name
    return labels


def _histogram(pairs: pd.DataFrame) -> list[dict[str, Any]]:
    if pairs.empty:
        return []
    weights = pairs["match_weight"].clip(-20, 40).to_numpy()
    low, high = math.floor(weights.min()), math.ceil(weights.max()) + 1
    bins = np.floor(weights).astype(int)
    linked = pairs["linked"].to_numpy()
    return [
        {
            "from": float(edge),
            "to": float(edge + 1),
            "pairs": int((bins == edge).sum()),
            "linked": int(((bins == edge) & linked).sum()),
        }
        for edge in range(low, high)
    ]


def _parameters(model_json: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for comparison in model_json.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            rows.append(
                {
                    "comparison": comparison["output_column_name"],
                    "level": level.get("label_for_charts", level["sql_condition"]),
                    "m": m,
                    "u": u,
                    "weight": weight,
                }
            )
    return rows


def _labels(model_json: dict[str, Any]) -> dict[str, dict[int, str]]:
    labels: dict[str, dict[int, str]] = {}
    for comparison in model_json.get("comparisons", []):
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        names = {
            len(levels) - 1 - i: lv.get("label_for_charts", "?") for i, lv in enumerate(levels)
        }
        names[-1] = "missing"
        labels[comparison["output_column_name"]] = names
    return labels


def _review_sample(result: LinkResult, rng: np.random.Generator) -> list[dict[str, Any]]:
    pairs = result.pairs
    near = pairs[(pairs["match_weight"] - result.options.threshold_weight).abs() <= 3]
    if len(near) > REVIEW_SAMPLE:
        near = near.iloc[rng.choice(len(near), REVIEW_SAMPLE, replace=False)]
    labels = _labels(result.model_json)
    rows = []
    for _, pair in near.sort_values("match_weight").iterrows():
        agreement = {
            name: names.get(int(pair[f"gamma_{name}"]), "?")
            for name, names in labels.items()
            if f"gamma_{name}" in pair
        }
        rows.append(
            {
                "source_l": pair["source_dataset_l"],
                "record_l": pair["unique_id_l"],
                "source_r": pair["source_dataset_r"],
                "record_r": pair["unique_id_r"],
                "match_weight": round(float(pair["match_weight"]), 2),
                "match_probability": round(float(pair["match_probability"]), 4),
                "linked": bool(pair["linked"]),
                "agreement": agreement,
            }
        )
    return rows


def _subgroups(records: pd.DataFrame) -> list[dict[str, Any]]:
    """Link rates per subgroup value; small subgroups merged into ``other``."""
    rows: list[dict[str, Any]] = []
    overall_link = float(records["linked_elsewhere"].mean()) if len(records) else 0.0
    has_truth = "partner_found" in records
    overall_recall = float(records["partner_found"].mean()) if has_truth else None
    for dimension in ("age_band", "sex", "postcode_area", "source"):
        values = records[dimension].where(
            records.groupby(dimension)[dimension].transform("size") >= MIN_CELL, "other"
        )
        for value, group in records.groupby(values):
            link_rate = float(group["linked_elsewhere"].mean())
            row: dict[str, Any] = {
                "dimension": dimension,
                "value": str(value),
                "records": len(group),
                "link_rate": link_rate,
                "link_rate_gap": link_rate - overall_link,
            }
            if has_truth and overall_recall is not None:
                partners = group["partner_found"].dropna()
                recall = float(partners.mean()) if len(partners) else None
                row["partner_recall"] = recall
                row["partner_recall_gap"] = None if recall is None else recall - overall_recall
                row["flag"] = recall is not None and recall < overall_recall - 0.02
            else:
                row["flag"] = link_rate < overall_link - 0.02
            rows.append(row)
    return rows


def build_report(
    run_id: str,
    key_id: str,
    result: LinkResult,
    records: pd.DataFrame,
    measured: dict[str, dict[str, float]] | None,
    seed: int = 0,
) -> dict[str, Any]:
    """The report's JSON.

    ``records`` has one row per spine record with ``source``, ``person_id``,
    ``age_band``, ``sex``, ``postcode_area`` and optionally ``truth_person`` and
    ``partner_found``.
    """
    pairs = result.pairs
    linked = pairs[pairs["linked"]]
    total_probability = float(pairs["match_probability"].sum()) if len(pairs) else 0.0
    estimated = {
        "precision": float(linked["match_probability"].mean()) if len(linked) else 1.0,
        "recall": float(linked["match_probability"].sum()) / total_probability
        if total_probability
        else 1.0,
    }
    sources_per_person = records.groupby("person_id")["source"].transform("nunique")
    size = records.groupby("person_id")["source"].transform("size")
    records = records.assign(linked_elsewhere=(sources_per_person > 1), linked_any=(size > 1))
    overall = {
        "records": len(records),
        "persons": int(records["person_id"].nunique()),
        "link_rate": float(records["linked_elsewhere"].mean()) if len(records) else 0.0,
    }
    if "partner_found" in records:
        overall["partner_recall"] = float(records["partner_found"].dropna().mean())
    return {
        "run_id": run_id,
        "key_id": key_id,
        "created": date.today().isoformat(),
        "threshold_match_weight": result.options.threshold_weight,
        "fields": result.fields,
        "counts": result.counts,
        "overall": overall,
        "estimated": estimated,
        "measured": measured,
        "weight_histogram": _histogram(pairs),
        "parameters": _parameters(result.model_json),
        "subgroups": _subgroups(records),
        "clerical_review": _review_sample(result, np.random.default_rng(seed)),
    }


def render_html(report: dict[str, Any]) -> str:
    """The report as a self-contained HTML page (no scripts, no external resources)."""
    template = resources.files(__package__).joinpath("templates/report.html.j2").read_text("utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    peak = max((b["pairs"] for b in report["weight_histogram"]), default=1)
    return environment.from_string(template).render(report=report, peak=peak)
