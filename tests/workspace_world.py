"""A small, real governance world for the workspace tests (web, hub, end to end).

Built only through the governance package's public API (no rows written by hand):
people with cheap argon2 parameters, two active projects with different members, and a
way to approve a request and record a release folder on disk, as the cohort builder
would.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from nightingale.cli.governance_demo import ensure_agreements
from nightingale.governance import approvals, people, projects, releases, requests
from nightingale.governance.datasets import ensure_default_datasets
from nightingale.governance.settings import PasswordHashing
from nightingale.operations import requests as request_operations
from nightingale.operations.unit import Unit, open_unit
from nightingale.platform.bootstrap import initialise, keystore_for
from nightingale.platform.contracts import (
    KAnonymityRecord,
    ReleaseManifest,
    RowCounts,
    write_manifest,
)
from nightingale.platform.database import make_engine, session_scope
from nightingale.platform.keystore import KeyStore
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, atomic_directory, sha256_file, write_parquet

PASSWORD = "nightingale-demo"
CHEAP = PasswordHashing(time_cost=1, memory_cost_kib=8, parallelism=1)
SPEC = Path(__file__).resolve().parent.parent / "nightingale/cohorts/examples/dfh_pilot.yaml"

PEOPLE = {
    "ada": ("Ada Admin", ["administrator"], False),
    "rita": ("Rita Researcher", ["researcher"], True),
    "ray": ("Ray Researcher", ["researcher"], True),
    "sam": ("Sam Steward", ["data_steward"], False),
    "sasha": ("Sasha Steward", ["data_steward"], False),
    "otto": ("Otto Checker", ["output_checker"], False),
    "owen": ("Owen Checker", ["output_checker"], False),
    "eve": ("Eve Evaluator", ["evaluator"], False),
    "nora": ("Nora Unaccredited", ["researcher"], False),
}


def pseudonym(project: str, i: int) -> str:
    """A pseudonym shaped like the builder's (32 hex characters), different per project."""
    return hashlib.sha256(f"{project}:{i}".encode()).hexdigest()[:32]


@dataclass
class World:
    settings: Settings
    engine: Engine
    keystore: KeyStore

    def spec_text(self) -> str:
        return SPEC.read_text()

    def unit(self, actor: str) -> AbstractContextManager[Unit]:
        """A unit of work acting as ``actor`` on the world's engine and keystore."""
        return open_unit(self.settings, actor, engine=self.engine, keystore=self.keystore)

    def draft_request(self, by: str = "rita", project: str = "dfh-pilot") -> int:
        text = self.spec_text()
        why = {d: f"the pilot needs {d} outcomes" for d in ("health", "housing", "employment")}
        with self.unit(by) as unit:
            created = request_operations.create_request(
                unit,
                project=project,
                title="Homes pilot cohort",
                spec_text=text,
                datasets=request_operations.dataset_needs(text, why),
            )
            return created.id

    def submitted_request(self, by: str = "rita", project: str = "dfh-pilot") -> int:
        request_id = self.draft_request(by, project)
        with self.unit(by) as unit:
            request_operations.submit_request(unit, request_id)
        return request_id

    def approve(self, request_id: int, stewards: tuple[str, ...] = ("sam", "sasha")) -> None:
        for steward in stewards:
            with session_scope(self.engine) as session:
                approvals.approve(
                    session, self.keystore, request_id, steward, "looks proportionate"
                )

    def release(self, request_id: int, project: str, rows: int = 200) -> str:
        """Write a small release folder and record it, as the cohort builder does.

        Its ``age_band`` has a rare band (``85+``, three people) so that a table by age
        band has cells the airlock must flag, while a table by ``sex`` is safe.
        """
        release_id = f"r{request_id}-{project}"
        target = DataRoot(self.settings.data_root).releases(project) / release_id
        with atomic_directory(target) as folder:
            persons = write_parquet(
                folder / "persons.parquet",
                pd.DataFrame(
                    {
                        "pid": [pseudonym(project, i) for i in range(rows)],
                        "treated": [i % 2 for i in range(rows)],
                        "sex": ["F" if i % 4 < 2 else "M" for i in range(rows)],
                        "age_band": ["85+" if i < 3 else "35-44" for i in range(rows)],
                    }
                ),
            )
            write_manifest(folder, _manifest(release_id, project, request_id, rows, persons))
        with session_scope(self.engine) as session:
            releases.record_release(
                session,
                self.keystore,
                request_id,
                f"projects/{project}/releases/{release_id}",
                sha256_file(target / "manifest.json"),
                actor="sam",
                spec_sha256=requests.get_request(session, request_id).spec_sha256,
                release_id=release_id,
            )
        return release_id

    def released(self, project: str = "dfh-pilot", by: str = "rita") -> str:
        request_id = self.submitted_request(by, project)
        self.approve(request_id)
        return self.release(request_id, project)

    def build(self, request_id: int, builder: str = "sam", k_override: str | None = None) -> str:
        """Build an approved request with the real cohort builder (needs :func:`populate`).

        A small region's release is below the pilot's k-anonymity target; the builder (a
        steward) then gives ``k_override``, as a steward would, or the build is refused.
        """
        from nightingale.operations.cohorts import build_request
        from nightingale.operations.unit import open_unit

        self.lodge_plan(request_id)
        with open_unit(self.settings, builder, engine=self.engine, keystore=self.keystore) as unit:
            return build_request(unit, request_id, k_override=k_override).release_id

    def lodge_plan(self, request_id: int) -> None:
        """The project's PI lodges a plan (a release carrying outcomes needs one)."""
        from nightingale.governance import plans, requests

        with session_scope(self.engine) as session:
            project = requests.get_request(session, request_id).project
            slug, pi = project.slug, project.pi.username
        with session_scope(self.engine) as session:
            plans.lodge_plan(
                session,
                self.keystore,
                by=pi,
                project=slug,
                plan_name=slug,
                plan_version="1.0.0",
                text=f"plan: {slug}\n",
            )

    def built(self, project: str, by: str, k_override: str | None = None) -> str:
        """Request, approve and build a release for ``project`` with the real builder."""
        request_id = self.submitted_request(by, project)
        self.approve(request_id)
        return self.build(request_id, k_override=k_override)


def _manifest(
    release_id: str, project: str, request_id: int, rows: int, persons_sha256: str
) -> ReleaseManifest:
    """The manifest the builder would write for :meth:`World.release`'s small release."""
    quasi = ["sex", "age_band"]
    return ReleaseManifest(
        release_id=release_id,
        project=project,
        request_id=str(request_id),
        cohort="dfh_pilot",
        spec_sha256=hashlib.sha256(SPEC.read_bytes()).hexdigest(),
        source_versions={"health": "v1", "housing": "v1", "employment": "v1"},
        spine_run_id="run1",
        engine="duckdb",
        pseudonym_key_id="pseudonym-v1",
        rows=RowCounts(persons=rows, panel=0),
        files={"persons.parquet": persons_sha256},
        k_anonymity=KAnonymityRecord(
            quasi_identifiers=quasi,
            k=1,
            min_k=5,
            groups=4,
            people_below_min_k=3,
            meets_target=False,
        ),
        created_at=datetime(2026, 7, 1, 12, 0, tzinfo=UTC),
    )


def populate(settings: Settings, people: int, seed: int = 11) -> None:
    """Generate a small synthetic region, ingest its three providers and link them.

    Afterwards the data root holds a content zone and a spine, so requests are built by
    the real cohort builder rather than written by hand.
    """
    from nightingale.cli.governance_demo import intake_ready
    from nightingale.operations import linkage
    from nightingale.operations.unit import open_unit
    from nightingale.synth import SynthConfig, generate_region

    region = generate_region(
        SynthConfig(people=people, seed=seed), settings.data_root / "demo-region"
    )
    with open_unit(settings, "ada") as unit:
        officer = intake_ready(unit.session, unit.keystore)
    for provider in ("health", "housing", "employment"):
        files = sorted((region.path / "extracts" / provider).glob("*.csv"))
        with open_unit(settings, officer) as unit:
            linkage.ingest(unit, provider, files)
    with open_unit(settings, officer) as unit:
        linkage.link(unit, truth=region.path / "truth" / "records.csv")


_TEMPLATES: dict[str, Path] = {}
"""Built SQLite worlds of this process, by their settings apart from the data root."""


def build_world(settings: Settings) -> World:
    """Init the data root and create the people and the two active projects.

    On SQLite in a data root that does not exist yet, the world is built once per process
    (per settings) and copied: building it (migrations, argon2, audit) takes about a
    second, and hundreds of tests ask for one. Copies share their keys and instance id,
    each with its own database. A PostgreSQL world is built every time.
    """
    if settings.database_url is not None or settings.data_root.exists():
        return _build_world(settings)
    key = settings.model_dump_json(exclude={"data_root"})
    template = _TEMPLATES.get(key)
    if template is None:
        folder = Path(tempfile.mkdtemp(prefix="nightingale-world-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = folder / "var"
        built = _build_world(settings.model_copy(update={"data_root": template}))
        built.engine.dispose()
        _TEMPLATES[key] = template
    shutil.copytree(template, settings.data_root)  # modes kept (copy2): keys stay 0600
    engine = make_engine(settings.resolved_database_url)
    return World(settings=settings, engine=engine, keystore=keystore_for(settings))


def _build_world(settings: Settings) -> World:
    initialise(settings)
    engine = make_engine(settings.resolved_database_url)
    keystore = keystore_for(settings)
    today = date.today()
    with session_scope(engine) as session:
        people.create_person(
            session, keystore, by=None, username="ada", display_name="Ada Admin",
            roles=["administrator"], password=PASSWORD, hashing=CHEAP,
        )  # fmt: skip
        for name, (display, roles, accredited) in PEOPLE.items():
            if name == "ada":
                continue
            people.create_person(
                session, keystore, by="ada", username=name, display_name=display, roles=roles,
                accreditation_expires=today + timedelta(days=365) if accredited else None,
                password=PASSWORD, hashing=CHEAP,
            )  # fmt: skip
        ensure_default_datasets(session, keystore, by="ada")
        ensure_agreements(session, keystore, by="ada")  # approvals and builds need them
    for slug, pi in (("dfh-pilot", "rita"), ("other-study", "ray")):
        with session_scope(engine) as session:
            projects.create_project(
                session, keystore, by=pi, slug=slug, title=f"The {slug} project",
                purpose="Evaluate designed-for-health homes.", public_benefit="Better homes.",
                lawful_basis="UK GDPR 6(1)(e), 9(2)(j)", ethics_reference="REC-0001", pi=pi,
                start_date=today - timedelta(days=30), end_date=today + timedelta(days=365),
            )  # fmt: skip
            if slug == "dfh-pilot":  # eve evaluates (and publishes) the pilot
                projects.add_member(session, keystore, by=pi, slug=slug, username="eve")
            projects.submit_project(session, keystore, by=pi, slug=slug)
            projects.approve_project(session, keystore, by="sam", slug=slug, reason="sound")
            projects.activate_project(session, keystore, by="sam", slug=slug)
    return World(settings=settings, engine=engine, keystore=keystore)
