"""Find a build's inputs in the data root: the spine in force and each content table.

The paths are the shared contract (:mod:`nightingale.platform.contracts`): the spine
pointer names the spine run; ``content/<provider>/<version>/<table>.parquet`` holds
content keyed by ``record_id``. The newest version of each provider (by name; versions
are time-ordered ids) is used and recorded in the manifest.

``linkage.demographics`` is the only input that comes from the identifier zone, and it
does not come from here: cohorts never opens sealed files. :func:`demographics_needed`
says which versions' demographics a build reads; the operation that builds asks linkage
to publish them and passes the table in (:class:`~nightingale.platform.contracts.Demographics`),
which holds only ``source``, ``record_id``, ``date_of_birth`` and ``sex``. The compiler
only ever releases an age band and sex from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nightingale.cohorts.engines import Source
from nightingale.platform.contracts import (
    ContractError,
    Demographics,
    content_providers,
    content_table,
    content_versions,
    read_spine_pointer,
    spine_file,
)
from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import DataRoot

DEMOGRAPHICS = "linkage.demographics"


class MissingInputError(NightingaleError):
    """A zone the build needs is not there (not ingested or not linked yet)."""


@dataclass(frozen=True)
class BuildInputs:
    """Everything a build reads, and the versions the manifest records."""

    spine: Source
    spine_run: str
    tables: dict[str, Source]
    versions: dict[str, str] = field(default_factory=dict)


def current_spine(root: DataRoot) -> tuple[str, Path]:
    """The spine run in force and its Parquet file."""
    try:
        pointer = read_spine_pointer(root)
    except ContractError as exc:
        raise MissingInputError(str(exc)) from exc
    if pointer is None:
        raise MissingInputError(f"{root.linkage}: no spine yet; run 'nightingale link' first")
    path = spine_file(root, pointer.run_id)
    if not path.is_file():
        raise MissingInputError(
            f"{path}: the current spine run {pointer.run_id} has no spine.parquet"
        )
    return pointer.run_id, path


def latest_version(root: DataRoot, provider: str) -> str:
    """The newest content version of ``provider``."""
    versions = content_versions(root, provider)
    if not versions:
        raise MissingInputError(
            f"{root.content / provider}: no content for provider {provider!r}; ingest it first"
        )
    return versions[-1]


def input_versions(root: DataRoot, tables: Iterable[str]) -> dict[str, str]:
    """The newest content version of every provider a build of ``tables`` reads.

    Demographics belong to every provider's records (the spine joins them all), so a
    build that reads them reads every provider in the content zone.
    """
    wanted = list(tables)
    providers = {t.split(".")[0] for t in wanted if t != DEMOGRAPHICS}
    if DEMOGRAPHICS in wanted:
        providers |= set(content_providers(root))
    return {provider: latest_version(root, provider) for provider in sorted(providers)}


def demographics_needed(root: DataRoot, tables: Iterable[str]) -> dict[str, str] | None:
    """The versions whose demographics a build of ``tables`` reads; None when it reads none."""
    wanted = list(tables)
    return input_versions(root, wanted) if DEMOGRAPHICS in wanted else None


def locate_inputs(
    root: DataRoot,
    tables: Iterable[str],
    demographics: Demographics | None = None,
    spine: tuple[str, Source] | None = None,
) -> BuildInputs:
    """The spine and the newest version of every table in ``tables`` (``provider.table``).

    ``demographics`` (what linkage published for :func:`demographics_needed`) is required
    when ``tables`` reads them, and must be of the versions the content is read from.
    ``spine`` (run id, table or file) replaces the spine in force: a linkage-sensitivity
    build reads a spine linkage made at another threshold.
    """
    run_id, spine_source = current_spine(root) if spine is None else spine
    wanted = list(tables)
    versions = input_versions(root, wanted)
    sources: dict[str, Source] = {}
    if DEMOGRAPHICS in wanted:
        sources[DEMOGRAPHICS] = _demographics_of(versions, demographics)
    for table in wanted:
        if table == DEMOGRAPHICS:
            continue
        provider, name = table.split(".")
        path = content_table(root, provider, versions[provider], name)
        if not path.is_file():
            raise MissingInputError(f"{path}: content table {table} is missing")
        sources[table] = path
    return BuildInputs(spine=spine_source, spine_run=run_id, tables=sources, versions=versions)


def _demographics_of(versions: dict[str, str], demographics: Demographics | None) -> Source:
    if demographics is None:
        raise MissingInputError(
            f"{DEMOGRAPHICS}: the spec reads demographics but none were given; the build "
            "operation passes what linkage publishes"
        )
    if dict(demographics.versions) != versions:
        raise MissingInputError(
            f"{DEMOGRAPHICS}: published for versions {dict(demographics.versions)} but the "
            f"content zone now holds {versions}; a provider was ingested meanwhile, build again"
        )
    return demographics.table
