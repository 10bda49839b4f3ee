"""JSON routes of the audit log: public signed heads, key and proofs; entries for auditors."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.orm import Session

from accord.app import read_session
from accord.audit.schemas import (
    AuditEntryPage,
    AuditEntryRead,
    ConsistencyProofRead,
    InclusionProofRead,
    PublicKeyRead,
    TreeHeadRead,
)
from accord.auth.deps import Principal, api_user
from accord.core import merkle
from accord.core.audit import service
from accord.core.audit.signing import signer_for_session
from accord.core.errors import Forbidden, NotFound
from accord.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from accord.orgs.domain import Permission, can

__all__ = ["router"]

# Sizes and indexes fit a signed 64-bit column on every engine.
MAX_SIZE = 2**63 - 1

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

ReadSession = Annotated[Session, Depends(read_session)]
Auditor = Annotated[Principal, Depends(api_user("audit"))]


@router.get("/tree-head", response_model=TreeHeadRead)
def tree_head(request: Request, session: ReadSession) -> TreeHeadRead:
    """The signed head of the whole log (public: the transparency page and monitors use it)."""
    head = service.current_tree_head(session)
    if head is not None:
        return TreeHeadRead.of(head)
    # RFC 9162 §2.1.1: the empty tree's hash; signed now, since no append has stored a head.
    signer = signer_for_session(session)
    at = request.app.state.clock()
    signature = signer.sign(0, at, merkle.EMPTY_ROOT)
    return TreeHeadRead.signed(0, merkle.EMPTY_ROOT, at, signer.key_id, signature)


@router.get("/tree-heads/{size}", response_model=TreeHeadRead)
def tree_head_of_size(
    session: ReadSession, size: Annotated[int, Path(ge=1, le=MAX_SIZE)]
) -> TreeHeadRead:
    """The signed head of the first `size` entries (public; every size has one)."""
    return TreeHeadRead.of(service.get_tree_head(session, size))


@router.get("/public-key", response_model=PublicKeyRead)
def public_key(session: ReadSession) -> PublicKeyRead:
    """The Ed25519 key that verifies tree heads (public; check it against one got out of band)."""
    signer = signer_for_session(session)
    return PublicKeyRead(key_id=signer.key_id, public_key_pem=signer.public_key_pem())


@router.get("/proofs/inclusion", response_model=InclusionProofRead)
def inclusion_proof(
    session: ReadSession,
    seq: Annotated[int, Query(ge=0, le=MAX_SIZE, description="Leaf index of the entry.")],
    tree_size: Annotated[
        int | None, Query(ge=1, le=MAX_SIZE, description="Size of a signed tree head.")
    ] = None,
) -> InclusionProofRead:
    """RFC 9162 §2.1.3 audit path of entry `seq` in the signed tree of `tree_size` (public)."""
    return InclusionProofRead.of(service.inclusion_proof_for(session, seq, tree_size))


@router.get("/proofs/consistency", response_model=ConsistencyProofRead)
def consistency_proof(
    session: ReadSession,
    first: Annotated[
        int, Query(ge=0, le=MAX_SIZE, description="Size of the older signed tree head.")
    ],
    second: Annotated[
        int | None, Query(ge=0, le=MAX_SIZE, description="Size of the newer one.")
    ] = None,
) -> ConsistencyProofRead:
    """RFC 9162 §2.1.4 proof that the tree of `first` entries prefixes that of `second`."""
    return ConsistencyProofRead.of(service.consistency_proof_for(session, first, second))


def _visible_org(principal: Principal) -> uuid.UUID | None:
    """None for auditors of every entry, the own organization for its admins; else Forbidden."""
    if can(principal.actor, Permission.VIEW_AUDIT_ALL):
        return None
    if can(principal.actor, Permission.VIEW_AUDIT_OWN_ORG):
        return principal.org_id
    raise Forbidden("Only platform and organization administrators may read the audit log.")


@router.get("/entries", response_model=AuditEntryPage)
def list_entries(
    session: ReadSession,
    principal: Auditor,
    action: Annotated[str | None, Query(description="Dotted action prefix.")] = None,
    actor_id: uuid.UUID | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> AuditEntryPage:
    """Entries newest first: all for platform admins, their organization's for org admins."""
    page = service.list_entries(
        session,
        org_id=_visible_org(principal),
        action_prefix=action,
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
        cursor=cursor,
        limit=limit,
    )
    return AuditEntryPage.of(page)


@router.get("/entries/{seq}", response_model=AuditEntryRead)
def get_entry(
    session: ReadSession, principal: Auditor, seq: Annotated[int, Path(ge=0, le=MAX_SIZE)]
) -> AuditEntryRead:
    """One entry, under the same rule as the list; an entry the caller may not see is 404."""
    org_id = _visible_org(principal)
    entry = service.get_entry(session, seq)
    if org_id is not None and entry.org_id != org_id:
        raise NotFound(f"The audit log has no entry {seq}.")
    return AuditEntryRead.of(entry)
