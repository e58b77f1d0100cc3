"""``nightingale init``: create or check a data root, its keys and its database.

Init validates everything first and only then writes, so bad input (a folder that is
not a data root, loose or unreadable keys, a database from newer code, a database of
another platform) stops it with a clear message and changes nothing. Running it on a
healthy data root changes nothing on disk.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, inspect

from nightingale.platform import database
from nightingale.platform.errors import ConfigurationError
from nightingale.platform.instance import PlatformInstance, recorded_instance_ids
from nightingale.platform.keystore import PURPOSES, FileKeyStore, KeyStore, check_key_file
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DATA_ROOT_FORMAT, DataRoot, atomic_write_json


@dataclass
class InitReport:
    """What ``init`` did; empty lists mean it found everything already in place."""

    data_root: str
    created: list[str] = field(default_factory=list)
    generated_keys: list[str] = field(default_factory=list)
    migrated: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.created or self.generated_keys or self.migrated)


def keystore_for(settings: Settings) -> KeyStore:
    """The configured keystore (file backend under the data root)."""
    return FileKeyStore(DataRoot(settings.data_root).keys)


def _validate_existing(root: DataRoot) -> str | None:
    """Check an existing data root before touching it; return its instance id if any."""
    if not root.path.exists():
        return None
    if not root.path.is_dir():
        raise ConfigurationError(f"{root.path} exists and is not a folder")
    if not root.marker.exists():
        if any(root.path.iterdir()):
            raise ConfigurationError(
                f"{root.path} exists, is not empty and is not a Nightingale data root "
                f"(no {root.marker.name}); choose another --data-root. Nothing was changed."
            )
        return None
    instance = root.read_marker().get("instance_id")
    if not isinstance(instance, str):
        raise ConfigurationError(f"{root.marker} has no instance_id")
    if root.keys.exists():
        for key_file in sorted(root.keys.glob("*.key")):
            check_key_file(key_file)
            if not os.access(key_file, os.R_OK):
                raise ConfigurationError(f"key file {key_file} is not readable")
    return instance


def _validate_database(engine: Engine, instance_id: str | None) -> None:
    database.check_not_newer(engine)
    if "platform_instance" not in inspect(engine).get_table_names():
        return
    with database.session_scope(engine) as session:
        recorded = recorded_instance_ids(session)
    if recorded and instance_id is not None and recorded != [instance_id]:
        raise ConfigurationError(
            f"database {database.redact_url(str(engine.url))} belongs to another data root "
            f"(instance {recorded[0]}, this data root is {instance_id}). Nothing was changed."
        )


def initialise(settings: Settings) -> InitReport:
    """Create the data root, its keys and the migrated database; idempotent."""
    root = DataRoot(settings.data_root)
    existing_instance = _validate_existing(root)
    report = InitReport(data_root=str(root.path))

    if not root.path.exists():
        root.path.mkdir(mode=0o700, parents=True)
        report.created.append(str(root.path))
    # The database may live in the data root; validate it only once the folder exists.
    engine = database.make_engine(settings.resolved_database_url)
    try:
        _validate_database(engine, existing_instance)
        instance_id = existing_instance or str(uuid.uuid4())
        for zone in root.zones():
            if not zone.exists():
                zone.mkdir(mode=0o700 if zone == root.keys else 0o750)
                report.created.append(str(zone))
        keystore = keystore_for(settings)
        for purpose in PURPOSES:
            if not keystore.versions(purpose):
                report.generated_keys.append(keystore.ensure(purpose).key_id)
        if existing_instance is None:
            atomic_write_json(
                root.marker,
                {"format": DATA_ROOT_FORMAT, "instance_id": instance_id},
                mode=0o600,
            )
            report.created.append(str(root.marker))
        if not database.is_up_to_date(engine):
            database.upgrade(engine)
            report.migrated = True
        with database.session_scope(engine) as session:
            if not recorded_instance_ids(session):
                session.add(
                    PlatformInstance(
                        instance_id=instance_id,
                        created_at=datetime.now(UTC),
                        data_root_format=DATA_ROOT_FORMAT,
                    )
                )
                report.migrated = True
    finally:
        engine.dispose()
    return report
