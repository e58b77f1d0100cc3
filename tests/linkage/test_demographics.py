"""Linkage publishes date of birth and sex for cohort builds, and nothing else identifying."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from nightingale.linkage.demographics import NoIdentifierRecords, publish_demographics
from nightingale.linkage.identifiers import identifier_context, identifiers_path, read_sealed_table
from nightingale.platform.contracts import DEMOGRAPHIC_COLUMNS, content_providers, content_versions
from nightingale.platform.errors import IntegrityError
from nightingale.platform.keystore import MemoryKeyStore
from tests.linkage.conftest import Platform


def _newest(platform: Platform) -> dict[str, str]:
    root = platform.root
    return {p: content_versions(root, p)[-1] for p in content_providers(root)}


def test_every_identifier_record_with_its_date_of_birth_and_sex(ingested: Platform) -> None:
    versions = _newest(ingested)
    published = publish_demographics(ingested.root, ingested.keystore, versions)
    assert published.versions == versions
    assert tuple(published.table.column_names) == DEMOGRAPHIC_COLUMNS
    assert published.table.schema.field("date_of_birth").type == pa.date32()
    for provider, version in versions.items():
        path = identifiers_path(ingested.root, provider, version)
        sealed = read_sealed_table(path, ingested.keystore, identifier_context(provider))
        mine = published.table.filter(pc.equal(published.table["source"], provider))
        assert mine["record_id"].to_pylist() == sealed["record_id"].to_pylist()
        assert mine["date_of_birth"].to_pylist() == sealed["date_of_birth"].to_pylist()


def test_no_other_identifier_leaves_the_zone(ingested: Platform) -> None:
    versions = _newest(ingested)
    published = publish_demographics(ingested.root, ingested.keystore, versions)
    provider, version = next(iter(versions.items()))
    sealed = read_sealed_table(
        identifiers_path(ingested.root, provider, version),
        ingested.keystore,
        identifier_context(provider),
    )
    names = {v for v in sealed["family_name"].to_pylist() if v}
    published_values = {
        str(v) for column in published.table.columns for v in column.to_pylist() if v
    }
    assert names and not names & published_values


def test_versions_without_identifiers_are_refused_with_the_zone_named(ingested: Platform) -> None:
    with pytest.raises(NoIdentifierRecords, match="linkage/identifiers: no identifier records"):
        publish_demographics(ingested.root, ingested.keystore, {"health": "no-such-version"})


def test_the_wrong_key_opens_nothing(ingested: Platform) -> None:
    stranger = MemoryKeyStore()
    stranger.ensure("encryption")
    with pytest.raises(IntegrityError):
        publish_demographics(ingested.root, stranger, _newest(ingested))
