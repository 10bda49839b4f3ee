"""The dashboard's figures, each read from the database within what the viewer may see."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.core.audit import service as audit
from accord.core.errors import NotFound
from accord.orgs import queries
from accord.orgs.domain import (
    Actor,
    Permission,
    Role,
    Sector,
    VettingState,
    can,
    can_manage_people_of,
    can_see_people_of,
)
from accord.orgs.models import Organization, Person

__all__ = [
    "Figures",
    "actor_names",
    "audit_scope",
    "load_figures",
    "may_read_audit_of",
    "target_names",
]

RECENT_EVENTS = 10
AWAITING_SHOWN = 10
LOCKED_SHOWN = 10


@dataclass
class Figures:
    """What the dashboard shows; lists are None where the viewer's role does not reach."""

    orgs_by_vetting: dict[VettingState, int]
    orgs_by_sector: dict[Sector, int]
    people_by_role: dict[Role, int] | None
    awaiting_vetting: list[Organization] | None
    awaiting_more: bool
    locked: list[Person] | None
    locked_total: int
    events: list[Any]
    events_scope: str
    targets: dict[str, str]
    tree_head: Any
    org: Organization

    @property
    def orgs_total(self) -> int:
        return sum(self.orgs_by_vetting.values())

    @property
    def vetted(self) -> int:
        return self.orgs_by_vetting.get(VettingState.VETTED, 0)

    @property
    def people_total(self) -> int:
        return sum((self.people_by_role or {}).values())


def _people_by_role(s: Session, actor: Actor) -> dict[Role, int] | None:
    if not can_see_people_of(actor, actor.org_id):
        return None
    stmt = (
        select(Person.role, func.count())
        .where(Person.org_id == uuid.UUID(actor.org_id), Person.is_active.is_(True))
        .group_by(Person.role)
    )
    counts = {role: int(n) for role, n in s.execute(stmt)}
    return {role: counts.get(role, 0) for role in Role}


def _locked_scope(actor: Actor) -> Any:
    """Whose locks the viewer may see and release; None when nobody's."""
    if can(actor, Permission.MANAGE_PLATFORM):
        return True
    if can_manage_people_of(actor, actor.org_id):
        return Person.org_id == uuid.UUID(actor.org_id)
    return None


def _locked(s: Session, actor: Actor) -> tuple[list[Person] | None, int]:
    scope = _locked_scope(actor)
    if scope is None:
        return None, 0
    where = [Person.locked_at.is_not(None), Person.is_active.is_(True), scope]
    total = s.scalar(select(func.count()).select_from(Person).where(*where)) or 0
    rows = s.scalars(
        select(Person).where(*where).order_by(Person.locked_at.desc()).limit(LOCKED_SHOWN)
    )
    return list(rows), int(total)


def audit_scope(actor: Actor) -> tuple[str, dict[str, Any]]:
    """Which audit entries the viewer may read, as list_entries filters, and its description."""
    if can(actor, Permission.VIEW_AUDIT_ALL):
        return "all", {}
    if can(actor, Permission.VIEW_AUDIT_OWN_ORG):
        return "org", {"org_id": uuid.UUID(actor.org_id)}
    # Everyone may see what they did themselves.
    return "self", {"actor_id": uuid.UUID(actor.person_id)}


def may_read_audit_of(actor: Actor, org_id: uuid.UUID) -> bool:
    """Whether the viewer may read the audit entries of one organization."""
    if can(actor, Permission.VIEW_AUDIT_ALL):
        return True
    return can(actor, Permission.VIEW_AUDIT_OWN_ORG) and actor.org_id == str(org_id)


def actor_names(s: Session, actor: Actor, entries: Iterable[Any]) -> dict[uuid.UUID, str]:
    """Names of the people behind audit entries, for those the viewer may see by name."""
    names: dict[uuid.UUID, str] = {}
    for person_id in {e.actor_id for e in entries if e.actor_id is not None}:
        try:
            names[person_id] = queries.get_person(s, actor=actor, person_id=person_id).display_name
        except NotFound:
            continue
    return names


def _target_name(s: Session, actor: Actor, target_type: str, target_id: str) -> str | None:
    try:
        key = uuid.UUID(target_id)
        if target_type == "organization":
            return queries.get_organization(s, actor=actor, org_id=key).name
        if target_type == "person":
            return queries.get_person(s, actor=actor, person_id=key).display_name
        if target_type == "group":
            return queries.get_group(s, actor=actor, group_id=key).name
    except (NotFound, ValueError):
        return None
    return None


def target_names(s: Session, actor: Actor, entries: Iterable[Any]) -> dict[str, str]:
    """Names of the organizations, people and groups audit entries are about, as visible."""
    wanted = {(e.target_type, e.target_id) for e in entries if e.target_id}
    names = {}
    for target_type, target_id in wanted:
        name = _target_name(s, actor, target_type, target_id)
        if name:
            names[target_id] = name
    return names


def _awaiting(s: Session, actor: Actor) -> tuple[list[Organization] | None, bool]:
    if not can(actor, Permission.VET_ORGANIZATIONS):
        return None, False
    page = queries.list_organizations(
        s, actor=actor, vetting_state=VettingState.PENDING, limit=AWAITING_SHOWN
    )
    return page.items, page.next_cursor is not None


def load_figures(s: Session, actor: Actor) -> Figures:
    """Every figure of the dashboard for `actor`, in one read session."""
    by_vetting = queries.count_organizations_by(s, actor, Organization.vetting_state)
    by_sector = queries.count_organizations_by(s, actor, Organization.sector)
    awaiting, more = _awaiting(s, actor)
    locked, locked_total = _locked(s, actor)
    scope, filters = audit_scope(actor)
    events = audit.list_entries(s, limit=RECENT_EVENTS, **filters).items
    return Figures(
        orgs_by_vetting={state: by_vetting.get(state, 0) for state in VettingState},
        orgs_by_sector={sector: by_sector.get(sector, 0) for sector in Sector},
        people_by_role=_people_by_role(s, actor),
        awaiting_vetting=awaiting,
        awaiting_more=more,
        locked=locked,
        locked_total=locked_total,
        events=events,
        events_scope=scope,
        targets=target_names(s, actor, events),
        tree_head=audit.current_tree_head(s),
        org=queries.get_organization(s, actor=actor, org_id=uuid.UUID(actor.org_id)),
    )
