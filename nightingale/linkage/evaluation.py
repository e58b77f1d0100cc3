"""Measured linkage quality against a synthetic region's truth.

``truth/records.csv`` names the true person behind every people-file row by provider and
local key; the sealed key maps turn local keys into record ids. Pairwise precision,
recall and F1 are counted per source pair (``health~health`` is within-source
deduplication, ``health~housing`` cross-source linkage) without listing pairs: for
clusters, the number of pairs between sources A and B is the sum over clusters of
``n_A * n_B`` (or ``n_A * (n_A - 1) / 2`` within A), and true positives are the same sum
over the intersections of predicted and true clusters.

At a million people (2.2 million records) everything is counted on integer codes with
NumPy, not by grouping strings: the truth file is read with Arrow, matched to records
through the key maps with Arrow's hash lookups, and clusters are numbered once.
"""

from __future__ import annotations

from itertools import combinations_with_replacement
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from nightingale.linkage.positions import positions
from nightingale.platform.errors import NightingaleError

_TRUTH_COLUMNS = ("provider", "local_key", "person_id")


def _read_truth_table(path: Path) -> pa.Table:
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in _TRUTH_COLUMNS},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (OSError, pa.ArrowInvalid) as exc:
        raise NightingaleError(f"{path}: cannot read the truth file ({exc})") from exc
    missing = set(_TRUTH_COLUMNS) - set(table.column_names)
    if missing:
        raise NightingaleError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    return table.select(list(_TRUTH_COLUMNS))


def read_truth(path: Path) -> pd.DataFrame:
    """``provider``, ``local_key``, ``truth_person`` from ``truth/records.csv``."""
    frame: pd.DataFrame = _read_truth_table(path).to_pandas()
    return frame.rename(columns={"person_id": "truth_person"})


def truth_codes_of_keys(path: Path, sources: Any, local_keys: Any) -> npt.NDArray[np.int64]:
    """Per record (``sources[i]``, ``local_keys[i]``: its provider and provider key, as
    :func:`.identifiers.provider_keys` gives them from the key maps): its true person
    as a code, or -1 (no truth row, or no key). Equal codes mean the same true person;
    the truth file names records by provider and local key."""
    truth = _read_truth_table(path)
    provider = truth.column("provider")
    pairs = pc.binary_join_element_wise(provider, truth.column("local_key"), "\x1f")
    if pc.count_distinct(pairs).as_py() != truth.num_rows:
        raise NightingaleError(f"{path}: a provider's local key appears twice in the truth file")
    person = truth.column("person_id").combine_chunks().dictionary_encode()
    person_codes = person.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    at = positions(sources, local_keys, provider, truth.column("local_key"))
    codes = np.full(len(at), -1, dtype=np.int64)
    codes[at >= 0] = person_codes[at[at >= 0]]
    return codes


def _codes(values: pd.Series) -> npt.NDArray[np.int64]:
    codes, _uniques = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64)


def _block_counts(
    groups: npt.NDArray[np.int64], sources: npt.NDArray[np.int64], width: int
) -> npt.NDArray[np.int64]:
    """Records per (group, source) as a dense ``groups x sources`` array."""
    count = int(groups.max()) + 1 if len(groups) else 0
    flat = np.bincount(groups * width + sources, minlength=count * width)
    return flat.reshape(count, width).astype(np.int64)


def _pairs(counts: npt.NDArray[np.int64], sources: list[str]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for a, b in combinations_with_replacement(range(len(sources)), 2):
        na, nb = counts[:, a], counts[:, b]
        pairs = (na * (na - 1) // 2).sum() if a == b else (na * nb).sum()
        out[(sources[a], sources[b])] = int(pairs)
    return out


def pairwise_metrics(spine: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per source pair and overall: precision, recall, F1 and pair counts.

    ``spine`` has ``source``, ``person_id`` (predicted) and ``truth_person``.
    """
    sources = sorted(pd.unique(spine["source"]).tolist())
    source = pd.Categorical(spine["source"], categories=sources).codes.astype(np.int64)
    person = _codes(spine["person_id"])
    truth = _codes(spine["truth_person"])
    both = _codes(pd.Series(person * (int(truth.max()) + 1 if len(truth) else 1) + truth))
    width = len(sources)
    predicted = _pairs(_block_counts(person, source, width), sources)
    true = _pairs(_block_counts(truth, source, width), sources)
    hits = _pairs(_block_counts(both, source, width), sources)
    results: dict[str, dict[str, float]] = {}
    for key in [*sorted(predicted), ("all", "all")]:
        if key == ("all", "all"):
            p, t, h = sum(predicted.values()), sum(true.values()), sum(hits.values())
        else:
            p, t, h = predicted[key], true[key], hits[key]
        precision = h / p if p else 1.0
        recall = h / t if t else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        name = "all" if key == ("all", "all") else f"{key[0]}~{key[1]}"
        results[name] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "predicted_pairs": p,
            "true_pairs": t,
            "true_positives": h,
        }
    return results


def partner_recall(spine: pd.DataFrame) -> pd.Series:
    """Per record: does it share a predicted person with every true partner record?

    ``NA`` for records with no true partner. Used for link rates by subgroup.
    """
    truth = _codes(spine["truth_person"])
    person = _codes(spine["person_id"])
    both = _codes(pd.Series(person * (int(truth.max()) + 1 if len(truth) else 1) + truth))
    truth_size = np.bincount(truth)[truth] if len(truth) else truth
    joint = np.bincount(both)[both] if len(both) else both
    found = pd.Series(joint == truth_size, index=spine.index, dtype="boolean")
    return found.where(pd.Series(truth_size > 1, index=spine.index), pd.NA)
