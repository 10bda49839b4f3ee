"""Loading agreements for reads and writes: who may know of one, and the names its terms use."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from accord.agreements.domain import (
    AgreementStatus,
    VersionState,
    can_see,
    effective_status,
    is_coordinator,
)
from accord.agreements.models import Agreement, AgreementParty, AgreementVersion
from accord.core.bus import Bus
from accord.core.db import Database
from accord.core.errors import NotFound
from accord.orgs.domain import Actor
from accord.orgs.models import Group, Organization
from accord.sharing.events import announce_reach

__all__ = [
    "NOT_FOUND",
    "announce_change",
    "group_names",
    "in_force_version",
    "load_agreement",
    "org_names",
    "party_clause",
    "party_ids_of",
    "pending_version",
    "status_of",
]

NOT_FOUND = "No such agreement."


def party_clause(org_id: uuid.UUID) -> ColumnElement[bool]:
    """Agreements to which `org_id` is party in any version (SQL, for lists)."""
    return exists(
        select(AgreementParty.org_id)
        .join(AgreementVersion, AgreementVersion.id == AgreementParty.version_id)
        .where(AgreementVersion.agreement_id == Agreement.id, AgreementParty.org_id == org_id)
    )


def announce_change(db: Database, bus: Bus, agreement_id: uuid.UUID) -> None:
    """After a change of what the agreement carries, every party's live feed reloads."""
    with db.reading() as s:
        parties = party_ids_of(s, agreement_id)
    announce_reach(bus, parties)


def party_ids_of(session: Session, agreement_id: uuid.UUID) -> frozenset[str]:
    """Every organization party to any version of the agreement."""
    rows = session.scalars(
        select(AgreementParty.org_id)
        .join(AgreementVersion, AgreementVersion.id == AgreementParty.version_id)
        .where(AgreementVersion.agreement_id == agreement_id)
        .distinct()
    )
    return frozenset(str(r) for r in rows)


def load_agreement(
    session: Session, actor: Actor, agreement_id: uuid.UUID, *, for_update: bool = False
) -> Agreement:
    """The agreement if `actor` may know of it; otherwise NotFound, exactly as if there were none.

    `for_update` locks the row (PostgreSQL; SQLite writers are serialized already), so two
    parties signing at once cannot both miss that the other has signed.
    """
    agreement = session.get(Agreement, agreement_id, with_for_update=for_update or None)
    if agreement is None:
        raise NotFound(NOT_FOUND)
    if not is_coordinator(actor) and not can_see(actor, party_ids_of(session, agreement.id)):
        raise NotFound(NOT_FOUND)
    return agreement


def pending_version(agreement: Agreement) -> AgreementVersion | None:
    """The version being drafted or awaiting signatures, if any (always the newest)."""
    if not agreement.versions:
        return None
    latest = agreement.versions[-1]
    return latest if latest.state in (VersionState.DRAFT, VersionState.PROPOSED) else None


def in_force_version(agreement: Agreement) -> AgreementVersion | None:
    if agreement.current_version is None:
        return None
    return next((v for v in agreement.versions if v.number == agreement.current_version), None)


def status_of(agreement: Agreement, at: datetime) -> AgreementStatus:
    """The status as people see it at `at`: expired from the expiry instant on."""
    return effective_status(agreement.status, agreement.expires_at, at)


def org_names(session: Session, ids: Iterable[uuid.UUID | str]) -> dict[str, str]:
    wanted = {uuid.UUID(str(i)) for i in ids}
    if not wanted:
        return {}
    rows = session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(wanted))
    )
    return {str(i): name for i, name in rows}


def group_names(session: Session, ids: Iterable[uuid.UUID | str]) -> dict[str, str]:
    wanted = {uuid.UUID(str(i)) for i in ids}
    if not wanted:
        return {}
    rows = session.execute(select(Group.id, Group.name).where(Group.id.in_(wanted)))
    return {str(i): name for i, name in rows}
