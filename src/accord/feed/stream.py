"""The feed's live stream: Server-Sent Events of records as they become visible to the viewer.

The bus carries only ids. For each event the viewer is resolved afresh and the record read
through the access module; only a record the viewer may see now (and that passes the stream's
filters) is sent. Nothing is ever sent about any other record, not even its id. The credential
is checked again at least every `recheck` seconds, and the stream ends once it no longer holds.
When an agreement of the viewer's organization comes into force or stops (by a signature, a
suspension or termination, or at its effective or expiry instant), the stream says `reset` and
the client fetches the feed again.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

import anyio
from fastapi import Request

from accord.auth.deps import Principal
from accord.core.bus import Event, Subscription
from accord.core.errors import AccordError
from accord.feed.queries import stream_item
from accord.feed.schemas import FeedItem
from accord.orgs.domain import Actor
from accord.sharing import access
from accord.sharing.access import FeedQuery
from accord.sharing.events import REACH_TOPIC

__all__ = [
    "HEARTBEAT_SECONDS",
    "RECHECK_SECONDS",
    "RETRY_MILLISECONDS",
    "TOPIC_PREFIX",
    "StreamTimings",
    "record_events",
    "timings_of",
]

TOPIC_PREFIX = "records."
HEARTBEAT_SECONDS = 15.0  # keeps proxies from closing an idle connection
RECHECK_SECONDS = 30.0  # a revoked token or ended session stops the stream within this
RETRY_MILLISECONDS = 3000  # WHATWG HTML §9.2: how long EventSource waits before reconnecting


@dataclass(frozen=True)
class StreamTimings:
    """How often the stream beats and re-checks; tests set `app.state.feed_stream_timings`."""

    heartbeat: float = HEARTBEAT_SECONDS
    recheck: float = RECHECK_SECONDS
    # None: until the client leaves or the credential lapses; else the server closes the
    # stream after this many seconds and EventSource reconnects (and catches up).
    lifetime: float | None = None


def timings_of(request: Request) -> StreamTimings:
    timings = getattr(request.app.state, "feed_stream_timings", None)
    return timings if isinstance(timings, StreamTimings) else StreamTimings()


def _message(event: str, data: str, event_id: str | None = None) -> str:
    # WHATWG HTML §9.2.6: fields, one per line, and a blank line ending the event.
    lines = [f"event: {event}"]
    if event_id:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {data}")
    return "\n".join(lines) + "\n\n"


def _record_id(event: Event) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(event.data.get("id")))
    except ValueError:
        return None


def _drain(sub: Subscription) -> None:
    """After an overflow the client reloads, so the events still queued are moot."""
    while not sub.queue.empty():
        sub.queue.get_nowait()
    sub.overflowed = False


async def _item(request: Request, actor: Actor, event: Event, query: FeedQuery) -> FeedItem | None:
    record_id = _record_id(event)
    if record_id is None:
        return None

    def read() -> FeedItem | None:
        with request.app.state.db.reading() as session:
            return stream_item(session, actor, record_id, request.app.state.clock(), query)

    return await anyio.to_thread.run_sync(read)


async def _next_change(request: Request, actor: Actor, after: datetime) -> datetime | None:
    """When, after `after`, an agreement of the viewer's organization starts or stops by date."""

    def read() -> datetime | None:
        with request.app.state.db.reading() as session:
            return access.next_change(session, uuid.UUID(actor.org_id), after)

    return await anyio.to_thread.run_sync(read)


def _until(change_at: datetime | None, now: datetime) -> float:
    """Seconds until `change_at` (never negative), or a long while when nothing is due."""
    if change_at is None:
        return 3600.0
    return max((change_at - now).total_seconds(), 0.0)


async def _still_valid(
    request: Request, authenticate: Callable[[Request], Principal]
) -> Principal | None:
    """The credential checked as on a new request: expired, revoked or signed out is None."""
    try:
        return await anyio.to_thread.run_sync(authenticate, request)
    except AccordError:
        return None


async def record_events(
    request: Request,
    principal: Principal,
    query: FeedQuery,
    authenticate: Callable[[Request], Principal],
) -> AsyncIterator[str]:
    """The text/event-stream body for `principal`, until they leave or their credential lapses."""
    timings = timings_of(request)
    actor = principal.actor
    clock = request.app.state.clock
    async with request.app.state.bus.subscribe(TOPIC_PREFIX) as sub:
        yield f"retry: {RETRY_MILLISECONDS}\n: connected\n\n"
        change_at = await _next_change(request, actor, clock())
        started = last_beat = last_check = time.monotonic()
        while True:
            now = time.monotonic()
            due = min(last_beat + timings.heartbeat, last_check + timings.recheck)
            wait = min(due - now, _until(change_at, clock()))
            event = await sub.next(max(wait, 0.01))
            if sub.overflowed:
                _drain(sub)
                yield _message("reset", "{}")
            elif event is not None and event.topic == REACH_TOPIC:
                # An agreement of the viewer's organization changed what it may see.
                if actor.org_id in event.data.get("orgs", ()):
                    yield _message("reset", "{}")
                    change_at = await _next_change(request, actor, clock())
            elif event is not None:
                item = await _item(request, actor, event, query)
                if item is not None:
                    yield _message("record", item.model_dump_json(), str(item.id))
            if change_at is not None and clock() >= change_at:
                # An agreement started or expired: what the viewer may see changed as a whole.
                yield _message("reset", "{}")
                # From the instant that passed, not from now: none is skipped if the clock
                # has moved on meanwhile.
                change_at = await _next_change(request, actor, change_at)
            now = time.monotonic()
            if now >= last_check + timings.recheck:
                fresh = await _still_valid(request, authenticate)
                if fresh is None:
                    yield _message("end", json.dumps({"reason": "credential-ended"}))
                    return
                if fresh.actor.org_id != actor.org_id:
                    change_at = await _next_change(request, fresh.actor, clock())
                actor, last_check = fresh.actor, now
            if timings.lifetime is not None and now - started >= timings.lifetime:
                return
            if now >= last_beat + timings.heartbeat:
                yield ": heartbeat\n\n"
                last_beat = now
