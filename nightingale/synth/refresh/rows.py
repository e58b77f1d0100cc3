"""Writing people-file rows as each provider does: keys, true identifiers, new tenancies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nightingale.synth.dates import COMPACT, ISO, SLASHED
from nightingale.synth.geography import DISTRICTS
from nightingale.synth.homes import EPC_BANDS, SOCIAL_EPC
from nightingale.synth.refresh.source import date_text

DATE_FORMATS = {"health": ISO, "housing": SLASHED, "employment": COMPACT}
PROVIDERS = ("health", "housing", "employment")


def fresh_keys(
    prefix: str, digits: int, n: int, taken: set[str], rng: np.random.Generator
) -> list[str]:
    """``n`` new opaque keys ``<prefix><digits>`` not in ``taken`` (which they join)."""
    keys: list[str] = []
    while len(keys) < n:
        candidate = f"{prefix}{int(rng.integers(0, 10**digits)):0{digits}d}"
        if candidate not in taken:
            taken.add(candidate)
            keys.append(candidate)
    return keys


def true_value(provider: str, field: str, person: pd.Series) -> str:
    """A person's true identifier as ``provider`` writes it."""
    if field == "forename":
        name = str(person["forename"])
        return name.upper() if provider == "employment" else name
    if field == "surname":
        name = str(person["surname"])
        return name if provider == "health" else name.upper()
    if field == "dob":
        return date_text(int(person["_dob"]), DATE_FORMATS[provider])
    if field == "nhs":
        return str(person["nhs_number"])
    return str(person["ni_number"])


def landlord_of(district: str) -> str:
    return next(d.landlord for d in DISTRICTS if d.name == district)


def tenancy_home(rng: np.random.Generator, household_size: int) -> dict[str, str]:
    """The content columns of a new social tenancy for a household of a given size."""
    need = 1 + max(0, -(-(household_size - 2) // 2))
    bedrooms = int(np.clip(need + rng.integers(-1, 2), 1, 5))
    band = EPC_BANDS[int(rng.choice(len(EPC_BANDS), p=SOCIAL_EPC))]
    kind = ("flat", "house", "bungalow", "maisonette")[int(rng.integers(0, 4))]
    return {
        "scheme": "standard",
        "property_type": kind,
        "bedrooms": str(bedrooms),
        "epc_band": band,
        "household_size": str(household_size),
        "bedroom_standard": str(need),
        "overcrowded": "Y" if bedrooms < need else "N",
    }
