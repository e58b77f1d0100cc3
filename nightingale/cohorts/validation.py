"""The one cohort spec validator: the spec's own fields, then the catalogue.

A spec can be entered in several places (``nightingale cohort validate``, a linkage
request drafted with ``nightingale requests create`` or on the web form, a revision
after a steward asked for changes). Each asks :func:`validate_spec`, so a spec is
refused for the same reasons and with the same message wherever it comes in: parsing
alone accepts a spec that names a column the catalogue does not have, which would then
only fail at build time, after the stewards had approved it.
"""

from __future__ import annotations

from pathlib import Path

from nightingale.cohorts.catalogue import Catalogue, default_catalogue
from nightingale.cohorts.loading import parse_spec
from nightingale.cohorts.spec import CohortSpec

SPEC_SOURCE = "cohort spec"
"""How messages name a spec that is text, not a file (a request's spec, a web form's)."""


def validate_spec(
    text: str,
    source: str = SPEC_SOURCE,
    catalogue: Catalogue | None = None,
    folder: Path | None = None,
) -> CohortSpec:
    """Parse ``text`` and check it against the catalogue; the spec, or :class:`SpecError`.

    ``source`` names the spec in every message (a file path, or :data:`SPEC_SOURCE`),
    followed by the line where there is one and the field, e.g.
    ``cohort spec: baseline.imd_quintile: table 'housing.tenancies' has no column ...``.
    ``catalogue`` is the data root's (``catalogue_for(root)``: an operator's providers
    too); the shipped one when not given. Codelists the text does not embed are read
    from ``folder`` (the spec file's), else the shipped examples; a malformed code in
    one is refused here, naming the codelist's file and line.
    """
    spec = parse_spec(text, source, folder)
    (catalogue or default_catalogue()).check(spec, source)
    return spec
