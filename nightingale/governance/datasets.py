"""Datasets as governance sees them: a provider's name and its classification.

Health data is *special category* (UK GDPR Article 9): requests that include it need
more steward approvals (``special_category_approvals``). The linkage package registers
each dataset's *versions* in its own tables; here only the classification matters.

Because the classification sets how many stewards must approve, *lowering* it is a
two-person change: one steward or administrator proposes it with a reason
(:func:`propose_downgrade`) and a different one confirms it (:func:`confirm_downgrade`);
both are audited. :func:`register_dataset` registers a dataset or raises its
classification alone, and refuses to lower one. A request already submitted keeps the
classification in force at its submission either way (:mod:`.rounds`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance import states
from nightingale.governance.acting import acting
from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.facts import downgrade_facts
from nightingale.governance.models import CLASSIFICATIONS, Dataset, DatasetDowngrade
from nightingale.governance.policy import Action
from nightingale.governance.service import lock_row, utcnow
from nightingale.platform.keystore import KeyStore

DEFAULT_DATASETS: dict[str, tuple[str, str]] = {
    "health": (
        "special_category",
        "GP registrations, admissions, A&E, consultations, EQ-5D, deaths",
    ),
    "housing": ("personal", "Social housing tenancies and property condition reports"),
    "employment": ("personal", "Claimants, employment spells, earnings and benefit claims"),
}

RANK = {name: len(CLASSIFICATIONS) - index for index, name in enumerate(CLASSIFICATIONS)}
"""How protected each classification is: special category highest, public lowest."""


def _check_classification(classification: str) -> None:
    if classification not in CLASSIFICATIONS:
        raise InvalidInput(
            f"classification {classification!r} is not one of {', '.join(CLASSIFICATIONS)}"
        )


def lowers(before: str, after: str) -> bool:
    """Whether moving a dataset from ``before`` to ``after`` lowers its protection."""
    return RANK[after] < RANK[before]


def register_dataset(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    name: str,
    classification: str,
    description: str,
) -> Dataset:
    """Register a dataset or raise its classification (audited either way).

    Lowering a classification is refused (audited): it needs :func:`propose_downgrade`
    and a second person's :func:`confirm_downgrade`.
    """
    _check_classification(classification)
    with acting(
        session, keystore, by, Action.DATASET_MANAGE, object_type="dataset", object_id=name
    ) as who:
        existing = session.get(Dataset, name)
        if existing is not None and (existing.classification, existing.description) == (
            classification,
            description,
        ):
            return existing
        before = existing.classification if existing else None
        if before is not None and lowers(before, classification):
            who.refuse(
                f"lowering dataset {name} from {before} to {classification} needs two people: "
                "one proposes the downgrade and another steward or administrator confirms it"
            )
        if existing is None:
            existing = Dataset(name=name, classification=classification, description=description)
            session.add(existing)
        existing.classification = classification
        existing.description = description
        session.flush()
        who.audit("dataset.registered", {"classification": classification, "before": before})
        return existing


def propose_downgrade(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    name: str,
    classification: str,
    reason: str,
) -> DatasetDowngrade:
    """Propose lowering dataset ``name`` to ``classification``; nothing changes until
    another steward or administrator confirms it (audited ``dataset.downgrade_proposed``)."""
    _check_classification(classification)
    with acting(
        session,
        keystore,
        by,
        Action.DATASET_DOWNGRADE_PROPOSE,
        object_type="dataset",
        object_id=name,
    ) as who:
        dataset = get_dataset(session, name)
        if not lowers(dataset.classification, classification):
            raise InvalidInput(
                f"dataset {name} is {dataset.classification}; {classification} is not lower "
                "(raise a classification by registering the dataset again)"
            )
        if not reason.strip():
            raise InvalidInput(f"a downgrade of dataset {name} needs a reason")
        proposal = DatasetDowngrade(
            dataset_name=name,
            from_classification=dataset.classification,
            to_classification=classification,
            reason=reason,
            status="proposed",
            proposer=who.person,
            proposed_at=utcnow(),
        )
        session.add(proposal)
        session.flush()
        who.audit(
            "dataset.downgrade_proposed",
            {
                "downgrade": proposal.id,
                "from": proposal.from_classification,
                "to": classification,
                "reason": reason,
            },
        )
        return proposal


def confirm_downgrade(
    session: Session, keystore: KeyStore, *, by: str, downgrade_id: int
) -> Dataset:
    """A second steward or administrator confirms a proposed downgrade; it takes effect.

    Refused (audited) for the proposer, for a proposal already confirmed, and when the
    dataset's classification has changed since it was proposed. Audits
    ``dataset.downgrade_confirmed`` and, as every classification change,
    ``dataset.registered``.
    """
    found = session.get(DatasetDowngrade, downgrade_id)
    if found is None:
        raise NotFound(f"no dataset downgrade {downgrade_id}")
    # Lock the dataset, then the proposal: concurrent confirmations of two proposals for
    # one dataset run one after the other, and the second sees the first's result.
    dataset = lock_row(
        session, Dataset, Dataset.name, found.dataset_name, touch=Dataset.classification
    )
    proposal = lock_row(
        session, DatasetDowngrade, DatasetDowngrade.id, downgrade_id, touch=DatasetDowngrade.status
    )
    assert dataset is not None and proposal is not None  # rows are never deleted
    with acting(
        session,
        keystore,
        by,
        Action.DATASET_DOWNGRADE_CONFIRM,
        downgrade_facts(proposal, dataset.classification),
        object_type="dataset",
        object_id=dataset.name,
    ) as who:
        proposal.status = states.transition(
            "downgrade", f"downgrade {downgrade_id}", proposal.status, "confirmed"
        )
        proposal.confirmer = who.person
        proposal.confirmed_at = utcnow()
        before = dataset.classification
        dataset.classification = proposal.to_classification
        session.flush()
        who.audit(
            "dataset.downgrade_confirmed",
            {
                "downgrade": downgrade_id,
                "proposed_by": proposal.proposer.username,
                "from": before,
                "to": dataset.classification,
            },
        )
        who.audit(
            "dataset.registered", {"classification": dataset.classification, "before": before}
        )
        return dataset


def list_downgrades(session: Session, *, status: str | None = None) -> list[DatasetDowngrade]:
    """Downgrade proposals, oldest first (``status="proposed"``: those waiting)."""
    query = select(DatasetDowngrade).order_by(DatasetDowngrade.id)
    if status is not None:
        query = query.where(DatasetDowngrade.status == status)
    return list(session.scalars(query))


def ensure_default_datasets(session: Session, keystore: KeyStore, *, by: str) -> list[Dataset]:
    """Register the three providers of the synthetic region that are not registered yet.

    A provider already registered keeps its classification: re-running this must never
    undo a steward's reclassification (least of all lower one).
    """
    return [
        session.get(Dataset, name)
        or register_dataset(
            session, keystore, by=by, name=name, classification=cls, description=desc
        )
        for name, (cls, desc) in DEFAULT_DATASETS.items()
    ]


def get_dataset(session: Session, name: str) -> Dataset:
    found = session.get(Dataset, name)
    if found is None:
        raise NotFound(f"no dataset called {name!r}")
    return found


def list_datasets(session: Session) -> list[Dataset]:
    return list(session.scalars(select(Dataset).order_by(Dataset.name)))
