"""The demo's governance stages, written to be run again and again (idempotent).

Stage 40 creates the demo cast (with lina, the linkage officer who ingests and links),
the three providers with a data sharing agreement each, and the homes pilot project, and
takes the project to active with the real governance steps (the PI submits, a steward
approves, the administrator activates), so the audit log tells the same story a real
platform would. Stage 70 submits the pilot's linkage request with the cohort spec from
``nightingale/cohorts/examples/dfh_pilot.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nightingale.governance import agreements, datasets, people, projects, requests
from nightingale.governance.models import Person
from nightingale.governance.requests import DatasetNeed
from nightingale.governance.settings import governance_settings
from nightingale.operations.unit import Unit
from nightingale.platform.keystore import KeyStore
from nightingale.platform.settings import Settings

PASSWORD = "nightingale-demo"  # noqa: S105 (the demo prints it; it is a demo)
PROJECT = "dfh-pilot"
REQUESTER = "rita"
SPEC_FILE = Path(__file__).resolve().parent.parent / "cohorts" / "examples" / "dfh_pilot.yaml"

CAST: list[tuple[str, str, tuple[str, ...]]] = [
    ("ada", "Ada Administrator", ("administrator",)),
    ("rita", "Rita Researcher", ("researcher",)),
    ("sam", "Sam Steward", ("data_steward",)),
    ("sasha", "Sasha Steward", ("data_steward",)),
    ("otto", "Otto Output-Checker", ("output_checker",)),
    ("owen", "Owen Output-Checker", ("output_checker",)),
    ("eve", "Eve Evaluator", ("evaluator",)),
    ("lina", "Lina Linkage-Officer", ("linkage_officer",)),
]
OFFICER = "lina"
"""The demo's linkage officer: ingest and link run as her."""

AGREEMENTS: list[tuple[str, str, str]] = [
    (
        "health",
        "DSA-HEALTH-DEMO",
        "UK GDPR Art. 6(1)(e) public task; Art. 9(2)(j) research; s251 support (synthetic)",
    ),
    ("housing", "DSA-HOUSING-DEMO", "UK GDPR Art. 6(1)(e) public task (synthetic)"),
    ("employment", "DSA-EMPLOYMENT-DEMO", "UK GDPR Art. 6(1)(e) public task (synthetic)"),
]
"""One data sharing agreement per provider of the synthetic region: every table, for
research, for three years from today."""

NEEDS = [
    DatasetNeed(
        "housing",
        "Defines the cohort: tenancies in designed-for-health and standard "
        "homes, with start and end dates",
        {
            "tenancy_start": "index date of follow-up",
            "tenancy_end": "censors follow-up when a tenant moves out",
            "scheme": "the exposure: designed-for-health or standard home",
            "imd_decile": "deprivation of the address, for matching",
        },
    ),
    DatasetNeed(
        "health",
        "Primary outcomes: emergency admissions, A&E, GP consultations, "
        "EQ-5D quality of life and deaths, before and after moving in",
        {
            "admissions": "emergency admissions and bed days (primary outcome)",
            "ae_attendances": "A&E attendances (secondary outcome)",
            "gp_consultations": "GP consultations (secondary outcome)",
            "eq5d": "quality of life for QALYs in the economic evaluation",
            "deaths": "censoring and mortality outcome",
            "date_of_birth": "age band only (generalised in the release)",
        },
    ),
    DatasetNeed(
        "employment",
        "Secondary outcomes: employment, earnings and sickness "
        "benefits, for the wider economic evaluation",
        {
            "employment_spells": "days employed per period",
            "earnings": "earnings before and after",
            "benefit_claims": "sickness benefit days",
        },
    ),
]

FALLBACK_SPEC = """\
# Minimal placeholder: the cohorts package's examples/dfh_pilot.yaml replaces it.
version: 1
name: dfh_pilot
population:
  source: housing.tenancies
  index_date: tenancy_start
"""


def people_and_project(session: Session, keystore: KeyStore, settings: Settings) -> None:
    """Create the cast, datasets and the active pilot project; skip what already exists."""
    hashing = governance_settings(settings).password_hashing
    existing = set(session.scalars(select(Person.username)))
    today = date.today()
    for username, name, roles in CAST:
        if username in existing:
            continue
        people.create_person(
            session,
            keystore,
            by=None if username == "ada" and not existing else "ada",
            username=username,
            display_name=name,
            roles=roles,
            password=PASSWORD,
            hashing=hashing,
            accreditation_expires=today + timedelta(days=3 * 365)
            if "researcher" in roles
            else None,
        )
        existing.add(username)
    datasets.ensure_default_datasets(session, keystore, by="ada")
    ensure_agreements(session, keystore, by="ada")
    if PROJECT not in {p.slug for p in projects.list_projects(session)}:
        projects.create_project(
            session,
            keystore,
            by="rita",
            slug=PROJECT,
            title="Designed-for-health homes pilot evaluation",
            purpose="Estimate the effect of designed-for-health low-cost social homes on "
            "tenants' health service use, quality of life and employment, and their "
            "cost-effectiveness, with up to four years of follow-up.",
            public_benefit="Evidence for councils and housing associations on whether "
            "healthier home design prevents ill health and pays for itself.",
            lawful_basis="UK GDPR Art. 6(1)(e) public task; Art. 9(2)(j) research",
            ethics_reference="REC 26/NW/0117 (synthetic demo)",
            pi="rita",
            start_date=today - timedelta(days=30),
            end_date=today + timedelta(days=3 * 365),
        )
    project = projects.get_project(session, PROJECT)
    steps: list[tuple[str, Callable[[], object]]] = [
        ("draft", lambda: projects.submit_project(session, keystore, by="rita", slug=PROJECT)),
        (
            "submitted",
            lambda: projects.approve_project(
                session,
                keystore,
                by="sam",
                slug=PROJECT,
                reason="purpose, public benefit, lawful basis and ethics approval in order",
            ),
        ),
        ("approved", lambda: projects.activate_project(session, keystore, by="ada", slug=PROJECT)),
    ]
    for status, step in steps:
        if project.status == status:
            step()


def ensure_agreements(
    session: Session,
    keystore: KeyStore,
    *,
    by: str,
    providers: tuple[str, ...] | None = None,
) -> None:
    """A current agreement (every table, for research) with each demo provider that has
    none; ``providers`` limits them (an operator's provider gets one on the same terms)."""
    today = date.today()
    wanted = [
        (provider, reference, basis)
        for provider, reference, basis in AGREEMENTS
        if providers is None or provider in providers
    ]
    wanted += [
        (p, f"DSA-{p.upper()}-DEMO", "UK GDPR Art. 6(1)(e) public task (synthetic)")
        for p in providers or ()
        if p not in {a[0] for a in AGREEMENTS}
    ]
    for provider, reference, basis in wanted:
        if agreements.current_agreements(session, provider, on=today):
            continue
        if any(a.reference == reference for a in agreements.list_agreements(session, provider)):
            reference = f"{reference}-{today:%Y%m%d}"
        agreements.add_agreement(
            session,
            keystore,
            by=by,
            reference=reference,
            provider=provider,
            tables=[agreements.EVERY_TABLE],
            purposes=["research"],
            legal_basis=basis,
            starts_on=today - timedelta(days=30),
            expires_on=today + timedelta(days=3 * 365),
        )


def spec_text() -> str:
    """The pilot's cohort spec (the cohorts package's example), else a placeholder."""
    return SPEC_FILE.read_text(encoding="utf-8") if SPEC_FILE.is_file() else FALLBACK_SPEC


def linkage_request(unit: Unit) -> tuple[int, str]:
    """Submit the pilot's request as ``unit``'s actor (:data:`REQUESTER`) unless one is
    already on its way; (id, status)."""
    from nightingale.operations import requests as request_operations

    live = {"draft", "submitted", "changes_requested", "approved", "released"}
    for request in requests.list_requests(unit.session, project=PROJECT):
        if request.status in live:
            if request.status == "draft":
                request_operations.submit_request(unit, request.id)
            return request.id, request.status
    request = request_operations.create_request(
        unit,
        project=PROJECT,
        title="Homes pilot cohort: housing, health and employment",
        spec_text=spec_text(),
        datasets=NEEDS,
        submit=True,
    )
    return request.id, request.status


def intake_ready(
    session: Session,
    keystore: KeyStore,
    providers: tuple[str, ...] = ("health", "housing", "employment"),
) -> str:
    """Whatever ingest and link need on a fresh platform; the linkage officer's name.

    For the demo's helpers, benchmarks and tests that ingest on their own: the first
    administrator (``ada``) when nobody exists yet, :data:`OFFICER` (a linkage officer),
    ``providers`` registered as datasets (the demo's classification, else personal) and
    a current agreement with each. What already exists is left as it is.
    """
    existing = set(session.scalars(select(Person.username)))
    if not existing:
        people.create_person(
            session,
            keystore,
            by=None,
            username="ada",
            display_name="Ada Administrator",
            roles=("administrator",),
        )
    if OFFICER not in existing:
        people.create_person(
            session,
            keystore,
            by="ada",
            username=OFFICER,
            display_name="Lina Linkage-Officer",
            roles=("linkage_officer",),
        )
    registered = {d.name for d in datasets.list_datasets(session)}
    for name in providers:
        if name not in registered:
            classification, description = datasets.DEFAULT_DATASETS.get(
                name, ("personal", f"Provider {name}")
            )
            datasets.register_dataset(
                session,
                keystore,
                by="ada",
                name=name,
                classification=classification,
                description=description,
            )
    ensure_agreements(session, keystore, by="ada", providers=providers)
    return OFFICER
