"""The CHEERS 2022 checklist (Husereau et al., Value in Health 2022;25:3-9).

A published economic evaluation reports each of the 28 items or says why it does not
apply. An analysis fills the items it can from what it knows (perspective, horizon,
discount rates, currency and price year, ...) and names the rest "not applicable" with
a reason, or leaves them for the evaluator; :func:`checklist` refuses unknown item
numbers so a typo cannot silently drop an item.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ITEMS: dict[int, tuple[str, str]] = {
    1: ("Title", "Title"),
    2: ("Abstract", "Abstract"),
    3: ("Introduction", "Background and objectives"),
    4: ("Methods", "Health economic analysis plan"),
    5: ("Methods", "Study population"),
    6: ("Methods", "Setting and location"),
    7: ("Methods", "Comparators"),
    8: ("Methods", "Perspective"),
    9: ("Methods", "Time horizon"),
    10: ("Methods", "Discount rate"),
    11: ("Methods", "Selection of outcomes"),
    12: ("Methods", "Measurement of outcomes"),
    13: ("Methods", "Valuation of outcomes"),
    14: ("Methods", "Measurement and valuation of resources and costs"),
    15: ("Methods", "Currency, price date, and conversion"),
    16: ("Methods", "Rationale and description of model"),
    17: ("Methods", "Analytics and assumptions"),
    18: ("Methods", "Characterising heterogeneity"),
    19: ("Methods", "Characterising distributional effects"),
    20: ("Methods", "Characterising uncertainty"),
    21: ("Methods", "Approach to engagement with patients and others affected by the study"),
    22: ("Results", "Study parameters"),
    23: ("Results", "Summary of main results"),
    24: ("Results", "Effect of uncertainty"),
    25: ("Results", "Effect of engagement with patients and others affected by the study"),
    26: ("Discussion", "Study findings, limitations, generalisability, and current knowledge"),
    27: ("Other relevant information", "Source of funding"),
    28: ("Other relevant information", "Conflicts of interest"),
}

NOT_APPLICABLE = "not applicable"
TO_COMPLETE = "to be completed by the evaluator"


def checklist(
    reported: Mapping[int, str], not_applicable: Mapping[int, str] | None = None
) -> list[dict[str, Any]]:
    """All 28 items: ``reported`` text, ``not applicable`` with a reason, or still to do."""
    skipped = dict(not_applicable or {})
    unknown = sorted((set(reported) | set(skipped)) - set(ITEMS))
    if unknown:
        raise ValueError(f"CHEERS 2022 has items 1-28; got {unknown}")
    if both := sorted(set(reported) & set(skipped)):
        raise ValueError(f"items {both} are both reported and not applicable")
    rows = []
    for number, (section, item) in ITEMS.items():
        if number in reported:
            status, text = "reported", reported[number]
        elif number in skipped:
            status, text = NOT_APPLICABLE, skipped[number]
        else:
            status, text = TO_COMPLETE, ""
        rows.append(
            {"item": number, "section": section, "topic": item, "status": status, "text": text}
        )
    return rows
