"""An organization's agreements as the access rule reads them: loaded fresh on every request.

Agreements write their enforced terms into `sharing_grants` (`sharing.service.put_grant`); a
grant row carries copies of its parties and area cells, so one query loads them all.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from accord.sharing.domain import Grant, GrantState, categories_of_mask
from accord.sharing.models import GrantParty, SharingGrant

__all__ = ["grant_of", "load_grants", "next_change"]


def grant_of(row: SharingGrant) -> Grant:
    return Grant(
        id=str(row.id),
        title=row.title,
        version=row.version,
        state=row.state,
        parties=frozenset(row.party_ids),
        tlp_ceiling=row.tlp_ceiling,
        covered=categories_of_mask(row.covered_mask),
        sensitive=categories_of_mask(row.sensitive_mask),
        purposes=row.purpose_set,
        effective_at=row.effective_at,
        expires_at=row.expires_at,
        retention=None if row.retention_days is None else timedelta(days=row.retention_days),
        cells=None if row.area_cells is None else frozenset(row.area_cells),
        onward_sharing=row.onward_sharing,
    )


def load_grants(session: Session, org_id: uuid.UUID, at: datetime) -> tuple[Grant, ...]:
    """The agreements in force at `at` to which `org_id` is a party, with parties and areas."""
    rows = session.scalars(
        select(SharingGrant)
        .join(GrantParty, GrantParty.grant_id == SharingGrant.id)
        .where(
            GrantParty.org_id == org_id,
            SharingGrant.state == GrantState.ACTIVE,
            SharingGrant.effective_at <= at,
            or_(SharingGrant.expires_at.is_(None), SharingGrant.expires_at > at),
        )
        .order_by(SharingGrant.id)
    )
    return tuple(grant_of(r) for r in rows)


def next_change(session: Session, org_id: uuid.UUID, at: datetime) -> datetime | None:
    """The first instant after `at` at which an agreement of `org_id` starts or stops by date.

    Agreements change what an organization sees at their effective and expiry instants without
    anyone acting; a live feed reloads then. (Retention ages records out one by one instead.)
    """
    mine = (
        select(SharingGrant.effective_at, SharingGrant.expires_at)
        .join(GrantParty, GrantParty.grant_id == SharingGrant.id)
        .where(GrantParty.org_id == org_id, SharingGrant.state == GrantState.ACTIVE)
        .subquery()
    )
    starts = select(func.min(mine.c.effective_at)).where(mine.c.effective_at > at)
    stops = select(func.min(mine.c.expires_at)).where(mine.c.expires_at > at)
    row = session.execute(select(starts.scalar_subquery(), stops.scalar_subquery())).one()
    instants = [t for t in row if t is not None]
    return min(instants) if instants else None
