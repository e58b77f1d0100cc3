"""The one cohort spec validator: the spec's own fields, then the catalogue.

A spec can be entered in several places (``nightingale cohort validate``, a linkage
request drafted with ``nightingale requests create`` or on the web form, a revision
after a steward asked for changes). Each asks :func:`validate_spec`, so a spec is
refused for the same reasons and with the same message wherever it comes in: parsing
alone accepts a spec that names a column the catalogue does not have, which would then
only fail at build time, after the stewards had approved it.
"""

from __future__ import annotations

from nightingale.cohorts.catalogue import default_catalogue
from nightingale.cohorts.loading import parse_spec
from nightingale.cohorts.spec import CohortSpec

SPEC_SOURCE = "cohort spec"
"""How messages name a spec that is text, not a file (a request's spec, a web form's)."""


def validate_spec(text: str, source: str = SPEC_SOURCE) -> CohortSpec:
    """Parse ``text`` and check it against the catalogue; the spec, or :class:`SpecError`.

    ``source`` names the spec in every message (a file path, or :data:`SPEC_SOURCE`),
    followed by the line where there is one and the field, e.g.
    ``cohort spec: baseline.imd_quintile: table 'housing.tenancies' has no column ...``.
    """
    spec = parse_spec(text, source)
    default_catalogue().check(spec, source)
    return spec
