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


EVALUATOR_ITEMS: dict[int, str] = {
    1: "Identify the study as an economic evaluation and name the interventions compared.",
    2: "A structured summary: context, methods, results and what they mean.",
    3: "The context of the study, the question it answers and why it matters to decisions.",
    4: "Whether a health economic analysis plan was written and where it can be found.",
    18: "How results differ between subgroups (if analysed), or why heterogeneity was not.",
    21: "How patients, the public and others affected were engaged in the study design.",
    25: "What engagement changed in the approach or the findings (or that there was none).",
    26: "Findings, limitations, generalisability and how they fit with current knowledge.",
    27: "Who funded the study and what role the funder had.",
    28: "Conflicts of interest of the authors, declared as the journal requires.",
}
"""Items only the evaluator can answer (stakeholder involvement, funding, conflicts of
interest, the framing), with what each asks. The platform may pre-fill item 4 from the
lodged plan; the evaluator may replace any of these but no other item."""

NA_PREFIX = "not applicable:"


def parse_answers(data: object, source: str = "<answers>") -> dict[int, str]:
    """The evaluator's answers: a mapping of item number to text (YAML or a form).

    Blank answers are dropped (the item stays empty); an answer starting ``not
    applicable:`` marks the item not applicable with the reason after it. Only
    :data:`EVALUATOR_ITEMS` may be answered: the others come from the analysis.
    """
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ValueError(f"{source}: CHEERS answers must map item numbers to text")
    answers: dict[int, str] = {}
    for key, value in data.items():
        try:
            number = int(key)
        except (TypeError, ValueError):
            raise ValueError(f"{source}: {key!r} is not a CHEERS item number") from None
        if number not in ITEMS:
            raise ValueError(f"{source}: CHEERS 2022 has items 1-28; got {number}")
        if number not in EVALUATOR_ITEMS:
            raise ValueError(
                f"{source}: item {number} ({ITEMS[number][1]}) is filled by the platform from "
                "the analysis; the evaluator answers items "
                + ", ".join(str(n) for n in EVALUATOR_ITEMS)
            )
        if value is not None and not isinstance(value, str | int | float):
            raise ValueError(f"{source}: item {number} must be text")
        text = "" if value is None else str(value).strip()
        if text:
            answers[number] = text
    return answers


def complete(rows: list[dict[str, Any]], answers: Mapping[int, str]) -> list[dict[str, Any]]:
    """The checklist ``rows`` with the evaluator's ``answers`` filled in (new rows)."""
    filled = []
    for row in rows:
        number = int(row["item"])
        new = dict(row)
        answer = answers.get(number, "").strip()
        if answer:
            if answer.lower().startswith(NA_PREFIX):
                new["status"], new["text"] = NOT_APPLICABLE, answer[len(NA_PREFIX) :].strip()
            else:
                new["status"], new["text"] = "reported", answer
        filled.append(new)
    return filled


def missing(rows: list[dict[str, Any]]) -> list[str]:
    """Items still empty (``"27 Source of funding"``): to complete, or filled with nothing.

    A "not applicable" item needs its reason, so a blank reason counts as empty too.
    """
    empty = []
    for row in rows:
        if row["status"] == TO_COMPLETE or not str(row.get("text", "")).strip():
            empty.append(f"{row['item']} {row['topic']}")
    return empty


def answers_template(rows: list[dict[str, Any]]) -> str:
    """A YAML file for the evaluator: every item the platform left empty or which only
    the evaluator can answer, with what the platform says now in comments."""
    lines = [
        "# CHEERS 2022 (Husereau et al., Value Health 2022;25:3-9): the evaluator's items.",
        "# Write each answer as the report should print it. For an item that does not",
        "# apply, write 'not applicable: <why>'. Publishing is refused while any is empty.",
    ]
    for row in rows:
        number = int(row["item"])
        empty = row["status"] == TO_COMPLETE
        if number not in EVALUATOR_ITEMS and not empty:
            continue
        lines.append("")
        lines.append(f"# {number}. {row['topic']} ({row['section']})")
        if number in EVALUATOR_ITEMS:
            lines.append(f"# {EVALUATOR_ITEMS[number]}")
        if not empty:
            lines.append(f"# the platform says ({row['status']}): {row['text']}")
        lines.append(f"{number}: ''")
    return "\n".join(lines) + "\n"
