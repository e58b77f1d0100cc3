"""The national data opt-out at build: opted-out people's health data stay out of releases.

Linkage tells the build operation which records of a provider's version belong to people
on the opt-out list (record ids only); the operation passes them here as
``{provider: record_ids}``. Two things then happen, in this order:

1. :func:`without_opted_out` removes those records from the build's inputs before any
   query runs: their rows of the spine, of the provider's content tables, and of the
   demographics. Their health data never enter the computation.
2. :func:`drop_opted_out_people` removes the people those records belonged to from the
   release's ``persons`` and ``panel`` when the release draws that provider's data (left
   in, they would show no health events at all, which is not their data either), and
   counts the people the opt-out was applied to (the manifest's ``opted_out_removed``).

A release that draws no health data keeps its people: the opt-out covers health data
(demographics read from a health record are removed in step 1 like any of its data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from nightingale.cohorts.engines import Source
from nightingale.cohorts.run import CohortTables
from nightingale.cohorts.zones import DEMOGRAPHICS, BuildInputs


@dataclass(frozen=True)
class OptOutFilter:
    """The inputs without opted-out records, and the people those records belonged to."""

    inputs: BuildInputs
    people: pa.Array
    """``person_id`` of every person with an opted-out record (distinct)."""
    providers: frozenset[str]


def _table(source: Source) -> pa.Table:
    return source if isinstance(source, pa.Table) else pq.read_table(source)


def _drop_records(table: pa.Table, record_ids: pa.Array, source: str | None = None) -> pa.Table:
    hit = pc.is_in(table["record_id"].cast(pa.string()), value_set=record_ids).fill_null(False)
    if source is not None:
        hit = pc.and_(hit, pc.equal(table["source"], source).fill_null(False))
    return table.filter(pc.invert(hit))


def without_opted_out(inputs: BuildInputs, opted_out: Mapping[str, pa.Array]) -> OptOutFilter:
    """``inputs`` with every opted-out record removed (see the module)."""
    wanted = {p: ids for p, ids in opted_out.items() if len(ids)}
    if not wanted:
        return OptOutFilter(inputs, pa.array([], pa.string()), frozenset())
    spine = _table(inputs.spine)
    people: list[pa.Array] = []
    for provider, ids in sorted(wanted.items()):
        rows = pc.and_(
            pc.equal(spine["source"], provider).fill_null(False),
            pc.is_in(spine["record_id"].cast(pa.string()), value_set=ids).fill_null(False),
        )
        people.append(spine.filter(rows)["person_id"].cast(pa.string()).combine_chunks())
        spine = spine.filter(pc.invert(rows))
    tables: dict[str, Source] = {}
    for name, source in inputs.tables.items():
        provider = name.split(".")[0]
        if name == DEMOGRAPHICS:
            table = _table(source)
            for each, ids in wanted.items():
                table = _drop_records(table, ids, each)
            tables[name] = table
        elif provider in wanted:
            tables[name] = _drop_records(_table(source), wanted[provider])
        else:
            tables[name] = source
    distinct = pc.unique(pa.chunked_array(people, pa.string()).combine_chunks())
    return OptOutFilter(replace(inputs, spine=spine, tables=tables), distinct, frozenset(wanted))


def drop_opted_out_people(
    tables: CohortTables, found: OptOutFilter, draws: set[str]
) -> tuple[CohortTables, int]:
    """The cohort without the opted-out people when it draws their provider's data, and
    how many people the opt-out was applied to (0 when it draws none of it).

    The count is every person whose records were withheld from the build, not only those
    who would otherwise have met the cohort's criteria: knowing which of them would have
    is knowing something of their health data.
    """
    drawn = {name.split(".")[0] for name in draws if name != DEMOGRAPHICS}
    if not len(found.people) or not (drawn & found.providers):
        return tables, 0

    def keep(table: pa.Table) -> pa.Table:
        hit = pc.is_in(table["person_id"].cast(pa.string()), value_set=found.people)
        return table.filter(pc.invert(hit.fill_null(False)))

    return CohortTables(persons=keep(tables.persons), panel=keep(tables.panel)), len(found.people)
