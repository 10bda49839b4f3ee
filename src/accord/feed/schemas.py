"""API shapes of the feed: one item per shared record, as the viewer may see it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from accord.feed.domain import (
    Redaction,
    location_shown,
    permitted_purposes,
    redaction_of,
    summary_shown,
    why_of,
)
from accord.orgs.domain import Sector
from accord.sharing.access import Visible
from accord.sharing.domain import Access, Category, Purpose, Tlp, Viewer

__all__ = [
    "FeedItem",
    "FeedPage",
    "LocationRead",
    "OwnerRead",
    "RedactionRead",
    "WhyRead",
    "feed_item",
    "page_of",
    "redaction_read",
    "why_read",
]

# The console page of each kind of record, for links from the feed.
PAGES = {"note": "/notes/{id}"}


class OwnerRead(BaseModel):
    id: uuid.UUID
    name: str
    sector: Sector


class WhyRead(BaseModel):
    """Why the viewer sees the record: the marking, an addressing, or an agreement."""

    basis: str = Field(examples=["agreement"])
    reason: str
    agreement_id: uuid.UUID | None
    agreement_title: str | None
    agreement_version: int | None


class RedactionRead(BaseModel):
    """Stands in for a field the viewer may not see, and says why."""

    redacted: Literal[True] = True
    category: Category
    reason: str = Field(examples=['Not covered by agreement "Retail watch" (version 2)'])


class LocationRead(BaseModel):
    lat: float
    lon: float
    area: dict[str, Any] | None = Field(default=None, description="GeoJSON, when an area")


class FeedItem(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    summary: str | None = Field(
        description="The opening of the text; null when restricted or its category is masked"
    )
    restricted: bool = Field(description="Opening the record needs a stated purpose")
    purposes: list[Purpose] = Field(description="Purposes a restricted read may state")
    owner: OwnerRead
    tlp: Tlp
    categories: list[Category]
    redacted: list[RedactionRead]
    created_at: datetime
    updated_at: datetime
    location: LocationRead | None
    why: WhyRead
    href: str | None = Field(description="The record's console page")


class FeedPage(BaseModel):
    items: list[FeedItem]
    next_cursor: str | None
    limit: int


def redaction_read(marker: Redaction) -> RedactionRead:
    return RedactionRead(category=marker.category, reason=marker.reason)


def why_read(access: Access) -> WhyRead:
    why = why_of(access)
    return WhyRead(
        basis=why.basis,
        reason=why.reason,
        agreement_id=None if why.agreement_id is None else uuid.UUID(why.agreement_id),
        agreement_title=why.agreement_title,
        agreement_version=why.agreement_version,
    )


def feed_item(shown: Visible, owner: OwnerRead, viewer: Viewer) -> FeedItem:
    """The feed's view of one record the access module let through."""
    record, access = shown.record, shown.access
    location = None
    if record.lat is not None and record.lon is not None and location_shown(access):
        location = LocationRead(lat=record.lat, lon=record.lon, area=record.geometry)
    redacted = [redaction_of(access, viewer, c) for c in sorted(access.redacted)]
    page = PAGES.get(record.kind)
    return FeedItem(
        id=record.id,
        kind=record.kind,
        title=record.title,
        summary=record.summary if summary_shown(access, record.summary_category) else None,
        restricted=access.restricted,
        purposes=list(permitted_purposes(access)),
        owner=owner,
        tlp=record.tlp,
        categories=sorted(record.categories),
        redacted=[redaction_read(m) for m in redacted if m is not None],
        created_at=record.created_at,
        updated_at=record.updated_at,
        location=location,
        why=why_read(access),
        href=None if page is None else page.format(id=record.id),
    )


def page_of(items: list[FeedItem], next_cursor: str | None, limit: int) -> FeedPage:
    return FeedPage(items=items, next_cursor=next_cursor, limit=limit)
