"""The Alembic migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from tests.engines import ENGINES, POSTGRES_URL, postgres_schema_url

import accord.tables  # noqa: F401 - registers every table
from accord.core.db import Base, make_engine
from accord.migrations import current_revision, upgrade_database


@pytest.fixture(params=ENGINES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    schema = f"accord_mig_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_upgrade_builds_the_schema_the_models_describe(empty_database_url: str) -> None:
    upgrade_database(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
    finally:
        engine.dispose()
    assert diff == []


def test_upgrade_is_idempotent_and_records_the_head(empty_database_url: str) -> None:
    upgrade_database(empty_database_url)
    first = current_revision(empty_database_url)
    upgrade_database(empty_database_url)
    assert first is not None
    assert current_revision(empty_database_url) == first


def test_downgrade_to_base_removes_every_table(empty_database_url: str) -> None:
    from alembic import command

    from accord.migrations import alembic_config

    upgrade_database(empty_database_url)
    command.downgrade(alembic_config(empty_database_url), "base")
    engine = make_engine(empty_database_url)
    try:
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    assert tables == set()
