"""From scored pairs to persons: deterministic links, one-to-one guard, components.

A pair becomes a link when

- it is a *deterministic* link: the same valid NHS or NI number and agreement on date of
  birth or family name (a number copied onto the wrong record, e.g. a parent's onto a
  child's, agrees on neither), or
- its match weight reaches the threshold and, for pairs from two different sources, each
  record is the other's best candidate in that source ("mutual best"). Within a source
  a pair above the threshold links (duplicates exist there) unless another source keeps
  its two records apart (see "Within-source links" below).

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
can take only one of twins A' and B' in another, the one whose given name agrees.

Within-source links. A provider's extract holds the same person more than once (a second
row under a new key), so within a source there is no one-to-one rule. But a duplicate is
much rarer than a cross-source match (in the synthetic region two random employment
records match about 19 times less often than an employment and a health record), while
the model has one prior for every pair; so two different people sharing a given name and
date of birth, with different surnames and postcodes and no NI number on one side, score
just above the threshold inside a provider. The other sources settle it: when each of the
two records already belongs, through the other links, to a person holding a record of a
third source, and those are two different persons, that source has kept the two apart and
the within-source pair does not link probabilistically (:func:`split_by_other_sources`).
A true duplicate and its original have the same partner elsewhere (mutual best lets only
one of them take it), so they are not split. Deterministic links are never dropped.

A second look for records without a date of birth (:func:`second_look`). Such a record
has names, sex and place as its only evidence, so when the person moved it scores below
the threshold against its own partner, and records without a date of birth would link
less often than the rest (a linkage bias a steward would see in the report). Pair by
pair that evidence is weak, but a source that nearly everyone of another source appears
in says more: almost every employed person is registered with a GP. After the first
pass, a record without a date of birth that has no partner yet in such a source most
likely has one there that the first pass missed; if exactly one of that source's
persons is still free to be it (holds no record of the first record's source) and
matches it on names, the record belongs to that person. :func:`second_look` makes this
a posterior under a one-to-one model (Sadinle, "Bayesian estimation of bipartite
matchings for record linkage", JASA 2017): the candidate's Bayes factor against every
free candidate's and against having no partner, with the chance that such a leftover
record has a partner estimated from the link rates of records with and without a date of
birth, spread evenly over the free persons who could be it (born in years usual for the
record's source: not a child, for an employment record). A link needs that posterior
above one half.

Persons are connected components of the links (scipy), numbered by their smallest member.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from nightingale.linkage.model import gamma
from nightingale.linkage.positions import text
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


def _components(edges: pd.DataFrame, size: int) -> npt.NDArray[np.int32]:
    graph = coo_matrix(
        (np.ones(len(edges)), (edges["node_l"].to_numpy(), edges["node_r"].to_numpy())),
        shape=(size, size),
    )
    labels: npt.NDArray[np.int32] = connected_components(graph, directed=False)[1]
    return labels


def split_by_other_sources(edges: pd.DataFrame, within: pd.Series) -> pd.Series:
    """Which ``within`` (within-source, probabilistic) edges another source keeps apart.

    For the within-source edges of source S, the persons are the components of every
    other edge (including other sources' within-source links, so that a person
    duplicated in two sources stays one). An edge is kept apart when its two ends are in
    different persons that both hold a record of some source other than S: that source
    has a record for each end and did not link them.
    """
    apart = pd.Series(False, index=edges.index)
    if not within.any():
        return apart
    size = int(max(edges["node_l"].max(), edges["node_r"].max())) + 1
    node_l, node_r = edges["node_l"].to_numpy(), edges["node_r"].to_numpy()
    codes, names = pd.factorize(
        np.concatenate([edges["source_dataset_l"].to_numpy(), edges["source_dataset_r"].to_numpy()])
    )
    source_l = codes[: len(edges)]
    ends, end_sources = np.concatenate([node_l, node_r]), codes
    is_within = within.to_numpy(dtype=bool)
    for own in np.unique(source_l[is_within]):
        mine = is_within & (source_l == own)
        labels = _components(edges[~mine], size)
        # holds[person, source]: the person (component) holds a record of that source.
        holds = np.zeros((int(labels.max()) + 1, len(names)), dtype=bool)
        others = end_sources != own
        holds[labels[ends[others]], end_sources[others]] = True
        person_l, person_r = labels[node_l[mine]], labels[node_r[mine]]
        both = (holds[person_l] & holds[person_r]).any(axis=1) & (person_l != person_r)
        apart.iloc[np.flatnonzero(mine)[both]] = True
    return apart


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
    deterministic = edges["deterministic"].astype(bool)
    links = (above & (~cross | keep_cross)) | deterministic
    within = links & ~cross & ~deterministic
    links &= ~split_by_other_sources(edges[links], within[links]).reindex(
        edges.index, fill_value=False
    )
    return edges[links]


#: A second-look link must be more likely than not.
SECOND_LOOK_POSTERIOR = 0.5


def _partner_chance(
    holds: npt.NDArray[np.bool_],
    labels: npt.NDArray[np.int32],
    codes: npt.NDArray[np.intp],
    lacks_dob: npt.NDArray[np.bool_],
) -> npt.NDArray[np.float64]:
    """``chance[r, s]``: how likely a record of source ``r`` without a date of birth
    whose person holds no record of ``s`` after the first pass still has one there.

    Records with a date of birth are linked nearly completely, so their share holding
    a record of ``s`` (``full``) estimates how many of ``r``'s records have a partner in
    ``s``. Dates of birth go missing at random with respect to having a partner, so the
    shortfall of records without one (``full - short``) is partners the first pass
    missed, among the ``1 - short`` left without: ``(full - short) / (1 - short)``.
    """
    sources = holds.shape[1]
    chance = np.zeros((sources, sources))
    for r in range(sources):
        own = codes == r
        with_dob, without = own & ~lacks_dob, own & lacks_dob
        if not with_dob.any() or not without.any():
            continue
        full = holds[labels[with_dob]].mean(axis=0)
        short = holds[labels[without]].mean(axis=0)
        room = np.where(short < 1.0, 1.0 - short, np.inf)  # nothing left to miss
        chance[r] = np.clip((full - short) / room, 0.0, 1.0)
        chance[r, r] = 0.0
    return chance


def _born_usual_for(
    dob_fits: npt.NDArray[np.int64], source: npt.NDArray[np.intp]
) -> npt.NDArray[np.bool_]:
    """Whether each record was born in years usual for ``source`` (a code, or one per
    record); a record without a date of birth could be anyone. ``dob_fits`` holds bits
    for the first 63 sources only; later ones accept every year."""
    bit = np.minimum(source, 62)
    usual: npt.NDArray[np.bool_] = (dob_fits < 0) | (source > 62) | ((dob_fits >> bit) & 1 == 1)
    return usual


def _usual_for(
    dob_fits: npt.NDArray[np.int64], labels: npt.NDArray[np.int32], shape: tuple[int, ...]
) -> npt.NDArray[np.bool_]:
    """``usual[p, r]``: person ``p`` holds a record born in years usual for source ``r``
    (or one without a date of birth, which could be anyone)."""
    persons, sources = shape
    usual = np.zeros(shape, dtype=bool)
    for r in range(sources):
        fits = _born_usual_for(dob_fits, np.full(len(dob_fits), r, dtype=np.intp))
        usual[:, r] = np.bincount(labels, weights=fits, minlength=persons) > 0
    return usual


def _free_candidates(
    edges: pd.DataFrame,
    codes: npt.NDArray[np.intp],
    labels: npt.NDArray[np.int32],
    holds: npt.NDArray[np.bool_],
    dob_fits: npt.NDArray[np.int64],
    reliable: set[str],
) -> pd.DataFrame:
    """Per record ``a`` without a date of birth and person ``person_b`` free to be its
    partner in source ``s``: the best-scoring edge between ``a`` and ``person_b``'s
    records of ``s`` (``weight``, ``edge``).

    Free: ``a``'s person holds no record of ``s`` and ``person_b`` none of ``a``'s source
    ``r``; the pair is no hard negative, and ``b`` (when its date of birth is known) was
    born in years usual for ``r``.
    """
    lacks_dob = dob_fits < 0
    either = lacks_dob[edges["node_l"].to_numpy()] | lacks_dob[edges["node_r"].to_numpy()]
    usable = edges[either]
    usable = usable[~hard_negative(usable, reliable)]
    ends = (usable["node_l"].to_numpy(), usable["node_r"].to_numpy())
    a, b = np.concatenate(ends), np.concatenate(ends[::-1])  # each end in turn as ``a``
    r, s, person_a, person_b = codes[a], codes[b], labels[a], labels[b]
    free = ~holds[person_a, s] & ~holds[person_b, r] & (person_a != person_b)
    keep = lacks_dob[a] & (r != s) & free & _born_usual_for(dob_fits[b], r)
    directed = pd.DataFrame(
        {
            "a": a[keep],
            "person_b": person_b[keep],
            "r": r[keep],
            "s": s[keep],
            "weight": np.tile(usable["match_weight"].to_numpy(), 2)[keep],
            "edge": np.tile(usable.index.to_numpy(), 2)[keep],
        }
    )
    directed = directed.sort_values("weight", ascending=False, kind="stable")
    return directed.drop_duplicates(["a", "s", "person_b"])


def second_look(
    edges: pd.DataFrame,
    links: pd.DataFrame,
    sources: pd.Series,
    dob_fits: npt.NDArray[np.int64],
    prior: float,
    reliable: set[str],
) -> pd.DataFrame:
    """Further links for records without a date of birth (see the module docstring).

    ``edges`` are the scored pairs, ``links`` the first pass's; ``sources`` and
    ``dob_fits`` describe every record in node order: ``dob_fits`` is
    :func:`.matchkeys.birth_year_fits`, -1 for a record without a date of birth.
    ``prior`` is the model's probability that two random records match, already inside
    every match weight. Returns the edges to add: for each record without a date of
    birth and each other source, at most one, to the free person whose posterior is
    above :data:`SECOND_LOOK_POSTERIOR`; each such person is taken by at most one record
    of a source.
    """
    if not len(edges) or not (dob_fits < 0).any():
        return edges.iloc[:0]
    # Codes in name order: the bit order of dob_fits.
    codes = pd.factorize(sources, sort=True)[0].astype(np.intp)
    labels = _components(links, len(codes))
    holds = np.zeros((int(labels.max()) + 1, int(codes.max()) + 1), dtype=bool)
    holds[labels, codes] = True
    chance = _partner_chance(holds, labels, codes, dob_fits < 0)
    candidates = _free_candidates(edges, codes, labels, holds, dob_fits, reliable)
    candidates = candidates[chance[candidates["r"], candidates["s"]] > 0].copy()
    r, s = candidates["r"].to_numpy(), candidates["s"].to_numpy()
    # free[s, r]: persons holding a record of s and none of r, born in years usual for r
    # (the number of persons who could be the partner).
    usual = _usual_for(dob_fits, labels, holds.shape)
    free = holds.T.astype(np.int64) @ (~holds & usual)
    c, n_free = chance[r, s], np.maximum(free[s, r], 1)
    # Prior c / N per free person, times the Bayes factor: the weight less the prior odds.
    prior_bits = np.log2(prior / (1.0 - prior))
    candidates["score"] = c / n_free * np.exp2(candidates["weight"].to_numpy() - prior_bits)
    total = candidates.groupby(["a", "s"])["score"].transform("sum")
    candidates["posterior"] = candidates["score"] / ((1.0 - c) + total)
    chosen = candidates[candidates["posterior"] > SECOND_LOOK_POSTERIOR]
    # Ties go to the first record in table order, whichever engine scored the pairs.
    chosen = chosen.sort_values(["posterior", "a"], ascending=[False, True], kind="stable")
    chosen = chosen.drop_duplicates(["person_b", "r"])
    return edges[edges.index.isin(chosen["edge"])]


class PersonNames:
    """The persons of a clustering, each record's component, named only when asked.

    A person's id is the keyed token of its smallest member's key (``source/record_id``),
    so it stays the same across runs while the cluster keeps that member, and reveals
    nothing about record ids (which in ``link-files`` may be anything a user chose).
    Naming is left until a name is needed: after a refresh most persons keep their
    previous ids (:mod:`.lineage`), so most names would be made only to be thrown away.
    """

    def __init__(self, labels: npt.NDArray[np.intp], keys: pa.Array, tokeniser: Tokeniser):
        #: each record's component (0 .. count - 1), in node order
        self.labels = labels
        self._keys = keys
        self._tokeniser = tokeniser
        self._names: dict[int, str] = {}

    @property
    def count(self) -> int:
        """How many persons there are."""
        return int(self.labels.max()) + 1 if len(self.labels) else 0

    def of(self, components: Any) -> list[str]:
        """The ids of ``components`` (labels), in order; each made once."""
        wanted = [int(c) for c in components]
        missing = np.unique(np.asarray([c for c in wanted if c not in self._names], np.intp))
        if len(missing):
            # Their members, sorted by (component, key) in Arrow (which orders text by code
            # point, as Python does): each component's first is its smallest key.
            members = np.flatnonzero(np.isin(self.labels, missing))
            order = pc.sort_indices(
                pa.table({"label": self.labels[members], "key": self._keys.take(members)}),
                sort_keys=[("label", "ascending"), ("key", "ascending")],
            ).to_numpy()
            ranked = members[order]
            first = np.r_[True, self.labels[ranked][1:] != self.labels[ranked][:-1]]
            smallest = self._keys.take(ranked[first]).to_pandas(
                types_mapper={pa.string(): pd.StringDtype()}.get
            )
            tokens = self._tokeniser.tokens("person_id", smallest).astype("int64").tolist()
            for component, token in zip(self.labels[ranked[first]].tolist(), tokens, strict=True):
                self._names[component] = f"P{token & 0xFFFFFFFFFFFFFFFF:016x}"
        return [self._names[c] for c in wanted]

    def per_record(self) -> npt.NDArray[np.object_]:
        """Every record's person id, in node order."""
        names = np.asarray(self.of(range(self.count)), dtype=object)
        named: npt.NDArray[np.object_] = names[self.labels]
        return named


def person_components(
    members: pd.Series | pa.Array, links: pd.DataFrame, tokeniser: Tokeniser
) -> PersonNames:
    """The components of ``links`` over ``members`` (each record's stable key,
    ``source/record_id``, in node order), to be named when needed."""
    keys = text(members)
    size = len(keys)
    graph = coo_matrix(
        (np.ones(len(links)), (links["node_l"].to_numpy(), links["node_r"].to_numpy())),
        shape=(size, size),
    )
    _count, labels = connected_components(graph, directed=False)
    return PersonNames(labels.astype(np.intp), keys, tokeniser)


def person_ids(
    members: pd.Series | pa.Array, links: pd.DataFrame, tokeniser: Tokeniser
) -> pd.Series:
    """A person id for every record: the named components of ``links`` over ``members``
    (:class:`PersonNames`)."""
    names = person_components(members, links, tokeniser).per_record()
    index = members.index if isinstance(members, pd.Series) else None
    return pd.Series(names, index=index)
