"""The one source of the current time, injectable so rules and tests can move it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "ensure_utc", "system_clock", "utcnow"]

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current instant as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


system_clock: Clock = utcnow


def ensure_utc(value: datetime) -> datetime:
    """Return `value` as aware UTC; a naive value is taken to be UTC already (as stored)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
