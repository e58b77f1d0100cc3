"""The governance tables: people, projects, datasets (and proposals to lower their
classification), requests and their submission rounds, approvals, releases, the airlock,
published results, analysis jobs and the audit chain.

States are plain strings checked by :mod:`nightingale.governance.states` (one place owns
the transitions); the tables only store them. Table names start with ``gov_`` so they
never collide with another package's tables; the audit chain is ``audit_log`` and
``audit_chain_head``. Schema changes go through the migrations in
``governance/migrations/versions`` only.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nightingale.platform.database import Base

ROLES = (
    "researcher",
    "data_steward",
    "output_checker",
    "evaluator",
    "administrator",
    "linkage_officer",
)
CLASSIFICATIONS = ("special_category", "personal", "public")


class Person(Base):
    """Someone who may act on the platform; never deleted, only deactivated."""

    __tablename__ = "gov_people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    accreditation_expires: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    role_rows: Mapped[list[PersonRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)


class PersonRole(Base):
    """One role of one person (a person may hold several, e.g. steward and checker)."""

    __tablename__ = "gov_person_roles"

    person_id: Mapped[int] = mapped_column(ForeignKey("gov_people.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class Project(Base):
    """A research project: why it exists, under which legal basis, who is in it."""

    __tablename__ = "gov_projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    purpose: Mapped[str] = mapped_column(Text)
    public_benefit: Mapped[str] = mapped_column(Text)
    lawful_basis: Mapped[str] = mapped_column(String(300))
    ethics_reference: Mapped[str] = mapped_column(String(100))
    pi_id: Mapped[int] = mapped_column(ForeignKey("gov_people.id"))
    status: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    purpose_code: Mapped[str] = mapped_column(
        String(32), default="research", server_default="research"
    )
    """The kind of purpose (``research`` unless set) that data sharing agreements name."""
    pi: Mapped[Person] = relationship(lazy="joined")
    member_rows: Mapped[list[ProjectMember]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def member_usernames(self) -> frozenset[str]:
        """Members in force; someone waiting for a steward's approval is not one."""
        return frozenset(m.person.username for m in self.member_rows if m.status == "active")

    @property
    def pending_usernames(self) -> frozenset[str]:
        """People added after the project's approval, waiting for a steward."""
        return frozenset(m.person.username for m in self.member_rows if m.status == "pending")


class ProjectMember(Base):
    """Membership; the PI is always a member. ``pending`` until a steward approves a
    member added after the project's approval (a pending member has no access)."""

    __tablename__ = "gov_project_members"

    project_id: Mapped[int] = mapped_column(ForeignKey("gov_projects.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("gov_people.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    person: Mapped[Person] = relationship(lazy="joined")


class Dataset(Base):
    """A provider's dataset as governance sees it: its name and classification."""

    __tablename__ = "gov_datasets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    classification: Mapped[str] = mapped_column(String(32))

    @property
    def special_category(self) -> bool:
        return self.classification == "special_category"


class LinkageRequest(Base):
    """A project's request for a linked cohort: the spec, the data and why."""

    __tablename__ = "gov_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("gov_projects.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("gov_people.id"))
    title: Mapped[str] = mapped_column(String(300))
    spec_text: Mapped[str] = mapped_column(Text)
    spec_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    round: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    project: Mapped[Project] = relationship(lazy="joined")
    requester: Mapped[Person] = relationship(lazy="joined")
    dataset_rows: Mapped[list[RequestDataset]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RequestDataset.dataset_name"
    )
    variable_rows: Mapped[list[RequestVariable]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RequestVariable.id"
    )


class RequestRound(Base):
    """One submission of a request as it was then: what stewards approve and builders build.

    The spec's hash, and every dataset the request names or its spec reads with the
    classification in force at submission, are copied here when the round opens, so a
    later edit of the spec or reclassification of a dataset cannot change what was
    decided (:mod:`nightingale.governance.rounds`).
    """

    __tablename__ = "gov_request_rounds"

    request_id: Mapped[int] = mapped_column(ForeignKey("gov_requests.id"), primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    spec_sha256: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dataset_rows: Mapped[list[RoundDataset]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RoundDataset.dataset_name"
    )


class RoundDataset(Base):
    """A dataset in one submission round: its classification then, and why it is there."""

    __tablename__ = "gov_round_datasets"
    __table_args__ = (
        ForeignKeyConstraint(
            ["request_id", "round"], ["gov_request_rounds.request_id", "gov_request_rounds.round"]
        ),
    )

    request_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_name: Mapped[str] = mapped_column(ForeignKey("gov_datasets.name"), primary_key=True)
    classification: Mapped[str] = mapped_column(String(32))
    """The dataset's classification when the round was submitted."""
    justification: Mapped[str | None] = mapped_column(Text)
    """The request's reason for the dataset; None when the request gave none."""
    read_by_spec: Mapped[bool] = mapped_column(Boolean)
    """Whether the spec reads it (as the cohort compiler said at submission)."""
    dataset: Mapped[Dataset] = relationship(lazy="joined")


class DatasetDowngrade(Base):
    """A proposal to lower a dataset's classification; it takes effect once another confirms."""

    __tablename__ = "gov_dataset_downgrades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_name: Mapped[str] = mapped_column(ForeignKey("gov_datasets.name"))
    from_classification: Mapped[str] = mapped_column(String(32))
    to_classification: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("gov_people.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("gov_people.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    proposer: Mapped[Person] = relationship(foreign_keys=[proposed_by_id], lazy="joined")
    confirmer: Mapped[Person | None] = relationship(foreign_keys=[confirmed_by_id], lazy="joined")


class RequestDataset(Base):
    """A dataset a request needs, with the justification for it."""

    __tablename__ = "gov_request_datasets"

    request_id: Mapped[int] = mapped_column(ForeignKey("gov_requests.id"), primary_key=True)
    dataset_name: Mapped[str] = mapped_column(ForeignKey("gov_datasets.name"), primary_key=True)
    justification: Mapped[str] = mapped_column(Text)
    dataset: Mapped[Dataset] = relationship(lazy="joined")


class RequestVariable(Base):
    """A variable a request needs from one of its datasets, with the justification."""

    __tablename__ = "gov_request_variables"
    __table_args__ = (UniqueConstraint("request_id", "dataset_name", "variable"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("gov_requests.id"))
    dataset_name: Mapped[str] = mapped_column(ForeignKey("gov_datasets.name"))
    variable: Mapped[str] = mapped_column(String(128))
    justification: Mapped[str] = mapped_column(Text)


class Approval(Base):
    """One steward's decision on one submission round of a request."""

    __tablename__ = "gov_approvals"
    __table_args__ = (UniqueConstraint("request_id", "round", "steward_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("gov_requests.id"))
    round: Mapped[int] = mapped_column(Integer)
    steward_id: Mapped[int] = mapped_column(ForeignKey("gov_people.id"))
    decision: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    steward: Mapped[Person] = relationship(lazy="joined")


class Release(Base):
    """A built cohort release: where it is, what it holds, until when."""

    __tablename__ = "gov_releases"

    release_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("gov_requests.id"))
    location: Mapped[str] = mapped_column(Text)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    built_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_on: Mapped[date] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    k_override_by: Mapped[str | None] = mapped_column(String(64))
    """The steward who let this release be built below the project's k target (else None)."""
    k_override_reason: Mapped[str | None] = mapped_column(Text)
    request: Mapped[LinkageRequest] = relationship(lazy="joined")


class OutputRequest(Base):
    """An airlock request: files a project wants to take out, and their checks."""

    __tablename__ = "gov_output_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("gov_projects.id"))
    submitter_id: Mapped[int] = mapped_column(ForeignKey("gov_people.id"))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    release_id: Mapped[str | None] = mapped_column(String(64))
    """The release the files were checked against (None: the project had none)."""
    project: Mapped[Project] = relationship(lazy="joined")
    submitter: Mapped[Person] = relationship(lazy="joined")
    files: Mapped[list[OutputFile]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OutputFile.name"
    )
    decisions: Mapped[list[OutputDecision]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OutputDecision.id"
    )


class OutputFile(Base):
    """One file in an airlock request with its file check's outcome (pass, review, block)."""

    __tablename__ = "gov_output_files"
    __table_args__ = (UniqueConstraint("output_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    output_id: Mapped[int] = mapped_column(ForeignKey("gov_output_requests.id"))
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(8))
    checks_json: Mapped[str] = mapped_column(Text)


class OutputDecision(Base):
    """An output checker's decision on an airlock request."""

    __tablename__ = "gov_output_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    output_id: Mapped[int] = mapped_column(ForeignKey("gov_output_requests.id"))
    checker_id: Mapped[int] = mapped_column(ForeignKey("gov_people.id"))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checker: Mapped[Person] = relationship(lazy="joined")


class PublishedResult(Base):
    """What an evaluator published, and from which released outputs."""

    __tablename__ = "gov_published_results"

    result_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("gov_people.id"))
    location: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    evaluator: Mapped[Person] = relationship(lazy="joined")
    source_rows: Mapped[list[PublishedSource]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class PublishedSource(Base):
    """One released output request a published result was made from."""

    __tablename__ = "gov_published_sources"

    result_id: Mapped[str] = mapped_column(
        ForeignKey("gov_published_results.result_id"), primary_key=True
    )
    output_id: Mapped[int] = mapped_column(ForeignKey("gov_output_requests.id"), primary_key=True)


class AuditEntry(Base):
    """One link of the audit chain. Append-only: PostgreSQL refuses UPDATE and DELETE."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recorded_at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(128))
    details: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(32))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The single row every writer locks: the chain's last sequence number and hash.

    ``head_mac`` keys the row (HMAC under the audit key ``key_id``), so it cannot be wound
    back to an earlier entry by someone who only has the database (migration g0002).
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(32))
    head_mac: Mapped[str | None] = mapped_column(String(64))


class Job(Base):
    """One run of one action of a project's pipeline, and where its outputs came from.

    The provenance every output of the job carries: the repository's commit (and whether
    the tree was dirty, allowed on development machines only), the release it read, the
    hash of the pipeline file and of the analysis plan the action names, and the jobs
    whose outputs it took as inputs (``inputs_json``: a JSON list of job ids).
    """

    __tablename__ = "gov_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("gov_projects.id"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("gov_people.id"))
    action: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    commit: Mapped[str] = mapped_column(String(64))
    dirty: Mapped[bool] = mapped_column(Boolean, default=False)
    repository: Mapped[str] = mapped_column(Text)
    pipeline_sha256: Mapped[str] = mapped_column(String(64))
    plan_sha256: Mapped[str | None] = mapped_column(String(64))
    release_id: Mapped[str | None] = mapped_column(ForeignKey("gov_releases.release_id"))
    inputs_json: Mapped[str] = mapped_column(Text, default="[]")
    command: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    project: Mapped[Project] = relationship(lazy="joined")
    requester: Mapped[Person] = relationship(lazy="joined")
    release: Mapped[Release | None] = relationship(lazy="joined")
    outputs: Mapped[list[JobOutput]] = relationship(
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="JobOutput.path",
        back_populates="job",
    )


class JobOutput(Base):
    """A file a job declared and produced, with its sensitivity and checksum."""

    __tablename__ = "gov_job_outputs"
    __table_args__ = (UniqueConstraint("job_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("gov_jobs.id"))
    name: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    job: Mapped[Job] = relationship(lazy="joined", back_populates="outputs")


class OutputSource(Base):
    """Which job produced a file of an airlock request (its provenance, to publication)."""

    __tablename__ = "gov_output_sources"

    output_id: Mapped[int] = mapped_column(ForeignKey("gov_output_requests.id"), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    job_output_id: Mapped[int] = mapped_column(ForeignKey("gov_job_outputs.id"))
    job_output: Mapped[JobOutput] = relationship(lazy="joined")


class LodgedPlan(Base):
    """One version of a project's analysis plan as lodged with governance (migration g0004).

    Never changed once written: a later version is another row (``revision`` 1, 2, ...,
    an amendment with its reason), so the history of a plan is its rows in order. The
    plan's text is kept, so anyone can check the SHA-256 the results record against it.
    """

    __tablename__ = "gov_analysis_plans"
    __table_args__ = (UniqueConstraint("project_id", "plan_name", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("gov_projects.id"))
    plan_name: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    plan_version: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    lodged_by_id: Mapped[int] = mapped_column(ForeignKey("gov_people.id"))
    lodged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    project: Mapped[Project] = relationship(lazy="joined")
    lodged_by: Mapped[Person] = relationship(lazy="joined")

    @property
    def amendment(self) -> bool:
        return self.revision > 0


class LoginThrottle(Base):
    """Failed logins counted for one name or one source address (``kind``).

    ``key`` is a keyed hash of the name or address (never the value itself), so the table
    says nothing about who tried; the rows live in the governance database so every hub
    process, and a restarted hub, sees the same counts (:mod:`.throttle`).
    """

    __tablename__ = "gov_login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Agreement(Base):
    """A data sharing agreement with a provider: which tables, for which purposes, until when.

    ``tables`` and ``purposes`` are comma-separated names (``*`` in ``tables``: every
    table). An agreement is current from ``starts_on`` to ``expires_on`` (inclusive)
    unless it was ended early (``ended_at``). Never deleted: ending one keeps its history.
    """

    __tablename__ = "gov_agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    provider: Mapped[str] = mapped_column(ForeignKey("gov_datasets.name"))
    tables: Mapped[str] = mapped_column(Text)
    purposes: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t for t in self.tables.split(",") if t)

    @property
    def purpose_names(self) -> tuple[str, ...]:
        return tuple(p for p in self.purposes.split(",") if p)


class RetentionRule(Base):
    """How long a provider's dataset versions or a project's releases are kept (days)."""

    __tablename__ = "gov_retention_rules"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    """``provider`` (dataset versions) or ``project`` (releases)."""
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    keep_days: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProjectKey(Base):
    """The pseudonym key a project's releases are made with, pinned at its first release.

    One row per key the project has had; the one without ``superseded_at`` is in force.
    A re-key writes the explicit old->new pid map (``pid_map``, relative to the data root)
    and supersedes the previous row.
    """

    __tablename__ = "gov_project_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("gov_projects.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(40))
    pinned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pinned_by: Mapped[str] = mapped_column(String(64))
    first_release: Mapped[str | None] = mapped_column(String(64))
    pid_map: Mapped[str | None] = mapped_column(Text)
    pid_map_sha256: Mapped[str | None] = mapped_column(String(64))
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    project: Mapped[Project] = relationship(lazy="joined")


class OptOutLoad(Base):
    """One load of the national data opt-out list (counts and checksum, never numbers)."""

    __tablename__ = "gov_optout_loads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(ForeignKey("gov_datasets.name"))
    entries: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_by: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReviewDecision(Base):
    """One clerical review decision on a sampled pair of a link run (never identifiers).

    A revision is a new row whose ``revises_id`` names the decision it replaces.
    """

    __tablename__ = "gov_review_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64))
    pair_key: Mapped[str] = mapped_column(String(300))
    decision: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    revises_id: Mapped[int | None] = mapped_column(
        ForeignKey("gov_review_decisions.id"), nullable=True
    )
