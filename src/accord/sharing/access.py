"""The one way to load a shared record: every read of shared data in Accord comes through here.

It loads the facts the rule needs (the viewer's groups and agreements, a record's recipients and
cells), filters lists in SQL with `sharing.filter`, decides single reads with
`sharing.domain.can_view`, and writes restricted reads and refusals to the audit log.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from accord.core.audit import service as audit
from accord.core.db import Database
from accord.core.errors import AccordError, Invalid, NotFound
from accord.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from accord.orgs.domain import Actor, Sector, VettingState
from accord.orgs.models import GroupMember, Organization, Person
from accord.sharing.domain import (
    RESTRICTED_TLPS,
    Access,
    Category,
    Decision,
    Grant,
    Purpose,
    RecipientKind,
    RecordFacts,
    Tlp,
    Viewer,
    access_of,
    can_view,
    grant_covers,
    mask_of,
)
from accord.sharing.filter import (
    Arm,
    Walk,
    merged_newest,
    summary_readable,
    unindexed,
    visible_arms,
    visible_clause,
)
from accord.sharing.grants import grant_of, load_grants, next_change
from accord.sharing.models import (
    GrantCell,
    GrantParty,
    RecordCell,
    RecordRecipient,
    SharedRecord,
    SharingGrant,
    SharingRead,
)

__all__ = [
    "FeedQuery",
    "PurposeRequired",
    "Visible",
    "consulted",
    "count_shared_under",
    "facts_of",
    "find_visible",
    "get_visible",
    "grant_of",
    "list_visible",
    "load_grants",
    "next_change",
    "open_record",
    "read_visible",
    "shared_under_by_owner",
    "viewer_of",
    "visible_ids",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

# Set once the access module has resolved a viewer in the current request's context; the
# route-matrix test checks it before every statement that reads shared tables.
_consulted: ContextVar[bool] = ContextVar("accord_access_consulted", default=False)


def consulted() -> bool:
    """True when this context has resolved a viewer through the access module."""
    return _consulted.get()


class PurposeRequired(AccordError):  # noqa: N818 - named like Forbidden and NotFound
    """A restricted record: the read must state one of the permitted purposes."""

    status = 403
    slug = "purpose-required"
    title = "Purpose required"


@dataclass(frozen=True)
class Visible:
    """A record the viewer may see, and how they see it."""

    record: SharedRecord
    access: Access


@dataclass(frozen=True)
class FeedQuery:
    """The filters of the feed; every one narrows the SQL query, none is applied in Python."""

    kinds: tuple[str, ...] = ()
    owner_org_id: uuid.UUID | None = None
    sector: Sector | None = None
    tlps: tuple[Tlp, ...] = ()
    category: Category | None = None
    text: str = ""
    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north


def viewer_of(session: Session, actor: Actor, at: datetime) -> Viewer:
    """The viewer facts of `actor`, read fresh: a change to an agreement counts at once."""
    _consulted.set(True)
    org_id = uuid.UUID(actor.org_id)
    row = session.execute(
        select(Organization.vetting_state, Person.cji_cleared, Person.is_active)
        .join(Person, Person.org_id == Organization.id)
        .where(Person.id == uuid.UUID(actor.person_id), Organization.id == org_id)
    ).one_or_none()
    if row is None or not row.is_active:
        # A deactivated account, or one moved away from the organization, sees nothing shared.
        return Viewer(
            person_id=actor.person_id,
            org_id=actor.org_id,
            org_vetted=False,
            cji_cleared=False,
            active=False,
        )
    groups = frozenset(
        str(g)
        for g in session.scalars(select(GroupMember.group_id).where(GroupMember.org_id == org_id))
    )
    return Viewer(
        person_id=actor.person_id,
        org_id=actor.org_id,
        org_vetted=row.vetting_state is VettingState.VETTED,
        cji_cleared=row.cji_cleared,
        group_ids=groups,
        grants=load_grants(session, org_id, at),
    )


def facts_of(
    session: Session, records: Sequence[SharedRecord], *, seen_by: Viewer | None = None
) -> dict[uuid.UUID, RecordFacts]:
    """The sharing facts of `records`, recipients and cells included, in two queries at most.

    With `seen_by`, only what can change that viewer's access is loaded: the recipients that
    are the viewer (their organization, groups or themselves) and the cells only when one of
    their agreements has an area. `access_of` for that viewer reads nothing else of a record,
    so its answer is the same; such facts must not be used for anything but that answer.
    """
    ids = [r.id for r in records]
    recipients: dict[uuid.UUID, dict[RecipientKind, set[str]]] = defaultdict(
        lambda: defaultdict(set)
    )
    cells: dict[uuid.UUID, set[int]] = defaultdict(set)
    rr = RecordRecipient
    addressed = [r.id for r in records if r.tlp in RESTRICTED_TLPS] if seen_by else ids
    if addressed:
        stmt = select(rr.record_id, rr.kind, rr.target_id).where(rr.record_id.in_(addressed))
        if seen_by is not None:
            stmt = stmt.where(rr.target_id.in_(_identities(seen_by)))
        for rid, kind, target in session.execute(stmt):
            recipients[rid][kind].add(str(target))
    if ids and (seen_by is None or any(g.cells is not None for g in seen_by.grants)):
        for rid, cell in session.execute(
            select(RecordCell.record_id, RecordCell.cell).where(RecordCell.record_id.in_(ids))
        ):
            cells[rid].add(cell)
    return {
        r.id: RecordFacts(
            id=str(r.id),
            owner_org_id=str(r.owner_org_id),
            author_id=None if r.author_id is None else str(r.author_id),
            tlp=r.tlp,
            categories=r.categories,
            created_at=r.created_at,
            cells=frozenset(cells[r.id]),
            recipient_orgs=frozenset(recipients[r.id][RecipientKind.ORGANIZATION]),
            recipient_groups=frozenset(recipients[r.id][RecipientKind.GROUP]),
            recipient_people=frozenset(recipients[r.id][RecipientKind.PERSON]),
        )
        for r in records
    }


def _identities(viewer: Viewer) -> list[uuid.UUID]:
    """Everything a record can name to address the viewer: person, organization, groups."""
    return [uuid.UUID(i) for i in sorted({viewer.person_id, viewer.org_id, *viewer.group_ids})]


def _explain(
    session: Session, viewer: Viewer, records: Sequence[SharedRecord], at: datetime
) -> list[Visible]:
    """Pair each record the SQL filter let through with the pure decision's access.

    The two agree by construction and by test; should they ever disagree the record is
    withheld and the disagreement logged, so a defect fails closed.
    """
    facts = facts_of(session, records, seen_by=viewer)
    shown = []
    for record in records:
        access = access_of(viewer, facts[record.id], at)
        if access is None:
            log.error("sharing filter and rule disagree", extra={"record_id": str(record.id)})
            continue
        shown.append(Visible(record=record, access=access))
    return shown


def find_visible(
    session: Session, viewer: Viewer, record_id: uuid.UUID, at: datetime, *, kind: str | None = None
) -> Visible | None:
    """The record if `viewer` may see it at `at` (and it is of `kind`), else None."""
    stmt = select(SharedRecord).where(SharedRecord.id == record_id, visible_clause(viewer, at))
    if kind is not None:
        stmt = stmt.where(SharedRecord.kind == kind)
    record = session.scalars(stmt).one_or_none()
    if record is None:
        return None
    shown = _explain(session, viewer, [record], at)
    return shown[0] if shown else None


def get_visible(
    session: Session, viewer: Viewer, record_id: uuid.UUID, at: datetime, *, kind: str | None = None
) -> Visible:
    """As find_visible, but a record the viewer may not see is NotFound, exactly like none."""
    found = find_visible(session, viewer, record_id, at, kind=kind)
    if found is None:
        raise NotFound("No such record.")
    return found


def _filters(query: FeedQuery, viewer: Viewer, at: datetime) -> list[ColumnElement[bool]]:
    """The feed's filters as SQL conditions on shared records; none is applied in Python."""
    R = SharedRecord  # noqa: N806 - the table's alias, as in sharing.filter
    conditions: list[ColumnElement[bool]] = []
    if query.kinds:
        conditions.append(R.kind.in_(query.kinds))
    if query.owner_org_id is not None:
        conditions.append(R.owner_org_id == query.owner_org_id)
    if query.sector is not None:
        owners = select(Organization.id).where(Organization.sector == query.sector)
        # Checked on each record, not through the owner index: SQLite would otherwise read
        # every record of the sector's organizations and sort them before taking a page.
        conditions.append(unindexed(R.owner_org_id).in_(owners))
    if query.tlps:
        conditions.append(R.tlp.in_(query.tlps))
    if query.category is not None:
        conditions.append(R.categories_mask.op("&")(query.category.bit) != 0)
    if query.text:
        pattern = (
            "%" + query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        conditions.append(
            or_(
                R.title.ilike(pattern, escape="\\"),
                and_(R.summary.ilike(pattern, escape="\\"), summary_readable(viewer, at)),
            )
        )
    if query.since is not None:
        conditions.append(R.created_at >= query.since)
    if query.until is not None:
        conditions.append(R.created_at < query.until)
    if query.bbox is not None:
        west, south, east, north = query.bbox
        conditions.append(and_(R.lat >= south, R.lat <= north, R.lon >= west, R.lon <= east))
    return conditions


def visible_ids(
    session: Session, viewer: Viewer, at: datetime, query: FeedQuery | None = None
) -> set[uuid.UUID]:
    """Every record id the viewer may see: for tests and small exports, not for pages."""
    stmt = select(SharedRecord.id).where(visible_clause(viewer, at))
    if query is not None:
        stmt = stmt.where(*_filters(query, viewer, at))
    return set(session.scalars(stmt))


def _arm_page(
    arm: Arm, query: FeedQuery, filters: Sequence[ColumnElement[bool]]
) -> Select[datetime, uuid.UUID] | None:
    """One arm narrowed by the feed's filters, or None when the filters exclude all of it."""
    if query.tlps and not arm.tlps & frozenset(query.tlps):
        return None
    return arm.select().where(*filters)


def list_visible(
    session: Session,
    viewer: Viewer,
    at: datetime,
    query: FeedQuery,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Visible]:
    """One page of what the viewer may see, newest first, filtered by the database.

    The page merges the newest `limit + 1` rows of every arm of `visible_arms` that the filters
    leave, so the database reads at most a page per arm however rare visible records are.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}.", errors=[{"field": "limit"}])
    R = SharedRecord  # noqa: N806 - the table's alias, as in sharing.filter
    newest_first = (R.created_at.desc(), R.id.desc())
    after = decode_cursor(cursor, 2) if cursor else None
    filters = _filters(query, viewer, at)
    owners = None
    if query.owner_org_id is not None:
        owners = frozenset({query.owner_org_id})
    elif query.sector is not None:
        owners = frozenset(
            session.scalars(select(Organization.id).where(Organization.sector == query.sector))
        )
    arms: list[Walk] = []
    for arm in visible_arms(viewer, at, owners=owners):
        stmt = _arm_page(arm, query, filters)
        if stmt is None:
            continue
        created, rid = arm.keys
        if after is not None:
            stmt = stmt.where(tuple_(created, rid) < tuple_(*after))
        arms.append((stmt, created, rid))
    if not arms:
        return Page(items=[], next_cursor=None, limit=limit)
    top = merged_newest(session.get_bind().dialect.name, arms, limit + 1)
    rows = list(session.scalars(select(R).join(top, top.c.id == R.id).order_by(*newest_first)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1].created_at, rows[-1].id]) if more else None
    return Page(items=_explain(session, viewer, rows, at), next_cursor=next_cursor, limit=limit)


def _refusal_grant(viewer: Viewer, facts: RecordFacts, at: datetime) -> Grant | None:
    """The agreement a refused request would have relied on, if any (for accountability)."""
    for grant in viewer.grants:
        if facts.owner_org_id in grant.parties and grant_covers(grant, facts, viewer, at):
            return grant
    return None


def read_visible(
    session: Session,
    viewer: Viewer,
    actor: Actor,
    record_id: uuid.UUID,
    purpose: Purpose | None,
    at: datetime,
    *,
    kind: str,
    actor_label: str,
    ip: str = "",
) -> Visible:
    """Open one record for reading, as a write transaction's session.

    A record the viewer may not see is NotFound (its existence is not confirmed). A restricted
    record needs a permitted purpose; the read is then written to the audit log with the
    viewer, record, agreement and purpose.
    """
    found = find_visible(session, viewer, record_id, at, kind=kind)
    if found is None:
        _note_refusal(session, viewer, record_id, at, kind=kind)
        raise NotFound("No such record.")
    facts = facts_of(session, [found.record])[found.record.id]
    decision: Decision = can_view(viewer, facts, purpose, at)
    if not decision.allowed:
        raise PurposeRequired(decision.reason, purposes=sorted(p.value for p in decision.purposes))
    access = decision.access
    assert access is not None  # noqa: S101 - allowed decisions always carry their access
    if access.restricted:
        agreement = access.grant or access.sensitive_under
        session.add(
            SharingRead(
                at=at,
                outcome="read",
                viewer_id=uuid.UUID(viewer.person_id),
                viewer_org_id=uuid.UUID(viewer.org_id),
                record_id=found.record.id,
                owner_org_id=found.record.owner_org_id,
                agreement_id=None if agreement is None else uuid.UUID(agreement.id),
                basis=access.basis.value,
                purpose=None if purpose is None else purpose.value,
            )
        )
        audit.record(
            session,
            action="record.read_restricted",
            at=at,
            actor_id=uuid.UUID(actor.person_id),
            actor_label=actor_label,
            org_id=uuid.UUID(actor.org_id),
            target_type=found.record.kind,
            target_id=str(found.record.id),
            details={
                "agreement_id": None if agreement is None else agreement.id,
                "basis": access.basis.value,
                "purpose": None if purpose is None else purpose.value,
                "tlp": found.record.tlp.value,
            },
            ip=ip,
        )
    return Visible(record=found.record, access=access)


def open_record(
    db: Database,
    actor: Actor,
    record_id: uuid.UUID,
    purpose: Purpose | None,
    at: datetime,
    then: Callable[[Session, Viewer, Visible], T],
    *,
    kind: str,
    actor_label: str,
    ip: str = "",
) -> T:
    """Open one record in a write transaction (`read_visible`) and run `then` in it.

    A refusal that an agreement explains is committed before NotFound is raised: it is what the
    agreement's accountability report counts, and a rollback would lose it.
    """
    refusal: NotFound | None = None
    with db.transaction() as session:
        viewer = viewer_of(session, actor, at)
        try:
            shown = read_visible(
                session, viewer, actor, record_id, purpose, at,
                kind=kind, actor_label=actor_label, ip=ip,
            )  # fmt: skip
        except NotFound as exc:
            refusal = exc
        else:
            return then(session, viewer, shown)
    raise refusal


def _note_refusal(
    session: Session, viewer: Viewer, record_id: uuid.UUID, at: datetime, *, kind: str
) -> None:
    """Count a refused request against the agreement it would have relied on.

    Only refusals that an agreement explains are kept (an agreement that lapsed, was suspended
    or terminated, or whose retention passed): they are what its parties need to see.
    """
    record = session.get(SharedRecord, record_id)
    if record is None or record.kind != kind or record.tlp is not Tlp.AMBER:
        return
    facts = facts_of(session, [record])[record.id]
    rows = session.execute(
        select(SharingGrant.id)
        .join(GrantParty, GrantParty.grant_id == SharingGrant.id)
        .where(GrantParty.org_id == uuid.UUID(viewer.org_id))
        .where(
            SharingGrant.id.in_(
                select(GrantParty.grant_id).where(GrantParty.org_id == record.owner_org_id)
            )
        )
        .order_by(SharingGrant.id)
        .limit(1)
    ).first()
    if rows is None or _refusal_grant(viewer, facts, at) is not None:
        return
    session.add(
        SharingRead(
            at=at,
            outcome="refused",
            viewer_id=uuid.UUID(viewer.person_id),
            viewer_org_id=uuid.UUID(viewer.org_id),
            record_id=record.id,
            owner_org_id=record.owner_org_id,
            agreement_id=rows[0],
            basis="",
            purpose=None,
            reason="no agreement in force covers this record",
        )
    )


def _under_grant(
    grant_id: uuid.UUID,
    parties: Sequence[uuid.UUID],
    covered: frozenset[Category],
    *,
    has_area: bool,
    before: Sequence[datetime],
) -> list[ColumnElement[bool]]:
    """A grant's conditions on a record (`filter.grant_clause`) without any viewer's."""
    R = SharedRecord  # noqa: N806 - the table's alias, as in sharing.filter
    conditions: list[ColumnElement[bool]] = [
        R.tlp == Tlp.AMBER,
        R.owner_org_id.in_(list(parties)),
        R.categories_mask.op("&")(mask_of(covered)) != 0,
        *(R.created_at < instant for instant in before),
    ]
    if has_area:
        conditions.append(
            select(RecordCell.cell)
            .join(
                GrantCell, and_(GrantCell.cell == RecordCell.cell, GrantCell.grant_id == grant_id)
            )
            .where(RecordCell.record_id == R.id)
            .exists()
        )
    return conditions


def shared_under_by_owner(
    session: Session,
    grant_id: uuid.UUID,
    parties: Sequence[uuid.UUID],
    covered: frozenset[Category],
    *,
    has_area: bool,
    before: Sequence[datetime],
) -> list[tuple[uuid.UUID, int, dict[Category, int]]]:
    """How many records each party shared under an agreement, in all and per covered category.

    Counts only, never records: the agreement's accountability report, which its caller shows
    to the parties' administrators and the coordinator alone.
    """
    _consulted.set(True)
    order = sorted(covered, key=lambda c: c.bit)
    columns = [
        func.sum(case((SharedRecord.categories_mask.op("&")(c.bit) != 0, 1), else_=0))
        for c in order
    ]
    rows = session.execute(
        select(SharedRecord.owner_org_id, func.count(SharedRecord.id), *columns)
        .where(*_under_grant(grant_id, parties, covered, has_area=has_area, before=before))
        .group_by(SharedRecord.owner_org_id)
    ).all()
    return [
        (row[0], int(row[1]), {c: int(n or 0) for c, n in zip(order, row[2:], strict=True)})
        for row in rows
    ]


def count_shared_under(
    session: Session, parties: Sequence[uuid.UUID], covered: frozenset[Category]
) -> int:
    """AMBER records of the parties in the covered categories: what a lower ceiling would strand."""
    _consulted.set(True)
    conditions = _under_grant(uuid.uuid4(), parties, covered, has_area=False, before=())
    return int(session.scalar(select(func.count(SharedRecord.id)).where(*conditions)) or 0)
