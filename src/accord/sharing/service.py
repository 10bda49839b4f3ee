"""Writing the sharing part of records and the enforced terms of agreements.

Record kinds (notes, and later bulletins, incidents, alerts) call `share_record` inside their own
transaction; the agreements feature calls `put_grant` and `set_grant_state` whenever an agreement
becomes active, is amended, suspended or terminated.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.core.errors import Forbidden, Invalid, NotFound
from accord.core.ids import new_id
from accord.orgs.domain import Actor, Role, VettingState
from accord.orgs.models import Group, Organization, Person
from accord.sharing.access import facts_of, viewer_of
from accord.sharing.domain import (
    Access,
    Basis,
    Category,
    GrantState,
    Purpose,
    RecipientKind,
    Tlp,
    Viewer,
    access_of,
    mask_of,
    recipient_kinds_for,
)
from accord.sharing.geo import cells_of_geometry, cells_of_point
from accord.sharing.models import (
    GrantCell,
    GrantParty,
    RecordCell,
    RecordRecipient,
    SharedRecord,
    SharingGrant,
)

__all__ = [
    "GrantTerms",
    "Place",
    "Recipient",
    "add_recipients",
    "change_marking",
    "put_grant",
    "remove_recipient",
    "set_grant_state",
    "share_record",
]


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    id: uuid.UUID


@dataclass(frozen=True)
class Place:
    """Where a record is: a point, or a GeoJSON area (its centroid is kept for map filters)."""

    lat: float | None = None
    lon: float | None = None
    geometry: dict[str, Any] | None = None


def _check_recipients(session: Session, tlp: Tlp, recipients: Iterable[Recipient]) -> None:
    allowed = recipient_kinds_for(tlp)
    for recipient in recipients:
        if recipient.kind not in allowed:
            kinds = ", ".join(sorted(k.value for k in allowed)) or "none"
            raise Invalid(
                f"{tlp.label} records cannot be addressed to a {recipient.kind.value}; "
                f"allowed recipients: {kinds}.",
                errors=[{"field": "recipients", "message": "recipient kind not allowed"}],
            )
        if recipient.kind is RecipientKind.ORGANIZATION:
            org = session.get(Organization, recipient.id)
            if org is None or org.vetting_state is not VettingState.VETTED:
                raise Invalid(
                    f"Organization {recipient.id} is not a vetted member.",
                    errors=[{"field": "recipients", "message": "unknown or unvetted organization"}],
                )
        elif recipient.kind is RecipientKind.GROUP:
            if session.get(Group, recipient.id) is None:
                raise Invalid(
                    f"Group {recipient.id} does not exist.",
                    errors=[{"field": "recipients", "message": "unknown group"}],
                )
        else:
            person = session.get(Person, recipient.id)
            if person is None or not person.is_active:
                raise Invalid(
                    f"Person {recipient.id} is not an active account.",
                    errors=[{"field": "recipients", "message": "unknown or inactive person"}],
                )


def _check_author(session: Session, actor: Actor, categories: frozenset[Category]) -> Person:
    person = session.get(Person, uuid.UUID(actor.person_id))
    if person is None or not person.is_active:
        raise Forbidden("This account is not active.")
    if actor.role is Role.VIEWER:
        raise Forbidden("Viewers read shared records; they do not share them.")
    org = session.get_one(Organization, person.org_id)
    if org.vetting_state is not VettingState.VETTED:
        raise Forbidden(
            "Your organization is not vetted yet: it can share once a platform administrator "
            "has vetted it."
        )
    if Category.CJI in categories and not person.cji_cleared:
        raise Forbidden("Only CJI-cleared people may share criminal-justice information.")
    return person


def _place_cells(place: Place | None) -> tuple[float | None, float | None, frozenset[int]]:
    if place is None:
        return None, None, frozenset()
    if place.geometry is not None:
        from shapely.geometry import shape

        cells = cells_of_geometry(place.geometry)
        centre = shape(place.geometry).centroid
        return centre.y, centre.x, cells
    if place.lat is None or place.lon is None:
        return None, None, frozenset()
    if not (-90 <= place.lat <= 90 and -180 <= place.lon <= 180):
        raise Invalid("Latitude or longitude out of range.", errors=[{"field": "location"}])
    return place.lat, place.lon, cells_of_point(place.lat, place.lon)


def share_record(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    tlp: Tlp,
    categories: frozenset[Category],
    title: str,
    summary: str,
    summary_category: Category,
    place: Place | None,
    recipients: Sequence[Recipient],
    at: datetime,
    record_id: uuid.UUID | None = None,
) -> SharedRecord:
    """Create the shared part of a new record owned by the actor's organization."""
    if not categories:
        raise Invalid("A record has at least one data category.", errors=[{"field": "categories"}])
    if summary_category not in categories:
        categories = categories | {summary_category}
    _check_author(session, actor, categories)
    _check_recipients(session, tlp, recipients)
    lat, lon, cells = _place_cells(place)
    record = SharedRecord(
        id=record_id or new_id(),
        kind=kind,
        owner_org_id=uuid.UUID(actor.org_id),
        author_id=uuid.UUID(actor.person_id),
        tlp=tlp,
        categories_mask=mask_of(categories),
        title=title,
        summary=summary[:500],
        summary_category=summary_category,
        lat=lat,
        lon=lon,
        geometry=None if place is None else place.geometry,
        created_at=at,
        updated_at=at,
    )
    session.add(record)
    session.flush()
    session.add_all(RecordCell(record_id=record.id, cell=c) for c in sorted(cells))
    _address(session, record, recipients, by_org=record.owner_org_id, at=at)
    return record


def _address(
    session: Session,
    record: SharedRecord,
    recipients: Iterable[Recipient],
    *,
    by_org: uuid.UUID,
    at: datetime,
) -> list[Recipient]:
    existing = {
        (kind, target)
        for kind, target in session.execute(
            select(RecordRecipient.kind, RecordRecipient.target_id).where(
                RecordRecipient.record_id == record.id
            )
        )
    }
    added = []
    for recipient in dict.fromkeys(recipients):
        if (recipient.kind, recipient.id) in existing:
            continue
        session.add(
            RecordRecipient(
                record_id=record.id,
                kind=recipient.kind,
                target_id=recipient.id,
                record_created_at=record.created_at,
                added_at=at,
                added_by_org_id=by_org,
            )
        )
        added.append(recipient)
    session.flush()
    return added


def _owned(session: Session, actor: Actor, record_id: uuid.UUID, at: datetime) -> SharedRecord:
    """A record the actor's organization owns and the actor may change; others are NotFound."""
    viewer = viewer_of(session, actor, at)
    record = session.get(SharedRecord, record_id)
    if record is None:
        raise NotFound("No such record.")
    access = access_of(viewer, facts_of(session, [record])[record.id], at)
    if access is None:
        raise NotFound("No such record.")
    if str(record.owner_org_id) != actor.org_id:
        raise Forbidden("Only the owner organization changes a record's marking or recipients.")
    is_author = record.author_id is not None and str(record.author_id) == actor.person_id
    if not is_author and actor.role not in (Role.ORG_ADMIN, Role.PLATFORM_ADMIN):
        raise Forbidden("Only the author or an organization administrator may change this.")
    return record


def _check_onward(
    session: Session, viewer: Viewer, access: Access, recipients: Iterable[Recipient]
) -> None:
    """A partner passes on only what it was given, and only to others.

    Sharing onward a record with withheld categories would hand over what the agreement did not
    cover; addressing the partner's own organization (itself, a group it belongs to or one of
    its people) would turn access bound to the agreement's term, area and retention into access
    that outlives them.
    """
    if access.redacted:
        raise Forbidden("Parts of this record are withheld from you: it cannot be shared onward.")
    own = uuid.UUID(viewer.org_id)
    groups = {uuid.UUID(g) for g in viewer.group_ids}
    for recipient in recipients:
        if recipient.kind is RecipientKind.PERSON:
            person = session.get(Person, recipient.id)
            ours = person is not None and person.org_id == own
        elif recipient.kind is RecipientKind.GROUP:
            ours = recipient.id in groups
        else:
            ours = recipient.id == own
        if ours:
            raise Forbidden(
                "Onward sharing reaches other organizations; yours sees this record only under "
                "the agreement."
            )


def add_recipients(
    session: Session,
    *,
    actor: Actor,
    record_id: uuid.UUID,
    recipients: Sequence[Recipient],
    at: datetime,
) -> list[Recipient]:
    """Address more recipients: the owner, or a partner whose agreement allows onward sharing."""
    record = session.get(SharedRecord, record_id)
    viewer = viewer_of(session, actor, at)
    access = (
        None if record is None else access_of(viewer, facts_of(session, [record])[record.id], at)
    )
    if record is None or access is None:
        raise NotFound("No such record.")
    if access.basis is not Basis.OWNER and access.basis is not Basis.AUTHOR:
        onward = (
            access.basis is Basis.AGREEMENT
            and access.grant is not None
            and access.grant.onward_sharing
        )
        if not onward:
            raise Forbidden(
                "The agreement this record was shared under does not allow onward sharing."
            )
        _check_onward(session, viewer, access, recipients)
    else:
        record = _owned(session, actor, record_id, at)
    # Addressing more people is sharing: the same conditions as sharing a new record.
    _check_author(session, actor, record.categories)
    _check_recipients(session, record.tlp, recipients)
    added = _address(session, record, recipients, by_org=uuid.UUID(actor.org_id), at=at)
    if added:
        record.updated_at = at
    return added


def remove_recipient(
    session: Session, *, actor: Actor, record_id: uuid.UUID, recipient: Recipient, at: datetime
) -> None:
    """Stop addressing a recipient: they lose the record at once unless another rule shows it."""
    record = _owned(session, actor, record_id, at)
    removed = session.execute(
        delete(RecordRecipient).where(
            RecordRecipient.record_id == record.id,
            RecordRecipient.kind == recipient.kind,
            RecordRecipient.target_id == recipient.id,
        )
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise NotFound("That recipient is not addressed on this record.")
    record.updated_at = at


def change_marking(
    session: Session, *, actor: Actor, record_id: uuid.UUID, tlp: Tlp, at: datetime
) -> SharedRecord:
    """Re-mark a record; recipients the new marking cannot address must be removed first."""
    record = _owned(session, actor, record_id, at)
    if tlp.rank < record.tlp.rank:
        # A wider marking shares the record further: the same conditions as sharing it.
        _check_author(session, actor, record.categories)
    allowed = recipient_kinds_for(tlp)
    kinds = set(
        session.scalars(
            select(RecordRecipient.kind).where(RecordRecipient.record_id == record.id).distinct()
        )
    )
    unfit = sorted(k.value for k in kinds if k not in allowed)
    if unfit:
        raise Invalid(
            f"{tlp.label} cannot keep the {', '.join(unfit)} recipients of this record; "
            "remove them first.",
            errors=[{"field": "tlp", "message": "recipients do not fit the marking"}],
        )
    record.tlp = tlp
    record.updated_at = at
    return record


@dataclass(frozen=True)
class GrantTerms:
    """The enforceable terms of an agreement's version, as the agreements feature states them."""

    agreement_id: uuid.UUID
    title: str
    version: int
    parties: frozenset[uuid.UUID]
    tlp_ceiling: Tlp
    covered: frozenset[Category]
    sensitive: frozenset[Category]
    purposes: frozenset[Purpose]
    effective_at: datetime
    expires_at: datetime | None
    retention_days: int | None
    area: dict[str, Any] | None
    onward_sharing: bool


def put_grant(session: Session, terms: GrantTerms, *, state: GrantState, at: datetime) -> None:
    """Make `terms` the enforced terms of the agreement (a new activation or an amendment)."""
    row = session.get(SharingGrant, terms.agreement_id)
    if row is None:
        row = SharingGrant(id=terms.agreement_id)
        session.add(row)
    row.title = terms.title
    row.version = terms.version
    row.state = state
    row.tlp_ceiling = terms.tlp_ceiling
    row.covered_mask = mask_of(terms.covered)
    row.sensitive_mask = mask_of(terms.sensitive & terms.covered)
    row.purposes = sorted(p.value for p in terms.purposes)
    row.effective_at = terms.effective_at
    row.expires_at = terms.expires_at
    row.retention_days = terms.retention_days
    cells = None if terms.area is None else sorted(cells_of_geometry(terms.area))
    row.has_area = cells is not None
    row.party_ids = sorted(str(p) for p in terms.parties)
    row.area_cells = cells
    row.onward_sharing = terms.onward_sharing
    row.updated_at = at
    session.flush()
    session.execute(delete(GrantParty).where(GrantParty.grant_id == row.id))
    session.execute(delete(GrantCell).where(GrantCell.grant_id == row.id))
    session.add_all(GrantParty(grant_id=row.id, org_id=p) for p in sorted(terms.parties))
    session.add_all(GrantCell(grant_id=row.id, cell=c) for c in cells or ())
    session.flush()


def set_grant_state(
    session: Session, agreement_id: uuid.UUID, state: GrantState, *, at: datetime
) -> None:
    """Suspend, resume or terminate: the next request anywhere sees the new state."""
    row = session.get(SharingGrant, agreement_id)
    if row is None:
        raise NotFound("The agreement has never been in force.")
    row.state = state
    row.updated_at = at
