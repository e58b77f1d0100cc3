"""Linkage requests as operations: a request's cohort spec is checked the same way always.

Drafting, revising and submitting a request (``nightingale requests``, the researcher's
web form, the demo) go through here, and each passes governance the same check:

- the spec validates (:func:`nightingale.cohorts.validation.validate_spec`: its fields,
  then every table and column against the data root's catalogue, an operator's
  providers included), so a spec that could not be built is refused before a steward
  spends time on it;
- the codelists the spec names are embedded in the text governance stores
  (:func:`nightingale.cohorts.loading.embed_codelists`), so the approved text, and its
  hash, cover the codes;
- the request names every dataset the spec reads, each registered with governance, so
  the steward reads a reason for each.

Governance refuses a request that fails the check, audits the refusal and raises
:class:`~nightingale.governance.errors.InvalidInput` with the problems, whichever edge
called: the message is the same from the CLI, the web form and Python.

The check is a courtesy to the researcher; the rule does not rest on it. At submission
the operation passes governance the datasets the cohort compiler says the spec reads
(:func:`datasets_read_by`), governance records them with the round with their
classification then, and the approvals needed follow from them, whatever the request
names (:mod:`nightingale.governance.rounds`). The builder passes them again and is refused
anything the approved round did not hold.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from nightingale.cohorts.catalogue import Catalogue, catalogue_for, columns_read, datasets_read
from nightingale.cohorts.loading import SpecError, embed_codelists
from nightingale.cohorts.spec import CohortSpec
from nightingale.cohorts.validation import SPEC_SOURCE, validate_spec
from nightingale.cohorts.zones import DEMOGRAPHICS
from nightingale.governance import requests
from nightingale.governance.datasets import list_datasets
from nightingale.governance.models import LinkageRequest
from nightingale.governance.requests import DatasetNeed, SpecValidator
from nightingale.operations.unit import Unit

IDENTIFIER_ZONE = DEMOGRAPHICS.partition(".")[0]
"""The catalogue's dataset for the identifier zone's demographics (``linkage``): not a
provider's dataset but dates of birth and sex of every provider's records, which a release
holds only generalised (age bands, sex); governance does not classify it."""


def datasets_read_by(spec: CohortSpec) -> list[str]:
    """The providers' datasets ``spec`` reads, as the cohort compiler says (sorted).

    What governance records with a submission round and the builder is held to; the
    identifier zone's demographics (:data:`IDENTIFIER_ZONE`) are not a provider's dataset.
    """
    return [name for name in datasets_read(spec) if name != IDENTIFIER_ZONE]


def spec_reads(spec_text: str, catalogue: Catalogue | None = None) -> list[str]:
    """:func:`datasets_read_by` for a spec's text; [] when it does not validate (the
    validator then refuses it with its own message). ``catalogue``: the data root's."""
    try:
        return datasets_read_by(validate_spec(spec_text, SPEC_SOURCE, catalogue))
    except SpecError:
        return []


def spec_check(unit: Unit, named: Collection[str]) -> SpecValidator:
    """Governance's spec validator for a request naming the datasets ``named``.

    It returns the problems with a spec text (empty when there are none): the validator's
    message, or each dataset the spec reads that the request does not name or governance
    has not registered.
    """
    registered = {dataset.name for dataset in list_datasets(unit.session)}
    catalogue = catalogue_for(unit.root)

    def problems(spec_text: str) -> list[str]:
        try:
            spec = validate_spec(spec_text, SPEC_SOURCE, catalogue)
        except SpecError as exc:
            return [str(exc)]
        reads = datasets_read_by(spec)
        return [
            f"{SPEC_SOURCE}: reads the dataset {name!r}, which governance has not registered"
            for name in reads
            if name not in registered
        ] + [
            f"{SPEC_SOURCE}: reads the dataset {name!r}, which the request does not name "
            "(say why the project needs it)"
            for name in reads
            if name in registered and name not in named
        ]

    return problems


def whole_spec(spec_text: str) -> str:
    """The spec text with its codelists embedded; as it is when it does not validate (the
    check then refuses it with the validator's message)."""
    try:
        return embed_codelists(spec_text, SPEC_SOURCE)
    except SpecError:
        return spec_text


def dataset_needs(spec_text: str, justifications: Mapping[str, str]) -> list[DatasetNeed]:
    """A request's needs from one reason per dataset (the web form's way of asking).

    Each justified dataset the spec reads, with every variable the spec reads from it;
    a variable's reason names the part of the spec that uses it, so the steward sees why
    it is there. A spec that does not validate gives the justified datasets alone: the
    request operations then refuse it with the validator's message.
    """
    try:
        spec = validate_spec(spec_text, SPEC_SOURCE)
    except SpecError:
        return [DatasetNeed(name, why) for name, why in justifications.items()]
    variables: dict[str, dict[str, str]] = {}
    for where, table, column in columns_read(spec):
        dataset, _, stem = table.partition(".")
        if dataset in justifications:
            variables.setdefault(dataset, {}).setdefault(f"{stem}.{column}", f"used by {where}")
    return [DatasetNeed(name, justifications[name], found) for name, found in variables.items()]


def _named(datasets: Sequence[DatasetNeed]) -> set[str]:
    return {need.dataset for need in datasets}


def create_request(
    unit: Unit,
    *,
    project: str,
    title: str,
    spec_text: str,
    datasets: Sequence[DatasetNeed],
    submit: bool = False,
) -> LinkageRequest:
    """The unit's actor drafts a request for ``project`` (and submits it when ``submit``)."""
    check = spec_check(unit, _named(datasets))
    created = requests.create_request(
        unit.session,
        unit.keystore,
        by=unit.actor,
        project=project,
        title=title,
        spec_text=whole_spec(spec_text),
        datasets=datasets,
        validate_spec=check,
    )
    if submit:
        return _submit(unit, created.id, check)
    return created


def revise_request(
    unit: Unit,
    request_id: int,
    *,
    spec_text: str,
    datasets: Sequence[DatasetNeed],
    submit: bool = False,
) -> LinkageRequest:
    """Change a draft or a request returned for changes (and resubmit it when ``submit``)."""
    check = spec_check(unit, _named(datasets))
    revised = requests.revise_request(
        unit.session,
        unit.keystore,
        by=unit.actor,
        request_id=request_id,
        spec_text=whole_spec(spec_text),
        datasets=datasets,
        validate_spec=check,
    )
    if submit:
        return _submit(unit, request_id, check)
    return revised


def submit_request(unit: Unit, request_id: int) -> LinkageRequest:
    """Send a draft or revised request to the stewards, its spec checked again.

    The spec is checked at submission too: the catalogue may have changed since the
    draft, and a draft saved before this check existed must not reach the stewards.
    """
    named = {
        row.dataset_name for row in requests.get_request(unit.session, request_id).dataset_rows
    }
    return _submit(unit, request_id, spec_check(unit, named))


def _submit(unit: Unit, request_id: int, check: SpecValidator) -> LinkageRequest:
    """Submit with the datasets the request's spec reads, for governance's round."""
    spec_text = requests.get_request(unit.session, request_id).spec_text
    return requests.submit_request(
        unit.session,
        unit.keystore,
        by=unit.actor,
        request_id=request_id,
        reads=spec_reads(spec_text, catalogue_for(unit.root)),
        validate_spec=check,
    )
