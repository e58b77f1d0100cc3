"""Project pseudonyms: HMAC-SHA256 of the linkage person_id under a per-project key.

The key is derived with HKDF from the keystore's ``pseudonym`` key for the context
``project:<project>``, so unrelated projects get unrelated ``pid`` values (their releases
cannot be joined). Which version of the ``pseudonym`` key is the project's own: the one
governance pinned at its first release (``key_id``), so the same person has the same
``pid`` in every release of the project even after the master key rotates; only the
current key is used when no key is pinned yet. A plain hash would not do: person ids are
enumerable, and anyone could hash them all.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from cryptography.hazmat.primitives import hashes, hmac

from nightingale.platform.keystore import KeyStore

PID_HEX_CHARS = 32  # 128 bits: collisions are negligible for any population


class Pseudonymiser:
    """Maps person ids to one project's pseudonyms."""

    def __init__(self, keystore: KeyStore, project: str, key_id: str | None = None) -> None:
        key = keystore.derive("pseudonym", f"project:{project}", key_id)
        self.key_id = key.key_id
        self._base = hmac.HMAC(key.secret, hashes.SHA256())

    def pid(self, person_id: str) -> str:
        """The project's pseudonym of one person id (lower-case hex)."""
        mac = self._base.copy()
        mac.update(person_id.encode("utf-8"))
        return mac.finalize().hex()[:PID_HEX_CHARS]

    def replace_person_id(self, *tables: pa.Table) -> list[pa.Table]:
        """Each table with ``person_id`` replaced by ``pid`` as its first column.

        Each distinct person id is keyed once, however many tables and rows carry it; the
        pseudonyms are then placed by an Arrow lookup rather than row by row in Python.
        """
        columns = [table["person_id"].cast(pa.string()) for table in tables]
        distinct = pc.unique(
            pa.chunked_array([c for column in columns for c in column.chunks], pa.string())
        )
        pids = pa.array([self.pid(person_id) for person_id in distinct.to_pylist()], pa.string())
        replaced = []
        for table, column in zip(tables, columns, strict=True):
            placed = pids.take(pc.index_in(column, value_set=distinct))
            replaced.append(table.drop_columns(["person_id"]).add_column(0, "pid", placed))
        return replaced


def pid_map(
    keystore: KeyStore, project: str, person_ids: pa.Array, old_key_id: str, new_key_id: str
) -> pa.Table:
    """``old_pid -> new_pid`` for ``person_ids`` when ``project`` moves between two keys.

    The explicit map a re-key writes, so a researcher can carry an earlier release's
    pids over to the next release; sorted by ``old_pid`` (says nothing of person ids).
    """
    distinct = pc.unique(person_ids.cast(pa.string())).to_pylist()
    old = Pseudonymiser(keystore, project, old_key_id)
    new = Pseudonymiser(keystore, project, new_key_id)
    table = pa.table(
        {
            "old_pid": pa.array([old.pid(p) for p in distinct], pa.string()),
            "new_pid": pa.array([new.pid(p) for p in distinct], pa.string()),
        }
    )
    return table.sort_by("old_pid")
