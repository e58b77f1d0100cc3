"""Key rotation and re-keying a project's pseudonyms: administrators' audited actions.

``rotate`` adds a new version of a master key (``key.rotated``). For ``pseudonym`` that
changes no project's pids: each project keeps the key pinned at its first release
(:mod:`nightingale.governance.pseudonym_keys`). ``rekey`` moves one project to the
current ``pseudonym`` key, never silently: it writes the explicit old->new pid map of
every person in the project's releases still on disk into
``projects/<project>/pseudonym-maps/<old key>-to-<new key>.parquet`` and records it
with governance (``pseudonym.rekeyed``, with the map's checksum). The next release uses
the new key; researchers join earlier releases through the map.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from nightingale.cohorts.pseudonyms import Pseudonymiser, pid_map
from nightingale.cohorts.zones import current_spine
from nightingale.governance import pseudonym_keys, releases
from nightingale.operations.undo import undo_unless_committed
from nightingale.operations.unit import Unit
from nightingale.platform.contracts import PERSONS_FILE
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import PURPOSES
from nightingale.platform.storage import sha256_file, write_parquet

PID_MAPS = "pseudonym-maps"


@dataclass(frozen=True)
class Rekeyed:
    project: str
    old_key_id: str
    new_key_id: str
    pid_map: Path
    pairs: int


def rotate(unit: Unit, purpose: str) -> str:
    """Add a new version of the ``purpose`` master key; its id. Projects keep their pins."""
    if purpose not in PURPOSES:
        raise NightingaleError(f"key purpose {purpose!r} is not one of {', '.join(PURPOSES)}")
    pseudonym_keys.require_key_manage(unit.session, unit.keystore, unit.actor, purpose)
    key_id = unit.keystore.rotate(purpose).key_id
    pseudonym_keys.record_rotation(
        unit.session, unit.keystore, by=unit.actor, purpose=purpose, key_id=key_id
    )
    return key_id


def rekey(unit: Unit, project: str) -> Rekeyed:
    """Move ``project``'s pseudonyms to the current ``pseudonym`` key with an explicit map."""
    pseudonym_keys.require_key_manage(unit.session, unit.keystore, unit.actor, project)
    old = pseudonym_keys.pinned_key(unit.session, project)
    new = unit.keystore.current("pseudonym").key_id
    if old is None or old == new:
        # Governance refuses (audited) with the reason.
        pseudonym_keys.record_rekey(
            unit.session,
            unit.keystore,
            by=unit.actor,
            project=project,
            new_key_id=new,
            pid_map="",
            pid_map_sha256="",
            pairs=0,
        )
    assert old is not None
    released = _released_pids(unit, project, old)
    _run, spine = current_spine(unit.root)
    person_ids = pq.read_table(spine, columns=["person_id"])["person_id"]
    table = pid_map(unit.keystore, project, person_ids.combine_chunks(), old, new)
    table = table.filter(pc.is_in(table["old_pid"], value_set=released))
    target = unit.root.projects / project / PID_MAPS / f"{old}-to-{new}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_parquet(target, table)
    undo_unless_committed(unit.session, lambda: target.unlink(missing_ok=True))
    location = str(target.relative_to(unit.root.path))
    pseudonym_keys.record_rekey(
        unit.session,
        unit.keystore,
        by=unit.actor,
        project=project,
        new_key_id=new,
        pid_map=location,
        pid_map_sha256=sha256_file(target),
        pairs=table.num_rows,
    )
    return Rekeyed(project, old, new, target, table.num_rows)


def _released_pids(unit: Unit, project: str, key_id: str) -> pa.Array:
    """Every pid in the project's releases on disk (made with ``key_id``)."""
    Pseudonymiser(unit.keystore, project, key_id)  # the old key must still be readable
    found: list[pa.Array] = []
    for release in releases.list_releases(unit.session, project):
        path = unit.root.path / release.location / PERSONS_FILE
        if release.deleted_at is None and path.is_file():
            found.append(pq.read_table(path, columns=["pid"])["pid"].combine_chunks())
    if not found:
        return pa.array([], pa.string())
    return pc.unique(pa.chunked_array(found, pa.string()).combine_chunks())
