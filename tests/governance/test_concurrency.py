"""Two stewards approving the same request at the same moment, on real PostgreSQL sessions.

Each steward runs in its own thread with its own engine; a barrier releases them together.
Exactly one decision moves the request out of ``submitted`` and the chain stays linear.
"""

from __future__ import annotations

import threading

import pytest

from nightingale.governance import approvals, audit, requests
from nightingale.governance.errors import PermissionDenied
from nightingale.governance.requests import DatasetNeed
from nightingale.governance.settings import GovernanceSettings
from nightingale.platform import database
from nightingale.platform.keystore import KeyStore
from tests.governance.conftest import READS, SPEC, Platform, add_cast

pytestmark = pytest.mark.postgres


def race(url: str, keystore: KeyStore, request_id: int, needed: int) -> list[object]:
    """Both stewards approve at once; return what each got (an outcome or an error)."""
    barrier = threading.Barrier(2)
    results: list[object] = []
    settings = GovernanceSettings(special_category_approvals=needed, ordinary_approvals=needed)

    def steward(name: str) -> None:
        engine = database.make_engine(url)
        try:
            barrier.wait()
            with database.session_scope(engine) as session:
                results.append(
                    approvals.approve(session, keystore, request_id, name, "ok", settings=settings)
                )
        except BaseException as exc:  # the refused one is part of the result
            results.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=steward, args=(n,)) for n in ("sam", "sasha")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def prepared(url: str, keystore: KeyStore) -> tuple[Platform, int]:
    engine = database.make_engine(url)
    platform = Platform(engine, keystore)
    platform.act(add_cast)
    request = platform.act(
        requests.create_request,
        by="rita",
        project="dfh-pilot",
        title="t",
        spec_text=SPEC,
        datasets=[DatasetNeed("health", "outcomes")],
    )
    platform.act(requests.submit_request, by="rita", request_id=request.id, reads=READS)
    return platform, request.id


def final_decisions(platform: Platform, request_id: int) -> list[str]:
    with database.session_scope(platform.engine) as session:
        assert audit.verify(session, platform.keystore).ok
        return [
            e.action
            for e in audit.entries(session, object_type="request", object_id=str(request_id))
            if e.action in {"request.approved", "request.rejected"}
        ]


def test_two_needed_both_count_and_exactly_one_approves(
    migrated_postgres_url: str, keystore: KeyStore
) -> None:
    platform, request_id = prepared(migrated_postgres_url, keystore)
    try:
        results = race(migrated_postgres_url, keystore, request_id, needed=2)
        outcomes = sorted(
            (r.approvals, r.status) for r in results if isinstance(r, approvals.DecisionOutcome)
        )
        assert outcomes == [(1, "submitted"), (2, "approved")]
        assert final_decisions(platform, request_id) == ["request.approved"]
    finally:
        platform.engine.dispose()


def test_one_needed_the_second_steward_is_refused(
    migrated_postgres_url: str, keystore: KeyStore
) -> None:
    platform, request_id = prepared(migrated_postgres_url, keystore)
    try:
        results = race(migrated_postgres_url, keystore, request_id, needed=1)
        refused = [r for r in results if isinstance(r, PermissionDenied)]
        approved = [r for r in results if isinstance(r, approvals.DecisionOutcome)]
        assert len(refused) == 1 and "is approved" in str(refused[0])
        assert [a.status for a in approved] == ["approved"]
        assert final_decisions(platform, request_id) == ["request.approved"]
    finally:
        platform.engine.dispose()
