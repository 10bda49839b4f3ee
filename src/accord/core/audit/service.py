"""Appending to the audit log (a signed tree head per entry) and reading it back with proofs."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from accord.core import merkle
from accord.core.audit.export import canonical_json, entry_fields, leaf_data
from accord.core.audit.models import AuditEntry, AuditState, AuditTreeHead
from accord.core.audit.signing import signer_for_session
from accord.core.clock import ensure_utc
from accord.core.errors import Invalid, NotFound
from accord.core.pagination import DEFAULT_LIMIT, Page, paginate

__all__ = [
    "ACTION_PATTERN",
    "ConsistencyProof",
    "InclusionProof",
    "consistency_proof_for",
    "current_tree_head",
    "get_entry",
    "get_tree_head",
    "inclusion_proof_for",
    "iter_entries",
    "iter_tree_heads",
    "list_entries",
    "record",
    "use_snapshot",
]

ACTION_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_STATE_ID = 1
_BATCH = 1000
# Column widths of AuditEntry; checked here so both engines refuse the same values.
_TEXT_LIMITS = {"action": 80, "actor_label": 254, "target_type": 40, "target_id": 64, "ip": 64}


@dataclass(frozen=True)
class InclusionProof:
    """RFC 9162 §2.1.3: the audit path of leaf `seq` in the tree of the first `tree_size`."""

    seq: int
    tree_size: int
    leaf_hash: bytes
    root_hash: bytes
    path: list[bytes]


@dataclass(frozen=True)
class ConsistencyProof:
    """RFC 9162 §2.1.4: the proof that the tree of `first` leaves prefixes that of `second`."""

    first: int
    second: int
    first_root: bytes
    second_root: bytes
    path: list[bytes]


def record(
    session: Session,
    *,
    action: str,
    at: datetime,
    actor_id: uuid.UUID | None = None,
    actor_label: str = "",
    org_id: uuid.UUID | None = None,
    target_type: str = "",
    target_id: str = "",
    details: Mapping[str, Any] | None = None,
    ip: str = "",
) -> AuditEntry:
    """Append one entry inside the caller's write transaction and sign the new tree head.

    The entry commits or rolls back with the caller's change. Appenders queue on the state
    row's lock (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so seqs
    have no gaps; each append costs O(log n) hashes and never reads earlier leaves.
    ``ValueError`` reports a programming error (a malformed action, a naive time, …).
    """
    texts = {"action": action, "actor_label": actor_label, "target_type": target_type}
    texts |= {"target_id": target_id, "ip": ip}
    _check_arguments(texts, at, actor_id, org_id)
    # Normalized to the JSON the leaf covers, so what is stored is exactly what is hashed.
    plain_details = json.loads(canonical_json(details or {}, "details", strict=True))
    signer = signer_for_session(session)
    state = _locked_state(session)
    frontier = merkle.Frontier.from_json(json.loads(state.frontier))
    if frontier.size != state.size:
        raise RuntimeError("the audit state row is inconsistent; run `accord audit verify`")
    entry = AuditEntry(
        seq=state.size,
        at=ensure_utc(at),
        actor_id=actor_id,
        org_id=org_id,
        details=plain_details,
        **texts,
    )
    entry.leaf_hash = merkle.leaf_hash(leaf_data(entry_fields(entry)))
    frontier = frontier.append(entry.leaf_hash)
    root = frontier.root()
    head = AuditTreeHead(
        size=frontier.size,
        root_hash=root,
        at=entry.at,
        key_id=signer.key_id,
        signature=signer.sign(frontier.size, entry.at, root),
    )
    state.size = frontier.size
    state.frontier = json.dumps(frontier.to_json(), separators=(",", ":"))
    session.add_all([entry, head])
    session.flush()
    return entry


def _check_arguments(texts: Mapping[str, str], at: datetime, *ids: uuid.UUID | None) -> None:
    if not isinstance(texts["action"], str) or not ACTION_PATTERN.fullmatch(texts["action"]):
        raise ValueError(
            f"audit action {texts['action']!r} is not a lowercase dotted name "
            "such as 'org.vetting.changed'"
        )
    for name, value in texts.items():
        if not isinstance(value, str) or len(value) > _TEXT_LIMITS[name] or "\x00" in value:
            raise ValueError(f"audit {name} must be text of at most {_TEXT_LIMITS[name]} chars")
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware datetimes")
    if any(value is not None and not isinstance(value, uuid.UUID) for value in ids):
        raise ValueError("audit actor_id and org_id must be UUIDs or None")


def _locked_state(session: Session) -> AuditState:
    """The state row, locked for this transaction; created (size 0) on the very first append."""
    stmt = (
        select(AuditState)
        .where(AuditState.id == _STATE_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    state = session.scalars(stmt).one_or_none()
    if state is None:
        # Two first appenders may race here: the loser's insert does nothing, then it waits
        # on the winner's row lock like any later appender.
        empty = json.dumps(merkle.Frontier.empty().to_json())
        session.execute(_insert_if_absent(session).values(id=_STATE_ID, size=0, frontier=empty))
        state = session.scalars(stmt).one()
    return state


def _insert_if_absent(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql_insert(AuditState).on_conflict_do_nothing(index_elements=["id"])
    if dialect == "sqlite":
        return sqlite_insert(AuditState).on_conflict_do_nothing(index_elements=["id"])
    return insert(AuditState)


def use_snapshot(session: Session) -> None:
    """Make the session's reads one consistent snapshot (call before its first query).

    PostgreSQL needs REPEATABLE READ for that; an SQLite read transaction already is one.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def current_tree_head(session: Session) -> AuditTreeHead | None:
    """The signed head of the whole log, or None while the log is empty."""
    stmt = select(AuditTreeHead).order_by(AuditTreeHead.size.desc()).limit(1)
    return session.scalars(stmt).first()


def get_tree_head(session: Session, size: int) -> AuditTreeHead:
    """The signed head of the first `size` entries; NotFound beyond the log."""
    head = session.get(AuditTreeHead, size)
    if head is None:
        raise NotFound(f"The audit log has no tree head of size {size}.")
    return head


def get_entry(session: Session, seq: int) -> AuditEntry:
    """The entry at leaf index `seq`; NotFound if there is none."""
    entry = session.get(AuditEntry, seq)
    if entry is None:
        raise NotFound(f"The audit log has no entry {seq}.")
    return entry


def list_entries(
    session: Session,
    *,
    org_id: uuid.UUID | None = None,
    action_prefix: str | None = None,
    actor_id: uuid.UUID | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[AuditEntry]:
    """Entries newest first, filtered; `org_id` limits to one organization's entries.

    `action_prefix` matches whole dotted segments: ``auth.sign_in`` matches
    ``auth.sign_in.failed`` but not ``auth.sign_in_link.sent``.
    """
    stmt: Select[Any] = select(AuditEntry)
    if org_id is not None:
        stmt = stmt.where(AuditEntry.org_id == org_id)
    if action_prefix:
        prefix = action_prefix.rstrip(".")
        if not re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*", prefix):
            raise Invalid(
                "action must be a lowercase dotted prefix such as 'auth.sign_in'.",
                errors=[{"field": "action"}],
            )
        stmt = stmt.where(
            (AuditEntry.action == prefix)
            | AuditEntry.action.startswith(f"{prefix}.", autoescape=True)
        )
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if target_type:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    if target_id:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    return paginate(session, stmt, [AuditEntry.seq], cursor=cursor, limit=limit, descending=True)


def _tree_size(session: Session) -> int:
    head = current_tree_head(session)
    return 0 if head is None else head.size


def _leaf_hashes(session: Session, size: int) -> list[bytes]:
    """The stored leaf hashes of the first `size` entries: O(size) rows, read in seq order."""
    stmt = select(AuditEntry.leaf_hash).where(AuditEntry.seq < size).order_by(AuditEntry.seq)
    leaves = list(session.scalars(stmt))
    if len(leaves) != size:
        raise RuntimeError(
            f"the audit log holds {len(leaves)} entries below size {size}; "
            "run `accord audit verify`"
        )
    return leaves


def inclusion_proof_for(session: Session, seq: int, tree_size: int | None = None) -> InclusionProof:
    """RFC 9162 §2.1.3.1 proof for entry `seq` in the signed tree of `tree_size` (default: all).

    Reads the leaf hashes of the first `tree_size` entries, so it costs O(n) in the log size.
    Invalid for impossible arguments, NotFound when `tree_size` exceeds the log.
    """
    size = _tree_size(session) if tree_size is None else tree_size
    if seq < 0 or size < 1 or seq >= size:
        raise Invalid(
            f"seq must satisfy 0 <= seq < tree_size (got seq={seq}, tree_size={size}).",
            errors=[{"field": "seq"}, {"field": "tree_size"}],
        )
    head = get_tree_head(session, size)
    leaves = _leaf_hashes(session, size)
    return InclusionProof(
        seq=seq,
        tree_size=size,
        leaf_hash=leaves[seq],
        root_hash=head.root_hash,
        path=merkle.inclusion_proof(seq, leaves),
    )


def consistency_proof_for(
    session: Session, first: int, second: int | None = None
) -> ConsistencyProof:
    """RFC 9162 §2.1.4.1 proof that the tree of `first` entries prefixes that of `second`.

    Reads the leaf hashes of the first `second` entries: O(n) in the log size. Invalid unless
    1 <= first <= second, NotFound when `second` exceeds the log.
    """
    size = _tree_size(session) if second is None else second
    if first < 1 or first > size:
        raise Invalid(
            f"sizes must satisfy 1 <= first <= second (got first={first}, second={size}).",
            errors=[{"field": "first"}, {"field": "second"}],
        )
    new_head = get_tree_head(session, size)
    old_head = get_tree_head(session, first)
    leaves = _leaf_hashes(session, size)
    return ConsistencyProof(
        first=first,
        second=size,
        first_root=old_head.root_hash,
        second_root=new_head.root_hash,
        path=merkle.consistency_proof(first, leaves),
    )


def iter_entries(session: Session, *, batch: int = _BATCH) -> Iterator[AuditEntry]:
    """Every entry in seq order, read in keyset batches (memory stays flat)."""
    after = -1
    while True:
        stmt = select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq)
        rows = list(session.scalars(stmt.limit(batch)))
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].seq


def iter_tree_heads(session: Session, *, batch: int = _BATCH) -> Iterator[AuditTreeHead]:
    """Every signed tree head in size order, read in keyset batches."""
    after = 0
    while True:
        stmt = select(AuditTreeHead).where(AuditTreeHead.size > after)
        rows = list(session.scalars(stmt.order_by(AuditTreeHead.size).limit(batch)))
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].size
