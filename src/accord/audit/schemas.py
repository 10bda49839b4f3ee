"""API shapes of the audit log: signed tree heads, the public key, proofs and entries."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accord.core.audit.models import AuditEntry, AuditTreeHead
from accord.core.audit.service import ConsistencyProof, InclusionProof
from accord.core.audit.signing import TREE_HEAD_FORMAT, format_time
from accord.core.pagination import Page

__all__ = [
    "AuditEntryPage",
    "AuditEntryRead",
    "ConsistencyProofRead",
    "InclusionProofRead",
    "PublicKeyRead",
    "TreeHeadRead",
]

_HEX = "lowercase hex"


class TreeHeadRead(BaseModel):
    """A signed tree head; `timestamp` is exactly the text the signature covers."""

    model_config = ConfigDict(frozen=True)

    size: int = Field(description="Number of entries the head covers.")
    root_hash: str = Field(description=f"RFC 9162 Merkle tree hash (SHA-256), {_HEX}.")
    timestamp: str = Field(description="UTC time, YYYY-MM-DDTHH:MM:SS.ffffffZ, as signed.")
    key_id: str = Field(description=f"SHA-256 of the raw Ed25519 public key, {_HEX}.")
    signature: str = Field(description=f"Ed25519 signature of the {TREE_HEAD_FORMAT} text, base64.")
    format: str = Field(default=TREE_HEAD_FORMAT, description="Signed message format.")

    @classmethod
    def of(cls, head: AuditTreeHead) -> TreeHeadRead:
        return cls.signed(head.size, head.root_hash, head.at, head.key_id, head.signature)

    @classmethod
    def signed(
        cls, size: int, root: bytes, at: datetime, key_id: str, signature: bytes
    ) -> TreeHeadRead:
        return cls(
            size=size,
            root_hash=root.hex(),
            timestamp=format_time(at),
            key_id=key_id,
            signature=base64.b64encode(signature).decode("ascii"),
        )


class PublicKeyRead(BaseModel):
    """The key that verifies tree head signatures; compare it with one obtained out of band."""

    algorithm: str = "Ed25519"
    key_id: str = Field(description=f"SHA-256 of the raw public key, {_HEX}.")
    public_key_pem: str = Field(description="SubjectPublicKeyInfo PEM.")


class InclusionProofRead(BaseModel):
    """RFC 9162 §2.1.3 inclusion proof of one entry in a signed tree."""

    seq: int = Field(description="Leaf index of the entry.")
    tree_size: int
    leaf_hash: str = Field(description=f"The entry's leaf hash, {_HEX}.")
    root_hash: str = Field(description=f"Root of the signed tree head of tree_size, {_HEX}.")
    audit_path: list[str] = Field(description=f"Sibling hashes, leaf to root, {_HEX}.")

    @classmethod
    def of(cls, proof: InclusionProof) -> InclusionProofRead:
        return cls(
            seq=proof.seq,
            tree_size=proof.tree_size,
            leaf_hash=proof.leaf_hash.hex(),
            root_hash=proof.root_hash.hex(),
            audit_path=[h.hex() for h in proof.path],
        )


class ConsistencyProofRead(BaseModel):
    """RFC 9162 §2.1.4 proof that an older signed tree is a prefix of a newer one."""

    first: int
    second: int
    first_root: str = Field(description=f"Root of the signed head of size first, {_HEX}.")
    second_root: str = Field(description=f"Root of the signed head of size second, {_HEX}.")
    proof: list[str] = Field(description=f"RFC 9162 §2.1.4.1 proof nodes, {_HEX}.")

    @classmethod
    def of(cls, proof: ConsistencyProof) -> ConsistencyProofRead:
        return cls(
            first=proof.first,
            second=proof.second,
            first_root=proof.first_root.hex(),
            second_root=proof.second_root.hex(),
            proof=[h.hex() for h in proof.path],
        )


class AuditEntryRead(BaseModel):
    """One audit entry, with the leaf hash its content was recorded under."""

    seq: int
    at: datetime
    action: str
    actor_id: uuid.UUID | None
    actor_label: str
    org_id: uuid.UUID | None
    target_type: str
    target_id: str
    details: dict[str, Any]
    ip: str
    leaf_hash: str = Field(description=f"{_HEX}.")

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryRead:
        return cls(
            seq=entry.seq,
            at=entry.at,
            action=entry.action,
            actor_id=entry.actor_id,
            actor_label=entry.actor_label,
            org_id=entry.org_id,
            target_type=entry.target_type,
            target_id=entry.target_id,
            details=entry.details,
            ip=entry.ip,
            leaf_hash=entry.leaf_hash.hex(),
        )


class AuditEntryPage(BaseModel):
    """One page of entries, newest first; pass `next_cursor` back as `cursor` for the next."""

    items: list[AuditEntryRead]
    next_cursor: str | None
    limit: int

    @classmethod
    def of(cls, page: Page[AuditEntry]) -> AuditEntryPage:
        return cls(
            items=[AuditEntryRead.of(e) for e in page.items],
            next_cursor=page.next_cursor,
            limit=page.limit,
        )
