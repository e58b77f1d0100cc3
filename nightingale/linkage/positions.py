"""Where records are: row positions by (source, record id), looked up in Arrow.

A record is named by its source and its record id (ids are unique within a source
only). Link runs match records between the token table, the previous run's files and
the scored pairs hundreds of thousands of times; joining ``source/record_id`` strings
in Python for that cost seconds at 100,000 people. Here each source's ids are looked
up with Arrow's hash lookup (``index_in``, C++), so the work per record is a hash, and
the answer is an integer position that NumPy can index with.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def text(values: Any) -> pa.Array:
    """``values`` (pandas, NumPy, a list or Arrow; categories too) as one Arrow string
    array, nulls where a value is missing. Pandas text already held by Arrow is not
    copied value by value."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        categories = pa.array(values.cat.categories.astype(object), type=pa.string())
        values = categories.take(pa.array(codes, mask=codes < 0))
    elif isinstance(values, pd.Series | pd.Index):
        values = pa.array(values, from_pandas=True)
    elif not isinstance(values, pa.Array | pa.ChunkedArray):
        values = pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    return values if values.type == pa.string() else values.cast(pa.string())


def positions(sources: Any, ids: Any, among_sources: Any, among_ids: Any) -> npt.NDArray[np.intp]:
    """For each (``sources[i]``, ``ids[i]``): its row among (``among_sources``,
    ``among_ids``), or -1 when absent (or either part is missing).

    The rows looked in must name each record once (a spine, a token table).
    """
    sources, ids = text(sources), text(ids)
    among_sources, among_ids = text(among_sources), text(among_ids)
    found = np.full(len(ids), -1, dtype=np.intp)
    if not len(ids) or not len(among_ids):
        return found
    wanted = sources.dictionary_encode()
    wanted_codes = wanted.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    held = among_sources.dictionary_encode()
    held_codes = held.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    held_names = held.dictionary.to_pylist()
    for code, name in enumerate(wanted.dictionary.to_pylist()):
        if name not in held_names:
            continue
        rows = np.flatnonzero(wanted_codes == code)
        block = np.flatnonzero(held_codes == held_names.index(name))
        at = pc.index_in(
            ids.take(pa.array(rows)), value_set=among_ids.take(pa.array(block)), skip_nulls=True
        )
        at_block = at.fill_null(-1).to_numpy(zero_copy_only=False)
        found[rows] = np.where(at_block >= 0, block[np.maximum(at_block, 0)], -1)
    return found
