"""Start-up rules of `accord serve`: settings changes audited by key, schema revisions checked."""

from __future__ import annotations

import json
import socket

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from tests.conftest import MutableClock

from accord.core.audit.models import AuditEntry
from accord.core.db import Database
from accord.ops.server import (
    SETTINGS_ACTION,
    listen_socket,
    listen_url,
    record_settings_change,
    revision_problem,
)
from accord.settings import Settings


def _settings_entries(db: Database) -> list[AuditEntry]:
    with db.reading() as s:
        return list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == SETTINGS_ACTION)
                .order_by(AuditEntry.seq)
            )
        )


def test_settings_are_recorded_once_then_only_when_they_change(
    db: Database, settings: Settings, clock: MutableClock
) -> None:
    first = record_settings_change(db, settings, at=clock())
    assert "port" in first
    assert record_settings_change(db, settings, at=clock.advance(hours=1)) == []
    moved = settings.model_copy(update={"port": 8123, "log_level": "DEBUG"})
    assert record_settings_change(db, moved, at=clock.advance(hours=1)) == ["log_level", "port"]
    entries = _settings_entries(db)
    assert [e.details["changed"] for e in entries[1:]] == [["log_level", "port"]]
    assert [e.details["first"] for e in entries] == [True, False]
    assert entries[0].actor_id is None


def test_the_audit_entry_holds_no_setting_values(
    db: Database, settings: Settings, clock: MutableClock
) -> None:
    secret = "correct-horse-harbour-4711"
    chosen = settings.model_copy(update={"demo_password": SecretStr(secret), "port": 8765})
    record_settings_change(db, chosen, at=clock())
    (entry,) = _settings_entries(db)
    text = json.dumps(entry.details)
    assert secret not in text
    assert str(settings.data_dir) not in text
    assert set(entry.details) == {"changed", "digests", "first"}
    assert all(len(d) == 16 and int(d, 16) >= 0 for d in entry.details["digests"].values())


def test_revision_problems_are_explained() -> None:
    known = frozenset({"0001", "0002"})
    assert revision_problem("0002", "0002", known) is None
    assert "accord db upgrade" in (revision_problem(None, "0002", known) or "")
    assert "needs 0002" in (revision_problem("0001", "0002", known) or "")
    assert "newer version" in (revision_problem("9999", "0002", known) or "")
    assert "no schema migrations" in (revision_problem(None, None, frozenset()) or "")


def test_a_busy_port_is_reported_before_serving(free_port: int) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port))
        taken.listen()
        with pytest.raises(OSError, match="in use"):
            listen_socket("127.0.0.1", free_port)


def test_listen_url_is_one_a_browser_can_open() -> None:
    assert listen_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert listen_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"  # noqa: S104
    assert listen_url("::1", 8080) == "http://[::1]:8080"


def test_sqlite_gets_planner_statistics_once(db: Database) -> None:
    from accord.ops.server import ensure_planner_statistics

    if db.dialect != "sqlite":
        assert ensure_planner_statistics(db) is False  # PostgreSQL keeps its own
        return
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
    assert ensure_planner_statistics(db) is True
    assert ensure_planner_statistics(db) is False
