"""Browser sessions: start, resolve with idle and absolute limits enforced on the server, end."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.auth.models import WebSession
from accord.core.db import Database
from accord.core.ids import new_secret
from accord.core.security import digest
from accord.orgs.models import Person
from accord.settings import Settings

__all__ = [
    "LAST_SEEN_GRANULARITY",
    "ResolvedSession",
    "end_all_sessions",
    "end_session",
    "resolve_session",
    "start_session",
]

# last_seen_at is written at most this often, so reads do not all become writes.
LAST_SEEN_GRANULARITY = timedelta(seconds=30)


@dataclass(frozen=True)
class ResolvedSession:
    """A live session and its account, detached from the database session."""

    session: WebSession
    person: Person


def start_session(
    s: Session,
    settings: Settings,
    *,
    person_id: uuid.UUID,
    mfa_passed: bool,
    at: datetime,
    ip: str = "",
    user_agent: str = "",
) -> tuple[str, WebSession]:
    """A new session inside the caller's transaction; returns the cookie secret and the row."""
    secret = new_secret(32)
    row = WebSession(
        token_hash=digest(secret),
        person_id=person_id,
        csrf_token=new_secret(24),
        mfa_passed=mfa_passed,
        created_at=at,
        last_seen_at=at,
        expires_at=at + timedelta(hours=settings.session_absolute_hours),
        ip=ip[:64],
        user_agent=user_agent[:300],
    )
    s.add(row)
    s.flush()
    return secret, row


def resolve_session(
    db: Database, settings: Settings, secret: str, *, at: datetime, touch: bool = True
) -> ResolvedSession | None:
    """The live session for a cookie secret, or None; ends it when a limit has passed.

    `touch` counts the request as the person's activity (the idle timer starts again); a
    check the server makes by itself, such as a live stream's, passes False.
    """
    with db.reading() as s:
        row = s.scalar(select(WebSession).where(WebSession.token_hash == digest(secret)))
        if row is None or row.ended_at is not None:
            return None
        person = s.get(Person, row.person_id)
        reason = _end_reason(row, person, settings, at)
        stale = at - row.last_seen_at >= LAST_SEEN_GRANULARITY
    if reason or person is None:
        with db.transaction() as s:
            end_session(s, row.id, reason=reason or "deactivated", at=at)
        return None
    if stale and touch:
        with db.transaction() as s:
            s.execute(
                update(WebSession)
                .where(WebSession.id == row.id, WebSession.ended_at.is_(None))
                .values(last_seen_at=at)
            )
    return ResolvedSession(session=row, person=person)


def _end_reason(row: WebSession, person: Person | None, settings: Settings, at: datetime) -> str:
    if person is None or not person.is_active:
        return "deactivated"
    if person.locked_at is not None:
        return "locked"
    if at >= row.expires_at:
        return "absolute_timeout"
    if at - row.last_seen_at >= timedelta(minutes=settings.session_idle_minutes):
        return "idle_timeout"
    return ""


def end_session(s: Session, session_id: uuid.UUID, *, reason: str, at: datetime) -> None:
    """End one session inside the caller's transaction."""
    s.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.ended_at.is_(None))
        .values(ended_at=at, end_reason=reason)
    )


def end_all_sessions(
    s: Session,
    person_id: uuid.UUID,
    *,
    reason: str,
    at: datetime,
    keep: uuid.UUID | None = None,
) -> int:
    """End every live session of an account at once (but `keep`); returns how many ended."""
    stmt = (
        update(WebSession)
        .where(WebSession.person_id == person_id, WebSession.ended_at.is_(None))
        .values(ended_at=at, end_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    if keep is not None:
        stmt = stmt.where(WebSession.id != keep)
    result = s.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)
