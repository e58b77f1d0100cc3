"""Datasets as governance sees them: a provider's name and its classification.

Health data is *special category* (UK GDPR Article 9): requests that include it need
more steward approvals (``special_category_approvals``). The linkage package registers
each dataset's *versions* in its own tables; here only the classification matters.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance.acting import acting
from nightingale.governance.errors import InvalidInput, NotFound
from nightingale.governance.models import CLASSIFICATIONS, Dataset
from nightingale.governance.policy import Action
from nightingale.platform.keystore import KeyStore

DEFAULT_DATASETS: dict[str, tuple[str, str]] = {
    "health": (
        "special_category",
        "GP registrations, admissions, A&E, consultations, EQ-5D, deaths",
    ),
    "housing": ("personal", "Social housing tenancies and property condition reports"),
    "employment": ("personal", "Claimants, employment spells, earnings and benefit claims"),
}


def register_dataset(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    name: str,
    classification: str,
    description: str,
) -> Dataset:
    """Register a dataset or change its classification (audited either way)."""
    if classification not in CLASSIFICATIONS:
        raise InvalidInput(
            f"classification {classification!r} is not one of {', '.join(CLASSIFICATIONS)}"
        )
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
        if existing is None:
            existing = Dataset(name=name, classification=classification, description=description)
            session.add(existing)
        existing.classification = classification
        existing.description = description
        session.flush()
        who.audit("dataset.registered", {"classification": classification, "before": before})
        return existing


def ensure_default_datasets(session: Session, keystore: KeyStore, *, by: str) -> list[Dataset]:
    """Register the three providers of the synthetic region (idempotent)."""
    return [
        register_dataset(session, keystore, by=by, name=name, classification=cls, description=desc)
        for name, (cls, desc) in DEFAULT_DATASETS.items()
    ]


def get_dataset(session: Session, name: str) -> Dataset:
    found = session.get(Dataset, name)
    if found is None:
        raise NotFound(f"no dataset called {name!r}")
    return found


def list_datasets(session: Session) -> list[Dataset]:
    return list(session.scalars(select(Dataset).order_by(Dataset.name)))
