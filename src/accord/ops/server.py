"""Starting the server: the schema check, the settings-change audit entry, the listening socket."""

from __future__ import annotations

import hashlib
import json
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import uvicorn
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from accord.core.audit.models import AuditEntry, AuditState
from accord.core.audit.service import record
from accord.core.db import Database
from accord.core.errors import Conflict
from accord.migrations import alembic_config, current_revision
from accord.orgs.models import Person
from accord.settings import Settings

__all__ = [
    "SETTINGS_ACTION",
    "ServeOptions",
    "check_key_files",
    "check_revision",
    "ensure_planner_statistics",
    "listen_socket",
    "listen_url",
    "record_settings_change",
    "revision_problem",
    "run_server",
    "script_revisions",
    "settings_digests",
]

SETTINGS_ACTION = "settings.changed"
SERVER_LABEL = "accord serve"
ALL_ADDRESSES = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 - names, not a bind


@dataclass(frozen=True)
class ServeOptions:
    """How uvicorn treats the connection: proxy headers only when a trusted proxy sets them."""

    proxy_headers: bool = False
    forwarded_allow_ips: str = "127.0.0.1"


def script_revisions(url: str) -> tuple[str | None, frozenset[str]]:
    """The head revision of the shipped migrations, and every revision they know."""
    script = ScriptDirectory.from_config(alembic_config(url))
    known = frozenset(rev.revision for rev in script.walk_revisions())
    return script.get_current_head(), known


def revision_problem(current: str | None, head: str | None, known: frozenset[str]) -> str | None:
    """Why a database at revision `current` cannot be served by code whose head is `head`."""
    if head is None:
        return "cannot be checked: this installation of Accord ships no schema migrations"
    if current == head:
        return None
    if current is None:
        return "has no Accord schema yet: run `accord db upgrade` first"
    if current not in known:
        return (
            f"is at revision {current}, which this version of Accord does not know "
            "(was it migrated by a newer version?)"
        )
    return f"is at revision {current} but this version needs {head}: run `accord db upgrade` first"


def check_revision(settings: Settings) -> None:
    """Conflict unless the database's schema is this version's head (PostgreSQL is never
    migrated behind the operator's back: several nodes may share it)."""
    url = settings.effective_database_url
    head, known = script_revisions(url)
    problem = revision_problem(current_revision(url), head, known)
    if problem is not None:
        raise Conflict(f"the database at {settings.shown()['database_url']} {problem}")


def check_key_files(db: Database, settings: Settings) -> None:
    """Conflict when data exists whose key file is missing: a fresh key would be silent damage.

    A new audit key would sign new tree heads that no one can link to the old ones, and a new
    field key could not open the MFA secrets already stored.
    """
    audit_key = settings.effective_audit_key_path
    field_key = settings.effective_field_key_path
    with db.reading() as s:
        log_size = s.scalar(select(func.coalesce(func.max(AuditState.size), 0))) or 0
        sealed = s.scalar(select(func.count()).where(Person.totp_secret_enc.is_not(None))) or 0
    if log_size and not audit_key.exists():
        raise Conflict(
            f"the audit log holds {log_size} entries but its signing key {audit_key} is missing: "
            "restore the key from your backup (or point ACCORD_AUDIT_KEY_PATH at it)"
        )
    if sealed and not field_key.exists():
        raise Conflict(
            f"{sealed} accounts have MFA secrets sealed with {field_key}, which is missing: "
            "restore it from your backup (or point ACCORD_FIELD_KEY_PATH at it)"
        )


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def settings_digests(settings: Settings) -> dict[str, str]:
    """A short SHA-256 of each effective setting as shown (secrets masked, so never hashed)."""
    return {name: _digest(value) for name, value in sorted(settings.shown().items())}


def record_settings_change(db: Database, settings: Settings, *, at: datetime) -> list[str]:
    """Audit the effective settings when they differ from the last recorded ones.

    The entry names the keys that changed and keeps per-key digests for the next comparison;
    it holds no values. Returns the changed keys (empty when nothing changed).
    """
    digests = settings_digests(settings)
    with db.transaction() as s:
        last = s.scalar(
            select(AuditEntry.details)
            .where(AuditEntry.action == SETTINGS_ACTION)
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        )
        previous: dict[str, str] = (last or {}).get("digests", {})
        keys = digests.keys() | previous.keys()
        changed = sorted(k for k in keys if digests.get(k) != previous.get(k))
        if changed:
            record(
                s,
                action=SETTINGS_ACTION,
                at=at,
                actor_label=SERVER_LABEL,
                target_type="settings",
                details={"changed": changed, "digests": digests, "first": last is None},
            )
    return changed


def listen_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, so a busy port is reported before anything else starts."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        # As uvicorn does: a restart may reuse the port while old connections linger.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def listen_url(host: str, port: int) -> str:
    """The URL to open for a server listening on host:port."""
    shown = ALL_ADDRESSES.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def run_server(app: Any, sock: socket.socket, settings: Settings, options: ServeOptions) -> None:
    """Serve `app` on the bound socket until SIGINT or SIGTERM; our JSON logging stays in place."""
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=options.proxy_headers,
        forwarded_allow_ips=options.forwarded_allow_ips,
        server_header=False,
    )
    uvicorn.Server(config).run(sockets=[sock])


def ensure_planner_statistics(db: Database) -> bool:
    """Give SQLite's planner statistics when it has none yet; True when they were gathered.

    Without `sqlite_stat1` SQLite may pick a multi-index OR plan for the feed that takes
    seconds on a large database instead of milliseconds. PostgreSQL's autovacuum keeps its own.
    """
    if db.dialect != "sqlite":
        return False
    with db.engine.connect() as conn:
        known = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
        ).first()
        if known is not None:
            return False
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return True
