"""Reading the feed: one page of what a viewer may see, and one record for the live stream.

Every record comes through `sharing.access`: pages from `list_visible` (the database filters),
single records from `find_visible`. Besides that one query, a page costs one batched lookup of
its owners' names; nothing is asked per item and nothing is filtered in Python.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.core.errors import Invalid
from accord.core.pagination import DEFAULT_LIMIT
from accord.feed.domain import summary_shown
from accord.feed.schemas import FeedItem, FeedPage, OwnerRead, feed_item
from accord.orgs.domain import Actor
from accord.orgs.models import Organization
from accord.sharing import access
from accord.sharing.access import FeedQuery, Visible
from accord.sharing.domain import Viewer

__all__ = [
    "feed_items",
    "feed_page",
    "matches",
    "owners_of",
    "parse_bbox",
    "stream_item",
]


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """`west,south,east,north` in degrees (WGS84); an area across the antimeridian is refused."""
    if not value:
        return None
    parts = value.split(",")
    problem = None
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        problem = "must be four numbers: west,south,east,north"
    else:
        if not (-180 <= west <= east <= 180):
            problem = "west and east must be longitudes with west <= east"
        elif not (-90 <= south <= north <= 90):
            problem = "south and north must be latitudes with south <= north"
    if problem:
        raise Invalid(f"bbox {problem}.", errors=[{"field": "bbox", "message": problem}])
    return west, south, east, north


def owners_of(session: Session, org_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OwnerRead]:
    """The owner organizations of a page, in one query."""
    ids = sorted(set(org_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Organization.id, Organization.name, Organization.sector).where(
            Organization.id.in_(ids)
        )
    )
    return {oid: OwnerRead(id=oid, name=name, sector=sector) for oid, name, sector in rows}


def feed_items(session: Session, viewer: Viewer, shown: Sequence[Visible]) -> list[FeedItem]:
    owners = owners_of(session, (v.record.owner_org_id for v in shown))
    return [feed_item(v, owners[v.record.owner_org_id], viewer) for v in shown]


def feed_page(
    session: Session,
    actor: Actor,
    at: datetime,
    query: FeedQuery,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> FeedPage:
    """One page of everything `actor` may see at `at`, newest first, narrowed by `query`."""
    viewer = access.viewer_of(session, actor, at)
    page = access.list_visible(session, viewer, at, query, cursor=cursor, limit=limit)
    return FeedPage(
        items=feed_items(session, viewer, page.items),
        next_cursor=page.next_cursor,
        limit=page.limit,
    )


def matches(item: FeedItem, shown: Visible, query: FeedQuery) -> bool:
    """Does one record the viewer may see pass the feed's filters? (The live stream's check.)

    The same conditions `list_visible` puts in SQL, on one record. Free text is matched against
    the summary only where the viewer may read the summary, so the stream never answers a
    question about text the viewer was not shown.
    """
    record = shown.record
    text = query.text.casefold()
    checks = (
        not query.kinds or record.kind in query.kinds,
        query.owner_org_id is None or record.owner_org_id == query.owner_org_id,
        query.sector is None or item.owner.sector is query.sector,
        not query.tlps or record.tlp in query.tlps,
        query.category is None or query.category in record.categories,
        query.since is None or record.created_at >= query.since,
        query.until is None or record.created_at < query.until,
        not text
        or text in record.title.casefold()
        or (
            summary_shown(shown.access, record.summary_category)
            and text in record.summary.casefold()
        ),
        query.bbox is None or _inside(record.lat, record.lon, query.bbox),
    )
    return all(checks)


def _inside(lat: float | None, lon: float | None, bbox: tuple[float, float, float, float]) -> bool:
    west, south, east, north = bbox
    return lat is not None and lon is not None and south <= lat <= north and west <= lon <= east


def stream_item(
    session: Session, actor: Actor, record_id: uuid.UUID, at: datetime, query: FeedQuery
) -> FeedItem | None:
    """The feed item of `record_id` if `actor` may see it now and it passes `query`, else None.

    The viewer is resolved afresh for every event, so a terminated agreement or a removed
    recipient counts from the very next event.
    """
    viewer = access.viewer_of(session, actor, at)
    shown = access.find_visible(session, viewer, record_id, at)
    if shown is None:
        return None
    owner = owners_of(session, [shown.record.owner_org_id])[shown.record.owner_org_id]
    item = feed_item(shown, owner, viewer)
    return item if matches(item, shown, query) else None
