"""Tables of the notes feature: a note's text and its attachments; the rest is its shared record."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from accord.core.db import Base, UTCDateTime
from accord.core.ids import new_id
from accord.sharing.domain import Category, categories_of_mask

__all__ = ["Note", "NoteAttachment"]


def _category_enum() -> Enum:
    return Enum(
        Category,
        name="category",
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


class Note(Base):
    """A note's content. Its id is its `shared_records` row, which holds the title, owner,
    marking, categories and place; withdrawing the record deletes the note with it."""

    __tablename__ = "notes"

    id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shared_records.id", ondelete="CASCADE"), primary_key=True
    )
    body: Mapped[str] = mapped_column(Text)
    body_category: Mapped[Category] = mapped_column(_category_enum())
    # About the people involved (names, descriptions): always in the personal-data category.
    personal_details: Mapped[str] = mapped_column(Text, default="")
    # Categories the sender declared on top of those the content carries (e.g. person_location).
    declared_mask: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def declared(self) -> frozenset[Category]:
        return categories_of_mask(self.declared_mask)


class NoteAttachment(Base):
    """A file attached to a note, kept in the database; the sender chooses its category."""

    __tablename__ = "note_attachments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    note_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(130))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    category: Mapped[Category] = mapped_column(_category_enum())
    # Loaded only on download: lists of attachments never pull the bytes.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )

    __table_args__ = (Index("ix_note_attachments_note", "note_id", "added_at"),)
