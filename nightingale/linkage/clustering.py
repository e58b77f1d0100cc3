"""From scored pairs to persons: deterministic links, one-to-one guard, components.

A pair becomes a link when

- it is a *deterministic* link: the same valid NHS or NI number and agreement on date of
  birth or family name (a number copied onto the wrong record, e.g. a parent's onto a
  child's, agrees on neither), or
- its match weight reaches the threshold and, for pairs from two different sources, each
  record is the other's best candidate in that source ("mutual best"). Within a source
  any pair above the threshold links (duplicates exist there).

Some pairs never link probabilistically, however much else they share (a household
shares surname, address and often more, and Fellegi–Sunter's independence assumption
lets that shared evidence outweigh the one field that tells two people apart):

- valid NHS numbers that differ: Modulus 11 catches every single wrong digit, so two
  valid, different numbers belong to two people;
- the *twin pattern*: the same date of birth and a given name that disagrees outright
  (not a typo, nickname or swap);
- the *parent and child pattern*: the same given name (or nickname) and a date of birth
  that disagrees outright (not one digit or a day/month swap).

A matching valid NHS or NI number overrides the two patterns (a renamed person). The
patterns apply only where the data says outright disagreement is rare among true matches
(the trained m probability of the field's ``different`` level is below
:data:`RELIABLE_M`): in a source whose given names are often mangled beyond recognition
(FEBRL's are, in one match in six), a disagreeing given name is not a twin's signature.

The mutual-best rule is the one-to-one constraint across sources: twin A in one source
can take only one of twins A' and B' in another, the one whose given name agrees. Persons
are connected components of the links (scipy), numbered by their smallest member.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from nightingale.linkage.model import gamma
from nightingale.linkage.tokens import Tokeniser


def mutual_best(edges: pd.DataFrame) -> pd.Series:
    """Which cross-source edges are each end's best in the other end's source."""
    weight = edges["match_weight"]
    best_l = weight == edges.groupby(["node_l", "source_dataset_r"])["match_weight"].transform(
        "max"
    )
    best_r = weight == edges.groupby(["node_r", "source_dataset_l"])["match_weight"].transform(
        "max"
    )
    return best_l & best_r


def _gamma(edges: pd.DataFrame, name: str) -> pd.Series:
    column = f"gamma_{name}"
    return edges[column] if column in edges else pd.Series(-1, index=edges.index)


RELIABLE_M = 0.02


def reliable_fields(model_json: dict[str, Any]) -> set[str]:
    """Comparisons whose ``different`` level has a trained m below :data:`RELIABLE_M`."""
    reliable = set()
    for comparison in model_json.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            m = level.get("m_probability")
            if level.get("label_for_charts") == "different" and m is not None and m < RELIABLE_M:
                reliable.add(comparison["output_column_name"])
    return reliable


def hard_negative(edges: pd.DataFrame, reliable: set[str]) -> pd.Series:
    """Pairs that must not link on probabilistic evidence (see the module docstring)."""
    given, dob = _gamma(edges, "given_name"), _gamma(edges, "date_of_birth")
    nhs, ni = _gamma(edges, "nhs_number"), _gamma(edges, "ni_number")
    strong = (nhs == gamma("nhs_number", "exact")) | (ni == gamma("ni_number", "exact"))
    given_differs = given == gamma("given_name", "different")
    given_agrees = given.isin([gamma("given_name", "exact"), gamma("given_name", "nickname")])
    dob_differs = dob == gamma("date_of_birth", "different")
    twin = (dob == gamma("date_of_birth", "exact")) & given_differs
    parent_child = given_agrees & dob_differs
    twin &= "given_name" in reliable
    parent_child &= "date_of_birth" in reliable
    nhs_differs = nhs == gamma("nhs_number", "different")
    return nhs_differs | ((twin | parent_child) & ~strong)


def select_links(edges: pd.DataFrame, threshold_weight: float, reliable: set[str]) -> pd.DataFrame:
    """The edges that become links (see the module docstring).

    ``edges`` has ``node_l``, ``node_r`` (integer record positions), ``source_dataset_l``,
    ``source_dataset_r``, ``match_weight`` and a boolean ``deterministic``.
    """
    above = (edges["match_weight"] >= threshold_weight) & ~hard_negative(edges, reliable)
    cross = edges["source_dataset_l"] != edges["source_dataset_r"]
    candidates = edges[above]
    keep_cross = pd.Series(False, index=edges.index)
    if len(candidates):
        keep_cross.loc[candidates.index] = mutual_best(candidates)
    probabilistic = above & (~cross | keep_cross)
    return edges[probabilistic | edges["deterministic"]]


def person_ids(members: pd.Series, links: pd.DataFrame, tokeniser: Tokeniser) -> pd.Series:
    """A person id for every record: components of ``links`` over ``members``.

    ``members`` holds each record's stable key (``source/record_id``) in node order. A
    person's id is the keyed token of its smallest member's key, so it stays the same
    across runs while the cluster keeps that member, and reveals nothing about record ids
    (which in ``link-files`` may be anything a user chose).
    """
    size = len(members)
    graph = coo_matrix(
        (np.ones(len(links)), (links["node_l"].to_numpy(), links["node_r"].to_numpy())),
        shape=(size, size),
    )
    count, labels = connected_components(graph, directed=False)
    # The smallest member key of each component: sort keys once, take each label's first.
    order = np.argsort(members.to_numpy(dtype=str), kind="stable")
    first = np.full(count, -1, dtype=np.intp)
    seen_labels = labels[order]
    _unique, where = np.unique(seen_labels, return_index=True)
    first[seen_labels[where]] = order[where]
    smallest = members.to_numpy(dtype=object)[first]
    tokens = tokeniser.tokens("person_id", pd.Series(smallest, dtype="string"))
    names = np.array(
        [f"P{token & 0xFFFFFFFFFFFFFFFF:016x}" for token in tokens.astype("int64").tolist()],
        dtype=object,
    )
    return pd.Series(names[labels], index=members.index)
