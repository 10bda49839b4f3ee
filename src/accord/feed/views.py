"""The console's feed page: filters, the items the viewer may see, and live updates (feed.js)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from accord.auth.deps import Principal, page_user
from accord.core.errors import AccordError
from accord.feed.queries import feed_page, parse_bbox
from accord.feed.schemas import PAGES
from accord.orgs import queries as org_queries
from accord.orgs.domain import Sector
from accord.sharing.access import FeedQuery
from accord.sharing.domain import Category, Purpose, Tlp
from accord.web.pages import Flash, field_errors, parse_enum, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
# What ?done=… after a change made elsewhere says: fixed texts, so a link cannot inject one.
DONE = {"withdrawn": "The note was withdrawn: nobody sees it any more."}
User = Annotated[Principal, Depends(page_user)]
Text = Annotated[str, Query(max_length=200)]


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _start_of(day: date | None, *, days: int = 0) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=days), time(0), tzinfo=UTC)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _query(filters: dict[str, Any]) -> FeedQuery:
    """The page's form values as the feed's filters (the same the API and the stream take)."""
    return FeedQuery(
        kinds=(filters["kind"],) if filters["kind"] in PAGES else (),
        owner_org_id=_uuid(filters["owner"]),
        sector=parse_enum(Sector, filters["sector"]),
        tlps=tuple(t for t in Tlp if t.value in filters["tlp"]),
        category=parse_enum(Category, filters["category"]),
        text=filters["q"],
        since=_start_of(_day(filters["since"])),
        # The form's "to" date is inclusive: everything before the next day starts.
        until=_start_of(_day(filters["until"]), days=1),
        bbox=parse_bbox(filters["bbox"]) if filters["bbox"] else None,
    )


def _api_params(query: FeedQuery) -> list[tuple[str, str]]:
    """The filters as the API's query string, for feed.js (stream and catch-up)."""
    params: list[tuple[str, str]] = [("kind", k) for k in query.kinds]
    params += [("tlp", t.value) for t in query.tlps]
    single = {
        "owner": query.owner_org_id,
        "sector": query.sector.value if query.sector else None,
        "category": query.category.value if query.category else None,
        "q": query.text,
        "since": query.since.isoformat() if query.since else None,
        "until": query.until.isoformat() if query.until else None,
        "bbox": ",".join(str(v) for v in query.bbox) if query.bbox else None,
    }
    params += [(k, str(v)) for k, v in single.items() if v]
    return params


@router.get("/feed")
def feed(
    request: Request,
    principal: User,
    kind: Text = "",
    owner: Annotated[str, Query(max_length=64)] = "",
    sector: Text = "",
    tlp: Annotated[list[str], Query(max_length=5)] = [],  # noqa: B006 - read, never mutated
    category: Text = "",
    q: Text = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    bbox: Annotated[str, Query(max_length=100)] = "",
    cursor: Annotated[str, Query(max_length=512)] = "",
) -> Response:
    filters = {
        "kind": kind,
        "owner": owner,
        "sector": sector,
        "tlp": [t for t in dict.fromkeys(tlp) if t in {x.value for x in Tlp}],
        "category": category,
        "q": q.strip(),
        "since": since,
        "until": until,
        "bbox": bbox.strip(),
    }
    errors: list[dict[str, str]] = []
    try:
        query = _query(filters)
    except AccordError as exc:
        errors = field_errors(exc)
        query = _query({**filters, "bbox": ""})
    at = request.app.state.clock()
    with request.app.state.db.reading() as s:
        page = feed_page(s, principal.actor, at, query, cursor=cursor or None, limit=PAGE_SIZE)
        orgs = org_queries.list_organizations(s, actor=principal.actor, limit=200).items
    filtered = any(v for v in filters.values())
    done = DONE.get(request.query_params.get("done", ""))
    return render(
        request,
        "feed/feed.html",
        {
            "page": page,
            "filters": filters,
            "filtered": filtered,
            "errors": errors,
            "orgs": orgs,
            "kinds": sorted(PAGES),
            "sectors": list(Sector),
            "tlps": list(Tlp),
            "categories": list(Category),
            "purposes": list(Purpose),
            # Live updates belong on the first page only; later pages are history.
            "stream_query": None if cursor else urlencode(_api_params(query)),
            "next_url": _page_url(filters, page.next_cursor) if page.next_cursor else None,
            "first_url": _page_url(filters, None) if cursor else None,
            "flashes": [Flash("success", done)] if done else [],
        },
        principal=principal,
    )


def _page_url(filters: dict[str, Any], cursor: str | None) -> str:
    """This page with the same filters, from `cursor` (None: the first page)."""
    pairs = [(k, str(v)) for k, v in filters.items() if k != "tlp" and v]
    pairs += [("tlp", t) for t in filters["tlp"]]
    if cursor:
        pairs.append(("cursor", cursor))
    return "/feed?" + urlencode(pairs) if pairs else "/feed"
