"""Tables of the sharing engine: shared records, their recipients and cells, enforced terms."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, JSONType, UTCDateTime, value_enum
from accord.core.ids import new_id
from accord.sharing.domain import (
    Category,
    GrantState,
    Purpose,
    RecipientKind,
    Tlp,
    categories_of_mask,
)

__all__ = [
    "GrantCell",
    "GrantParty",
    "RecordCell",
    "RecordRecipient",
    "SharedRecord",
    "SharingGrant",
    "SharingRead",
]


class SharedRecord(Base):
    """The part every shareable record has, whatever its kind (note, bulletin, incident, ...).

    Each kind keeps its own content in a table whose primary key is this record's id.
    """

    __tablename__ = "shared_records"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))
    owner_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    tlp: Mapped[Tlp] = mapped_column(value_enum(Tlp, "tlp"))
    categories_mask: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    # The opening of the record's main text, in its main category, for lists and search.
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_category: Mapped[Category] = mapped_column(value_enum(Category, "category"))
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Lists read newest first: by everyone, by owner, by marking and by kind.
    __table_args__ = (
        Index("ix_shared_records_created", "created_at", "id"),
        Index("ix_shared_records_owner_created", "owner_org_id", "created_at", "id"),
        # One partner's AMBER records, newest first: the agreement arms of a feed page.
        Index("ix_shared_records_owner_tlp_created", "owner_org_id", "tlp", "created_at", "id"),
        Index("ix_shared_records_tlp_created", "tlp", "created_at", "id"),
        Index("ix_shared_records_kind_created", "kind", "created_at", "id"),
        Index("ix_shared_records_author_created", "author_id", "created_at", "id"),
        Index("ix_shared_records_lat_lon", "lat", "lon"),
    )

    @property
    def categories(self) -> frozenset[Category]:
        return categories_of_mask(self.categories_mask)


class RecordRecipient(Base):
    """An explicit recipient of a record: an organization, a group or a named person."""

    __tablename__ = "record_recipients"

    record_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shared_records.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[RecipientKind] = mapped_column(
        value_enum(RecipientKind, "recipient_kind"), primary_key=True
    )
    target_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # The record's own creation instant (it never changes), so the records addressed to
    # someone can be read newest first from this table's index alone.
    record_created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The organization that addressed it: the owner, or a recipient sharing onward.
    added_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))

    __table_args__ = (
        Index("ix_record_recipients_target", "kind", "target_id", "record_created_at", "record_id"),
    )


class RecordCell(Base):
    """An H3 cell a record's point or area touches, so agreement areas match in SQL."""

    __tablename__ = "record_cells"

    record_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("shared_records.id", ondelete="CASCADE"), primary_key=True
    )
    cell: Mapped[int] = mapped_column(BigInteger, primary_key=True)

    __table_args__ = (Index("ix_record_cells_cell", "cell", "record_id"),)


class SharingGrant(Base):
    """The enforced terms of an agreement's version in force; written by the agreements feature.

    Its id is the agreement's id. Only ACTIVE grants give access, and only between their
    effective and expiry instants.
    """

    __tablename__ = "sharing_grants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[GrantState] = mapped_column(value_enum(GrantState, "grant_state"))
    tlp_ceiling: Mapped[Tlp] = mapped_column(value_enum(Tlp, "tlp"))
    covered_mask: Mapped[int] = mapped_column(Integer)
    sensitive_mask: Mapped[int] = mapped_column(Integer, default=0)
    purposes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    has_area: Mapped[bool] = mapped_column(Boolean, default=False)
    # Copies of sharing_grant_parties and sharing_grant_cells, written with them, so a request
    # loads an organization's agreements, parties and areas in one query. SQL filters use the
    # tables; the pure rule uses these.
    party_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    area_cells: Mapped[list[int] | None] = mapped_column(JSONType, nullable=True)
    onward_sharing: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def purpose_set(self) -> frozenset[Purpose]:
        return frozenset(Purpose(p) for p in self.purposes)


class GrantParty(Base):
    __tablename__ = "sharing_grant_parties"

    grant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sharing_grants.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), primary_key=True)

    __table_args__ = (Index("ix_sharing_grant_parties_org", "org_id", "grant_id"),)


class GrantCell(Base):
    """An H3 cell of an agreement's area."""

    __tablename__ = "sharing_grant_cells"

    grant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sharing_grants.id", ondelete="CASCADE"), primary_key=True
    )
    cell: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class SharingRead(Base):
    """One restricted read or refused request, for the per-agreement accountability report.

    The audit log holds the same event tamper-evidently; this table makes it countable.
    """

    __tablename__ = "sharing_reads"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # "read" or "refused"
    viewer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    viewer_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    # Kept when the record is withdrawn: the agreement's accountability still counts the read.
    record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("shared_records.id", ondelete="SET NULL"), nullable=True
    )
    owner_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    basis: Mapped[str] = mapped_column(String(32), default="")
    purpose: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_sharing_reads_agreement", "agreement_id", "at"),
        Index("ix_sharing_reads_record", "record_id", "at"),
    )
