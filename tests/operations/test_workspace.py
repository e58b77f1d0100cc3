"""Workspace access as an operation: what one person may see, as the policy decides it."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update

from nightingale.governance.models import Release
from nightingale.governance.people import deactivate, set_accreditation
from nightingale.governance.projects import get_project
from nightingale.governance.releases import revoke_release
from nightingale.operations.unit import open_unit
from nightingale.operations.workspace import (
    WorkspaceAccess,
    log_in,
    readable_releases,
    workspace_access,
)
from nightingale.platform.database import session_scope
from nightingale.platform.settings import Settings
from tests.workspace_world import PASSWORD, World, build_world


def _access(world: World, username: str, on: date | None = None) -> WorkspaceAccess | None:
    with open_unit(world.settings, username, engine=world.engine) as unit:
        return workspace_access(unit, on=on)


def test_a_member_sees_only_her_projects_releases(settings: Settings) -> None:
    world = build_world(settings)
    mine = world.released("dfh-pilot", by="rita")
    theirs = world.released("other-study", by="ray")
    access = _access(world, "rita")
    assert access is not None and access.projects == {"dfh-pilot": access.projects["dfh-pilot"]}
    assert [r.release_id for r in access.releases] == [mine]
    assert access.releases[0].path == settings.data_root / "projects/dfh-pilot/releases" / mine
    ray = _access(world, "ray")
    assert ray is not None and [r.release_id for r in ray.releases] == [theirs]


def test_a_person_on_no_active_project_is_told_why(settings: Settings) -> None:
    world = build_world(settings)
    access = _access(world, "nora")
    assert access is not None and not access.may_start_server
    assert "not a member of any active project" in access.refusal_message()


def test_an_expired_accreditation_closes_the_workspace_with_the_policys_reason(
    settings: Settings,
) -> None:
    world = build_world(settings)
    world.released("dfh-pilot", by="rita")
    later = _access(world, "rita", on=date(2100, 1, 1))
    assert later is not None and not later.may_start_server and later.releases == ()
    assert "accreditation expired" in later.refusal_message()


def test_a_revoked_release_is_no_longer_readable(settings: Settings) -> None:
    world = build_world(settings)
    release_id = world.released()
    with session_scope(world.engine) as session:
        revoke_release(session, world.keystore, by="sam", release_id=release_id, reason="test")
    with open_unit(world.settings, "rita", engine=world.engine) as unit:
        assert readable_releases(unit) == ()
        access = workspace_access(unit)
    assert access is not None and access.may_start_server


def test_nobody_and_deactivated_people_have_no_access(settings: Settings) -> None:
    world = build_world(settings)
    assert _access(world, "nobody") is None
    with session_scope(world.engine) as session:
        deactivate(session, world.keystore, by="ada", username="rita")
    assert _access(world, "rita") is None


def test_a_login_checks_the_password_before_saying_anything(settings: Settings) -> None:
    world = build_world(settings)
    with open_unit(world.settings, "rita", engine=world.engine) as unit:
        assert log_in(unit, "not the password") is None
        access = log_in(unit, PASSWORD)
    assert access is not None and access.hub_groups() == ["project:dfh-pilot", "role:researcher"]


def _tamper_location(world: World, release_id: str, location: str) -> None:
    """What an operator with database access could do: point a release row elsewhere."""
    with session_scope(world.engine) as session:
        session.execute(
            update(Release).where(Release.release_id == release_id).values(location=location)
        )


def test_a_release_row_pointing_outside_its_projects_releases_is_never_offered(
    settings: Settings,
) -> None:
    world = build_world(settings)
    mine = world.released("dfh-pilot", by="rita")
    theirs = world.released("other-study", by="ray")
    root = settings.data_root.resolve()
    for tampered in (
        str(root / "keys"),  # absolute, into the key store
        "/etc",  # absolute, outside the data root
        "projects/dfh-pilot/releases/../../../linkage",  # relative, climbing out
        f"projects/other-study/releases/{theirs}",  # another project's release
        "projects/dfh-pilot/releases",  # the releases folder itself
    ):
        _tamper_location(world, mine, tampered)
        access = _access(world, "rita")
        assert access is not None and access.releases == (), tampered
        assert access.may_start_server  # the project stays open; the row is refused
    # A link planted inside the releases folder that leads out is refused too.
    (root / "projects/dfh-pilot/releases/escape").symlink_to(root / "keys")
    _tamper_location(world, mine, "projects/dfh-pilot/releases/escape")
    assert _access(world, "rita").releases == ()  # type: ignore[union-attr]
    _tamper_location(world, mine, str(root / "projects/dfh-pilot/releases" / mine))
    assert [r.release_id for r in _access(world, "rita").releases] == [mine]  # type: ignore[union-attr]


def test_a_project_past_its_end_date_closes_its_workspace_before_any_enforcement_runs(
    settings: Settings,
) -> None:
    world = build_world(settings)
    world.released("dfh-pilot", by="rita")
    with session_scope(world.engine) as session:
        end = get_project(session, "dfh-pilot").end_date
        assert get_project(session, "dfh-pilot").status == "active"  # nobody closed it
        set_accreditation(
            session, world.keystore, by="ada", username="rita", expires=end + timedelta(days=90)
        )
    on_the_day = _access(world, "rita", on=end)
    assert on_the_day is not None and on_the_day.may_start_server
    after = _access(world, "rita", on=end + timedelta(days=1))
    assert after is not None and not after.may_start_server and after.releases == ()
    assert f"project dfh-pilot ended on {end}" in after.refusal_message()
