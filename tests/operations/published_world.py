"""A data root with something in every part of the public registry, built with real calls.

The demo cast and the active pilot project; the pilot's plan lodged and then amended;
a request approved by two stewards; a real economics bundle through the real airlock,
published with the evaluator's CHEERS items; and a second project still in draft, which
the registry must not show.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from nightingale.analyses.economics.evaluation import EconomicsRun, evaluate_pilot, write_bundle
from nightingale.cli import governance_demo
from nightingale.cli.economics_demo import CHEERS_ANSWERS, _through_airlock
from nightingale.cli.governance import governance_unit
from nightingale.cli.plans import PILOT_PLAN, lodge_pilot_plan
from nightingale.governance import approvals, projects
from nightingale.operations import airlock, cheers, plans
from nightingale.platform.bootstrap import initialise
from nightingale.platform.settings import Settings
from tests.analyses.economics.release_frames import pilot_release

CHEAP = {"password_hashing": {"time_cost": 1, "memory_cost_kib": 8, "parallelism": 1}}
RESULT = "pilot-ce"
DRAFT = "secret-draft"
AMENDMENT = "the seed is now derived from the plan name"
NAMES = ("ada", "rita", "sam", "sasha", "otto", "eve", "Researcher", "Steward", "Evaluator")
"""Usernames and display-name parts of the demo cast: none may appear in the registry."""


def build(root: Path, work_folder: Path) -> Settings:
    """Fill ``root`` (a new data root) as the module says; its settings."""
    settings = Settings(data_root=root, governance=CHEAP)
    initialise(settings)
    with governance_unit(settings) as work:
        governance_demo.people_and_project(work.session, work.keystore, settings)
    with governance_unit(settings, "rita") as work:
        request_id, _ = governance_demo.linkage_request(work)
    for steward in ("sam", "sasha"):
        with governance_unit(settings, steward) as work:
            approvals.approve(work.session, work.keystore, request_id, steward, "reviewed")
    with governance_unit(settings, "rita") as work:
        lodge_pilot_plan(work)
    changed = PILOT_PLAN.read_text(encoding="utf-8").replace("seed: 2026", "seed: 2027")
    with governance_unit(settings, "rita") as work:
        plans.amend(work, "dfh-pilot", changed, AMENDMENT, "amended.yaml")
    with governance_unit(settings, "rita") as work:
        projects.create_project(
            work.session,
            work.keystore,
            by="rita",
            slug=DRAFT,
            title="A draft nobody approved",
            purpose="Not public",
            public_benefit="Not public",
            lawful_basis="none yet",
            ethics_reference="none yet",
            pi="rita",
            start_date=date.today(),
            end_date=date.today() + timedelta(days=30),
        )
    persons, panel = pilot_release(n=200, seed=4)
    result = evaluate_pilot(persons, panel, run=EconomicsRun(replicates=200, impute=False, seed=1))
    bundle = write_bundle(result, work_folder / "bundle", "r1", "0" * 64)
    output_id = _through_airlock(settings, "economics", bundle)
    assert output_id is not None
    with governance_unit(settings, "eve") as work:
        airlock.publish(
            work,
            title="Designed-for-health homes: cost-effectiveness",
            output_ids=[output_id],
            result_id=RESULT,
            cheers_answers=cheers.read_answers(CHEERS_ANSWERS),
        )
    return settings
