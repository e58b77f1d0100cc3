"""Loading the national data opt-out list: a linkage officer's governed, audited action.

The list replaces the previous one (the provider sends the full list each time). The
sealed token file is written before the unit commits and put back as it was if the unit
does not commit (:mod:`.undo`), so the zone and the audit log always agree.
"""

from __future__ import annotations

from pathlib import Path

from nightingale.governance import optouts
from nightingale.linkage.optout import OptOutList, load_optout, optout_path
from nightingale.operations.undo import undo_unless_committed
from nightingale.operations.unit import Unit
from nightingale.platform.storage import atomic_write_bytes


def load(unit: Unit, path: Path, provider: str = "health") -> OptOutList:
    """Load ``path`` (one NHS number a line) as ``provider``'s opt-out list."""
    unit.root.read_marker()
    optouts.require_load(unit.session, unit.keystore, unit.actor, provider)
    target = optout_path(unit.root, provider)
    previous = target.read_bytes() if target.is_file() else None
    loaded = load_optout(unit.root, unit.keystore, provider, path)

    def restore() -> None:
        if previous is None:
            target.unlink(missing_ok=True)
        else:
            atomic_write_bytes(target, previous, mode=0o600)

    undo_unless_committed(unit.session, restore)
    optouts.record_load(
        unit.session,
        unit.keystore,
        by=unit.actor,
        provider=provider,
        entries=loaded.entries,
        sha256=loaded.sha256,
    )
    return loaded
