"""Fixtures shared by the suite: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from tests.engines import ENGINES, POSTGRES_URL, postgres_schema_url

import accord.tables  # noqa: F401 - registers every table on Base.metadata
from accord.core import security
from accord.core.db import Base, Database
from accord.settings import Settings

hypothesis_settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
hypothesis_settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_report_header() -> str:
    return f"accord database engines: {', '.join(ENGINES)}"


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id still, at test cost: the suite makes and signs in hundreds of accounts.

    Tests marked `real_password_cost` keep the production parameters.
    """
    if request.node.get_closest_marker("real_password_cost") is None:
        monkeypatch.setattr(
            security, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )


@dataclass
class MutableClock:
    """A clock tests can move; starts on a fixed Saturday in the demo world's year."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 21, 15, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock()


@dataclass
class EngineWorld:
    """One engine's database for the whole test session, emptied after every test."""

    name: str
    url: str
    keys: Path
    database: Database


@pytest.fixture(scope="session", params=ENGINES)
def engine_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EngineWorld]:
    name: str = request.param
    keys = tmp_path_factory.mktemp(f"keys-{name}")
    admin = None
    schema = f"accord_test_{uuid.uuid4().hex[:12]}"
    if name == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'accord-test.db'}"
    else:
        # A schema of its own, so test runs in parallel never share tables.
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = postgres_schema_url(schema)
    database = Database(url, audit_key_path=keys / "audit-ed25519.pem")
    Base.metadata.create_all(database.engine)
    try:
        yield EngineWorld(name=name, url=url, keys=keys, database=database)
    finally:
        database.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture
def db(engine_world: EngineWorld) -> Iterator[Database]:
    """The engine's database, empty at the start of every test."""
    try:
        yield engine_world.database
    finally:
        with engine_world.database.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def settings(engine_world: EngineWorld, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=engine_world.url,
        audit_key_path=engine_world.keys / "audit-ed25519.pem",
        field_key_path=engine_world.keys / "fields.key",
        cookie_secure=False,
    )
