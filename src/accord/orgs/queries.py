"""Reads of the directory: organizations, people, groups and invitations, as each actor may see."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from accord.core.errors import Forbidden, NotFound
from accord.core.pagination import DEFAULT_LIMIT, Page, paginate
from accord.orgs.domain import (
    Actor,
    OrgKind,
    Permission,
    Role,
    Sector,
    VettingState,
    can,
    can_manage_people_of,
    can_see_group,
    can_see_organization,
    can_see_people_of,
    sees_whole_directory,
)
from accord.orgs.models import Group, GroupMember, Invitation, Organization, Person

__all__ = [
    "count_organizations_by",
    "get_group",
    "get_invitation",
    "get_organization",
    "get_person",
    "list_groups",
    "list_invitations",
    "list_organizations",
    "list_people",
    "visible_organizations",
]


def _name_like(column: Any, q: str | None) -> Any:
    """Case-insensitive substring match, with % and _ in the search taken literally."""
    return func.lower(column).contains(q.strip().lower(), autoescape=True) if q else None


def _where(stmt: Select[Any], *conditions: Any) -> Select[Any]:
    for condition in conditions:
        if condition is not None:
            stmt = stmt.where(condition)
    return stmt


def visible_organizations(stmt: Select[Any], actor: Actor | None) -> Select[Any]:
    """Limit a query on organizations to the directory `actor` may see (None: everything)."""
    if actor is None or sees_whole_directory(actor):
        return stmt
    return stmt.where(Organization.id == uuid.UUID(actor.org_id))


def count_organizations_by(session: Session, actor: Actor, column: Any) -> dict[Any, int]:
    """How many visible organizations have each value of `column` (vetting state, sector)."""
    stmt = visible_organizations(select(column, func.count()).group_by(column), actor)
    return {key: int(n) for key, n in session.execute(stmt)}


def list_organizations(
    session: Session,
    *,
    actor: Actor | None,
    q: str | None = None,
    sector: Sector | None = None,
    kind: OrgKind | None = None,
    vetting_state: VettingState | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Organization]:
    """The directory by name; members of unvetted organizations see only their own."""
    stmt = _where(
        select(Organization),
        _name_like(Organization.name, q),
        Organization.sector == sector if sector else None,
        Organization.kind == kind if kind else None,
        Organization.vetting_state == vetting_state if vetting_state else None,
    )
    stmt = visible_organizations(stmt, actor)
    return paginate(session, stmt, [Organization.name, Organization.id], cursor=cursor, limit=limit)


def get_organization(session: Session, *, actor: Actor | None, org_id: uuid.UUID) -> Organization:
    org = session.get(Organization, org_id)
    if org is None or (actor is not None and not can_see_organization(actor, str(org.id))):
        raise NotFound("No such organization.")
    return org


def list_people(
    session: Session,
    *,
    actor: Actor | None,
    org_id: uuid.UUID | None = None,
    role: Role | None = None,
    active: bool | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Person]:
    """People by name: one's own organization's, or everyone's for platform admins.

    Asking for another organization's people gives an empty page, not an error, so a list
    does not tell which organizations exist. Only managers see deactivated accounts.
    """
    if actor is not None and not can(actor, Permission.MANAGE_PLATFORM):
        own = uuid.UUID(actor.org_id)
        manager = can_manage_people_of(actor, actor.org_id)
        if (
            not can_see_people_of(actor, actor.org_id)
            or org_id not in (None, own)
            or (active is False and not manager)
        ):
            return Page(items=[], next_cursor=None, limit=limit)
        org_id = own
        active = active if manager else True
    stmt = _where(
        select(Person),
        Person.org_id == org_id if org_id else None,
        Person.role == role if role else None,
        Person.is_active.is_(active) if active is not None else None,
        _name_like(Person.display_name, q),
    )
    return paginate(session, stmt, [Person.display_name, Person.id], cursor=cursor, limit=limit)


def get_person(session: Session, *, actor: Actor | None, person_id: uuid.UUID) -> Person:
    person = session.get(Person, person_id)
    if person is None or (actor is not None and not _sees_person(actor, person)):
        raise NotFound("No such person.")
    return person


def _sees_person(actor: Actor, person: Person) -> bool:
    if not can_see_people_of(actor, str(person.org_id)):
        return False
    return person.is_active or can_manage_people_of(actor, str(person.org_id))


def list_groups(
    session: Session,
    *,
    actor: Actor | None,
    q: str | None = None,
    org_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Group]:
    """Groups by name; members of unvetted organizations see only groups they belong to."""
    stmt = _where(
        select(Group).options(selectinload(Group.members).selectinload(GroupMember.organization)),
        _name_like(Group.name, q),
    )
    member_of = []
    if org_id is not None:
        member_of.append(org_id)
    if actor is not None and not sees_whole_directory(actor):
        member_of.append(uuid.UUID(actor.org_id))
    for member in member_of:
        stmt = stmt.where(
            exists().where(GroupMember.group_id == Group.id, GroupMember.org_id == member)
        )
    return paginate(session, stmt, [Group.name, Group.id], cursor=cursor, limit=limit)


def get_group(session: Session, *, actor: Actor | None, group_id: uuid.UUID) -> Group:
    group = session.scalar(
        select(Group)
        .options(
            selectinload(Group.members).selectinload(GroupMember.organization),
            selectinload(Group.coordinator),
        )
        .where(Group.id == group_id)
    )
    if group is None or (
        actor is not None and not can_see_group(actor, [str(m.org_id) for m in group.members])
    ):
        raise NotFound("No such group.")
    return group


def list_invitations(
    session: Session,
    *,
    actor: Actor | None,
    org_id: uuid.UUID,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Invitation]:
    """An organization's invitations, newest first; for those who manage its people."""
    if actor is not None and not can_manage_people_of(actor, str(org_id)):
        if can_see_organization(actor, str(org_id)):
            raise Forbidden("Only this organization's administrators see its invitations.")
        raise NotFound("No such organization.")
    stmt = select(Invitation).where(Invitation.org_id == org_id)
    return paginate(
        session,
        stmt,
        [Invitation.created_at, Invitation.id],
        cursor=cursor,
        limit=limit,
        descending=True,
    )


def get_invitation(
    session: Session, *, actor: Actor | None, invitation_id: uuid.UUID
) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or (
        actor is not None and not can_manage_people_of(actor, str(invitation.org_id))
    ):
        raise NotFound("No such invitation.")
    return invitation
