"""The pilot's release frames pseudonymised as a release build does, under a given key.

A release holds ``pid`` = HMAC of the person id under the project's key, persons sorted
by ``pid`` and the panel by ``pid`` and period
(:func:`nightingale.cohorts.build.pseudonymised`). Two keystores give two releases with
the same content in different orders under different ids: what key independence is
tested against.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from nightingale.cohorts.build import pseudonymised
from nightingale.cohorts.pseudonyms import Pseudonymiser
from nightingale.cohorts.run import CohortTables
from nightingale.platform.keystore import KeyStore, MemoryKeyStore

PROJECT = "dfh-pilot"


def fresh_keystore() -> KeyStore:
    """A keystore with new random keys, as a fresh data root has."""
    store = MemoryKeyStore()
    for purpose in ("pseudonym", "encryption"):
        store.ensure(purpose)
    return store


def _arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame.rename(columns={"pid": "person_id"}), preserve_index=False)


def keyed_release(
    persons: pd.DataFrame, panel: pd.DataFrame, keystore: KeyStore
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``persons`` and ``panel`` (their ``pid`` read as the person id) as released under a key."""
    tables = CohortTables(persons=_arrow(persons), panel=_arrow(panel))
    released = pseudonymised(tables, Pseudonymiser(keystore, PROJECT))
    return released.persons.to_pandas(), released.panel.to_pandas()
