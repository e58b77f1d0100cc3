"""Publish the demographics a cohort build may read, from the sealed identifier zone.

Only linkage opens sealed identifier files (:mod:`.identifiers`). A cohort spec may use
date of birth and sex (the compiler releases only an age band and sex), so linkage
opens the files of the versions a build reads, in memory, keeps ``record_id``,
``date_of_birth`` and ``sex``, drops every other identifier before the table leaves
this module, and tags the rows with their provider (``source``). The result is the
:class:`~nightingale.platform.contracts.Demographics` contract; the operation that
builds a release passes it to the cohort builder.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from nightingale.linkage.identifiers import identifier_context, identifiers_path, read_sealed_table
from nightingale.platform.contracts import Demographics
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import DataRoot

_FIELDS = ("date_of_birth", "sex")


class NoIdentifierRecords(NightingaleError):
    """None of the versions asked for has sealed identifiers (nothing ingested yet)."""


def publish_demographics(
    root: DataRoot, keystore: KeyStore, versions: Mapping[str, str]
) -> Demographics:
    """Date of birth and sex of every identifier record of ``versions`` (provider -> version).

    A provider whose version has no identifier file contributes no rows; when none has
    one, :class:`NoIdentifierRecords` says so.
    """
    parts = []
    for provider, version in sorted(versions.items()):
        path = identifiers_path(root, provider, version)
        if not path.is_file():
            continue
        sealed = read_sealed_table(path, keystore, identifier_context(provider))
        columns = {
            "source": pa.array([provider] * sealed.num_rows, type=pa.string()),
            "record_id": sealed["record_id"].cast(pa.string()),
        }
        for name in _FIELDS:
            present = name in sealed.column_names
            values = sealed[name] if present else pa.nulls(sealed.num_rows, pa.string())
            columns[name] = pc.cast(values, pa.string()) if name == "sex" else values
        parts.append(pa.table(columns))
        del sealed  # names, postcodes and national numbers go no further
    if not parts:
        raise NoIdentifierRecords(f"{root.linkage / 'identifiers'}: no identifier records")
    table = pa.concat_tables(parts, promote_options="permissive")
    return Demographics(versions=versions, table=table)
