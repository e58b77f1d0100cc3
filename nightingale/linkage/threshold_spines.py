"""The spine a run would have made at another match-weight threshold, from its scored pairs.

A link run keeps its scored pairs (``pairs.parquet`` beside its spine, written by
:func:`.link.link` for the next incremental run too: record ids,
match weight, agreement levels, whether the pair is deterministic and whether it
linked); no identifier is in them. From them, :func:`spine_at` re-selects the links at
another threshold with the run's own rules (:func:`.clustering.select_links`: hard
negatives, mutual best across sources, within-source splits, deterministic links
always), keeps the run's second-look links (records without a date of birth, decided
after the first pass), and clusters to persons with the run's tokeniser, so a person
whose records do not change keeps the same ``person_id``.

At the run's own threshold this gives back the run's spine exactly. The evaluation
operation builds a release from each such spine to show how far a primary estimate
moves with the linkage (:mod:`nightingale.operations.linkage_sensitivity`).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from nightingale.linkage.clustering import person_ids, reliable_fields, select_links
from nightingale.linkage.incremental import PAIRS_FILE
from nightingale.linkage.tokens import Tokeniser
from nightingale.platform.contracts import spine_file, spine_report, spine_run_folder
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import DataRoot, read_parquet


class NoScoredPairs(NightingaleError):
    """The run kept no scored pairs (it predates them): link again to get variants."""


def _from_report(root: DataRoot, run_id: str, key: str) -> Any:
    path = spine_report(root, run_id)
    try:
        return json.loads(path.read_text(encoding="utf-8"))[key]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NightingaleError(f"{path}: no {key} ({exc})") from exc


def run_threshold(root: DataRoot, run_id: str) -> float:
    """The match-weight threshold the run linked at (from its quality report)."""
    return float(_from_report(root, run_id, "threshold_match_weight"))


def _nodes(spine: pd.DataFrame, sources: pd.Series, ids: pd.Series) -> np.ndarray:
    index = pd.MultiIndex.from_arrays([spine["source"].astype(str), spine["record_id"].astype(str)])
    wanted = pd.MultiIndex.from_arrays([sources.astype(str), ids.astype(str)])
    nodes = index.get_indexer(wanted)
    if (nodes < 0).any():
        raise NightingaleError("internal error: a scored pair names a record not on the spine")
    return nodes


def spine_at(root: DataRoot, keystore: KeyStore, run_id: str, threshold: float) -> pd.DataFrame:
    """Run ``run_id``'s spine re-linked at ``threshold``: ``source``, ``record_id``,
    ``person_id``, in the run's spine order (see the module docstring). Person ids are
    made with the linkage key the run used (its report's ``key_id``).
    """
    folder = spine_run_folder(root, run_id)
    pairs_path = folder / PAIRS_FILE
    if not pairs_path.is_file():
        raise NoScoredPairs(
            f"{pairs_path}: link run {run_id} kept no scored pairs; run 'nightingale link' "
            "again to evaluate at other thresholds"
        )
    spine = read_parquet(spine_file(root, run_id))[["source", "record_id", "person_id"]]
    pairs = read_parquet(pairs_path)
    model = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    reliable = reliable_fields(model)
    if len(pairs):
        pairs["node_l"] = _nodes(spine, pairs["source_dataset_l"], pairs["unique_id_l"])
        pairs["node_r"] = _nodes(spine, pairs["source_dataset_r"], pairs["unique_id_r"])
        first_pass = pairs.index.isin(
            select_links(pairs, run_threshold(root, run_id), reliable).index
        )
        second_look = pairs["linked"].astype(bool).to_numpy() & ~first_pass
        chosen = pairs.index.isin(select_links(pairs, threshold, reliable).index)
        links = pairs[chosen | second_look]
    else:
        links = pairs.assign(node_l=pd.Series(dtype=np.int64), node_r=pd.Series(dtype=np.int64))
    members = spine["source"].astype(str) + "/" + spine["record_id"].astype(str)
    tokeniser = Tokeniser.from_keystore(keystore, str(_from_report(root, run_id, "key_id")))
    return pd.DataFrame(
        {
            "source": spine["source"].to_numpy(),
            "record_id": spine["record_id"].to_numpy(),
            "person_id": person_ids(members, links, tokeniser).to_numpy(),
        }
    )
