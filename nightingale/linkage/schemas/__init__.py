"""Provider schemas: which files a provider sends, their keys, identifiers and rules.

Each provider is declared in a provider file (YAML; the shipped ones in
``nightingale/platform/contracts/providers/``, an operator's in
``<data_root>/providers/``); :func:`providers` and :func:`provider` give ingest's view
of them (:class:`~.base.ProviderSpec`, with pandera schemas built from the declaration).
"""

from __future__ import annotations

from nightingale.linkage.schemas.base import EventFile, PeopleFile, ProviderSpec, provider_spec
from nightingale.platform.contracts.provider_files import discover_providers, find_provider
from nightingale.platform.storage import DataRoot


def providers(root: DataRoot | None = None) -> dict[str, ProviderSpec]:
    """Every known provider by name: the shipped ones plus ``root``'s operator folder."""
    return {name: provider_spec(d) for name, d in discover_providers(root).items()}


def provider(name: str, root: DataRoot | None = None) -> ProviderSpec:
    """The provider called ``name`` (shipped, or in ``root``'s operator folder)."""
    return provider_spec(find_provider(name, root))


__all__ = ["EventFile", "PeopleFile", "ProviderSpec", "provider", "provider_spec", "providers"]
