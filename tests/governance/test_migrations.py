"""The governance branch migrates up and down on SQLite and PostgreSQL."""

from __future__ import annotations

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
