"""Tables of the agreements feature: agreements, their versions, parties and signatures."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.agreements.domain import AgreementKind, AgreementStatus, VersionState
from accord.core.db import Base, JSONType, UTCDateTime, value_enum
from accord.core.ids import new_id

__all__ = ["Agreement", "AgreementParty", "AgreementSignature", "AgreementVersion"]


class Agreement(Base):
    """An agreement between partners; its terms live in its versions."""

    __tablename__ = "agreements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[AgreementKind] = mapped_column(
        value_enum(AgreementKind, "agreement_kind", length=40)
    )
    title: Mapped[str] = mapped_column(String(200))
    # Never EXPIRED: that is read off the clock against expires_at (domain.effective_status).
    status: Mapped[AgreementStatus] = mapped_column(
        value_enum(AgreementStatus, "agreement_status", length=40)
    )
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    drafted_by_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    # The number of the version in force; None until the first one is signed by every party.
    current_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The expiry of the version in force (or of the first draft), kept here so lists and
    # expiry warnings filter in SQL.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    versions: Mapped[list[AgreementVersion]] = relationship(
        back_populates="agreement",
        cascade="all, delete-orphan",
        order_by="AgreementVersion.number",
    )

    __table_args__ = (
        Index("ix_agreements_created", "created_at", "id"),
        Index("ix_agreements_status_expires", "status", "expires_at"),
    )


class AgreementVersion(Base):
    """One version of the terms, with what each party signed and the signed document."""

    __tablename__ = "agreement_versions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    agreement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[VersionState] = mapped_column(
        value_enum(VersionState, "agreement_version_state", length=40)
    )
    kind: Mapped[AgreementKind] = mapped_column(
        value_enum(AgreementKind, "agreement_kind", length=40)
    )
    title: Mapped[str] = mapped_column(String(200))
    terms: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Groups named as parties; their member organizations are the party rows "via" them.
    party_groups: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # The digest of the content as it is now, and as it was when proposed: signatures count
    # only while the two are equal.
    digest: Mapped[str] = mapped_column(String(64))
    proposed_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    proposed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    in_force_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    document_filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    document_media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    document_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    document_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Loaded only when the document itself is asked for.
    document_bytes: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    document_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    agreement: Mapped[Agreement] = relationship(back_populates="versions")
    parties: Mapped[list[AgreementParty]] = relationship(
        cascade="all, delete-orphan", order_by="AgreementParty.org_id"
    )
    signatures: Mapped[list[AgreementSignature]] = relationship(
        cascade="all, delete-orphan", order_by="AgreementSignature.signed_at"
    )

    __table_args__ = (
        UniqueConstraint("agreement_id", "number", name="uq_agreement_versions_number"),
    )

    @property
    def party_ids(self) -> frozenset[str]:
        return frozenset(str(p.org_id) for p in self.parties)


class AgreementParty(Base):
    """An organization party to a version; added directly, or as a member of a named group."""

    __tablename__ = "agreement_parties"

    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agreement_versions.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    via_group_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL"), nullable=True
    )

    __table_args__ = (Index("ix_agreement_parties_org", "org_id", "version_id"),)


class AgreementSignature(Base):
    """An organization admin's signature on a version, for the digest they were shown."""

    __tablename__ = "agreement_signatures"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agreement_versions.id", ondelete="CASCADE")
    )
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    digest: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint(
            "version_id", "org_id", "digest", name="uq_agreement_signatures_version_org"
        ),
    )
