"""The quality report of a link run, for data stewards: JSON for machines, HTML for people.

Contents: the match-weight distribution; the model's m and u probabilities per
comparison level with their weights; precision and recall *estimated* without truth,
overall and per source pair, with 95% intervals (:mod:`.estimates`); link rates by
subgroup (age band, sex, postcode area, source) to expose linkage bias; a
clerical-review sample of pairs near the threshold; and, when a synthetic region's
truth is available, *measured* precision, recall and F1 per source pair.

Nothing in the report is personal data: pairs are shown by record id (random), source,
match weight and the agreement level of each comparison ("one edit", "nickname"), never
by value. Subgroup values with fewer than :data:`MIN_CELL` records are merged into
"other", then each dimension's linked and unlinked counts go through the output gate's
frequency-table rule (:func:`.guild.suppress_cells`): a row with a count from 1 to
``threshold - 1`` shows no count and no rate, and secondary suppression hides more rows
until no hidden row can be worked out from the overall figures (records, link rate) by
subtraction. The same counts appear in the GUILD tables, so both are suppressed alike.
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
from nightingale.linkage.guild import (
    DEFAULT_THRESHOLD,
    guild_tables,
    resuppressed,
    suppress_cells,
)
from nightingale.linkage.model import PAIR_IDS

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


def _distinct(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``np.unique(values)`` by sorting: NumPy's hashing ``unique`` takes tens of times
    longer on codes like (person, source) combined."""
    ordered = np.sort(values)
    if not len(ordered):
        return ordered
    distinct: npt.NDArray[np.int64] = ordered[np.r_[True, ordered[1:] != ordered[:-1]]]
    return distinct


def _share(flags: pd.Series) -> float | None:
    """The share of true values among the known ones; None when none is known."""
    known = flags.dropna()
    return float(known.astype(bool).mean()) if len(known) else None


def _histogram(pairs: pd.DataFrame) -> list[dict[str, Any]]:
    if pairs.empty:
        return []
    weights = pairs["match_weight"].clip(-20, 40).to_numpy()
    low, high = math.floor(weights.min()), math.ceil(weights.max()) + 1
    bins = np.floor(weights).astype(int) - low  # counted in one pass, not one per bin
    counts = np.bincount(bins, minlength=high - low)
    linked = np.bincount(bins[pairs["linked"].to_numpy(dtype=bool)], minlength=high - low)
    return [
        {
            "from": float(low + number),
            "to": float(low + number + 1),
            "pairs": int(counts[number]),
            "linked": int(linked[number]),
        }
        for number in range(high - low)
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
    near = near.sort_values([c for c in PAIR_IDS if c in near], kind="stable")
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
    """Link rates per subgroup value, small subgroups merged into ``other``; not suppressed.

    Counted with integer codes (``bincount``), in the order of the values' text. Each row
    has its ``linked`` and ``unlinked`` counts so that :func:`suppress_subgroups` can
    treat a dimension as a frequency table.
    """
    rows: list[dict[str, Any]] = []
    linked = records["linked_elsewhere"].to_numpy(dtype=bool)
    overall_link = float(records["linked_elsewhere"].mean()) if len(records) else 0.0
    has_truth = "partner_found" in records
    overall_recall = _share(records["partner_found"]) if has_truth else None
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
                "linked": int(links[number]),
                "unlinked": int(count[number] - links[number]),
                "link_rate": link_rate,
                "link_rate_gap": link_rate - overall_link,
            }
            if has_truth:
                recall = float(hits[number] / partners[number]) if partners[number] else None
                row["partner_recall"] = recall
                row["partner_recall_gap"] = (
                    None if recall is None or overall_recall is None else recall - overall_recall
                )
            if has_truth and overall_recall is not None:
                row["flag"] = recall is not None and recall < overall_recall - 0.02
            else:
                row["flag"] = link_rate < overall_link - 0.02
            rows.append(row)
    return rows


#: What a suppressed subgroup row still shows: which row it is, and that it is hidden.
_KEPT = ("dimension", "value")


def suppress_subgroups(
    rows: list[dict[str, Any]], linked: int | None, unlinked: int | None, threshold: int
) -> list[dict[str, Any]]:
    """``rows`` (:func:`_subgroups`) with small and recoverable cells hidden.

    Each dimension is a frequency table of linked and unlinked records whose column totals
    (``linked``, ``unlinked``: all records, as the report's overall figures give them
    away) are public; :func:`.guild.suppress_cells` hides counts from 1 to
    ``threshold - 1`` and the secondary cells that would let one be recovered by
    subtraction. A row with a hidden count keeps only its dimension and value and
    ``suppressed: True``: its records, rate, recall and flag are ``None``. Works on rows
    already suppressed, so a page may apply a deployment's higher threshold.
    """
    table = {
        "linked": linked,
        "unlinked": unlinked,
        "rows": [
            {
                "characteristic": row["dimension"],
                "value": row["value"],
                "linked": row.get("linked"),
                "unlinked": row.get("unlinked"),
            }
            for row in rows
        ],
    }
    hidden = suppress_cells(table, threshold)["rows"]
    out: list[dict[str, Any]] = []
    for row, cells in zip(rows, hidden, strict=True):
        if cells["linked"] is None or cells["unlinked"] is None:
            out.append(
                {
                    **{key: (row[key] if key in _KEPT else None) for key in row},
                    "suppressed": True,
                }
            )
        else:
            out.append({**row, "suppressed": False})
    return out


def subgroups_at(report: dict[str, Any], threshold: int) -> list[dict[str, Any]]:
    """A stored report's subgroup rows under a (higher) deployment threshold, for display."""
    rows: list[dict[str, Any]] = report.get("subgroups", [])
    if threshold <= int(report.get("subgroups_threshold", 0)):
        return rows
    overall = {**report.get("overall", {})}
    if "linked" not in overall:  # a report written before subgroups were suppressed
        rows = [_with_counts(row) for row in rows]
        overall = _with_counts(overall)
    return suppress_subgroups(rows, overall.get("linked"), overall.get("unlinked"), threshold)


def _with_counts(row: dict[str, Any]) -> dict[str, Any]:
    """An older row's linked and unlinked counts, from its records and link rate."""
    records, rate = row.get("records"), row.get("link_rate")
    if records is None or rate is None:
        return {**row, "linked": None, "unlinked": None}
    linked = round(float(rate) * int(records))
    return {**row, "linked": linked, "unlinked": int(records) - linked}


def build_report(
    run_id: str,
    key_id: str,
    result: LinkResult,
    records: pd.DataFrame,
    measured: dict[str, dict[str, float]] | None,
    versions: dict[str, str],
    seed: int = 0,
    threshold: int = DEFAULT_THRESHOLD,
) -> dict[str, Any]:
    """The report's JSON but its ``estimated`` quality, its subgroup and GUILD counts
    suppressed at ``threshold``.

    ``records`` has one row per spine record with ``source``, ``record_id``,
    ``person_id``, ``age_band``, ``sex``, ``postcode_area`` and optionally
    ``partner_found`` (from truth, shown beside the estimates, never used by them).
    ``versions`` names the provider version each source's records came from. The caller
    adds ``estimated`` (:func:`.estimates.estimate` of :func:`estimates_data`): its
    bootstrap is the slowest part, so it runs while this and the review sample, which do
    not need it, are made.
    """
    pairs = result.pairs
    person, _persons = _codes(records["person_id"])
    source, _sources = _codes(records["source"])
    known = person >= 0
    persons = int(person.max()) + 1 if known.any() else 0
    size = np.bincount(person[known], minlength=persons)
    # Distinct (person, source) combinations, counted per person.
    width = int(source.max()) + 2 if len(source) else 1
    combined = _distinct(person[known].astype(np.int64) * width + source[known] + 1)
    sources_per_person = np.bincount(combined // width, minlength=persons)
    records = records.assign(
        linked_elsewhere=np.where(known, sources_per_person[np.maximum(person, 0)] > 1, False),
        linked_any=np.where(known, size[np.maximum(person, 0)] > 1, False),
    )
    linked_records = int(records["linked_elsewhere"].sum())
    overall: dict[str, float | None] = {
        "records": len(records),
        "persons": persons,
        "linked": linked_records,
        "unlinked": len(records) - linked_records,
        "link_rate": linked_records / len(records) if len(records) else 0.0,
    }
    if "partner_found" in records:
        # None when no record has a true partner (one record, or one per person).
        overall["partner_recall"] = _share(records["partner_found"])
    return {
        "run_id": run_id,
        "key_id": key_id,
        "versions": dict(sorted(versions.items())),
        "created": date.today().isoformat(),
        "threshold_match_weight": result.options.threshold_weight,
        "fields": result.fields,
        "counts": result.counts,
        "overall": overall,
        "measured": measured,
        "weight_histogram": _histogram(pairs),
        "parameters": _parameters(result.model_json),
        "subgroups_threshold": threshold,
        "subgroups": suppress_subgroups(
            _subgroups(records), linked_records, len(records) - linked_records, threshold
        ),
        # Persons by integer code (the tables do not depend on the ids' values).
        "guild": guild_tables(records.assign(person_id=np.where(known, person, np.nan)), threshold),
        "clerical_review": _review_sample(result, np.random.default_rng(seed)),
    }


def estimated_quality(
    result: LinkResult, records: pd.DataFrame, one_per_person: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Precision and recall estimated without truth (:mod:`.estimates`)."""
    return estimate(estimates_data(result, records, one_per_person))


def estimates_data(
    result: LinkResult,
    records: pd.DataFrame,
    one_per_person: tuple[str, ...] = (),
    aligned: bool = False,
) -> EstimatesInput:
    """The estimator's input for a run.

    ``records`` has ``source``, ``record_id`` and ``person_id`` of every spine record;
    no other column reaches the estimator. ``aligned``: ``records`` are in the order of
    the engine's persons (the token table's), whose row numbers the pairs carry.
    """
    spine = records[["source", "record_id", "person_id"]]
    return estimates_input(
        result.pairs,
        spine,
        result.model_json,
        result.options.floor_weight,
        result.options.threshold_weight,
        one_per_person,
        aligned=aligned,
    )


def at_threshold(report: dict[str, Any], threshold: int) -> dict[str, Any]:
    """A stored report with its subgroup and GUILD counts suppressed at a (higher)
    deployment ``threshold``; never weaker than what was stored."""
    shown = {**report, "subgroups": subgroups_at(report, threshold)}
    if threshold > int(report.get("subgroups_threshold", 0)):
        shown["subgroups_threshold"] = threshold
    if isinstance(report.get("guild"), dict):
        shown["guild"] = resuppressed(report["guild"], threshold)
    return shown


def render_html(report: dict[str, Any], threshold: int = DEFAULT_THRESHOLD) -> str:
    """The report as a self-contained HTML page (no scripts, no external resources),
    its counts suppressed at ``threshold`` or the stored report's own, whichever is higher."""
    report = at_threshold(report, threshold)
    template = resources.files(__package__).joinpath("templates/report.html.j2").read_text("utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    peak = max((b["pairs"] for b in report["weight_histogram"]), default=1)
    return environment.from_string(template).render(report=report, peak=peak, MIN_CELL=MIN_CELL)
