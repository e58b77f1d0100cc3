"""Clerical review in the identifier zone: a run's sealed review sample and its estimates.

A link run keeps, in its folder (``linkage/spine/<run_id>/review/``), what clerical
review needs after the run is over, sealed like the other identifier-zone files
(AES-256-GCM, a context naming the run, so a file copied to another run does not open):

- ``estimates.bin``: the estimator's input (:class:`.estimates.EstimatesInput`: one row
  per scored pair, record ids random, no identifiers) with its counts and the dataset
  versions linked, so the estimates can be made again with reviewers' decisions folded
  in (:func:`.estimates.update_with_review`) and each record's identifiers found;
- ``sample.bin``: the stratified sample of pairs a steward reviews: up to
  :data:`PER_BAND` pairs from each band of match weight around the threshold, and up to
  :data:`PER_SUBGROUP` more touching each subgroup whose link rate falls well below the
  overall rate (:data:`SUBGROUP_GAP`), with the comparison levels and the weight.

The sample is drawn with a seed from the pairs' content (:func:`.estimates.content_seed`)
after ordering them by content, so the same linkage gives the same sample in any row
order. Identifiers are read only by :func:`pair_identifiers`, for one pair, when the
operation (:mod:`nightingale.operations.review`) has had governance allow and audit it.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from nightingale.linkage.estimates import (
    EstimatesInput,
    content_seed,
    estimate,
    update_with_review,
)
from nightingale.linkage.estimates_input import record_rows
from nightingale.linkage.identifiers import (
    identifier_context,
    identifiers_path,
    read_sealed_table,
    write_sealed_table,
)
from nightingale.linkage.model import PAIR_IDS
from nightingale.linkage.positions import text
from nightingale.platform.contracts import SPINE_REPORT_HTML, SPINE_REPORT_JSON, spine_run_folder
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import DataRoot, atomic_write_json, atomic_write_text

#: Pairs drawn from each band of match weight.
PER_BAND = 8
#: Pairs drawn touching each subgroup whose link rate falls well below the overall rate.
PER_SUBGROUP = 5
#: How far below the overall link rate a subgroup must fall to get pairs of its own.
SUBGROUP_GAP = 0.05
#: Band edges around the threshold (bits): far below, below, near, above, far above.
BAND_OFFSETS = (-6.0, -2.0, 2.0, 6.0)
#: The identifiers a reviewer sees side by side.
SHOWN_FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "postcode", "nhs_number")
DECISION_MATCH = {"match": True, "non-match": False}


@dataclass(frozen=True)
class ReviewBundle:
    """What a run kept for clerical review (no identifiers: those stay in their files)."""

    run_id: str
    data: EstimatesInput
    sample: pd.DataFrame
    versions: dict[str, str]

    def row(self, key: str) -> dict[str, Any] | None:
        """The sampled pair ``key`` (its stratum, ids, weight, levels), or None."""
        found = self.sample[self.sample["pair_key"] == key]
        if found.empty:
            return None
        row = {str(k): v for k, v in found.iloc[0].to_dict().items()}
        row["agreement"] = json.loads(row["agreement"])
        return row


def pair_key(source_l: str, record_l: str, source_r: str, record_r: str) -> str:
    """The text naming a pair (sources and random record ids), whichever is named first."""
    first, second = sorted([(source_l, record_l), (source_r, record_r)])
    return f"{first[0]}:{first[1]}~{second[0]}:{second[1]}"


def _key_text(
    source_l: pa.Array, record_l: pa.Array, source_r: pa.Array, record_r: pa.Array
) -> pa.Array:
    """:func:`pair_key` of every pair, as Arrow text made column by column."""
    # Arrow compares text by UTF-8 bytes: the order of Python's str comparison.
    swap = pc.or_(
        pc.greater(source_l, source_r),
        pc.and_(pc.equal(source_l, source_r), pc.greater(record_l, record_r)),
    )
    first = pc.binary_join_element_wise(
        pc.if_else(swap, source_r, source_l), pc.if_else(swap, record_r, record_l), ":"
    )
    second = pc.binary_join_element_wise(
        pc.if_else(swap, source_l, source_r), pc.if_else(swap, record_l, record_r), ":"
    )
    joined: pa.Array = pc.binary_join_element_wise(first, second, "~")
    return joined


def _keys(frame: pd.DataFrame, sl: str, rl: str, sr: str, rr: str) -> npt.NDArray[np.object_]:
    """:func:`pair_key` of every row."""
    columns = (text(frame[name]) for name in (sl, rl, sr, rr))
    return np.asarray(_key_text(*columns).to_numpy(zero_copy_only=False), dtype=object)


def _band_labels(threshold: float) -> list[str]:
    edges = [threshold + offset for offset in BAND_OFFSETS]
    labels = [f"weight below {edges[0]:g}"]
    labels += [f"weight {low:g} to {high:g}" for low, high in itertools.pairwise(edges)]
    return [*labels, f"weight {edges[-1]:g} and above"]


def _flagged(subgroups: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Subgroups whose link rate falls well below the overall rate (not the ``other`` rest).

    Suppressed rows (no gap shown) are never a stratum: the report's stratum counts would
    say that a hidden subgroup links badly.
    """
    return sorted(
        (str(row["dimension"]), str(row["value"]))
        for row in subgroups
        if row.get("value") != "other"
        and row.get("link_rate_gap") is not None
        and float(row["link_rate_gap"]) <= -SUBGROUP_GAP
    )


def draw_sample(
    data: EstimatesInput,
    scored: pd.DataFrame,
    labels: dict[str, dict[int, str]],
    records: pd.DataFrame,
    subgroups: list[dict[str, Any]],
    aligned: bool = False,
    seed: int | None = None,
) -> pd.DataFrame:
    """The stratified clerical-review sample of ``data``'s pairs.

    ``scored`` is the engine's pairs (for the comparison levels, named by ``labels``,
    :func:`.report.labels_of`); ``records`` has ``source``, ``record_id`` and the subgroup
    columns of the report, one row per record; ``subgroups`` the report's link-rate rows.
    ``aligned``: ``records`` are in the token table's order, whose rows the pairs carry
    (``node_l``, ``node_r``), so a pair's records are found there, not by id. ``seed``
    is :func:`.estimates.content_seed` of ``data`` when the caller has it.
    """
    pairs = data.pairs
    columns = {name: text(pairs[name]) for name in ("source_l", "record_l", "source_r", "record_r")}
    key_text = _key_text(
        columns["source_l"], columns["record_l"], columns["source_r"], columns["record_r"]
    )
    # Content first (weights, links, agreement), the key only to break exact ties (by
    # its rank among the keys: the order of the texts, without sorting them again).
    order = np.lexsort(
        (
            pc.rank(key_text, sort_keys="ascending", tiebreaker="first").to_numpy(),
            # in one person first, then the identifier (-1, 0, 1): one key for the two
            pairs["same"].to_numpy(dtype=np.int8) * 3 + pairs["holdout"].to_numpy(),
            np.round(pairs["weight_without"].to_numpy(dtype=float), 6),
            np.round(pairs["weight"].to_numpy(dtype=float), 6),
        )
    )
    weight = pairs["weight"].to_numpy(dtype=float)[order]
    rng = np.random.default_rng(content_seed(data) if seed is None else seed)
    edges = np.asarray([data.threshold_weight + o for o in BAND_OFFSETS])
    band = np.searchsorted(edges, weight, side="right")
    names = _band_labels(data.threshold_weight)
    chosen: dict[int, str] = {}
    for number, name in enumerate(names):
        candidates = np.flatnonzero(band == number)
        take = min(PER_BAND, len(candidates))
        for at in np.sort(rng.choice(candidates, take, replace=False)) if take else []:
            chosen[int(at)] = name
    near = np.abs(weight - data.threshold_weight) <= abs(BAND_OFFSETS[0])
    flagged = [(d, v) for d, v in _flagged(subgroups) if d in records]
    if flagged and aligned:  # each pair's records, as rows of ``records``
        # (in either order: a pair touches a subgroup through either of its records)
        row_l = pairs["node_l"].to_numpy(dtype=np.intp)[order]
        row_r = pairs["node_r"].to_numpy(dtype=np.intp)[order]
    elif flagged:  # each pair's records, as rows of ``records`` (-1: not there)
        rows = record_rows(
            records["source"],
            records["record_id"],
            np.concatenate([pairs[f"source_{s}"].to_numpy(dtype=object) for s in ("l", "r")]),
            pa.concat_arrays([columns["record_l"], columns["record_r"]]),
        )
        row_l, row_r = rows[: len(pairs)][order], rows[len(pairs) :][order]
    taken = np.zeros(len(pairs), dtype=bool)
    taken[list(chosen)] = True
    for dimension, value in flagged:
        member = np.append(_is_value(records[dimension], value), False)
        touching = member[row_l] | member[row_r]  # row -1: the False at the end
        free = ~taken
        candidates = np.flatnonzero(touching & free & near)
        if len(candidates) < PER_SUBGROUP:
            candidates = np.flatnonzero(touching & free)
        take = min(PER_SUBGROUP, len(candidates))
        for at in np.sort(rng.choice(candidates, take, replace=False)) if take else []:
            chosen[int(at)] = f"subgroup {dimension} = {value}"
            taken[at] = True
    picked = sorted(chosen)
    keys = np.asarray(key_text.take(order[picked]).to_pylist(), dtype=object)
    levels = _levels_of(scored, order[picked], keys)
    agreements = [
        json.dumps(
            {
                name: names_of.get(int(row[f"gamma_{name}"]), "?")
                for name, names_of in labels.items()
                if f"gamma_{name}" in row
            },
            sort_keys=True,
        )
        for row in levels
    ]
    drawn = pairs.iloc[order[picked]]
    return pd.DataFrame(
        {
            "pair_key": keys.astype(str),
            "stratum": [chosen[at] for at in picked],
            "source_l": drawn["source_l"].astype(str).to_numpy(),
            "record_l": drawn["record_l"].astype(str).to_numpy(),
            "source_r": drawn["source_r"].astype(str).to_numpy(),
            "record_r": drawn["record_r"].astype(str).to_numpy(),
            "weight": np.round(drawn["weight"].to_numpy(dtype=float), 2),
            "probability": np.round(drawn["probability"].to_numpy(dtype=float), 4),
            "linked": drawn["same"].to_numpy(dtype=bool),
            "agreement": pd.Series(agreements, dtype=object).to_numpy(),
        }
    )


def _is_value(column: pd.Series, value: str) -> npt.NDArray[np.bool_]:
    """``column.astype(str) == value``, for a categorical column by its categories."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        names = np.array([str(c) for c in column.cat.categories] + ["nan"], dtype=object)
        matches: npt.NDArray[np.bool_] = (names == value)[column.cat.codes.to_numpy()]
        return matches  # code -1 (missing) picks the last name: "nan", as astype(str) says
    return np.asarray((column.astype(str) == value).to_numpy(), dtype=bool)


def _levels_of(
    scored: pd.DataFrame, rows: npt.NDArray[np.intp], keys: npt.NDArray[np.object_]
) -> list[pd.Series]:
    """The engine's rows of the pairs ``keys`` (``rows``: their positions in the
    estimator's pairs, which keep the engine's order when made from them; otherwise
    each pair is found by its key, the last row of a key as before)."""
    if not len(keys):
        return []
    if rows.max() < len(scored):
        found = _keys(scored.iloc[rows], *PAIR_IDS)
        if (found == keys).all():
            return [row for _, row in scored.iloc[rows].iterrows()]
    position = {key: i for i, key in enumerate(_keys(scored, *PAIR_IDS))}
    return [scored.iloc[position[key]] for key in keys]


def strata_order(bundle: ReviewBundle) -> list[str]:
    """The sample's strata in reading order: weight bands low to high, then subgroups."""
    present = set(bundle.sample["stratum"].astype(str))
    bands = [name for name in _band_labels(bundle.data.threshold_weight) if name in present]
    return bands + sorted(present - set(bands))


def strata_counts(sample: pd.DataFrame) -> dict[str, int]:
    """Sampled pairs per stratum (for the report: counts only)."""
    return {str(k): int(v) for k, v in sample["stratum"].value_counts().sort_index().items()}


# --- sealed files --------------------------------------------------------------------


def review_folder(folder: Path) -> Path:
    return folder / "review"


def _context(run_id: str, name: str) -> str:
    return f"review/{run_id}/{name}"


def _plain_columns(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)


def write_review(
    folder: Path,
    run_id: str,
    keystore: KeyStore,
    data: EstimatesInput,
    sample: pd.DataFrame,
    versions: dict[str, str],
) -> None:
    """Seal the estimator's input and the sample into ``folder/review/`` (mode 0600)."""
    meta = {
        "records": data.records,
        "floor_weight": data.floor_weight,
        "calibration_cut": data.calibration_cut,
        "threshold_weight": data.threshold_weight,
        "prior": data.prior,
        "shortfall": {k: list(v) for k, v in data.shortfall.items()},
        "one_per_person": sorted(data.one_per_person),
        "versions": versions,
    }
    table = _plain_columns(data.pairs)
    table = table.replace_schema_metadata({b"nightingale": json.dumps(meta).encode()})
    target = review_folder(folder)
    target.mkdir(mode=0o700, exist_ok=True)
    write_sealed_table(target / "estimates.bin", table, keystore, _context(run_id, "estimates"))
    write_sealed_table(
        target / "sample.bin", _plain_columns(sample), keystore, _context(run_id, "sample")
    )


def read_review(root: DataRoot, keystore: KeyStore, run_id: str) -> ReviewBundle:
    """The run's sealed review files (raises a clear error for a run without them)."""
    folder = review_folder(spine_run_folder(root, run_id))
    if not (folder / "sample.bin").is_file():
        raise NightingaleError(
            f"link run {run_id} has no clerical review sample (runs before clerical review "
            "kept none; link again)"
        )
    table = read_sealed_table(folder / "estimates.bin", keystore, _context(run_id, "estimates"))
    meta = json.loads((table.schema.metadata or {})[b"nightingale"])
    data = EstimatesInput(
        pairs=table.replace_schema_metadata(None).to_pandas(),
        records={str(k): int(v) for k, v in meta["records"].items()},
        floor_weight=float(meta["floor_weight"]),
        calibration_cut=float(meta["calibration_cut"]),
        threshold_weight=float(meta["threshold_weight"]),
        prior=float(meta["prior"]),
        shortfall={k: (float(a), float(b), float(c)) for k, (a, b, c) in meta["shortfall"].items()},
        one_per_person=frozenset(meta["one_per_person"]),
    )
    sample = read_sealed_table(folder / "sample.bin", keystore, _context(run_id, "sample"))
    return ReviewBundle(run_id, data, sample.to_pandas(), dict(meta["versions"]))


def _record(
    root: DataRoot, keystore: KeyStore, source: str, version: str, record: str
) -> dict[str, str]:
    table = read_sealed_table(
        identifiers_path(root, source, version), keystore, identifier_context(source)
    )
    found = table.filter(pc.equal(table.column("record_id"), pa.scalar(record, pa.string())))
    if found.num_rows != 1:
        raise NightingaleError(f"record {source}:{record} is not in {source} version {version}")
    row = found.to_pylist()[0]
    shown: dict[str, str] = {}
    for name in SHOWN_FIELDS:
        value = row.get(name)
        if name == "date_of_birth" and value is None:
            value = row.get("date_of_birth_invalid")
        shown[name] = "" if value is None else str(value)
    return shown


def pair_identifiers(
    root: DataRoot, keystore: KeyStore, bundle: ReviewBundle, key: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Both records' identifiers (:data:`SHOWN_FIELDS`) of the sampled pair ``key``.

    Call only for a request governance has allowed and audited; never log what it returns.
    """
    row = bundle.row(key)
    if row is None:
        raise NightingaleError(f"pair {key} is not in the review sample of run {bundle.run_id}")
    sides = []
    for side in ("l", "r"):
        source = row[f"source_{side}"]
        if source not in bundle.versions:
            raise NightingaleError(f"run {bundle.run_id} did not link a version of {source}")
        version = bundle.versions[source]
        sides.append(_record(root, keystore, source, version, row[f"record_{side}"]))
    return sides[0], sides[1]


# --- estimates after review ------------------------------------------------------------


def estimates_after_review(bundle: ReviewBundle, outcomes: dict[str, str]) -> dict[str, Any]:
    """The estimates with the decided pairs folded in (``unsure`` pairs left out).

    ``outcomes`` maps pair keys of the sample to ``match``, ``non-match`` or ``unsure``.
    """
    decided = [
        (bundle.row(key), DECISION_MATCH[outcome])
        for key, outcome in sorted(outcomes.items())
        if outcome in DECISION_MATCH
    ]
    frame = pd.DataFrame(
        [
            {
                "source_l": row["source_l"],
                "record_l": row["record_l"],
                "source_r": row["source_r"],
                "record_r": row["record_r"],
                "match": match,
            }
            for row, match in decided
            if row is not None
        ],
        columns=["source_l", "record_l", "source_r", "record_r", "match"],
    )
    data = update_with_review(bundle.data, frame.astype({"match": object}))
    result = estimate(data)
    result["reviewed_pairs"] = len(frame)
    return result


def write_report_after_review(
    root: DataRoot, run_id: str, after: dict[str, Any] | None, render: Any
) -> dict[str, Any]:
    """Put ``after`` into the run's report as ``estimated_after_review``; return the old one.

    ``render`` turns the report into its HTML page (:func:`.report.render_html`); ``None``
    for ``after`` takes the figures out again (no decision left that counts).
    """
    folder = spine_run_folder(root, run_id)
    previous: dict[str, Any] = json.loads((folder / SPINE_REPORT_JSON).read_text())
    updated = {k: v for k, v in previous.items() if k != "estimated_after_review"}
    if after is not None:
        updated["estimated_after_review"] = after
    write_report(root, run_id, updated, render)
    return previous


def write_report(root: DataRoot, run_id: str, report: dict[str, Any], render: Any) -> None:
    """Write a run's report JSON and its HTML page, each atomically."""
    folder = spine_run_folder(root, run_id)
    atomic_write_json(folder / SPINE_REPORT_JSON, report)
    atomic_write_text(folder / SPINE_REPORT_HTML, render(report))
