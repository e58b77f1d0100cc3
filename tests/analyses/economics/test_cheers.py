"""The CHEERS 2022 checklist: the evaluator's items, completion and what is still empty."""

from __future__ import annotations

import pytest
import yaml

from nightingale.analyses.economics import cheers


def rows() -> list[dict[str, object]]:
    return cheers.checklist({10: "3.5% a year"}, {19: "not in the plan"})


def test_the_evaluator_answers_only_the_items_the_platform_cannot() -> None:
    with pytest.raises(ValueError, match="item 10 .Discount rate. is filled by the platform"):
        cheers.parse_answers({10: "5%"})
    with pytest.raises(ValueError, match="items 1-28; got 29"):
        cheers.parse_answers({29: "x"})
    with pytest.raises(ValueError, match="'funding' is not a CHEERS item number"):
        cheers.parse_answers({"funding": "x"})
    assert cheers.parse_answers({"27": " NIHR ", 28: "", 2: None}) == {27: "NIHR"}


def test_stakeholder_involvement_funding_and_interests_are_the_evaluators() -> None:
    assert {21, 25, 27, 28} <= set(cheers.EVALUATOR_ITEMS)


def test_completion_fills_answers_and_not_applicable_items_with_their_reason() -> None:
    filled = cheers.complete(rows(), {27: "NIHR grant 123", 21: "not applicable: synthetic data"})
    by_item = {row["item"]: row for row in filled}
    assert (by_item[27]["status"], by_item[27]["text"]) == ("reported", "NIHR grant 123")
    assert (by_item[21]["status"], by_item[21]["text"]) == ("not applicable", "synthetic data")
    assert by_item[10]["text"] == "3.5% a year"
    assert "27 Source of funding" not in cheers.missing(filled)
    assert "28 Conflicts of interest" in cheers.missing(filled)


def test_every_empty_item_is_named_and_a_bare_not_applicable_counts_as_empty() -> None:
    assert len(cheers.missing(rows())) == 26
    filled = cheers.complete(rows(), {28: "not applicable:"})
    assert "28 Conflicts of interest" in cheers.missing(filled)
    everything = {n: "answered" for n in cheers.EVALUATOR_ITEMS}
    platform = cheers.checklist({n: "known" for n in cheers.ITEMS if n not in everything})
    assert cheers.missing(cheers.complete(platform, everything)) == []


def test_the_template_is_yaml_listing_every_item_left_to_the_evaluator() -> None:
    text = cheers.answers_template(rows())
    data = yaml.safe_load(text)
    assert set(cheers.EVALUATOR_ITEMS) <= set(data) and 10 not in data and 19 not in data
    assert all(value == "" for value in data.values())
    assert "# 27. Source of funding" in text
