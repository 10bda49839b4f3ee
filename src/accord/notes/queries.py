"""Reading notes, always through the access module: lists, one note, one attachment.

Opening a note is `access.open_record`, a write transaction: a note the reader may not
see is NotFound exactly like one that does not exist, and a restricted read states a purpose
and is written to the audit log. Fields in categories the reader may not see are replaced by
redaction markers here, in one place, for the API and the console alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from accord.core.db import Database
from accord.core.errors import Forbidden, NotFound
from accord.core.pagination import DEFAULT_LIMIT
from accord.feed.domain import location_shown, redaction_of
from accord.feed.queries import feed_page, owners_of
from accord.feed.schemas import FeedPage, LocationRead, RedactionRead, redaction_read, why_read
from accord.notes.domain import KIND, may_edit
from accord.notes.models import Note, NoteAttachment
from accord.notes.schemas import AttachmentRead, AuthorRead, NoteRead, RecipientRead
from accord.orgs.domain import Actor, can_see_people_of
from accord.orgs.models import Group, Organization, Person
from accord.sharing import access
from accord.sharing.access import FeedQuery, Visible
from accord.sharing.domain import Category, Purpose, RecipientKind, Viewer
from accord.sharing.models import RecordRecipient

__all__ = [
    "Download",
    "list_notes",
    "open_attachment",
    "peek_note",
    "read_note",
]

T = TypeVar("T")


def list_notes(
    session: Session,
    actor: Actor,
    at: datetime,
    query: FeedQuery,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> FeedPage:
    """The notes the actor may see, newest first, as feed items."""
    return feed_page(session, actor, at, replace(query, kinds=(KIND,)), cursor=cursor, limit=limit)


def peek_note(session: Session, actor: Actor, note_id: uuid.UUID, at: datetime) -> Visible:
    """What the feed already shows of a note (title, marking, why): no content, no audit entry.

    For the page that asks a restricted note's reader for a purpose.
    """
    viewer = access.viewer_of(session, actor, at)
    return access.get_visible(session, viewer, note_id, at, kind=KIND)


def _recipients(session: Session, actor: Actor, note_id: uuid.UUID) -> list[RecipientRead]:
    rows = list(
        session.scalars(
            select(RecordRecipient)
            .where(RecordRecipient.record_id == note_id)
            .order_by(RecordRecipient.added_at, RecordRecipient.kind, RecordRecipient.target_id)
        )
    )
    ids = {kind: [r.target_id for r in rows if r.kind is kind] for kind in RecipientKind}
    names: dict[uuid.UUID, str] = {}
    orgs = ids[RecipientKind.ORGANIZATION]
    if orgs:
        stmt = select(Organization.id, Organization.name).where(Organization.id.in_(orgs))
        names.update((oid, name) for oid, name in session.execute(stmt))
    groups = ids[RecipientKind.GROUP]
    if groups:
        stmt = select(Group.id, Group.name).where(Group.id.in_(groups))
        names.update((gid, name) for gid, name in session.execute(stmt))
    people = ids[RecipientKind.PERSON]
    if people:
        for pid, name, org_id, org_name in session.execute(
            select(Person.id, Person.display_name, Person.org_id, Organization.name)
            .join(Organization, Organization.id == Person.org_id)
            .where(Person.id.in_(people))
        ):
            # Names of other organizations' people are theirs to show; say whose they are.
            names[pid] = (
                name if can_see_people_of(actor, str(org_id)) else f"A person at {org_name}"
            )
    return [
        RecipientRead(
            kind=r.kind, id=r.target_id, name=names.get(r.target_id, "—"), added_at=r.added_at
        )
        for r in rows
    ]


def _attachment_read(
    attachment: NoteAttachment, shown: Visible, viewer: Viewer, purpose: Purpose | None
) -> AttachmentRead:
    marker = redaction_of(shown.access, viewer, attachment.category)
    if marker is not None:
        return AttachmentRead(
            id=attachment.id,
            category=attachment.category,
            filename=None,
            media_type=None,
            size=None,
            sha256=None,
            added_at=attachment.added_at,
            redacted=redaction_read(marker),
            href=None,
        )
    href = f"/api/v1/notes/{attachment.note_id}/attachments/{attachment.id}"
    if shown.access.restricted and purpose is not None:
        href += f"?purpose={purpose.value}"
    return AttachmentRead(
        id=attachment.id,
        category=attachment.category,
        filename=attachment.filename,
        media_type=attachment.media_type,
        size=attachment.size,
        sha256=attachment.sha256,
        added_at=attachment.added_at,
        redacted=None,
        href=href,
    )


def _note_read(
    session: Session, actor: Actor, viewer: Viewer, shown: Visible, purpose: Purpose | None
) -> NoteRead:
    record, access_ = shown.record, shown.access
    note = session.get_one(Note, record.id)
    owner = owners_of(session, [record.owner_org_id])[record.owner_org_id]
    own = str(record.owner_org_id) == actor.org_id
    author = None
    if own and record.author_id is not None:
        person = session.get(Person, record.author_id)
        if person is not None and can_see_people_of(actor, str(person.org_id)):
            author = AuthorRead(id=person.id, name=person.display_name)
    body_marker = redaction_of(access_, viewer, note.body_category)
    details: str | RedactionRead | None = None
    if note.personal_details:
        marker = redaction_of(access_, viewer, Category.PERSONAL_DATA)
        details = note.personal_details if marker is None else redaction_read(marker)
    attachments = session.scalars(
        select(NoteAttachment)
        .where(NoteAttachment.note_id == record.id)
        .order_by(NoteAttachment.added_at, NoteAttachment.id)
    )
    location = None
    if record.lat is not None and record.lon is not None and location_shown(access_):
        location = LocationRead(lat=record.lat, lon=record.lon, area=record.geometry)
    redacted = [redaction_of(access_, viewer, c) for c in sorted(access_.redacted)]
    author_id = None if record.author_id is None else str(record.author_id)
    return NoteRead(
        id=record.id,
        title=record.title,
        body=note.body if body_marker is None else redaction_read(body_marker),
        body_category=note.body_category,
        personal_details=details,
        tlp=record.tlp,
        categories=sorted(record.categories),
        declared_categories=sorted(note.declared),
        owner=owner,
        author=author,
        created_at=record.created_at,
        updated_at=record.updated_at,
        location=location,
        attachments=[_attachment_read(a, shown, viewer, purpose) for a in attachments],
        recipients=_recipients(session, actor, record.id) if own else None,
        why=why_read(access_),
        restricted=access_.restricted,
        purpose=purpose if access_.restricted else None,
        redacted=[redaction_read(m) for m in redacted if m is not None],
        may_edit=may_edit(actor, owner_org_id=str(record.owner_org_id), author_id=author_id),
    )


def _opened(
    db: Database,
    actor: Actor,
    note_id: uuid.UUID,
    purpose: Purpose | None,
    at: datetime,
    ip: str,
    then: Callable[[Session, Viewer, Visible], T],
) -> T:
    """Open a note through the access module and run `then` in the same transaction."""
    return access.open_record(
        db, actor, note_id, purpose, at, then, kind=KIND, actor_label="", ip=ip
    )


def read_note(
    db: Database,
    actor: Actor,
    note_id: uuid.UUID,
    purpose: Purpose | None,
    at: datetime,
    *,
    ip: str = "",
) -> NoteRead:
    """Open one note: NotFound when unseen, PurposeRequired when restricted and no purpose."""
    return _opened(
        db,
        actor,
        note_id,
        purpose,
        at,
        ip,
        lambda s, viewer, shown: _note_read(s, actor, viewer, shown, purpose),
    )


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    sha256: str
    content: bytes


def open_attachment(
    db: Database,
    actor: Actor,
    note_id: uuid.UUID,
    attachment_id: uuid.UUID,
    purpose: Purpose | None,
    at: datetime,
    *,
    ip: str = "",
) -> Download:
    """One attachment's bytes, read (and, when restricted, audited) like the note itself.

    An attachment whose category the reader may not see is refused with the marker's reason.
    """

    def fetch(s: Session, viewer: Viewer, shown: Visible) -> Download:
        attachment = s.scalars(
            select(NoteAttachment)
            .options(undefer(NoteAttachment.content))
            .where(NoteAttachment.id == attachment_id, NoteAttachment.note_id == note_id)
        ).one_or_none()
        if attachment is None:
            raise NotFound("No such attachment.")
        marker = redaction_of(shown.access, viewer, attachment.category)
        if marker is not None:
            raise Forbidden(f"This attachment is redacted: {marker.reason}.")
        return Download(
            filename=attachment.filename,
            media_type=attachment.media_type,
            sha256=attachment.sha256,
            content=attachment.content,
        )

    return _opened(db, actor, note_id, purpose, at, ip, fetch)
