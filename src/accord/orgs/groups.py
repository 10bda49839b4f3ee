"""Use cases on groups: create, rename, choose the coordinator, add and remove members."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.core.audit.service import record
from accord.core.db import Database
from accord.core.errors import Conflict, NotFound
from accord.orgs.domain import Actor, Permission, VettingState, can, can_manage_group
from accord.orgs.guards import audit_actor, check, load_group, load_org, load_person
from accord.orgs.models import Group, GroupMember, Organization, Person
from accord.orgs.profile import clean_text
from accord.orgs.service import UNSET, Unset

__all__ = [
    "add_group_member",
    "create_group",
    "remove_group_member",
    "set_group_coordinator",
    "update_group",
]

NAME_MAX = 200
DESCRIPTION_MAX = 5000
NOT_COORDINATOR = "Only the group's coordinator or a platform administrator may do this."


def _ensure_name_free(s: Session, name: str, group_id: uuid.UUID | None = None) -> None:
    stmt = select(Group.id).where(func.lower(Group.name) == name.lower())
    if group_id is not None:
        stmt = stmt.where(Group.id != group_id)
    if s.scalar(stmt) is not None:
        raise Conflict(f"A group named {name!r} already exists.")


def _add_member(
    s: Session, group: Group, org: Organization, by: uuid.UUID | None, at: datetime
) -> None:
    if org.vetting_state is not VettingState.VETTED:
        raise Conflict(f"{org.name} is not vetted; only vetted organizations join groups.")
    if any(m.org_id == org.id for m in group.members):
        raise Conflict(f"{org.name} is already a member of {group.name}.")
    group.members.append(GroupMember(org_id=org.id, added_at=at, added_by_id=by))


def _loaded(group: Group) -> Group:
    """Touch what callers read after the transaction, so the detached object is complete."""
    for member in group.members:
        _ = member.organization.name
    _ = group.coordinator
    return group


def create_group(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    name: str,
    description: str = "",
    coordinator_id: uuid.UUID | None = None,
    ip: str = "",
) -> Group:
    """A new group; its creator coordinates it and their organization is its first member.

    From the console (no actor) the coordinator is named with `coordinator_id`.
    """
    check(actor, lambda a: can(a, Permission.CREATE_GROUPS), "Your role may not create groups.")
    name = clean_text("name", name, max_length=NAME_MAX)
    description = clean_text("description", description, max_length=DESCRIPTION_MAX, required=False)
    with db.transaction() as s:
        _ensure_name_free(s, name)
        coordinator_ref = uuid.UUID(actor.person_id) if actor is not None else coordinator_id
        coordinator = s.get(Person, coordinator_ref) if coordinator_ref else None
        if coordinator_ref is not None and (coordinator is None or not coordinator.is_active):
            raise NotFound("No such person.")
        group = Group(name=name, description=description, created_at=at, members=[])
        if coordinator is not None:
            group.coordinator_id = coordinator.id
            _add_member(s, group, coordinator.organization, coordinator.id, at)
        s.add(group)
        s.flush()
        record(
            s,
            action="group.created",
            at=at,
            **audit_actor(actor),
            org_id=coordinator.org_id if coordinator else None,
            target_type="group",
            target_id=str(group.id),
            details={"name": name, "coordinator_id": str(group.coordinator_id or "")},
            ip=ip,
        )
        return _loaded(group)


def _set_coordinator(s: Session, group: Group, person_id: uuid.UUID) -> str:
    # Coordination crosses organizations, so any active person of a member organization may lead.
    person = load_person(s, None, person_id)
    if not person.is_active:
        raise Conflict("A deactivated account cannot coordinate a group.")
    if all(m.org_id != person.org_id for m in group.members):
        raise Conflict(
            f"{person.display_name}'s organization is not a member of {group.name}; add it first."
        )
    old = str(group.coordinator_id or "")
    group.coordinator_id = person.id
    return old


def update_group(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    group_id: uuid.UUID,
    name: str | Unset = UNSET,
    description: str | Unset = UNSET,
    coordinator_id: uuid.UUID | Unset = UNSET,
    ip: str = "",
) -> Group:
    """Rename, describe or hand over a group; its coordinator or a platform admin."""
    with db.transaction() as s:
        group = load_group(s, actor, group_id)
        check(actor, lambda a: can_manage_group(a, _str(group.coordinator_id)), NOT_COORDINATOR)
        details: dict[str, str] = {}
        if not isinstance(name, Unset):
            name = clean_text("name", name, max_length=NAME_MAX)
            _ensure_name_free(s, name, group.id)
            details["name"], group.name = name, name
        if not isinstance(description, Unset):
            group.description = clean_text(
                "description", description, max_length=DESCRIPTION_MAX, required=False
            )
            details["description"] = "changed"
        if not isinstance(coordinator_id, Unset):
            old = _set_coordinator(s, group, coordinator_id)
            details.update(old_coordinator_id=old, coordinator_id=str(coordinator_id))
        if details:
            _record(s, actor, group, "group.updated", at, details, ip)
        return _loaded(group)


def set_group_coordinator(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    group_id: uuid.UUID,
    person_id: uuid.UUID,
    ip: str = "",
) -> Group:
    """Hand the group to a person of a member organization."""
    return update_group(db, actor=actor, at=at, group_id=group_id, coordinator_id=person_id, ip=ip)


def add_group_member(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    group_id: uuid.UUID,
    org_id: uuid.UUID,
    ip: str = "",
) -> Group:
    """Add a vetted organization to a group; its coordinator or a platform admin."""
    with db.transaction() as s:
        group = load_group(s, actor, group_id)
        check(actor, lambda a: can_manage_group(a, _str(group.coordinator_id)), NOT_COORDINATOR)
        org = load_org(s, actor, org_id)
        _add_member(s, group, org, uuid.UUID(actor.person_id) if actor else None, at)
        s.flush()
        _record(s, actor, group, "group.member.added", at, {"member_org_id": str(org.id)}, ip)
        return _loaded(group)


def remove_group_member(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    group_id: uuid.UUID,
    org_id: uuid.UUID,
    ip: str = "",
) -> Group:
    """Remove an organization from a group; the coordinator's own organization stays."""
    with db.transaction() as s:
        group = load_group(s, actor, group_id)
        check(actor, lambda a: can_manage_group(a, _str(group.coordinator_id)), NOT_COORDINATOR)
        member = next((m for m in group.members if m.org_id == org_id), None)
        if member is None:
            raise NotFound("That organization is not a member of this group.")
        coordinator = s.get(Person, group.coordinator_id) if group.coordinator_id else None
        if coordinator is not None and coordinator.org_id == org_id:
            raise Conflict("Choose a coordinator from another member before removing this one.")
        group.members.remove(member)
        s.flush()
        _record(s, actor, group, "group.member.removed", at, {"member_org_id": str(org_id)}, ip)
        return _loaded(group)


def _str(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def _record(
    s: Session,
    actor: Actor | None,
    group: Group,
    action: str,
    at: datetime,
    details: dict[str, str],
    ip: str,
) -> None:
    record(
        s,
        action=action,
        at=at,
        **audit_actor(actor),
        org_id=uuid.UUID(actor.org_id) if actor else None,
        target_type="group",
        target_id=str(group.id),
        details=details,
        ip=ip,
    )
