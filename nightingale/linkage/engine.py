"""Run Splink on a token table: train, predict, cluster.

Steps, on DuckDB (Splink's default backend) or Spark (:mod:`.backend`):

0. start from the priors in :data:`.model.PRIORS`; below ``min_training_records`` they
   are used untrained (EM and u sampling need thousands of records);
1. count what training needs (:mod:`.training`): the agreement levels of every pair of a
   sample of about ``u_pairs`` pairs (records chosen by content, not by the engine), the
   pairs of a strict deterministic rule, and the agreement patterns of each EM block's
   pairs; an incremental run updates the previous run's counts instead;
2. from the counts (:mod:`.em`): u, the prior probability that two random records
   match, then m by EM, one session per training block (:data:`.model.TRAINING_PLANS`).
   The counting runs in DuckDB whatever the engine, so DuckDB and Spark learn the same
   model and give the same spine;
3. prediction over the blocking rules, keeping pairs above a low floor (the report
   needs the weights near the threshold);
4. links (:func:`.clustering.select_links`) and persons (:func:`.clustering.person_ids`).
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from nightingale.linkage import model
from nightingale.linkage.backend import LinkBackend, as_backend
from nightingale.linkage.clustering import (
    PersonNames,
    person_components,
    reliable_fields,
    second_look,
    select_links,
)
from nightingale.linkage.em import fit
from nightingale.linkage.positions import positions, text
from nightingale.linkage.tokens import Tokeniser
from nightingale.linkage.training import (
    TrainingCounts,
    TrainingPlan,
    content_ranks,
    full_counts,
    link_type,
    u_sample_size,
)
from nightingale.platform.errors import NightingaleError

#: Key of ``model.json`` recording the floor weight the saved pairs were kept above.
FLOOR_KEY = "ng_floor_weight"
#: Key of ``model.json`` recording the blocking rules as chosen (before rendering for the
#: backend): an incremental run may reuse pairs only while the rules are the same.
RULES_KEY = "ng_blocking_rules"


@dataclass(frozen=True)
class LinkOptions:
    """Tunable parts of a run; the defaults are what the benchmarks measured."""

    threshold_weight: float = 0.0
    floor_weight: float = -8.0
    #: pairs of the u sample (:mod:`.training`)
    u_pairs: float = 1e6
    #: seeds the u sample's content ranks (:func:`.training.content_ranks`)
    seed: int = 42
    deterministic_recall: float = 0.7
    #: below this many records the priors in :data:`.model.PRIORS` are used untrained
    min_training_records: int = 2000
    #: pairs between this and ``floor_weight`` are kept aside (ids and agreement levels
    #: only) so that an incremental run whose retrained model lifts one above the floor
    #: scores it as a full relink would (:mod:`.incremental`)
    screen_weight: float = -16.0


@dataclass
class LinkResult:
    """Persons for every record plus what the report and the run record need."""

    #: source_dataset, unique_id and person_id: each record's person as an integer
    #: label, which ``names`` names (:meth:`person_ids`)
    persons: pd.DataFrame
    pairs: pd.DataFrame  # scored pairs above the floor, with gamma columns and "linked"
    model_json: dict[str, Any]
    fields: list[str]
    options: LinkOptions
    #: the persons' ids, made when asked
    names: PersonNames
    counts: dict[str, int] = field(default_factory=dict)
    #: pairs between the screen and the floor: ids and agreement levels only
    below_floor: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: what the model was trained from, for the next run to update (None: untrained)
    training: TrainingCounts | None = None

    def person_ids(self) -> npt.NDArray[Any]:
        """Every record's person id, in the order of ``persons``."""
        return self.names.per_record()


def present_fields(table: pa.Table) -> set[str]:
    """Identifier fields with at least one known value (by their main token column)."""
    main = {
        "given_name": "gn",
        "family_name": "fn",
        "date_of_birth": "dob",
        "sex": "sex",
        "postcode": "pc",
        "address": "addr",
        "nhs_number": "nhs",
        "ni_number": "ni",
    }
    return {name for name, column in main.items() if table.column(column).null_count < len(table)}


def affordable(
    backend: LinkBackend,
    table: pa.Table,
    columns: tuple[str, ...],
    records: int,
    budget: float = model.COARSE_BUDGET,
) -> bool:
    """Whether blocking on ``columns`` compares at most ``budget`` pairs per record."""
    return backend.pair_count(table, columns) <= budget * records


#: How far past the budget a coarse rule's pairs must move before a run with a previous
#: spine changes that spine's decision on it (a fraction of the budget either way).
HYSTERESIS = 0.1


def _settings(fields: set[str], kind: str, records: int, rules: list[str]) -> dict[str, Any]:
    return {
        "link_type": kind,
        "comparisons": model.comparisons_for(fields),
        "blocking_rules_to_generate_predictions": rules,
        # Matching columns are needed for the gamma (agreement level) columns; only
        # the gammas and weights are read back (see _read_pairs).
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": [],
        "max_iterations": 20,
        # Each record has about one match among the others; training re-estimates this.
        "probability_two_random_records_match": 1 / max(records, 2),
    }


def _deterministic_columns(fields: set[str]) -> list[str]:
    """Token columns of the strict rule whose pairs estimate the prior."""
    columns = [
        c
        for f, c in (("given_name", "gn"), ("family_name", "fn"), ("date_of_birth", "dob"))
        if f in fields
    ]
    if len(columns) < 2:
        raise NightingaleError(
            "linkage needs at least two of given name, family name and date of birth"
        )
    return columns


def blocking_rules(
    backend: LinkBackend, table: pa.Table, previous: list[str] | None = None
) -> list[str]:
    """The prediction rules for ``table``: the fixed ones, and each coarse rule while it is
    :func:`affordable` (unrendered SQL; the same for the same records in any order).

    ``previous`` (the rules of the spine in force) adds hysteresis: a coarse rule it
    used stays until its pairs exceed the budget by :data:`HYSTERESIS`, one it did not
    use comes in only below the budget by as much. A refresh that moves a rule's pairs a
    little past the budget then keeps the rules, so it can be linked incrementally; a
    full relink on the same spine makes the same decisions, so it gives the same pairs.
    """
    fields = present_fields(table)

    def budget(rule: str) -> float:
        if previous is None:
            return model.COARSE_BUDGET
        return model.COARSE_BUDGET * (1 + HYSTERESIS if rule in previous else 1 - HYSTERESIS)

    rules = list(model.blocking_rules_for(fields))
    for columns in model.coarse_rules_for(fields):
        rule = model.equal(*columns)
        if affordable(backend, table, columns, table.num_rows, budget(rule)):
            rules.append(rule)
    return rules


def training_plan(table: pa.Table, options: LinkOptions) -> TrainingPlan:
    """What training counts over ``table``: its comparisons, EM blocks, the deterministic
    rule's columns and the u sample's size."""
    fields = present_fields(table)
    return TrainingPlan(
        model.comparisons_for(fields),
        model.training_blocks_for(fields),
        _deterministic_columns(fields),
        u_sample_size(options.u_pairs),
    )


def trains(table: pa.Table, options: LinkOptions) -> bool:
    """Whether ``table`` has enough records to train on (else the priors are used)."""
    return bool(table.num_rows >= options.min_training_records)


def default_ranks(table: pa.Table, options: LinkOptions) -> npt.NDArray[np.uint64]:
    """Content ranks from the source and record id, for callers without provider keys
    (the link operation ranks by provider key, which survives re-ingest)."""
    return content_ranks(table.column("source_dataset"), table.column("unique_id"), options.seed)


def model_settings(
    table: pa.Table, options: LinkOptions, rules: list[str], counts: TrainingCounts | None
) -> dict[str, Any]:
    """Splink settings (DuckDB dialect) with the model fitted from ``counts`` (u, the
    prior, then m by EM; :mod:`.em`), or with the priors when ``counts`` is None."""
    fields = present_fields(table)
    settings = _settings(fields, link_type(table), table.num_rows, rules)
    if counts is None:
        return settings
    blocks = model.training_blocks_for(fields)
    return fit(settings, counts, blocks, options.deterministic_recall)


def train(
    table: pa.Table,
    backend: LinkBackend,
    options: LinkOptions,
    rules: list[str],
    counts: TrainingCounts | None,
) -> Any:
    """A Splink linker on ``table`` with the model of :func:`model_settings`.

    The settings are the platform's own, so Splink's validation (which parses every
    rule and level, about a second) is skipped."""
    from splink import Linker

    inputs = register_sources(backend, table, "__ng_source_")
    settings = backend.settings(model_settings(table, options, rules, counts))
    return Linker(inputs, settings, log_level=logging.ERROR, validate_settings=False)


def with_parameters(model_json: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """``model_json`` (a saved model) carrying the prior, m and u of ``settings`` (from
    :func:`model_settings` for the same comparisons): what saving a linker trained to
    ``settings`` would give, without building one (an incremental run refits the
    model but predicts nothing with Splink)."""
    updated = copy.deepcopy(model_json)
    updated["probability_two_random_records_match"] = settings[
        "probability_two_random_records_match"
    ]
    for saved, fitted in zip(updated["comparisons"], settings["comparisons"], strict=True):
        if saved["output_column_name"] != fitted["output_column_name"]:
            raise ValueError("the saved model's comparisons are not the fitted ones")
        for level, source in zip(
            saved["comparison_levels"], fitted["comparison_levels"], strict=True
        ):
            for key in ("m_probability", "u_probability"):
                if key in source:
                    level[key] = source[key]
    return updated


def saved_model(linker: Any, options: LinkOptions, rules: list[str]) -> dict[str, Any]:
    """The linker's model as ``model.json`` holds it, with the run's own keys."""
    model_json: dict[str, Any] = json.loads(json.dumps(linker.misc.save_model_to_json()))
    model_json[FLOOR_KEY] = options.floor_weight
    model_json[RULES_KEY] = list(rules)
    return model_json


def split_at_floor(pairs: pd.DataFrame, options: LinkOptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pairs scored down to the screen: those at or above the floor, and the rest (ids and
    agreement levels only, for an incremental run's rescoring)."""
    if not len(pairs):
        return pairs, pd.DataFrame()
    above = (pairs["match_weight"] >= options.floor_weight).to_numpy()
    below = pairs[~above].drop(columns=["match_weight", "match_probability"])
    return pairs[above].reset_index(drop=True), below.reset_index(drop=True)


def run_splink(
    table: pa.Table,
    tokeniser: Tokeniser,
    connection: duckdb.DuckDBPyConnection | LinkBackend,
    options: LinkOptions | None = None,
    previous_rules: list[str] | None = None,
    ranks: npt.NDArray[np.uint64] | None = None,
) -> LinkResult:
    """Link every record of ``table`` (from :func:`.matchkeys.match_keys`) to a person.

    ``connection`` is a DuckDB connection or a :class:`.backend.LinkBackend` (Spark);
    ``previous_rules`` are the spine in force's blocking rules (:func:`blocking_rules`);
    ``ranks`` order records for the u sample (:func:`.training.content_ranks`; by
    default from the record ids).
    """
    options = options or LinkOptions()
    logging.getLogger("splink").setLevel(logging.ERROR)
    fields = present_fields(table)
    backend = as_backend(connection)
    rules = blocking_rules(backend, table, previous_rules)
    counts = None
    if trains(table, options):
        ranks = default_ranks(table, options) if ranks is None else ranks
        counts = full_counts(table, ranks, training_plan(table, options))
    linker = train(table, backend, options, rules, counts)
    predictions = linker.inference.predict(threshold_match_weight=options.screen_weight)
    pairs, below = split_at_floor(backend.read_pairs(predictions.physical_name), options)
    model_json = saved_model(linker, options, rules)
    result = cluster(table, pairs, fields, tokeniser, model_json, options)
    result.below_floor = below
    result.training = counts
    result.counts["pairs_below_floor"] = len(below)
    result.counts["trained"] = int(counts is not None)
    return result


def register_sources(backend: LinkBackend, table: pa.Table, prefix: str) -> list[Any]:
    """One Splink input per source dataset of ``table``, in source order (the token
    columns and any extra column a blocking rule reads, e.g. incremental's freshness)."""
    source_column = table.column("source_dataset")
    return [
        backend.register(
            table.filter(pc.equal(source_column, source)).drop_columns(["source_dataset"]),
            source,
            f"{prefix}{number}",
        )
        for number, source in enumerate(sorted(set(source_column.to_pylist())))
    ]


def nodes(records: pd.DataFrame, sources: pd.Series, ids: pd.Series) -> npt.NDArray[np.intp]:
    """Row positions in ``records`` of (source, id) pairs (:func:`.positions.positions`)."""
    return positions(sources, ids, records["source_dataset"], records["unique_id"])


def _ends(pairs: pd.DataFrame, side: str, sources: pa.Array, ids: pa.Array) -> npt.NDArray[np.intp]:
    """Each pair's record position on ``side`` (``l`` or ``r``) in the token table; a
    position the pairs already carry (``node_l``, ``node_r``: an incremental run's kept
    pairs) is taken as it is, and the column is removed."""
    given = pairs.pop(f"node_{side}") if f"node_{side}" in pairs else None
    if given is None:
        return positions(pairs[f"source_dataset_{side}"], pairs[f"unique_id_{side}"], sources, ids)
    known = given.notna().to_numpy()
    found = np.full(len(pairs), -1, dtype=np.intp)
    found[known] = given.to_numpy()[known].astype(np.intp)
    rest = np.flatnonzero(~known)
    found[rest] = positions(
        pairs[f"source_dataset_{side}"].to_numpy()[rest],
        pairs[f"unique_id_{side}"].to_numpy()[rest],
        sources,
        ids,
    )
    return found


def cluster(
    table: pa.Table,
    pairs: pd.DataFrame,
    fields: set[str],
    tokeniser: Tokeniser,
    model_json: dict[str, Any],
    options: LinkOptions,
) -> LinkResult:
    """Links and persons from scored ``pairs`` (a full run's, or an incremental run's
    reused and re-scored pairs together).

    The pairs are put in content order first (source and record id of each end), so
    ties are settled the same way whichever engine scored them and in whatever order
    they arrived. Pairs may carry their record positions (``node_l``, ``node_r``; missing
    where unknown). The order is taken from each record's rank by (source, record id),
    one Arrow sort of the records rather than a sort of the pairs' text; the rules see
    sources as integer codes, which compare and group as the names do.
    """
    source_column, id_column = text(table.column("source_dataset")), text(table.column("unique_id"))
    records = table.select(["source_dataset", "unique_id"]).to_pandas()
    only = str(records["source_dataset"].iloc[0]) if len(records) else ""
    if "source_dataset_l" not in pairs:  # dedupe_only: one source, Splink names none
        # (also when no pair was scored: one record, or records that block with nobody)
        pairs["source_dataset_l"] = pairs["source_dataset_r"] = only
    elif len(pairs) and pairs["source_dataset_l"].isna().any():  # reused and fresh (dedupe)
        for side in ("source_dataset_l", "source_dataset_r"):
            pairs[side] = pairs[side].fillna(only)
    node_l = _ends(pairs, "l", source_column, id_column)
    node_r = _ends(pairs, "r", source_column, id_column)
    if len(pairs):
        if (node_l < 0).any() or (node_r < 0).any():
            raise NightingaleError("internal error: a scored pair names a record not linked")
        by_content = pc.sort_indices(
            pa.table({"source": source_column, "record_id": id_column}),
            sort_keys=[("source", "ascending"), ("record_id", "ascending")],
        ).to_numpy()
        rank = np.empty(len(records), dtype=np.int64)
        rank[by_content] = np.arange(len(records))
        order = np.lexsort((rank[node_r], rank[node_l]))
        pairs = pairs.take(order).reset_index(drop=True)
        node_l, node_r = node_l[order], node_r[order]
    pairs["node_l"] = node_l
    pairs["node_r"] = node_r
    pairs["deterministic"] = _deterministic(pairs)
    source_codes = source_column.dictionary_encode().indices.to_numpy(zero_copy_only=False)
    edges = pairs.drop(
        columns=list(model.PAIR_IDS),
        errors="ignore",
    )
    edges["source_dataset_l"] = source_codes[node_l]
    edges["source_dataset_r"] = source_codes[node_r]
    reliable = reliable_fields(model_json)
    links = select_links(edges, options.threshold_weight, reliable)
    dob_fits = table.column("dob_fits").fill_null(-1).to_numpy()
    prior = float(model_json["probability_two_random_records_match"])
    extra = second_look(edges, links, records["source_dataset"], dob_fits, prior, reliable)
    links = pd.concat([links, extra])
    pairs["linked"] = pairs.index.isin(links.index)
    keys = pc.binary_join_element_wise(source_column, id_column, "/")
    names = person_components(keys, links, tokeniser)
    records["person_id"] = names.labels
    counts = {
        "records": len(records),
        "persons": names.count,
        "pairs_scored": len(pairs),
        "links": len(links),
        "deterministic_links": int(links["deterministic"].sum()),
        "second_look_links": len(extra),
    }
    return LinkResult(records, pairs, model_json, sorted(fields), options, names, counts)


def _deterministic(pairs: pd.DataFrame) -> pd.Series:
    """Same valid NHS or NI number and agreement on date of birth or family name."""
    strong = pd.Series(False, index=pairs.index)
    for name in ("nhs_number", "ni_number"):
        column = f"gamma_{name}"
        if column in pairs:
            strong |= pairs[column] == model.gamma(name, "exact")
    support = pd.Series(False, index=pairs.index)
    if "gamma_date_of_birth" in pairs:
        dob_agrees = [
            model.gamma("date_of_birth", "exact"),
            model.gamma("date_of_birth", "day and month swapped"),
        ]
        support |= pairs["gamma_date_of_birth"].isin(dob_agrees)
    if "gamma_family_name" in pairs:
        support |= pairs["gamma_family_name"] == model.gamma("family_name", "exact")
    return strong & support
