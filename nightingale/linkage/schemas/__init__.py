"""Provider schemas: which files a provider sends, their keys, identifiers and rules.

One module per provider declares a :class:`~.base.ProviderSpec`; :func:`provider` looks
one up by name. The columns follow docs/synthetic-region.md (the extract contract).
"""

from __future__ import annotations

from nightingale.linkage.schemas.base import EventFile, PeopleFile, ProviderSpec
from nightingale.platform.errors import NightingaleError


def providers() -> dict[str, ProviderSpec]:
    """Every known provider by name."""
    from nightingale.linkage.schemas import employment, health, housing

    return {spec.name: spec for spec in (health.SPEC, housing.SPEC, employment.SPEC)}


def provider(name: str) -> ProviderSpec:
    """The provider called ``name``; a clear error for an unknown one."""
    known = providers()
    if name not in known:
        raise NightingaleError(f"unknown provider {name!r}; known: {', '.join(sorted(known))}")
    return known[name]


__all__ = ["EventFile", "PeopleFile", "ProviderSpec", "provider", "providers"]
