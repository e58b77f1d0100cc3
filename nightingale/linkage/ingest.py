"""``ingest``: validate extracts, quarantine bad rows, split identifiers from content.

One call ingests some files of one provider as one *dataset version*: its people file
(required: event rows need its keys) and any of its event files. Everything is read and
validated before anything is written, so an unusable file (see :mod:`.extracts`) leaves
nothing behind. Then, per version:

- each accepted people-file row gets a ``record_id``: the one its local key had in the
  provider's previous version (so a refresh keeps a record's id wherever the provider's
  own key is stable, and incremental linkage can tell unchanged records from new ones),
  else a new random one (:func:`stable_record_ids`); its identifiers are
  normalised and sealed into ``linkage/identifiers/<provider>/<version>.bin`` and the
  local key -> record_id map into ``linkage/keymaps/<provider>/<version>.bin``;
- content (every other column, typed per the schema) goes to
  ``content/<provider>/<version>/<table>.parquet`` with ``record_id`` in place of the
  local key; event rows whose key has no accepted people row are quarantined;
- rejected rows go to ``quarantine/<version>/`` with their reasons (:mod:`.quarantine`);
- the version's files are registered in the database (the caller's session; the CLI
  audits in the same transaction).

Re-ingesting files whose checksums all match the provider's newest version is a no-op.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from nightingale.linkage import quarantine
from nightingale.linkage.extracts import BadRow, read_extract
from nightingale.linkage.identifiers import (
    identifier_context,
    identifier_table,
    identifiers_path,
    keymap_context,
    keymap_path,
    read_sealed_table,
    write_sealed_table,
)
from nightingale.linkage.normalise import normalise_identifiers
from nightingale.linkage.quarantine import Rejections
from nightingale.linkage.schemas import EventFile, PeopleFile, ProviderSpec
from nightingale.linkage.tables import DatasetVersion, latest_version
from nightingale.platform.errors import NightingaleError
from nightingale.platform.keystore import KeyStore
from nightingale.platform.storage import DataRoot, atomic_directory, sha256_file


@dataclass
class FileOutcome:
    """What happened to one file: counts and reasons (no values)."""

    file_name: str
    sha256: str
    rows_input: int
    rows_accepted: int
    rejections: Rejections

    @property
    def rows_quarantined(self) -> int:
        return self.rejections.row_count


@dataclass
class IngestReport:
    """The outcome of one ingest: the version id (``None`` for a no-op) and per-file counts."""

    provider: str
    version_id: str | None
    files: list[FileOutcome] = field(default_factory=list)
    message: str = ""

    @property
    def accepted(self) -> int:
        return sum(f.rows_accepted for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


def new_version_id() -> str:
    """A sortable, unique version id: UTC time to the microsecond plus randomness."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def _validate(frame: pd.DataFrame, schema: pandera.DataFrameSchema) -> Rejections:
    rejections = Rejections()
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        whole = cases[cases["index"].isna()]
        if len(whole):
            # A check that could not say which rows failed: refuse rather than lose rows.
            first = whole.iloc[0]
            raise NightingaleError(
                f"column {first['column']}: check {first['check']} failed for the whole column"
            ) from exc
        for column, check, index in zip(
            cases["column"], cases["check"], cases["index"], strict=True
        ):
            rule = {"not_nullable": "required", "field_uniqueness": "unique"}.get(
                str(check), str(check)
            )
            position = int(index)
            text = quarantine.row_text(frame, position)
            rejections.add(("record", position + 1), str(column), rule, text)
    return rejections


def _typed(
    frame: pd.DataFrame,
    schema: pandera.DataFrameSchema,
    record_ids: pa.Array,
    keep: npt.NDArray[np.bool_] | None = None,
) -> pa.Table:
    """The kept rows' content, typed as the schema's ``kind`` says, ``record_id`` first.

    ``record_ids`` holds the kept rows' record ids; ``keep`` (``None``: every row) is
    aligned with ``frame``'s rows. Runs after validation, so every kept value parses;
    everything happens in Arrow, and nothing is copied to drop rows when none is dropped
    (an earnings file at a million people has 44 million rows).
    """
    mask = None if keep is None or keep.all() else pa.array(keep)
    columns: dict[str, pa.Array] = {"record_id": record_ids}
    for name in frame.columns:
        kind = schema.columns[name].metadata or {"type": "string"}
        values = pa.array(frame[name], type=pa.string())
        if mask is not None:
            values = values.filter(mask)
        if kind["type"] == "date":
            parsed = pc.strptime(values, format=kind["format"], unit="s", error_is_null=True)
            columns[name] = parsed.cast(pa.date32())
        elif kind["type"] == "integer":
            columns[name] = values.cast(pa.float64()).cast(pa.int64())
        elif kind["type"] == "decimal":
            columns[name] = values.cast(pa.float64())
        else:
            columns[name] = values
    return pa.table(columns)


@dataclass
class _Prepared:
    outcome: FileOutcome
    content: pa.Table
    identifiers: pa.Table | None = None
    keymap: pa.Table | None = None


def stable_record_ids(local_keys: pa.Array, previous: pa.Table | None) -> list[str]:
    """A record id per local key: the previous version's for a key it held, else new.

    ``previous`` is the provider's previous key map (``local_key``, ``record_id``), or
    ``None`` for a first version. Ids are looked up rather than derived from the key, so
    they survive a rotation of the linkage key; new ids are 64 random bits (never one the
    previous version used, so a withdrawn record's id is not handed to someone else).
    """
    if previous is None or previous.num_rows == 0:
        return [secrets.token_hex(8) for _ in range(len(local_keys))]
    positions = pc.index_in(local_keys, value_set=previous["local_key"])
    found: list[str | None] = previous["record_id"].take(positions).to_pylist()
    taken = set(previous["record_id"].to_pylist())
    ids: list[str] = []
    for record_id in found:
        if record_id is None:  # a key the previous version did not hold
            record_id = secrets.token_hex(8)
            while record_id in taken:
                record_id = secrets.token_hex(8)
            taken.add(record_id)
        ids.append(record_id)
    return ids


def _people(
    path: Path, spec: PeopleFile, provider: ProviderSpec, previous: pa.Table | None = None
) -> _Prepared:
    frame, bad = read_extract(path, list(spec.schema.columns))
    rejections = _validate(frame, spec.schema)
    accepted = frame.drop(index=rejections.records())
    _add_malformed(rejections, bad)
    local_keys = pa.array(accepted[spec.key].to_numpy(dtype=object), type=pa.string())
    record_ids = stable_record_ids(local_keys, previous)
    raw = pd.DataFrame(index=accepted.index)
    for field_name, columns in spec.identifiers.items():
        parts = accepted[list(columns)].fillna("")
        raw[field_name] = (
            parts.agg(" ".join, axis=1).str.strip() if len(columns) > 1 else parts[columns[0]]
        )
    normalised = normalise_identifiers(raw, provider.date_format)
    identifiers = identifier_table(record_ids, normalised)
    for name in spec.extra_identifiers:
        column = pa.array(accepted[name].to_numpy(dtype=object), type=pa.string())
        identifiers = identifiers.append_column(name, column)
    keymap = pa.table(
        {
            "local_key": pa.array(accepted[spec.key].to_numpy(dtype=object), type=pa.string()),
            "record_id": pa.array(record_ids, type=pa.string()),
        }
    )
    content_columns = [c for c in frame.columns if c not in spec.identifier_columns | {spec.key}]
    ids = pa.array(record_ids, type=pa.string())
    content = _typed(accepted[content_columns], spec.schema, ids)
    outcome = FileOutcome(path.name, "", len(frame) + len(bad), len(accepted), rejections)
    return _Prepared(outcome, content, identifiers, keymap)


def _release_arrow_memory() -> None:
    """Hand memory Arrow's allocator keeps for reuse back to the system (large files)."""
    pa.default_memory_pool().release_unused()


def _add_malformed(rejections: Rejections, bad: list[BadRow]) -> None:
    for number, row in enumerate(bad, start=1):
        where = ("line", row.line) if row.line is not None else ("line", -number)
        rejections.add(where, "row", row.reason, row.text)


def _events(path: Path, spec: EventFile, keys: pa.Table) -> _Prepared:
    """``keys`` is the people file's key map (``local_key``, ``record_id``)."""
    frame, bad = read_extract(path, list(spec.schema.columns))
    _release_arrow_memory()  # the parser's buffers, before validation allocates its own
    rejections = _validate(frame, spec.schema)
    positions = pc.index_in(
        pa.array(frame[spec.key], type=pa.string()), value_set=keys["local_key"]
    )
    found = pc.is_valid(positions).to_numpy(zero_copy_only=False)
    orphans = np.flatnonzero(~found & frame[spec.key].notna().to_numpy())
    for position in orphans.tolist():
        rejections.add(
            ("record", position + 1),
            spec.key,
            "no people-file row with this key",
            quarantine.row_text(frame, position),
        )
    keep = np.ones(len(frame), dtype=bool)
    keep[rejections.records()] = False
    _add_malformed(rejections, bad)
    if not keep.all():
        positions = positions.filter(pa.array(keep))
    record_ids = keys["record_id"].take(positions).combine_chunks()
    del positions
    content_columns = [c for c in frame.columns if c != spec.key]
    content = _typed(frame[content_columns], spec.schema, record_ids, keep)
    del record_ids
    _release_arrow_memory()
    outcome = FileOutcome(path.name, "", len(frame) + len(bad), int(keep.sum()), rejections)
    return _Prepared(outcome, content)


def ingest(
    session: Session,
    root: DataRoot,
    keystore: KeyStore,
    provider: ProviderSpec,
    paths: list[Path],
) -> IngestReport:
    """Ingest ``paths`` (the people file and any event files of ``provider``) as one version."""
    specs = {path: provider.file(path.name) for path in paths}
    if len({p.name for p in paths}) != len(paths):
        raise NightingaleError("each file may be given once")
    people = [p for p, s in specs.items() if isinstance(s, PeopleFile)]
    if not people:
        raise NightingaleError(
            f"a {provider.name} dataset version starts from its people file: give "
            f"{provider.people.name} along with the event files"
        )
    checksums = {path: sha256_file(path) for path in paths}
    newest = {row.file_name: row.sha256 for row in latest_version(session, provider.name)}
    if all(newest.get(p.name) == checksums[p] for p in paths):
        version = next(iter(r.version_id for r in latest_version(session, provider.name)))
        return IngestReport(
            provider.name,
            None,
            message=f"already ingested as {provider.name} version {version}; nothing to do",
        )
    previous = _previous_keymap(session, root, keystore, provider.name)
    version_id = new_version_id()
    order = [people[0], *[p for p, s in specs.items() if isinstance(s, EventFile)]]
    outcomes: list[FileOutcome] = []
    content_folder = root.content / provider.name / version_id
    # Each file's content is written as soon as it is prepared (so a provider's extracts
    # never sit in memory together) into the hidden folder of an atomic directory: an
    # unusable file later in the list still leaves nothing behind.
    try:
        with atomic_directory(content_folder) as folder:
            people_file = _people(people[0], provider.people, provider, previous)
            _write_content(folder, people_file)
            outcomes.append(people_file.outcome)
            assert people_file.keymap is not None
            for path in order[1:]:
                spec = specs[path]
                assert isinstance(spec, EventFile)
                events = _events(path, spec, people_file.keymap)
                _write_content(folder, events)
                outcomes.append(events.outcome)
                del events
    except BaseException:
        with contextlib.suppress(OSError):
            content_folder.parent.rmdir()  # only when this version would have been its first
        raise
    for outcome, path in zip(outcomes, order, strict=True):
        outcome.sha256 = checksums[path]
    _write(root, keystore, provider.name, version_id, people_file, outcomes, content_folder)
    created = datetime.now(UTC)
    for o in outcomes:
        session.add(
            DatasetVersion(
                version_id=version_id,
                file_name=o.file_name,
                provider=provider.name,
                sha256=o.sha256,
                rows_input=o.rows_input,
                rows_accepted=o.rows_accepted,
                rows_quarantined=o.rows_quarantined,
                created_at=created,
            )
        )
    session.flush()
    return IngestReport(provider.name, version_id, outcomes)


def _previous_keymap(
    session: Session, root: DataRoot, keystore: KeyStore, provider: str
) -> pa.Table | None:
    """The key map (``local_key``, ``record_id``) of ``provider``'s newest version, if any."""
    rows = latest_version(session, provider)
    if not rows:
        return None
    path = keymap_path(root, provider, rows[0].version_id)
    if not path.is_file():
        raise NightingaleError(
            f"{provider} version {rows[0].version_id} is registered but its key map "
            f"{path} is missing: record ids cannot be carried over"
        )
    return read_sealed_table(path, keystore, keymap_context(provider))


def discard_version(root: DataRoot, provider: str, version_id: str) -> None:
    """Remove a version's files (when the database did not take the version)."""
    import shutil

    for folder in (root.content / provider / version_id, root.quarantine / version_id):
        shutil.rmtree(folder, ignore_errors=True)
    identifiers_path(root, provider, version_id).unlink(missing_ok=True)
    keymap_path(root, provider, version_id).unlink(missing_ok=True)


def _write_content(folder: Path, item: _Prepared) -> None:
    from nightingale.platform.storage import write_parquet

    write_parquet(folder / f"{Path(item.outcome.file_name).stem}.parquet", item.content)


def _write(
    root: DataRoot,
    keystore: KeyStore,
    provider: str,
    version_id: str,
    people: _Prepared,
    outcomes: list[FileOutcome],
    content_folder: Path,
) -> None:
    """Write identifiers, key map and quarantine; on failure remove them and the content."""
    written: list[Path] = [content_folder]
    try:
        assert people.identifiers is not None and people.keymap is not None
        target = identifiers_path(root, provider, version_id)
        write_sealed_table(target, people.identifiers, keystore, identifier_context(provider))
        written.append(target)
        target = keymap_path(root, provider, version_id)
        write_sealed_table(target, people.keymap, keystore, keymap_context(provider))
        written.append(target)
        rejected = [outcome for outcome in outcomes if outcome.rows_quarantined]
        if rejected:
            with atomic_directory(root.quarantine / version_id) as folder:
                for outcome in rejected:
                    quarantine.write(
                        folder, outcome.file_name, outcome.rejections, keystore, provider
                    )
            written.append(root.quarantine / version_id)
    except BaseException:
        import shutil

        for path in written:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise
