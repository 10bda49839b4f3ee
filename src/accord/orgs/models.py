"""Tables of organizations, groups, people and invitations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.core.db import Base, JSONType, UTCDateTime, value_enum
from accord.core.ids import new_id
from accord.orgs.domain import OrgKind, Role, Sector, VettingState

__all__ = ["Group", "GroupMember", "Invitation", "Organization", "Person"]


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str] = mapped_column(String(40))
    sector: Mapped[Sector] = mapped_column(value_enum(Sector, "sector"))
    kind: Mapped[OrgKind] = mapped_column(value_enum(OrgKind, "org_kind"))
    description: Mapped[str] = mapped_column(Text, default="")
    service_area: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    capabilities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    vetting_state: Mapped[VettingState] = mapped_column(
        value_enum(VettingState, "vetting_state"), default=VettingState.PENDING, index=True
    )
    vetting_reason: Mapped[str] = mapped_column(Text, default="")
    vetting_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    people: Mapped[list[Person]] = relationship(back_populates="organization")

    __table_args__ = (Index("ix_organizations_name_id", "name", "id"),)


class Group(Base):
    """A named community of organizations, such as a downtown retail security council."""

    __tablename__ = "groups"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    coordinator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    members: Mapped[list[GroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )
    coordinator: Mapped[Person | None] = relationship(foreign_keys=[coordinator_id])


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )

    group: Mapped[Group] = relationship(back_populates="members")
    organization: Mapped[Organization] = relationship()


class Person(Base):
    """An account: every person belongs to exactly one organization."""

    __tablename__ = "people"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(value_enum(Role, "role"))
    cji_cleared: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    totp_secret_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    mfa_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # RFC 6238 §5.2: the last accepted time step, so a code cannot be replayed.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship(back_populates="people")

    # The people list is ordered by (display_name, id): within one organization for its
    # members, across all of them for platform admins.
    __table_args__ = (
        Index("ix_people_org_name", "org_id", "display_name", "id"),
        Index("ix_people_name_id", "display_name", "id"),
    )

    @property
    def mfa_enabled(self) -> bool:
        return self.mfa_enabled_at is not None and self.totp_secret_enc is not None


class Invitation(Base):
    """A single-use link that lets a person set up an account in an organization."""

    __tablename__ = "invitations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(value_enum(Role, "role"))
    cji_cleared: Mapped[bool] = mapped_column(Boolean, default=False)
    token_hash: Mapped[str] = mapped_column(String(64))
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    organization: Mapped[Organization] = relationship()

    __table_args__ = (UniqueConstraint("token_hash", name="uq_invitations_token_hash"),)
