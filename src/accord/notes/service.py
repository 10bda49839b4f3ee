"""Use cases on notes: share, edit, attach, withdraw, address and re-mark.

Each function owns its transaction and its audit entry, and publishes on the bus after the
commit. Events carry only the record's id and kind: subscribers read the record back through
the access module, so an event can never show anything to someone who may not see it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from accord.core.audit.service import record as audit
from accord.core.bus import Bus
from accord.core.db import Database
from accord.core.errors import Forbidden, Invalid, PayloadTooLarge
from accord.feed.domain import redaction_of
from accord.notes.domain import (
    ATTACHMENTS_MAX,
    KIND,
    clean_filename,
    clean_media_type,
    may_edit,
    note_categories,
    summary_of,
)
from accord.notes.models import Note, NoteAttachment
from accord.orgs.domain import Actor
from accord.sharing import access
from accord.sharing import service as sharing
from accord.sharing.access import Visible
from accord.sharing.domain import Category, Tlp, Viewer, mask_of
from accord.sharing.models import SharedRecord
from accord.sharing.service import Place, Recipient

__all__ = [
    "add_attachment",
    "add_note_recipients",
    "change_note_marking",
    "create_note",
    "remove_note_recipient",
    "update_note",
    "withdraw_note",
]


def _required(field: str, value: str) -> str:
    text = value.strip()
    if not text:
        raise Invalid(
            f"The {field} cannot be blank.", errors=[{"field": field, "message": "is required"}]
        )
    return text


def _log(
    s: Session, actor: Actor, action: str, note_id: uuid.UUID, at: datetime, ip: str, **details: Any
) -> None:
    audit(
        s,
        action=action,
        at=at,
        actor_id=uuid.UUID(actor.person_id),
        actor_label="",
        org_id=uuid.UUID(actor.org_id),
        target_type=KIND,
        target_id=str(note_id),
        details=details,
        ip=ip,
    )


def _publish(bus: Bus, topic: str, note_id: uuid.UUID) -> None:
    bus.publish(topic, {"id": str(note_id), "kind": KIND})


def create_note(
    db: Database,
    bus: Bus,
    *,
    actor: Actor,
    at: datetime,
    title: str,
    body: str,
    tlp: Tlp,
    body_category: Category = Category.GENERAL,
    personal_details: str = "",
    categories: Iterable[Category] = (),
    recipients: Sequence[Recipient] = (),
    place: Place | None = None,
    ip: str = "",
) -> uuid.UUID:
    """Share a new note owned by the actor's organization; any member of a vetted organization
    except a viewer may. Returns its id."""
    title, body = _required("title", title), _required("body", body)
    details = personal_details.strip()
    declared = frozenset(categories)
    with db.transaction() as s:
        shared = sharing.share_record(
            s,
            actor=actor,
            kind=KIND,
            tlp=tlp,
            categories=note_categories(
                body_category, has_personal_details=bool(details), declared=declared
            ),
            title=title,
            summary=summary_of(body),
            summary_category=body_category,
            place=place,
            recipients=recipients,
            at=at,
        )
        s.add(
            Note(
                id=shared.id,
                body=body,
                body_category=body_category,
                personal_details=details,
                declared_mask=mask_of(declared),
            )
        )
        _log(
            s,
            actor,
            "note.created",
            shared.id,
            at,
            ip,
            tlp=tlp.value,
            categories=sorted(c.value for c in shared.categories),
            recipients=len(recipients),
        )
    _publish(bus, "records.created", shared.id)
    return shared.id


def _editable(s: Session, actor: Actor, note_id: uuid.UUID, at: datetime) -> tuple[Visible, Viewer]:
    """The note, through the access module (unseen: NotFound), if the actor may change it."""
    viewer = access.viewer_of(s, actor, at)
    shown = access.get_visible(s, viewer, note_id, at, kind=KIND)
    record = shown.record
    author = None if record.author_id is None else str(record.author_id)
    if not may_edit(actor, owner_org_id=str(record.owner_org_id), author_id=author):
        raise Forbidden(
            "Only the note's author or an administrator of its organization may change it."
        )
    return shown, viewer


def _check_readable(shown: Visible, viewer: Viewer, category: Category, field: str) -> None:
    """Nobody changes what they may not read (criminal-justice information without clearance)."""
    if category is Category.CJI and not viewer.cji_cleared:
        raise Forbidden(f"You may not change the {field}: CJI clearance required.")
    marker = redaction_of(shown.access, viewer, category)
    if category in shown.access.redacted and marker is not None:
        raise Forbidden(f"You may not change the {field}: {marker.reason}.")


def _recount(s: Session, record: SharedRecord, note: Note) -> None:
    """Keep the record's categories in step with what the note now holds."""
    attached = s.scalars(
        select(NoteAttachment.category).where(NoteAttachment.note_id == note.id).distinct()
    )
    record.categories_mask = mask_of(
        note_categories(
            note.body_category,
            has_personal_details=bool(note.personal_details),
            attachment_categories=attached,
            declared=note.declared,
        )
    )


def update_note(
    db: Database,
    bus: Bus,
    *,
    actor: Actor,
    at: datetime,
    note_id: uuid.UUID,
    title: str | None = None,
    body: str | None = None,
    personal_details: str | None = None,
    ip: str = "",
) -> None:
    """Edit the title, body or personal details (the author, or an admin of the owner)."""
    with db.transaction() as s:
        shown, viewer = _editable(s, actor, note_id, at)
        record, note = shown.record, s.get_one(Note, note_id)
        changed = []
        if title is not None and _required("title", title) != record.title:
            record.title = _required("title", title)
            changed.append("title")
        if body is not None and _required("body", body) != note.body:
            _check_readable(shown, viewer, note.body_category, "body")
            note.body = _required("body", body)
            record.summary = summary_of(note.body)
            changed.append("body")
        if personal_details is not None and personal_details.strip() != note.personal_details:
            _check_readable(shown, viewer, Category.PERSONAL_DATA, "personal details")
            note.personal_details = personal_details.strip()
            changed.append("personal_details")
        if not changed:
            return
        _recount(s, record, note)
        record.updated_at = at
        _log(s, actor, "note.updated", note_id, at, ip, fields=changed)
    _publish(bus, "records.changed", note_id)


def add_attachment(
    db: Database,
    bus: Bus,
    *,
    actor: Actor,
    at: datetime,
    note_id: uuid.UUID,
    filename: str,
    media_type: str | None,
    content: bytes,
    category: Category,
    max_bytes: int,
    ip: str = "",
) -> NoteAttachment:
    """Attach a file in the category the sender chooses; the note's categories grow with it."""
    if not content:
        raise Invalid("The file is empty.", errors=[{"field": "file", "message": "is empty"}])
    if len(content) > max_bytes:
        raise PayloadTooLarge(f"The file is larger than {max_bytes} bytes.")
    with db.transaction() as s:
        shown, _viewer = _editable(s, actor, note_id, at)
        if category is Category.CJI and not actor.cji_cleared:
            raise Forbidden("Only CJI-cleared people may share criminal-justice information.")
        count = s.scalar(
            select(func.count())
            .select_from(NoteAttachment)
            .where(NoteAttachment.note_id == note_id)
        )
        if (count or 0) >= ATTACHMENTS_MAX:
            raise Invalid(
                f"A note holds at most {ATTACHMENTS_MAX} attachments.",
                errors=[{"field": "file", "message": "too many attachments"}],
            )
        attachment = NoteAttachment(
            note_id=note_id,
            filename=clean_filename(filename),
            media_type=clean_media_type(media_type),
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            category=category,
            content=content,
            added_at=at,
            added_by_id=uuid.UUID(actor.person_id),
        )
        s.add(attachment)
        s.flush()
        _recount(s, shown.record, s.get_one(Note, note_id))
        shown.record.updated_at = at
        _log(
            s,
            actor,
            "note.attachment_added",
            note_id,
            at,
            ip,
            attachment_id=str(attachment.id),
            category=category.value,
            size=attachment.size,
            sha256=attachment.sha256,
        )
    _publish(bus, "records.changed", note_id)
    return attachment


def withdraw_note(
    db: Database, bus: Bus, *, actor: Actor, at: datetime, note_id: uuid.UUID, ip: str = ""
) -> None:
    """Delete the note, its attachments and its addressing; every viewer loses it at once."""
    with db.transaction() as s:
        shown, _viewer = _editable(s, actor, note_id, at)
        _log(s, actor, "note.withdrawn", note_id, at, ip, tlp=shown.record.tlp.value)
        s.execute(delete(SharedRecord).where(SharedRecord.id == note_id))
    _publish(bus, "records.withdrawn", note_id)


def _recipients_detail(recipients: Iterable[Recipient]) -> list[dict[str, str]]:
    return [{"kind": r.kind.value, "id": str(r.id)} for r in recipients]


def add_note_recipients(
    db: Database,
    bus: Bus,
    *,
    actor: Actor,
    at: datetime,
    note_id: uuid.UUID,
    recipients: Sequence[Recipient],
    ip: str = "",
) -> list[Recipient]:
    """Address more recipients: the owner, or a partner whose agreement allows onward sharing."""
    with db.transaction() as s:
        viewer = access.viewer_of(s, actor, at)
        access.get_visible(s, viewer, note_id, at, kind=KIND)
        added = sharing.add_recipients(
            s, actor=actor, record_id=note_id, recipients=recipients, at=at
        )
        if not added:
            return added
        _log(
            s, actor, "note.recipients_added", note_id, at, ip, recipients=_recipients_detail(added)
        )
    _publish(bus, "records.changed", note_id)
    return added


def remove_note_recipient(
    db: Database,
    bus: Bus,
    *,
    actor: Actor,
    at: datetime,
    note_id: uuid.UUID,
    recipient: Recipient,
    ip: str = "",
) -> None:
    """Stop addressing a recipient; they lose the note at once unless another rule shows it."""
    with db.transaction() as s:
        _editable(s, actor, note_id, at)
        sharing.remove_recipient(s, actor=actor, record_id=note_id, recipient=recipient, at=at)
        _log(
            s,
            actor,
            "note.recipient_removed",
            note_id,
            at,
            ip,
            recipients=_recipients_detail([recipient]),
        )
    _publish(bus, "records.changed", note_id)


def change_note_marking(
    db: Database,
    bus: Bus,
    *,
    actor: Actor,
    at: datetime,
    note_id: uuid.UUID,
    tlp: Tlp,
    ip: str = "",
) -> None:
    """Re-mark the note; who sees it follows the new marking from the next request."""
    with db.transaction() as s:
        shown, _viewer = _editable(s, actor, note_id, at)
        old = shown.record.tlp
        if old is tlp:
            return
        sharing.change_marking(s, actor=actor, record_id=note_id, tlp=tlp, at=at)
        _log(s, actor, "note.marking_changed", note_id, at, ip, old=old.value, new=tlp.value)
    _publish(bus, "records.changed", note_id)
