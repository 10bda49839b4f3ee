"""JSON routes of notes under /api/v1/notes: share, list, open, edit, address, re-mark, withdraw.

A note's files are in `attachments_api`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from accord.app import read_session
from accord.auth.deps import Principal, api_user
from accord.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from accord.feed.api import record_filters
from accord.feed.schemas import FeedPage
from accord.notes import queries, service
from accord.notes.attachments_api import router as attachments_router
from accord.notes.schemas import (
    MarkingChange,
    NoteCreate,
    NoteRead,
    NoteUpdate,
    RecipientIn,
    RecipientsAdd,
)
from accord.sharing.access import FeedQuery
from accord.sharing.domain import Purpose, RecipientKind
from accord.sharing.service import Recipient

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/notes", tags=["notes"])

Reader = Annotated[Principal, Depends(api_user("notes"))]
Writer = Annotated[Principal, Depends(api_user("notes", write=True))]
ReadSession = Annotated[Session, Depends(read_session)]
Filters = Annotated[FeedQuery, Depends(record_filters)]
Cursor = Annotated[str | None, Query(max_length=512, description="next_cursor of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
PurposeQuery = Annotated[
    Purpose | None,
    Query(description="Why you open it: required for restricted notes (TLP:AMBER and above)"),
]


class RecipientsAdded(BaseModel):
    added: list[RecipientIn]


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _read_back(request: Request, principal: Principal, note_id: uuid.UUID) -> NoteRead:
    """The note as its editor now sees it (the owner's reads are never restricted)."""
    return queries.read_note(
        request.app.state.db, principal.actor, note_id, None, _now(request), ip=principal.ip
    )


@router.post(
    "",
    response_model=NoteRead,
    status_code=status.HTTP_201_CREATED,
    summary="Share a note",
    description=(
        "Any member of a vetted organization except a viewer shares notes. The note is owned by "
        "your organization; its categories are derived from the content (`categories` adds to "
        "them); the recipients must fit the marking (TLP 2.0)."
    ),
)
def create_note(
    body: NoteCreate, principal: Writer, request: Request, response: Response
) -> NoteRead:
    note_id = service.create_note(
        request.app.state.db,
        request.app.state.bus,
        actor=principal.actor,
        at=_now(request),
        title=body.title,
        body=body.body,
        tlp=body.tlp,
        body_category=body.body_category,
        personal_details=body.personal_details,
        categories=body.categories,
        recipients=[r.recipient() for r in body.recipients],
        place=body.place(),
        ip=principal.ip,
    )
    response.headers["Location"] = f"/api/v1/notes/{note_id}"
    return _read_back(request, principal, note_id)


@router.get("", response_model=FeedPage, summary="Notes you may see, newest first")
def list_notes(
    request: Request,
    principal: Reader,
    s: ReadSession,
    query: Filters,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> FeedPage:
    return queries.list_notes(s, principal.actor, _now(request), query, cursor=cursor, limit=limit)


@router.get(
    "/{note_id}",
    response_model=NoteRead,
    summary="Open a note",
    description=(
        "A note you may not see is 404, exactly like one that does not exist. A restricted note "
        "needs `purpose` (403 `purpose-required` lists the permitted ones); the read is written "
        "to the audit log. Fields you may not see are replaced by redaction markers."
    ),
)
def get_note(
    note_id: uuid.UUID, principal: Reader, request: Request, purpose: PurposeQuery = None
) -> NoteRead:
    return queries.read_note(
        request.app.state.db, principal.actor, note_id, purpose, _now(request), ip=principal.ip
    )


@router.patch("/{note_id}", response_model=NoteRead, summary="Edit a note's text")
def update_note(
    note_id: uuid.UUID, body: NoteUpdate, principal: Writer, request: Request
) -> NoteRead:
    changes = body.model_dump(exclude_unset=True)
    service.update_note(
        request.app.state.db,
        request.app.state.bus,
        actor=principal.actor,
        at=_now(request),
        note_id=note_id,
        ip=principal.ip,
        **changes,
    )
    return _read_back(request, principal, note_id)


@router.delete(
    "/{note_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Withdraw (delete) a note"
)
def withdraw_note(note_id: uuid.UUID, principal: Writer, request: Request) -> Response:
    service.withdraw_note(
        request.app.state.db,
        request.app.state.bus,
        actor=principal.actor,
        at=_now(request),
        note_id=note_id,
        ip=principal.ip,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{note_id}/recipients",
    response_model=RecipientsAdded,
    summary="Address more recipients (the owner, or onward sharing where an agreement allows)",
)
def add_recipients(
    note_id: uuid.UUID, body: RecipientsAdd, principal: Writer, request: Request
) -> RecipientsAdded:
    added = service.add_note_recipients(
        request.app.state.db,
        request.app.state.bus,
        actor=principal.actor,
        at=_now(request),
        note_id=note_id,
        recipients=[r.recipient() for r in body.recipients],
        ip=principal.ip,
    )
    return RecipientsAdded(added=[RecipientIn(kind=r.kind, id=r.id) for r in added])


@router.delete(
    "/{note_id}/recipients/{kind}/{target_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop addressing a recipient",
)
def remove_recipient(
    note_id: uuid.UUID,
    kind: RecipientKind,
    target_id: uuid.UUID,
    principal: Writer,
    request: Request,
) -> Response:
    service.remove_note_recipient(
        request.app.state.db,
        request.app.state.bus,
        actor=principal.actor,
        at=_now(request),
        note_id=note_id,
        recipient=Recipient(kind=kind, id=target_id),
        ip=principal.ip,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/{note_id}/marking",
    response_model=MarkingChange,
    summary="Re-mark a note (TLP)",
    description=(
        "Recipients the new marking cannot address must be removed first. Re-marking as "
        "TLP:RED leaves the note to its author and its named people only."
    ),
)
def change_marking(
    note_id: uuid.UUID, body: MarkingChange, principal: Writer, request: Request
) -> MarkingChange:
    service.change_note_marking(
        request.app.state.db,
        request.app.state.bus,
        actor=principal.actor,
        at=_now(request),
        note_id=note_id,
        tlp=body.tlp,
        ip=principal.ip,
    )
    return MarkingChange(tlp=body.tlp)


router.include_router(attachments_router)
