"""The governance branch migrates up and down on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from nightingale.platform import database


def test_the_governance_branch_goes_up_down_and_up(database_url: str) -> None:
    engine = database.make_engine(database_url)
    try:
        database.upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert {"gov_people", "gov_requests", "audit_log", "audit_chain_head"} <= tables
        with engine.connect() as connection:
            head = connection.execute(text("SELECT last_seq FROM audit_chain_head")).scalar()
        assert head == 0
        database.downgrade(engine, "p0001")
        assert "audit_log" not in inspect(engine).get_table_names()
        database.upgrade(engine)
        assert database.is_up_to_date(engine)
    finally:
        engine.dispose()


def test_g0002_keys_the_chain_head_and_goes_back_down(database_url: str) -> None:
    engine = database.make_engine(database_url)
    try:
        database.upgrade(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("audit_chain_head")}
        assert {"key_id", "head_mac"} <= columns
        database.downgrade(engine, "g0001")
        columns = {c["name"] for c in inspect(engine).get_columns("audit_chain_head")}
        assert columns == {"id", "last_seq", "last_hash"}
        database.upgrade(engine)
        assert database.is_up_to_date(engine)
    finally:
        engine.dispose()


def test_g0003_adds_the_job_tables_and_goes_back_down(database_url: str) -> None:
    engine = database.make_engine(database_url)
    try:
        database.upgrade(engine)
        jobs = {"gov_jobs", "gov_job_outputs", "gov_output_sources"}
        assert jobs <= set(inspect(engine).get_table_names())
        database.downgrade(engine, "g0002")
        assert not jobs & set(inspect(engine).get_table_names())
        database.upgrade(engine)
        assert database.is_up_to_date(engine)
    finally:
        engine.dispose()


def test_g0004_adds_the_lodged_plans_table_and_goes_back_down(database_url: str) -> None:
    engine = database.make_engine(database_url)
    try:
        database.upgrade(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("gov_analysis_plans")}
        assert {"project_id", "plan_name", "revision", "sha256", "text", "lodged_at"} <= columns
        database.downgrade(engine, "g0003")
        assert "gov_analysis_plans" not in inspect(engine).get_table_names()
        database.upgrade(engine)
        assert database.is_up_to_date(engine)
    finally:
        engine.dispose()


ROWS = [
    "INSERT INTO gov_people (id, username, display_name, active, created_at) "
    "VALUES (1, 'rita', 'Rita', :yes, :now)",
    "INSERT INTO gov_projects (id, slug, title, purpose, public_benefit, lawful_basis, "
    "ethics_reference, pi_id, status, start_date, end_date, created_at) VALUES "
    "(1, 'p', 't', 'p', 'b', 'l', 'e', 1, 'active', '2026-01-01', '2028-01-01', :now)",
    "INSERT INTO gov_datasets (name, description, classification) VALUES "
    "('health', 'h', 'special_category'), ('housing', 'h', 'personal')",
    "INSERT INTO gov_requests (id, project_id, requester_id, title, spec_text, spec_sha256, "
    "status, round, created_at, updated_at) VALUES "
    "(1, 1, 1, 't', 'a: 1', :hash, 'submitted', 2, :now, :now), "
    "(2, 1, 1, 't', 'a: 1', :hash, 'draft', 0, :now, :now)",
    "INSERT INTO gov_request_datasets (request_id, dataset_name, justification) VALUES "
    "(1, 'health', 'outcomes'), (1, 'housing', 'exposure'), (2, 'housing', 'exposure')",
]


def test_g0005_gives_submitted_requests_their_round_and_goes_back_down(
    database_url: str,
) -> None:
    engine = database.make_engine(database_url)
    values = {"yes": True, "now": datetime.now(UTC), "hash": "f" * 64}
    try:
        database.upgrade(engine, "g0004")
        with engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement), values)
        database.upgrade(engine)
        with engine.connect() as connection:
            rounds = connection.execute(
                text("SELECT request_id, round, spec_sha256 FROM gov_request_rounds")
            ).all()
            datasets = connection.execute(
                text(
                    "SELECT dataset_name, classification, justification, read_by_spec "
                    "FROM gov_round_datasets ORDER BY dataset_name"
                )
            ).all()
        assert [tuple(r) for r in rounds] == [(1, 2, "f" * 64)]  # drafts have no round
        assert [tuple(d) for d in datasets] == [
            ("health", "special_category", "outcomes", False),
            ("housing", "personal", "exposure", False),
        ]
        database.downgrade(engine, "g0004")
        tables = set(inspect(engine).get_table_names())
        assert not {"gov_request_rounds", "gov_round_datasets", "gov_dataset_downgrades"} & tables
    finally:
        engine.dispose()


def test_g0006_records_the_release_checked_and_renames_failed_files_blocked(
    database_url: str,
) -> None:
    """Outputs checked before the file check said ``fail``; the gate calls that ``block``."""
    engine = database.make_engine(database_url)
    try:
        database.upgrade(engine, "g0001")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO gov_people (id, username, display_name, active, created_at) "
                    "VALUES (1, 'rita', 'Rita', true, '2026-01-01')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO gov_projects (id, slug, title, purpose, public_benefit, "
                    "lawful_basis, ethics_reference, pi_id, status, start_date, end_date, "
                    "created_at) VALUES (1, 'p', 't', 'p', 'b', 'l', 'e', 1, 'active', "
                    "'2026-01-01', '2027-01-01', '2026-01-01')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO gov_output_requests (id, project_id, submitter_id, title, "
                    "status, location, created_at) VALUES (1, 1, 1, 't', 'submitted', 'x', "
                    "'2026-01-01')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO gov_output_files (output_id, name, sha256, kind, outcome, "
                    "checks_json) VALUES (1, 'a.csv', 'x', 'table', 'fail', '{}'), "
                    "(1, 'b.csv', 'x', 'table', 'pass', '{}')"
                )
            )
        database.upgrade(engine)
        assert "release_id" in {
            c["name"] for c in inspect(engine).get_columns("gov_output_requests")
        }
        assert {"k_override_by", "k_override_reason"} <= {
            c["name"] for c in inspect(engine).get_columns("gov_releases")
        }
        outcomes = "SELECT name, outcome FROM gov_output_files ORDER BY name"
        with engine.connect() as connection:
            assert connection.execute(text(outcomes)).all() == [
                ("a.csv", "block"),
                ("b.csv", "pass"),
            ]
        database.downgrade(engine, "g0005")
        with engine.connect() as connection:
            assert connection.execute(text(outcomes)).all() == [
                ("a.csv", "fail"),
                ("b.csv", "pass"),
            ]
        assert "release_id" not in {
            c["name"] for c in inspect(engine).get_columns("gov_output_requests")
        }
    finally:
        engine.dispose()
