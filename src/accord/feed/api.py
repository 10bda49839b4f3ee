"""JSON routes of the feed: `/api/v1/feed` (a page) and `/api/v1/feed/stream` (live, SSE)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from accord.app import read_session
from accord.auth.deps import Principal, api_user
from accord.core.errors import Invalid
from accord.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from accord.feed.queries import feed_page, parse_bbox
from accord.feed.schemas import FeedPage
from accord.feed.stream import record_events
from accord.orgs.domain import Sector
from accord.sharing.access import FeedQuery
from accord.sharing.domain import Category, Tlp

__all__ = ["feed_query", "record_filters", "router"]

router = APIRouter(prefix="/api/v1/feed", tags=["feed"])

authenticate = api_user("feed")
# The stream's own periodic check: an open feed is not the person's activity, so it must not
# keep a browser session from timing out.
recheck = api_user("feed", touch=False)
Reader = Annotated[Principal, Depends(authenticate)]
ReadSession = Annotated[Session, Depends(read_session)]
Cursor = Annotated[str | None, Query(max_length=512, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise Invalid(
            f"{name} needs a time zone, e.g. 2026-11-21T15:00:00Z.",
            errors=[{"field": name, "message": "needs a time zone"}],
        )
    return value


def record_filters(
    owner: Annotated[uuid.UUID | None, Query(description="Owner organization id")] = None,
    sector: Annotated[Sector | None, Query(description="Owner organization's sector")] = None,
    tlp: Annotated[list[Tlp], Query(max_length=5, description="Markings (repeatable)")] = [],  # noqa: B006 - FastAPI reads the default; it is never mutated
    category: Annotated[Category | None, Query(description="Records holding this category")] = None,
    q: Annotated[str, Query(max_length=200, description="Text in the title or summary")] = "",
    since: Annotated[datetime | None, Query(description="Created at or after (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="Created before (ISO 8601)")] = None,
    bbox: Annotated[
        str | None,
        Query(max_length=100, description="Map area: west,south,east,north in degrees"),
    ] = None,
) -> FeedQuery:
    """The filters every list of shared records takes; each narrows the database query."""
    return FeedQuery(
        owner_org_id=owner,
        sector=sector,
        tlps=tuple(dict.fromkeys(tlp)),
        category=category,
        text=q.strip(),
        since=_aware("since", since),
        until=_aware("until", until),
        bbox=parse_bbox(bbox),
    )


def feed_query(
    base: Annotated[FeedQuery, Depends(record_filters)],
    kind: Annotated[
        list[str], Query(max_length=20, description="Record kinds, e.g. note (repeatable)")
    ] = [],  # noqa: B006 - FastAPI reads the default; it is never mutated
) -> FeedQuery:
    """The feed's filters: those of every list, and the kinds of record."""
    return replace(base, kinds=tuple(dict.fromkeys(k for k in kind if k)))


Filters = Annotated[FeedQuery, Depends(feed_query)]


@router.get(
    "",
    response_model=FeedPage,
    summary="Everything you may see, newest first",
    description=(
        "Every shared record the caller may see now, of every kind, newest first. Each item "
        "says why it is visible (`why`), what is masked (`redacted`) and whether opening it "
        "needs a stated purpose (`restricted`, `purposes`)."
    ),
)
def get_feed(
    request: Request,
    principal: Reader,
    s: ReadSession,
    query: Filters,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> FeedPage:
    return feed_page(
        s, principal.actor, request.app.state.clock(), query, cursor=cursor, limit=limit
    )


@router.get(
    "/stream",
    summary="Live updates of the feed (Server-Sent Events)",
    description=(
        "A `text/event-stream`: an `event: record` with a feed item whenever a record you may "
        "see is shared or changed; `event: reset` when updates were missed (reload the feed); "
        "`event: end` when your credential no longer holds. Comment lines are heartbeats. "
        "Takes the same filters as the feed."
    ),
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
def stream_feed(request: Request, principal: Reader, query: Filters) -> StreamingResponse:
    return StreamingResponse(
        record_events(request, principal, query, recheck),
        media_type="text/event-stream",
        # Proxies such as nginx would otherwise hold events back in their buffers.
        headers={"x-accel-buffering": "no"},
    )
