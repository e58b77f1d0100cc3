"""Normalisers: one pure function per identifier kind, each total (never raises).

Values that fail a check are returned as they were (cleaned of spacing) with
``valid=False``; callers keep them and mark them, they are never dropped.
"""

from nightingale.linkage.normalise.dates import normalise_date
from nightingale.linkage.normalise.frame import normalise_identifiers
from nightingale.linkage.normalise.names import canonical_given_names, normalise_name
from nightingale.linkage.normalise.nhs import normalise_nhs_number
from nightingale.linkage.normalise.ni import normalise_ni_number
from nightingale.linkage.normalise.other import normalise_address, normalise_sex
from nightingale.linkage.normalise.postcodes import normalise_postcode

__all__ = [
    "canonical_given_names",
    "normalise_address",
    "normalise_date",
    "normalise_identifiers",
    "normalise_name",
    "normalise_nhs_number",
    "normalise_ni_number",
    "normalise_postcode",
    "normalise_sex",
]
