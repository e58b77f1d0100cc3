"""A linked hand-made region with people in every role, for clerical review tests.

``REVIEWERS`` are data stewards who also hold the linkage role; ``OTHERS`` are everyone
who must be refused: a plain steward, the linkage officer alone, a researcher, an
evaluator, an output checker and the administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from nightingale.cli.governance_demo import OFFICER, intake_ready
from nightingale.governance import people
from nightingale.operations import linkage
from nightingale.operations.unit import open_unit
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings
from tests.linkage.conftest import FILES
from tests.linkage.region import write_region

REVIEWERS = ("rhea", "rowan")
OTHERS = {
    "sam": ("data_steward",),
    OFFICER: ("linkage_officer",),
    "rita": ("researcher",),
    "eve": ("evaluator",),
    "otto": ("output_checker",),
    "ada": ("administrator",),
}


@dataclass(frozen=True)
class ReviewWorld:
    settings: Settings
    run_id: str


def review_world(folder: Path) -> ReviewWorld:
    """Initialise, ingest the hand-made region, link it as the officer; add the people."""
    settings = Settings(
        data_root=folder / "var", database_url=f"sqlite:///{folder / 'var' / 'nightingale.db'}"
    )
    initialise(settings)
    write_region(settings.data_root / "demo-region")
    with open_unit(settings, "setup") as unit:
        intake_ready(unit.session, unit.keystore)
        accredited = date.today() + timedelta(days=365)
        for name in REVIEWERS:
            people.create_person(
                unit.session, unit.keystore, by="ada", username=name,
                display_name=name.title(), roles=("data_steward", "linkage_officer"),
            )  # fmt: skip
        for name, roles in OTHERS.items():
            if name in ("ada", OFFICER):
                continue
            people.create_person(
                unit.session, unit.keystore, by="ada", username=name, display_name=name.title(),
                roles=roles, accreditation_expires=accredited if "researcher" in roles else None,
            )  # fmt: skip
    extracts = settings.data_root / "demo-region" / "extracts"
    for provider, names in FILES.items():
        with open_unit(settings, OFFICER) as unit:
            linkage.ingest(unit, provider, [extracts / provider / n for n in names])
    with open_unit(settings, OFFICER) as unit:
        summary = linkage.link(unit)
    return ReviewWorld(settings, summary.run_id)
