"""The access rule of `sharing.domain` as one SQL condition, so the database filters lists.

`visible_clause(viewer, at)` is true for exactly the shared records `access_of` would show the
viewer at `at`. It is built from the same loaded facts (the viewer's groups and agreements), one
clause per rule, in the order `access_of` states them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Uuid,
    and_,
    exists,
    false,
    literal_column,
    not_,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Subquery

from accord.sharing.domain import Grant, RecipientKind, Tlp, Viewer, clearance_of, mask_of
from accord.sharing.models import GrantCell, RecordCell, RecordRecipient, SharedRecord

__all__ = [
    "MAX_PARTNER_ARMS",
    "Arm",
    "Walk",
    "grant_clause",
    "merged_newest",
    "summary_readable",
    "unindexed",
    "visible_arms",
    "visible_clause",
]

R = SharedRecord

# A viewer with more partners than this gets one walk over AMBER records for all of them
# instead of one arm each: that many partners make their records common enough to find a page
# of them quickly, and fewer arms keep the statement small.
MAX_PARTNER_ARMS = 16


def _addressed(kind: RecipientKind, ids: list[uuid.UUID]) -> ColumnElement[bool]:
    """The record names one of `ids` as a recipient of `kind`."""
    return exists().where(
        RecordRecipient.record_id == R.id,
        RecordRecipient.kind == kind,
        RecordRecipient.target_id.in_(ids) if len(ids) > 1 else RecordRecipient.target_id == ids[0],
    )


class unindexed(FunctionElement[uuid.UUID]):  # noqa: N801 - reads as a SQL function
    """A column that no index may serve: SQLite reads `+column` so, others take it as is."""

    inherit_cache = True
    name = "unindexed"
    type = Uuid()


@compiles(unindexed)
def _column_as_is(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _column_unindexed(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.clauses, **kw)


def _ids(values: set[str]) -> list[uuid.UUID]:
    return [uuid.UUID(v) for v in sorted(values)]


def _overlaps(mask: int) -> ColumnElement[bool]:
    return R.categories_mask.op("&")(mask) != 0


def _grant_terms(viewer: Viewer, grant: Grant, at: datetime) -> ColumnElement[bool] | None:
    """What `grant` asks of an AMBER record of one of its parties to carry it to the viewer.

    None when the grant carries nothing to the viewer at `at` (not in force, a ceiling below
    AMBER, the viewer's organization not a party, or no covered category they may read).
    """
    if grant.tlp_ceiling.rank < Tlp.AMBER.rank or not grant.in_force(at):
        return None
    if viewer.org_id not in grant.parties:
        return None
    mask = mask_of(grant.covered & clearance_of(viewer))
    if not mask:
        return None
    terms: list[ColumnElement[bool]] = [_overlaps(mask)]
    if grant.retention is not None:
        terms.append(R.created_at > at - grant.retention)
    if grant.cells is not None:
        terms.append(
            exists(
                select(RecordCell.cell)
                .join(
                    GrantCell,
                    and_(
                        GrantCell.cell == RecordCell.cell,
                        GrantCell.grant_id == uuid.UUID(grant.id),
                    ),
                )
                .where(RecordCell.record_id == R.id)
                # OFFSET 0 keeps PostgreSQL from planning this correlated EXISTS as a hashed
                # subplan over every record cell (1.6 s instead of 18 ms on a million records).
                .offset(0)
            )
        )
    return and_(*terms)


def grant_clause(viewer: Viewer, grant_index: int, at: datetime) -> ColumnElement[bool] | None:
    """Records that the viewer's `grant_index`-th agreement carries to them (rule 5), if any."""
    grant = viewer.grants[grant_index]
    terms = _grant_terms(viewer, grant, at)
    if terms is None:
        return None
    owners = [uuid.UUID(p) for p in sorted(grant.parties)]
    return and_(R.tlp == Tlp.AMBER, R.owner_org_id.in_(owners), terms)


def visible_clause(viewer: Viewer, at: datetime) -> ColumnElement[bool]:
    """True for the shared records `viewer` may see at `at`."""
    if not viewer.active:
        return false()
    me = uuid.UUID(viewer.person_id)
    org = uuid.UUID(viewer.org_id)
    rules: list[ColumnElement[bool]] = [
        and_(R.tlp == Tlp.RED, R.author_id == me),
        and_(R.tlp != Tlp.RED, R.owner_org_id == org),
        R.tlp == Tlp.CLEAR,
    ]
    if viewer.org_vetted:
        rules += [
            and_(R.tlp == Tlp.RED, _addressed(RecipientKind.PERSON, [me])),
            R.tlp == Tlp.GREEN,
            and_(
                R.tlp.in_([Tlp.AMBER, Tlp.AMBER_STRICT]),
                _addressed(RecipientKind.ORGANIZATION, [org]),
            ),
            and_(R.tlp == Tlp.AMBER, _addressed(RecipientKind.PERSON, [me])),
        ]
        if viewer.group_ids:
            groups = [uuid.UUID(g) for g in sorted(viewer.group_ids)]
            rules.append(and_(R.tlp == Tlp.AMBER, _addressed(RecipientKind.GROUP, groups)))
        for index in range(len(viewer.grants)):
            clause = grant_clause(viewer, index, at)
            if clause is not None:
                rules.append(clause)
    readable = mask_of(clearance_of(viewer))
    return and_(_overlaps(readable), or_(*rules)) if rules else false()


@dataclass(frozen=True)
class Arm:
    """One part of what a viewer sees, walkable newest first along one index.

    `tlps` are the markings the arm can hold and `owner` its one owner organization, if it has
    one, so a page drops the arms its filters exclude instead of asking the database.
    """

    where: tuple[ColumnElement[bool], ...]
    tlps: frozenset[Tlp]
    owner: uuid.UUID | None = None
    recipients: tuple[RecipientKind, tuple[uuid.UUID, ...]] | None = None

    def select(self) -> Select[datetime, uuid.UUID]:
        if self.recipients is None:
            return select(R.created_at, R.id).where(*self.where)
        # Walk the addressees' index newest first (it carries the records' creation instant)
        # and look each record up; sorting by the record's columns would read them all first.
        kind, targets = self.recipients
        rr = RecordRecipient
        return (
            select(rr.record_created_at.label("created_at"), rr.record_id.label("id"))
            .join(R, R.id == rr.record_id)
            .where(
                rr.kind == kind,
                rr.target_id.in_(targets) if len(targets) > 1 else rr.target_id == targets[0],
                *self.where,
            )
        )

    @property
    def keys(self) -> tuple[InstrumentedAttribute[datetime], InstrumentedAttribute[uuid.UUID]]:
        """The columns the arm is read in order of, newest first: its index's."""
        if self.recipients is None:
            return R.created_at, R.id
        return RecordRecipient.record_created_at, RecordRecipient.record_id


def visible_arms(
    viewer: Viewer, at: datetime, *, owners: frozenset[uuid.UUID] | None = None
) -> list[Arm]:
    """`visible_clause` split into arms whose union is exactly the records it admits.

    Each arm follows one index (an owner's records, a marking's, the records addressed to
    someone, one partner's AMBER records), so a page reads at most a page from each arm, however
    few of the arm's records the viewer may see. A record may be in several arms.

    With `owners`, only records of those organizations are wanted (a page's owner or sector
    filter): arms of other owners are left out rather than searched in vain.
    """
    if not viewer.active:
        return []
    me = uuid.UUID(viewer.person_id)
    org = uuid.UUID(viewer.org_id)
    readable = _overlaps(mask_of(clearance_of(viewer)))
    not_red = frozenset(Tlp) - {Tlp.RED}
    arms = [
        Arm((readable, R.owner_org_id == org, R.tlp != Tlp.RED), not_red, owner=org),
        Arm((readable, R.author_id == me, R.tlp == Tlp.RED), frozenset({Tlp.RED})),
        Arm((readable, R.tlp == Tlp.CLEAR), frozenset({Tlp.CLEAR})),
    ]
    if not viewer.org_vetted:
        return arms
    amber = frozenset({Tlp.AMBER})
    addressed: list[tuple[RecipientKind, tuple[uuid.UUID, ...], frozenset[Tlp]]] = [
        (RecipientKind.ORGANIZATION, (org,), frozenset({Tlp.AMBER, Tlp.AMBER_STRICT})),
        (RecipientKind.PERSON, (me,), frozenset({Tlp.AMBER, Tlp.RED})),
    ]
    if viewer.group_ids:
        groups = tuple(uuid.UUID(g) for g in sorted(viewer.group_ids))
        addressed.append((RecipientKind.GROUP, groups, amber))
    arms.append(Arm((readable, R.tlp == Tlp.GREEN), frozenset({Tlp.GREEN})))
    arms += [
        Arm((readable, R.tlp.in_(sorted(tlps))), tlps, recipients=(kind, targets))
        for kind, targets, tlps in addressed
    ]
    arms += _partner_arms(viewer, at, readable, owners)
    return [a for a in arms if owners is None or a.owner is None or a.owner in owners]


def _partner_arms(
    viewer: Viewer,
    at: datetime,
    readable: ColumnElement[bool],
    owners: frozenset[uuid.UUID] | None,
) -> list[Arm]:
    """AMBER records agreements carry to the viewer: one arm per partner, or one for all.

    Agreements with the same terms (categories, retention, no area) share one condition.
    Each partner's records are read apart, so a partner with few of them costs a short search;
    beyond `MAX_PARTNER_ARMS` partners one walk over AMBER records serves them all: that many
    partners make their records common enough to find a page quickly, and fewer arms keep the
    statement quick to plan.
    """
    terms: dict[tuple[object, ...], ColumnElement[bool]] = {}
    owners_of: dict[tuple[object, ...], set[str]] = defaultdict(set)
    for grant in viewer.grants:
        condition = _grant_terms(viewer, grant, at)
        if condition is None:
            continue
        key = (
            mask_of(grant.covered & clearance_of(viewer)),
            grant.retention,
            grant.id if grant.cells is not None else None,
        )
        terms.setdefault(key, condition)
        wanted = grant.parties - {viewer.org_id}
        if owners is not None:
            wanted &= {str(o) for o in owners}
        owners_of[key] |= wanted
    amber = frozenset({Tlp.AMBER})
    partners = sorted(set().union(*owners_of.values())) if owners_of else []
    if not partners:
        return []
    if len(partners) > MAX_PARTNER_ARMS:
        either = or_(
            *(
                # Not through the owner index: SQLite would gather every partner's records by
                # owner and sort them all, where the walk along the marking stops at a page.
                and_(
                    unindexed(R.owner_org_id).in_([uuid.UUID(o) for o in sorted(owners_of[k])]),
                    terms[k],
                )
                for k in terms
                if owners_of[k]
            )
        )
        return [Arm((readable, R.tlp == Tlp.AMBER, either), amber)]
    return [
        Arm(
            (
                readable,
                R.owner_org_id == uuid.UUID(p),
                R.tlp == Tlp.AMBER,
                or_(*(terms[k] for k in terms if p in owners_of[k])),
            ),
            amber,
            owner=uuid.UUID(p),
        )
        for p in partners
    ]


# One arm of a page: its statement and the columns it is read newest first by.
Walk = tuple[
    Select[datetime, uuid.UUID], InstrumentedAttribute[datetime], InstrumentedAttribute[uuid.UUID]
]


def merged_newest(dialect: str, arms: Sequence[Walk], count: int) -> Subquery:
    """The (created_at, id) of the newest `count` records of all the arms, without repeats."""
    if dialect == "sqlite":
        # SQLite merges the members of an ordered compound select, each read in order along
        # its index and only as far as the merge needs.
        return (
            union(*(stmt for stmt, _, _ in arms))
            .order_by(literal_column("created_at").desc(), literal_column("id").desc())
            .limit(count)
            .subquery("top")
        )
    # PostgreSQL merges the arms (Merge Append) under DISTINCT and LIMIT, reading each only as
    # far as needed; the LIMIT on each bounds what planning assumes.
    merged = union_all(
        *(stmt.order_by(created.desc(), rid.desc()).limit(count) for stmt, created, rid in arms)
    ).subquery("arms")
    return (
        select(merged.c.created_at, merged.c.id)
        .distinct()
        .order_by(merged.c.created_at.desc(), merged.c.id.desc())
        .limit(count)
        .subquery("top")
    )


def summary_readable(viewer: Viewer, at: datetime) -> ColumnElement[bool]:
    """Records whose summary `viewer` reads without stating a purpose, in a category they may see.

    Free text searches summaries only where this holds: a search must not answer questions
    about text the viewer was not shown (a restricted record's, or a masked category's). The
    unrestricted bases are the owner's and the author's, and CLEAR or GREEN unless an
    agreement between the two organizations marks one of the record's categories sensitive
    (`sharing.domain._with_sensitivity`).
    """
    me, org = uuid.UUID(viewer.person_id), uuid.UUID(viewer.org_id)
    cleared = clearance_of(viewer)
    own = or_(
        and_(R.tlp == Tlp.RED, R.author_id == me),
        and_(R.tlp != Tlp.RED, R.owner_org_id == org),
    )
    public = R.tlp.in_([Tlp.CLEAR, Tlp.GREEN]) if viewer.org_vetted else R.tlp == Tlp.CLEAR
    sensitive = [
        and_(
            R.owner_org_id.in_([uuid.UUID(p) for p in sorted(grant.parties)]),
            _overlaps(mask_of(grant.sensitive & cleared)),
        )
        for grant in viewer.grants
        if grant.in_force(at) and viewer.org_id in grant.parties and grant.sensitive & cleared
    ]
    openly = and_(public, not_(or_(*sensitive))) if sensitive else public
    return and_(R.summary_category.in_(sorted(cleared)), or_(own, openly))
