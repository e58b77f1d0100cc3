"""The quality report of a link run, for data stewards: JSON for machines, HTML for people.

Contents: the match-weight distribution; the model's m and u probabilities per
comparison level with their weights; precision and recall *estimated* without truth,
overall and per source pair, with 95% intervals (:mod:`.estimates`); link rates by
subgroup (age band, sex, postcode area, source) to expose linkage bias; a
clerical-review sample of pairs near the threshold; and, when a synthetic region's
truth is available, *measured* precision, recall and F1 per source pair.

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
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from nightingale.linkage.engine import LinkResult
from nightingale.linkage.estimates import EstimatesInput, estimate, estimates_input
from nightingale.linkage.guild import guild_tables

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


def age_bands(dob: pa.Array | pa.ChunkedArray, on: date) -> pd.Series:
    """:func:`age_band` of Arrow dates (null when unknown), as a categorical Series."""
    on_ts = pd.Timestamp(on)
    year, month, day = (
        part(dob).to_numpy(zero_copy_only=False).astype(float)
        for part in (pc.year, pc.month, pc.day)
    )
    age = on_ts.year - year - ((month > on_ts.month) | ((month == on_ts.month) & (day > on_ts.day)))
    names = [f"{low}+" if high >= 200 else f"{low}-{high}" for low, high in AGE_BANDS]
    codes = np.full(len(age), len(names), dtype=np.int8)  # "unknown"
    for number, (low, high) in enumerate(AGE_BANDS):
        codes[(age >= low) & (age <= high)] = number
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index([*names, "unknown"])))


def _codes(values: pd.Series) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.object_]]:
    """Integer codes (-1 for missing) and the distinct values of a column or category."""
    codes, uniques = pd.factorize(values)
    return codes, np.asarray(uniques, dtype=object)


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


def labels_of(model_json: dict[str, Any]) -> dict[str, dict[int, str]]:
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
    # The engine returns pairs in no fixed order (DuckDB scores them on two threads):
    # order them by record before sampling, so the same pairs give the same sample.
    ids = ("source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r")
    near = near.sort_values([c for c in ids if c in near], kind="stable")
    if len(near) > REVIEW_SAMPLE:
        near = near.iloc[rng.choice(len(near), REVIEW_SAMPLE, replace=False)]
    labels = labels_of(result.model_json)
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
    """Link rates per subgroup value; small subgroups merged into ``other``.

    Counted with integer codes (``bincount``), in the order of the values' text.
    """
    rows: list[dict[str, Any]] = []
    linked = records["linked_elsewhere"].to_numpy(dtype=bool)
    overall_link = float(records["linked_elsewhere"].mean()) if len(records) else 0.0
    has_truth = "partner_found" in records
    overall_recall = float(records["partner_found"].mean()) if has_truth else None
    if has_truth:
        partner = records["partner_found"].astype("boolean")
        known = partner.notna().to_numpy()
        found = partner.fillna(False).to_numpy(dtype=bool)
    for dimension in ("age_band", "sex", "postcode_area", "source"):
        codes, uniques = _codes(records[dimension])
        sizes = np.bincount(codes[codes >= 0], minlength=len(uniques))
        # Values with fewer than MIN_CELL records (and missing values) become "other".
        names = [str(v) if n >= MIN_CELL else "other" for v, n in zip(uniques, sizes, strict=True)]
        labels = sorted(set(names) | ({"other"} if (codes < 0).any() else set()))
        position = {label: number for number, label in enumerate(labels)}
        label_of = np.array([position[name] for name in names] + [position.get("other", -1)])
        groups = label_of[codes]  # code -1 picks the last entry: "other"
        count = np.bincount(groups, minlength=len(labels))
        links = np.bincount(groups, weights=linked, minlength=len(labels))
        if has_truth:
            partners = np.bincount(groups, weights=known, minlength=len(labels))
            hits = np.bincount(groups, weights=found & known, minlength=len(labels))
        for number, value in enumerate(labels):
            if not count[number]:
                continue
            link_rate = float(links[number] / count[number])
            row: dict[str, Any] = {
                "dimension": dimension,
                "value": value,
                "records": int(count[number]),
                "link_rate": link_rate,
                "link_rate_gap": link_rate - overall_link,
            }
            if has_truth and overall_recall is not None:
                recall = float(hits[number] / partners[number]) if partners[number] else None
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
    one_per_person: tuple[str, ...] = (),
    data: EstimatesInput | None = None,
) -> dict[str, Any]:
    """The report's JSON.

    ``records`` has one row per spine record with ``source``, ``record_id``,
    ``person_id``, ``age_band``, ``sex``, ``postcode_area`` and optionally
    ``partner_found`` (from truth, shown beside the estimates, never used by them).
    ``one_per_person`` names sources that hold one record per person; ``data`` is the
    estimator's input when the caller made it already (:func:`estimates_data`).
    """
    pairs = result.pairs
    data = data if data is not None else estimates_data(result, records, one_per_person)
    estimated = estimate(data)
    person, _persons = _codes(records["person_id"])
    source, _sources = _codes(records["source"])
    known = person >= 0
    persons = int(person.max()) + 1 if known.any() else 0
    size = np.bincount(person[known], minlength=persons)
    # Distinct (person, source) combinations, counted per person.
    width = int(source.max()) + 2 if len(source) else 1
    combined = np.unique(person[known].astype(np.int64) * width + source[known] + 1)
    sources_per_person = np.bincount(combined // width, minlength=persons)
    records = records.assign(
        linked_elsewhere=np.where(known, sources_per_person[np.maximum(person, 0)] > 1, False),
        linked_any=np.where(known, size[np.maximum(person, 0)] > 1, False),
    )
    overall = {
        "records": len(records),
        "persons": persons,
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
        "guild": guild_tables(records),
        "clerical_review": _review_sample(result, np.random.default_rng(seed)),
    }


def estimated_quality(
    result: LinkResult, records: pd.DataFrame, one_per_person: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Precision and recall estimated without truth (:mod:`.estimates`)."""
    return estimate(estimates_data(result, records, one_per_person))


def estimates_data(
    result: LinkResult, records: pd.DataFrame, one_per_person: tuple[str, ...] = ()
) -> EstimatesInput:
    """The estimator's input for a run.

    ``records`` has ``source``, ``record_id`` and ``person_id`` of every spine record;
    no other column reaches the estimator.
    """
    spine = records[["source", "record_id", "person_id"]]
    return estimates_input(
        result.pairs,
        spine,
        result.model_json,
        result.options.floor_weight,
        result.options.threshold_weight,
        one_per_person,
    )


def render_html(report: dict[str, Any]) -> str:
    """The report as a self-contained HTML page (no scripts, no external resources)."""
    template = resources.files(__package__).joinpath("templates/report.html.j2").read_text("utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    peak = max((b["pairs"] for b in report["weight_histogram"]), default=1)
    return environment.from_string(template).render(report=report, peak=peak)
