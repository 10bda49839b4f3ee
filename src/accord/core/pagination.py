"""Cursor (keyset) pagination: the convention every list in Accord follows."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from accord.core.clock import ensure_utc
from accord.core.errors import Invalid

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Page", "decode_cursor", "encode_cursor", "paginate"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and the cursor of the next, if there is one."""

    items: list[T]
    next_cursor: str | None
    limit: int


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": ensure_utc(value).isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "t" in value:
        return ensure_utc(datetime.fromisoformat(str(value["t"])))
    if isinstance(value, dict) and "u" in value:
        return uuid.UUID(str(value["u"]))
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    """An opaque cursor for the sort key of the last item of a page."""
    raw = json.dumps([_to_json(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    """The sort key inside `cursor`; a tampered or foreign cursor is an Invalid error."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != width:
            raise ValueError("wrong width")
        return [_from_json(v) for v in values]
    except (ValueError, TypeError, KeyError) as exc:
        raise Invalid(
            "The cursor is not one this list gave out.", errors=[{"field": "cursor"}]
        ) from exc


def paginate(
    session: Session,
    stmt: Select[Any],
    keys: Sequence[InstrumentedAttribute[Any]],
    *,
    cursor: str | None,
    limit: int = DEFAULT_LIMIT,
    descending: bool = False,
) -> Page[Any]:
    """Run `stmt` ordered by `keys` (unique together) from after `cursor`, `limit` rows at most.

    The comparison is a row-value comparison on indexed columns, so a page costs the same
    however deep into the list it is.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}.", errors=[{"field": "limit"}])
    if cursor:
        after = decode_cursor(cursor, len(keys))
        row_key = tuple_(*keys)
        stmt = stmt.where(row_key < tuple_(*after) if descending else row_key > tuple_(*after))
    order = [k.desc() for k in keys] if descending else list(keys)
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, k.key) for k in keys])
    return Page(items=rows, next_cursor=next_cursor, limit=limit)
