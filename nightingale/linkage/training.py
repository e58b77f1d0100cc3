"""Training the Fellegi–Sunter model from counts that a refresh can update.

Every training estimate is a function of counts over record pairs:

- **u** (how often non-matches agree at each level): the agreement level of every pair
  of a sample of records, counted per comparison. The sample is the ``u_sample_size``
  records with the smallest *content rank* (a hash of the provider and the provider's own
  key under the plan's seed, :func:`content_ranks`), so a refresh keeps nearly all of it.
- **the prior** (the probability that two random records match): the number of pairs a
  strict deterministic rule yields, over all pairs.
- **m** (how often matches agree): EM over the *agreement patterns* of the pairs each
  training block yields (how many pairs show each combination of levels), as Splink's EM
  with ``estimate_without_term_frequencies=True`` and fixed u runs it (:mod:`.em`).

Counts add up, so an incremental run does not count again: it takes the previous run's
counts (kept in ``training.json``), subtracts the pairs that involve a record that
changed or left (under that record's previous tokens) and adds the pairs that involve a
fresh record (under its new tokens) (:func:`updated_counts`). The result equals the counts
of a full relink exactly (they are integers), so both train the same model; a test proves
it on a refresh of the synthetic region.

Pairs are oriented as Splink orients them (the record whose ``source-__-id`` sorts first
is ``l``), because some levels (a given name equal to the other record's family name)
read one side only. The counting runs in a DuckDB of its own whatever engine scores the
pairs, so DuckDB and Spark learn the same model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from nightingale.linkage.positions import positions, text
from nightingale.linkage.weights import numbered_levels

#: Splink's separator between the source and the record id in a pair's orientation key.
_SEPARATOR = "-__-"
_KEY = "__ng_key"
_FLAG = "__ng_flag"


def gamma_sql(comparison: dict[str, Any]) -> str:
    """The agreement level of ``comparison`` as a SQL expression over ``l`` and ``r``.

    Levels are numbered as Splink numbers them: the null level -1, then from the first
    non-null level (highest) down to the ``ELSE`` level (0).
    """
    parts = []
    for value, level in numbered_levels(comparison):
        condition = _sides(level["sql_condition"])
        if condition.strip().upper() == "ELSE":
            parts.append(f"ELSE {value}")
        else:
            parts.append(f"WHEN {condition} THEN {value}")
    return "CASE " + " ".join(parts) + " END"


def _sides(condition: str) -> str:
    """A level's condition on ``"x_l"``/``"x_r"`` columns, written on ``l."x"``/``r."x"``."""
    return re.sub(r'"(\w+)_([lr])"', r'\2."\1"', condition)


def columns_of(sql: str) -> set[str]:
    """Token columns a level condition (``"x_l"``) or a blocking rule (``l."x"``) reads."""
    return set(re.findall(r'"(\w+)_[lr]"', sql)) | set(re.findall(r'[lr]\."(\w+)"', sql))


#: The low 64 bits of a 128-bit number.
_LOW_64_BITS = (1 << 64) - 1


def content_ranks(sources: Any, local_keys: Any, seed: int) -> npt.NDArray[np.uint64]:
    """Per record, a rank from its content alone: the first 64 bits (little-endian) of the
    MD5 of the plan's seed, the provider and the provider's key.

    MD5 serves here only to spread records evenly, not to hide anything: the rank never
    leaves memory and only orders records for the u sample, so the sample survives
    refreshes and does not depend on row order, random record ids or any key. It is
    computed by DuckDB (standard MD5, checked against :mod:`hashlib` by the tests)
    because a Python loop over a million records took seconds: ``md5_number`` (the whole
    digest as a little-endian 128-bit number) masked to its low 64 bits, which are the
    digest's first 8 bytes; DuckDB's ``md5_number_upper`` gives the same number at a
    fourth of the speed.
    """
    connection = duckdb.connect()
    try:
        connection.register(
            "__ng_keys",
            pa.table(
                {
                    "source": text(sources),
                    "local_key": text(local_keys),
                }
            ),
        )
        ranks = connection.sql(
            f"SELECT (md5_number('{int(seed)}' || chr(31) || source || chr(31) || "
            f"coalesce(local_key, '')) & {_LOW_64_BITS}::UHUGEINT)::UBIGINT AS rank "
            "FROM __ng_keys"
        ).fetchnumpy()["rank"]
    finally:
        connection.close()
    return np.asarray(ranks, dtype=np.uint64)


def u_sample_size(pairs: float) -> int:
    """Records whose pairs number at most ``pairs``."""
    return int((1 + (1 + 8 * pairs) ** 0.5) / 2)


@dataclass
class TrainingCounts:
    """What training is computed from (kept in a run's ``training.json``)."""

    comparisons: list[str]
    #: agreement-pattern counts of the u sample's pairs (gamma columns and ``count``)
    u_patterns: pd.DataFrame
    #: per training block (its SQL), the agreement-pattern counts of its pairs
    em_patterns: dict[str, pd.DataFrame]
    #: pairs the deterministic rule yields, and all pairs
    deterministic_pairs: int
    all_pairs: int
    #: the u sample: ``source`` and ``record_id``
    sample: pd.DataFrame

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready form (record ids and counts only; no identifiers)."""
        return {
            "comparisons": self.comparisons,
            "u_patterns": _records(self.u_patterns),
            "em_patterns": {rule: _records(frame) for rule, frame in self.em_patterns.items()},
            "deterministic_pairs": self.deterministic_pairs,
            "all_pairs": self.all_pairs,
            "sample": self.sample[["source", "record_id"]].values.tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainingCounts:
        """Counts as :meth:`as_json` wrote them."""
        columns = [f"gamma_{name}" for name in data["comparisons"]]
        return cls(
            list(data["comparisons"]),
            _frame(data["u_patterns"], columns),
            {rule: _frame(rows, columns) for rule, rows in data["em_patterns"].items()},
            int(data["deterministic_pairs"]),
            int(data["all_pairs"]),
            pd.DataFrame(data["sample"], columns=["source", "record_id"], dtype=object),
        )

    def u_counts(self, comparison: str) -> dict[int, int]:
        """Pairs of the u sample per agreement level of ``comparison``."""
        return _marginal(self.u_patterns, comparison)


def _records(frame: pd.DataFrame) -> list[list[int]]:
    return frame.astype("int64").values.tolist()


def _frame(rows: list[list[int]], gammas: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[*gammas, "count"], dtype="int64")


def _marginal(patterns: pd.DataFrame, comparison: str) -> dict[int, int]:
    sums = patterns.groupby(f"gamma_{comparison}")["count"].sum()
    levels, counts = sums.index.to_numpy(dtype=np.int64), sums.to_numpy(dtype=np.int64)
    return {int(level): int(count) for level, count in zip(levels, counts, strict=True) if count}


class PairCounter:
    """Agreement levels of record pairs, in a DuckDB of its own.

    Tables are loaded into DuckDB's own storage first (:meth:`load`): the token columns
    include lists, and a join that read them through Arrow converted every row of both
    sides, where a stored table is filtered and read only where pairs are found.
    """

    def __init__(self, comparisons: list[dict[str, Any]], dedupe_only: bool) -> None:
        self.names = [c["output_column_name"] for c in comparisons]
        self.gammas = [f'{gamma_sql(c)} AS "gamma_{c["output_column_name"]}"' for c in comparisons]
        self.dedupe_only = dedupe_only
        self.connection = duckdb.connect()

    def close(self) -> None:
        """Free the connection and its tables."""
        self.connection.close()

    def load(self, name: str, table: pa.Table, flag: Any = None) -> None:
        """Store ``table`` as ``name`` with its orientation key, row positions and
        ``flag`` (one boolean per record; all false by default)."""
        ids = table.column("unique_id").cast(pa.string())
        key = (
            ids
            if self.dedupe_only
            else pc.binary_join_element_wise(
                table.column("source_dataset").cast(pa.string()), ids, _SEPARATOR
            )
        )
        flags = np.zeros(table.num_rows, bool) if flag is None else np.asarray(flag, dtype=bool)
        table = (
            table.append_column(_KEY, key)
            .append_column(_FLAG, pa.array(flags))
            .append_column("__ng_row", pa.array(np.arange(table.num_rows)))
        )
        self.connection.register("__ng_arrow", table)
        try:
            self.connection.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM __ng_arrow')
        finally:
            self.connection.unregister("__ng_arrow")

    def _counted(self, pairs: str) -> pd.DataFrame:
        gammas = ", ".join(f'"gamma_{name}"' for name in self.names)
        frame = self.connection.sql(
            f"SELECT {gammas}, count(*) AS count FROM ({pairs}) GROUP BY ALL"
        ).df()
        return _canonical(frame, self.names)

    def _join(self, left: str, right: str, condition: str, select: str) -> str:
        return (
            f"SELECT {select} FROM {left} AS l JOIN {right} AS r "
            f'ON ({condition}) AND l."{_KEY}" < r."{_KEY}"'
        )

    def patterns(self, name: str, condition: str) -> pd.DataFrame:
        """Agreement-pattern counts of the oriented pairs of ``name`` meeting ``condition``."""
        return self._counted(
            self._join(f'"{name}"', f'"{name}"', condition, ", ".join(self.gammas))
        )

    def touching(self, flagged: str, others: str, condition: str) -> pd.DataFrame:
        """Agreement-pattern counts of the pairs among the records of two relations (SQL)
        meeting ``condition`` with at least one end in ``flagged``, each once: ``flagged``
        ``l`` with ``flagged`` or ``others`` ``r``, and ``others`` ``l`` with ``flagged``
        ``r`` (each side filtered before the join: an ``OR`` of both would be applied only
        after joining everyone with everyone)."""
        select = ", ".join(self.gammas)
        return self._counted(
            " UNION ALL ".join(
                self._join(left, right, condition, select)
                for left, right in ((flagged, flagged), (flagged, others), (others, flagged))
            )
        )

    def blocked_pairs(self, name: str, rules: list[str]) -> pd.DataFrame:
        """Every pair of ``name`` that any of ``rules`` yields with at least one flagged
        end, once, oriented: its ends' row positions (``node_l``, ``node_r``), agreement
        levels (``gamma_*``, int8) and which rules yield it (``rules``: bit ``i`` for
        ``rules[i]``): what Splink's prediction gives before weighing, for a refresh's
        few fresh records, and what the training counts' fresh EM pairs are (the EM
        blocks among ``rules``). Ordered by position: the join's own order varies."""
        if len(rules) > 62:
            raise ValueError(f"{len(rules)} blocking rules: at most 62 fit the rule bits")
        flagged, others = sides_of(name)
        rows = 'l."__ng_row" AS node_l, r."__ng_row" AS node_r'
        joins = [
            self._join(left, right, rule, f"{rows}, {1 << i} AS bit")
            for i, rule in enumerate(rules)
            for left, right in ((flagged, f'"{name}"'), (others, flagged))
        ]
        if not joins:
            return pd.DataFrame()
        frame = self.connection.sql(
            f"WITH found AS ({' UNION ALL '.join(joins)}), "
            "pairs AS (SELECT node_l, node_r, bit_or(bit) AS rules FROM found GROUP BY ALL) "
            f"SELECT p.node_l, p.node_r, {', '.join(self.gammas)}, p.rules FROM pairs AS p "
            f'JOIN "{name}" AS l ON l."__ng_row" = p.node_l '
            f'JOIN "{name}" AS r ON r."__ng_row" = p.node_r '
            "ORDER BY p.node_l, p.node_r"
        ).df()
        for column in self.names:
            frame[f"gamma_{column}"] = frame[f"gamma_{column}"].astype("int8")
        result: pd.DataFrame = frame
        return result


def sides_of(name: str) -> tuple[str, str]:
    """The flagged and unflagged rows of stored table ``name``, as subqueries."""
    return (
        f'(SELECT * FROM "{name}" WHERE "{_FLAG}")',
        f'(SELECT * FROM "{name}" WHERE NOT "{_FLAG}")',
    )


def patterns_of(pairs: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Agreement-pattern counts of ``pairs`` (one row per pair, ``gamma_*`` columns)."""
    gammas = [f"gamma_{name}" for name in names]
    return _canonical(pairs[gammas].assign(count=1), names)


def _canonical(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Pattern counts with one row per pattern, sorted, as int64 (so equal counts compare
    equal whichever way they were summed)."""
    columns = [f"gamma_{name}" for name in names]
    if not len(frame):
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in [*columns, "count"]})
    summed = frame.astype("int64").groupby(columns, as_index=False).agg(count=("count", "sum"))
    summed = summed[summed["count"] != 0]
    return summed.sort_values(columns, ignore_index=True)


def add(*frames: pd.DataFrame, signs: tuple[int, ...] | None = None) -> pd.DataFrame:
    """The sum of pattern counts (``signs``: +1 or -1 per frame; all +1 by default)."""
    signs = signs or tuple(1 for _ in frames)
    columns = [c for c in frames[0].columns if c != "count"]
    parts = [
        frame.assign(count=frame["count"] * sign) for frame, sign in zip(frames, signs, strict=True)
    ]
    combined = pd.concat(parts, ignore_index=True)
    return _canonical(combined, [c.removeprefix("gamma_") for c in columns])


def needed(table: pa.Table, comparisons: list[dict[str, Any]], rules: list[str]) -> pa.Table:
    """``table``'s ids and the token columns the comparisons and rules read."""
    read = set().union(*(columns_of(rule) for rule in rules))
    for comparison in comparisons:
        for level in comparison["comparison_levels"]:
            read |= columns_of(level["sql_condition"])
    return table.select(
        ["source_dataset", "unique_id", *sorted(c for c in read if c in table.column_names)]
    )


def sample_positions(ranks: npt.NDArray[np.uint64], size: int) -> npt.NDArray[np.intp]:
    """Positions of the ``size`` records with the smallest content rank, in record order."""
    if size >= len(ranks):
        return np.arange(len(ranks))
    return np.sort(np.argpartition(ranks, size - 1)[:size])


def deterministic_pairs(table: pa.Table, columns: list[str]) -> int:
    """Pairs that agree on every one of ``columns`` (none missing): the sum over groups of
    equal values of n(n-1)/2, without forming the pairs."""
    connection = duckdb.connect()
    try:
        connection.register("__ng_t", table.select(columns))
        quoted = ", ".join(f'"{c}"' for c in columns)
        present = " AND ".join(f'"{c}" IS NOT NULL' for c in columns)
        (pairs,) = connection.sql(
            f"SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM "
            f"(SELECT count(*) AS n FROM __ng_t WHERE {present} GROUP BY {quoted})"
        ).fetchall()[0]
    finally:
        connection.close()
    return int(pairs)


@dataclass(frozen=True)
class TrainingPlan:
    """What the counts are taken over: comparisons, EM blocks, the deterministic rule's
    columns and the u sample's size."""

    comparisons: list[dict[str, Any]]
    blocks: list[str]
    deterministic: list[str]
    sample_size: int

    @property
    def names(self) -> list[str]:
        """The comparisons' names."""
        return [c["output_column_name"] for c in self.comparisons]


def link_type(table: pa.Table) -> str:
    """Splink's link type for ``table``: one source is deduplicated, several are linked
    and deduplicated."""
    several = pc.count_distinct(table.column("source_dataset")).as_py() > 1
    return "link_and_dedupe" if several else "dedupe_only"


def full_counts(
    table: pa.Table, ranks: npt.NDArray[np.uint64], plan: TrainingPlan
) -> TrainingCounts:
    """The counts over every record of ``table`` (a full relink's)."""
    table = needed(table, plan.comparisons, plan.blocks)
    sample = table.take(pa.array(sample_positions(ranks, plan.sample_size)))
    counter = PairCounter(plan.comparisons, link_type(table) == "dedupe_only")
    try:
        counter.load("sample", sample)
        u_patterns = counter.patterns("sample", "TRUE")
        counter.load("records", table)
        em = {rule: counter.patterns("records", rule) for rule in plan.blocks}
    finally:
        counter.close()
    return _counts(plan, table, u_patterns, em, sample)


def _counts(
    plan: TrainingPlan,
    table: pa.Table,
    u_patterns: pd.DataFrame,
    em: dict[str, pd.DataFrame],
    sample: pa.Table,
) -> TrainingCounts:
    """The counts of ``table``, the deterministic rule's counted here (a group-by)."""
    return TrainingCounts(
        plan.names,
        u_patterns,
        em,
        deterministic_pairs(table, plan.deterministic),
        table.num_rows * (table.num_rows - 1) // 2,
        pd.DataFrame(
            {
                "source": sample.column("source_dataset").to_pylist(),
                "record_id": sample.column("unique_id").to_pylist(),
            },
            dtype=object,
        ),
    )


def updated_counts(
    previous: TrainingCounts,
    table: pa.Table,
    fresh: Any,
    departed: pa.Table,
    ranks: npt.NDArray[np.uint64],
    plan: TrainingPlan,
    counter: PairCounter | None = None,
    fresh_em: dict[str, pd.DataFrame] | None = None,
) -> TrainingCounts:
    """``previous`` counts brought up to ``table`` without counting again.

    ``fresh`` marks the records of ``table`` that are new or changed; ``departed`` holds
    the previous token rows of every record that changed or left. The pairs of the
    previous records that involve a departed row are subtracted (under its previous
    tokens), those of ``table`` that involve a fresh record added: what is left is what a
    full count of ``table`` gives (:func:`full_counts`). The u sample is updated alike:
    the pairs of records that left it (or changed) out, those of records that joined it
    (or changed) in.

    ``counter`` may hold ``table`` already, as ``records`` flagged by ``fresh``
    (:meth:`PairCounter.load`; the incremental run scores fresh pairs on it too).
    ``fresh_em`` may hold, per EM block, the pattern counts of ``table``'s pairs with a
    fresh end, when the caller has found them already (:meth:`PairCounter.blocked_pairs`
    with the blocks among its rules).
    """
    fresh = np.asarray(fresh, dtype=bool)
    table = needed(table, plan.comparisons, plan.blocks)
    departed = needed(departed, plan.comparisons, plan.blocks).cast(table.schema)
    sampled = sample_positions(ranks, plan.sample_size)
    new_sample = table.take(pa.array(sampled))
    old_ids = (previous.sample["source"], previous.sample["record_id"])
    unchanged = table.filter(pa.array(~fresh))
    kept = unchanged.filter(pa.array(_among(unchanged, *old_ids)))
    lost = departed.filter(pa.array(_among(departed, *old_ids)))
    old_sample = pa.concat_tables([kept, lost])
    stale = np.arange(old_sample.num_rows) >= kept.num_rows
    new_ids = (new_sample.column("source_dataset"), new_sample.column("unique_id"))
    leaving = ~_among(old_sample, *new_ids)
    entering = ~_among(new_sample, *old_ids)
    own = counter is None
    counter = counter or PairCounter(plan.comparisons, link_type(table) == "dedupe_only")
    try:
        if own:
            counter.load("records", table, fresh)
        counter.load("departed", departed)
        fresh_rows, unchanged_rows = sides_of("records")
        # The previous records are the unchanged ones and the departed: pairs with a
        # departed end go; pairs with a fresh end among the current records come.
        em = {
            rule: add(
                previous.em_patterns[rule],
                counter.touching('"departed"', unchanged_rows, rule),
                counter.touching(fresh_rows, unchanged_rows, rule)
                if fresh_em is None
                else fresh_em[rule],
                signs=(1, -1, 1),
            )
            for rule in plan.blocks
        }
        counter.load("old_sample", old_sample, stale | leaving)
        counter.load("new_sample", new_sample, fresh[sampled] | entering)
        u_patterns = add(
            previous.u_patterns,
            counter.touching(*sides_of("old_sample"), "TRUE"),
            counter.touching(*sides_of("new_sample"), "TRUE"),
            signs=(1, -1, 1),
        )
    finally:
        if own:
            counter.close()
    for frame in (u_patterns, *em.values()):
        if (frame["count"] < 0).any():
            raise ValueError("training counts went negative: the previous run's counts do not fit")
    return _counts(plan, table, u_patterns, em, new_sample)


def _among(table: pa.Table, sources: Any, record_ids: Any) -> npt.NDArray[np.bool_]:
    """Which records of ``table`` are among (``sources``, ``record_ids``)."""
    found: npt.NDArray[np.bool_] = (
        positions(table.column("source_dataset"), table.column("unique_id"), sources, record_ids)
        >= 0
    )
    return found
