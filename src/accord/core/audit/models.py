"""Tables of the append-only audit log: entries (Merkle leaves), signed tree heads, the frontier."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.core.db import Base, JSONType, UTCDateTime

__all__ = ["AuditEntry", "AuditState", "AuditTreeHead"]


class AuditEntry(Base):
    """One event; `seq` is its leaf index in the RFC 9162 Merkle tree (0-based, no gaps)."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    org_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    __table_args__ = (
        Index("ix_audit_entries_org_seq", "org_id", "seq"),
        Index("ix_audit_entries_target", "target_type", "target_id"),
    )


class AuditTreeHead(Base):
    """A signed tree head (RFC 9162 §4.10): the root of the first `size` leaves, signed."""

    __tablename__ = "audit_tree_heads"

    size: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


class AuditState(Base):
    """The single row that holds the tree's frontier, locked by each append."""

    __tablename__ = "audit_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    frontier: Mapped[str] = mapped_column(Text)
