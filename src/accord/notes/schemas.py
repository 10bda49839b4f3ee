"""API shapes of notes; inputs refuse unknown fields, so no request sets an owner, id or time."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.feed.schemas import LocationRead, OwnerRead, RedactionRead, WhyRead
from accord.notes.domain import BODY_MAX, DETAILS_MAX, TITLE_MAX
from accord.sharing.domain import Category, Purpose, RecipientKind, Tlp
from accord.sharing.service import Place, Recipient

__all__ = [
    "AttachmentRead",
    "AuthorRead",
    "MarkingChange",
    "NoteCreate",
    "NoteRead",
    "NoteUpdate",
    "PointIn",
    "RecipientIn",
    "RecipientRead",
    "RecipientsAdd",
]


class Strict(BaseModel):
    """An input: unknown fields are refused (422), not ignored."""

    model_config = ConfigDict(extra="forbid")


class RecipientIn(Strict):
    kind: RecipientKind
    id: uuid.UUID

    def recipient(self) -> Recipient:
        return Recipient(kind=self.kind, id=self.id)


class PointIn(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class NoteCreate(Strict):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)
    body_category: Category = Field(
        default=Category.GENERAL, description="The data category of the body text"
    )
    personal_details: str = Field(
        default="",
        max_length=DETAILS_MAX,
        description="About the people involved; makes the note personal data",
    )
    tlp: Tlp
    categories: list[Category] = Field(
        default_factory=list,
        max_length=len(Category),
        description=(
            "Categories on top of those derived from the content (body, personal details, "
            "attachments), e.g. person_location when the place is where a person is"
        ),
    )
    recipients: list[RecipientIn] = Field(default_factory=list, max_length=200)
    location: PointIn | None = None
    area: dict[str, Any] | None = Field(
        default=None, description="GeoJSON Polygon or MultiPolygon (WGS84), instead of a point"
    )

    @model_validator(mode="after")
    def _one_place(self) -> NoteCreate:
        if self.location is not None and self.area is not None:
            raise ValueError("give either a location or an area, not both")
        return self

    def place(self) -> Place | None:
        if self.area is not None:
            return Place(geometry=self.area)
        if self.location is not None:
            return Place(lat=self.location.lat, lon=self.location.lon)
        return None


class NoteUpdate(Strict):
    """Only the fields sent change; the marking and recipients have their own routes."""

    title: str = Field(default="", min_length=1, max_length=TITLE_MAX)
    body: str = Field(default="", min_length=1, max_length=BODY_MAX)
    personal_details: str = Field(default="", max_length=DETAILS_MAX)


class RecipientsAdd(Strict):
    recipients: list[RecipientIn] = Field(min_length=1, max_length=200)


class MarkingChange(Strict):
    tlp: Tlp


class AuthorRead(BaseModel):
    id: uuid.UUID
    name: str


class RecipientRead(BaseModel):
    kind: RecipientKind
    id: uuid.UUID
    name: str
    added_at: datetime


class AttachmentRead(BaseModel):
    """A file of the note; a masked one shows only its id, category and why it is masked."""

    id: uuid.UUID
    category: Category
    filename: str | None
    media_type: str | None
    size: int | None
    sha256: str | None
    added_at: datetime
    redacted: RedactionRead | None
    href: str | None = Field(description="Where to download it (with ?purpose= when restricted)")


class NoteRead(BaseModel):
    """A note as the reader may see it: masked fields carry a redaction marker instead."""

    id: uuid.UUID
    kind: str = "note"
    title: str
    body: str | RedactionRead
    body_category: Category
    personal_details: str | RedactionRead | None
    tlp: Tlp
    categories: list[Category]
    declared_categories: list[Category]
    owner: OwnerRead
    author: AuthorRead | None = Field(description="Shown to the owner organization only")
    created_at: datetime
    updated_at: datetime
    location: LocationRead | None
    attachments: list[AttachmentRead]
    recipients: list[RecipientRead] | None = Field(
        description="Shown to the owner organization only"
    )
    why: WhyRead
    restricted: bool
    purpose: Purpose | None = Field(description="The purpose stated for this read")
    redacted: list[RedactionRead]
    may_edit: bool
