"""Fixtures of the operator-command tests: cheap hashing, the CLI runner, a fresh database."""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from tests.engines import ENGINES, POSTGRES_URL, postgres_schema_url

import accord.cli

# Settings the runner must not inherit from the shell that runs the tests.
ACCORD_VARIABLES = (
    "ACCORD_CONFIG_FILE",
    "ACCORD_DATABASE_URL",
    "ACCORD_DATA_DIR",
    "ACCORD_DEMO_PASSWORD",
    "ACCORD_HOST",
    "ACCORD_PORT",
    "ACCORD_AUDIT_KEY_PATH",
    "ACCORD_FIELD_KEY_PATH",
    "ACCORD_PUBLIC_URL",
)
LOGGERS = ("accord", "uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """`accord serve` points the log handlers at the runner's stderr; put them back after."""
    saved = {
        name: (logger.handlers[:], logger.level, logger.propagate, logger.disabled)
        for name in LOGGERS
        for logger in [logging.getLogger(name)]
    }
    yield
    for name, (handlers, level, propagate, disabled) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


Invoke = Callable[..., Result]


@pytest.fixture(scope="session")
def registered() -> None:
    if "serve" not in accord.cli.root.commands:
        accord.cli._register()


@pytest.fixture
def invoke(registered: None) -> Invoke:
    """Run `accord ARGS…` in-process with only the ACCORD_* variables given."""

    def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
        clean: dict[str, str | None] = dict.fromkeys(ACCORD_VARIABLES)
        clean.update(env or {})
        return CliRunner().invoke(accord.cli.root, list(args), env=clean, input=stdin)

    return run


@pytest.fixture
def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class FreshDatabase:
    """An empty database (no tables, no revision) and the variables that point Accord at it."""

    engine: str
    url: str
    env: dict[str, str]


@contextmanager
def _fresh(engine: str, tmp_path: Path) -> Iterator[FreshDatabase]:
    env = {"ACCORD_DATA_DIR": str(tmp_path / "data")}
    if engine == "sqlite":
        yield FreshDatabase("sqlite", f"sqlite:///{tmp_path / 'data' / 'accord.db'}", env)
        return
    schema = f"accord_ops_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = postgres_schema_url(schema)
    try:
        yield FreshDatabase("postgresql", url, {**env, "ACCORD_DATABASE_URL": url})
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=ENGINES)
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FreshDatabase]:
    with _fresh(request.param, tmp_path) as fresh:
        yield fresh


@pytest.fixture(params=[e for e in ENGINES if e == "postgresql"])
def fresh_postgres(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FreshDatabase]:
    with _fresh(request.param, tmp_path) as fresh:
        yield fresh
