"""The decision form every decision page shares: a note and one button per decision.

Stewards decide on requests (approve, request changes, reject), on clerical-review
pairs (match, non-match, unsure) and on pending project members (approve, refuse). Each
page describes its form with a :class:`DecisionForm` and renders it with the
``decision_form`` macro of ``templates/_decision.html``; each route checks the posted
decision with :func:`chosen`, so an unknown one is a 422 everywhere alike. What a
decision *may* be is the policy's question, never the form's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import HTTPException


@dataclass(frozen=True)
class DecisionForm:
    """What the ``decision_form`` macro draws.

    ``labels`` maps each decision's value to its button; ``danger`` and ``secondary``
    name the values drawn as such. ``field`` is the text box's name (``reason`` or
    ``note``), ``required`` whether the browser insists on it, ``suffix`` keeps ids unique
    when a page has several forms, ``hidden`` adds hidden inputs.
    """

    action: str
    labels: Mapping[str, str]
    field: str = "reason"
    field_label: str = "Reason"
    hint: str = "recorded in the audit log"
    required: bool = True
    rows: int = 3
    danger: str = ""
    secondary: str = ""
    suffix: str = ""
    hidden: Mapping[str, str] = dataclasses.field(default_factory=dict)


def chosen(decision: str, labels: Mapping[str, str]) -> str:
    """``decision`` if it is one of ``labels``, else a 422 naming it."""
    if decision not in labels:
        raise HTTPException(422, f"unknown decision {decision!r}")
    return decision
