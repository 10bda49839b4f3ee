"""Which database engines the suite runs on, and how to reach PostgreSQL."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

__all__ = ["ENGINES", "POSTGRES_URL", "postgres_schema_url"]

POSTGRES_URL = os.environ.get(
    "ACCORD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reachable() -> bool:
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return False
    finally:
        engine.dispose()
    return True


def _engines() -> list[str]:
    wanted = os.environ.get("ACCORD_TEST_ENGINES", "sqlite,postgresql").split(",")
    engines = [e.strip() for e in wanted if e.strip()]
    if "postgresql" in engines and not _postgres_reachable():
        if os.environ.get("ACCORD_TEST_REQUIRE_POSTGRES") == "1":
            pytest.exit(f"PostgreSQL is required but not reachable at {POSTGRES_URL}", 2)
        engines.remove("postgresql")
    return engines


ENGINES = _engines()


def postgres_schema_url(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
