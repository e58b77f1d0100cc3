"""A unit of work commits its changes and their audit entries together, or neither."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from nightingale.governance.models import AuditEntry
from nightingale.operations.unit import NotInitialised, open_unit
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    chosen = Settings(data_root=tmp_path / "var", database_url=database_url)
    initialise(chosen)
    return chosen


def _entries(settings: Settings) -> int:
    with open_unit(settings, "reader") as work:
        return int(work.session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_audit_entries_commit_with_the_unit(settings: Settings) -> None:
    before = _entries(settings)
    with open_unit(settings, "otto") as work:
        work.audit("test.happened", "thing", "1", {"count": 1})
    assert _entries(settings) == before + 1


def test_a_failed_unit_leaves_no_audit_entry(settings: Settings) -> None:
    before = _entries(settings)
    with pytest.raises(RuntimeError), open_unit(settings, "otto") as work:
        work.audit("test.happened", "thing", "1", {"count": 1})
        raise RuntimeError("the operation failed after auditing")
    assert _entries(settings) == before


def test_settings_sections_are_typed(settings: Settings) -> None:
    chosen = settings.model_copy(update={"sdc": {"threshold": 7}})
    with open_unit(chosen, "otto") as work:
        assert work.sdc.threshold == 7
        assert work.governance.special_category_approvals == 2


def test_an_uninitialised_database_is_refused(tmp_path: Path) -> None:
    fresh = Settings(data_root=tmp_path / "empty", database_url=f"sqlite:///{tmp_path}/x.db")
    with pytest.raises(NotInitialised, match="nightingale init"), open_unit(fresh, "otto"):
        pass
