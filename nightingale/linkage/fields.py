"""The platform's identifier fields: the vocabulary every provider maps onto."""

from __future__ import annotations

from typing import Final

#: Identifier fields, in the order files and frames carry them.
IDENTIFIER_FIELDS: Final = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
    "nhs_number",
    "ni_number",
)

#: Fields whose normalised value can be checked for validity (format or check digit).
VALIDATED_FIELDS: Final = ("date_of_birth", "postcode", "nhs_number", "ni_number")
