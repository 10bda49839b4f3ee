"""Organizations, people and roles as plain values, and the permission table as data."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = [
    "PERMISSIONS",
    "Actor",
    "InvitationState",
    "OrgKind",
    "Permission",
    "Role",
    "Sector",
    "VettingState",
    "can",
    "can_edit_organization",
    "can_manage_group",
    "can_manage_people_of",
    "can_manage_person",
    "can_see_group",
    "can_see_organization",
    "can_see_people_of",
    "invitation_state",
    "roles_assignable_by",
    "sees_whole_directory",
]


class Sector(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    COMMUNITY = "community"
    NONPROFIT = "nonprofit"


class OrgKind(StrEnum):
    POLICE = "police"
    FIRE = "fire"
    EMS = "ems"
    EMERGENCY_MANAGEMENT = "emergency_management"
    FUSION_CENTER = "fusion_center"
    GUARD_COMPANY = "guard_company"
    ALARM_MONITORING = "alarm_monitoring"
    BUSINESS = "business"
    CAMPUS = "campus"
    HOSPITAL = "hospital"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure"
    OTHER = "other"


class VettingState(StrEnum):
    PENDING = "pending"
    VETTED = "vetted"
    SUSPENDED = "suspended"


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    ORG_ADMIN = "org_admin"
    ANALYST = "analyst"
    DISPATCHER = "dispatcher"
    FIELD_RESPONDER = "field_responder"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Permission(StrEnum):
    """What a role may do on the platform; features add their own as they arrive."""

    VIEW_DIRECTORY = "view_directory"
    MANAGE_PLATFORM = "manage_platform"  # vet organizations, create organizations, any account
    VET_ORGANIZATIONS = "vet_organizations"
    EDIT_OWN_ORGANIZATION = "edit_own_organization"
    MANAGE_OWN_PEOPLE = "manage_own_people"  # invite, change roles, deactivate, release locks
    CREATE_GROUPS = "create_groups"
    VIEW_AUDIT_ALL = "view_audit_all"
    VIEW_AUDIT_OWN_ORG = "view_audit_own_org"
    CREATE_API_TOKENS = "create_api_tokens"


_EVERYONE = frozenset({Permission.VIEW_DIRECTORY, Permission.CREATE_API_TOKENS})
_ORG_ADMIN = _EVERYONE | {
    Permission.EDIT_OWN_ORGANIZATION,
    Permission.MANAGE_OWN_PEOPLE,
    Permission.CREATE_GROUPS,
    Permission.VIEW_AUDIT_OWN_ORG,
}

# The permission table; docs/permissions.md prints the same table and a test keeps them in step.
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PLATFORM_ADMIN: _ORG_ADMIN
    | {Permission.MANAGE_PLATFORM, Permission.VET_ORGANIZATIONS, Permission.VIEW_AUDIT_ALL},
    Role.ORG_ADMIN: _ORG_ADMIN,
    Role.ANALYST: _EVERYONE,
    Role.DISPATCHER: _EVERYONE,
    Role.FIELD_RESPONDER: _EVERYONE,
    Role.VIEWER: frozenset({Permission.VIEW_DIRECTORY}),
}


@dataclass(frozen=True)
class Actor:
    """Who is asking: enough to decide permissions without touching the database."""

    person_id: str
    org_id: str
    role: Role
    cji_cleared: bool = False
    org_vetted: bool = True


def can(actor: Actor, permission: Permission) -> bool:
    """True when the actor's role grants `permission`."""
    return permission in PERMISSIONS[actor.role]


def can_manage_person(actor: Actor, person_org_id: str, person_role: Role) -> bool:
    """Platform admins manage anyone; organization admins manage their own non-platform staff."""
    if can(actor, Permission.MANAGE_PLATFORM):
        return True
    if not can(actor, Permission.MANAGE_OWN_PEOPLE):
        return False
    if actor.org_id != person_org_id:
        return False
    return person_role is not Role.PLATFORM_ADMIN


def roles_assignable_by(actor: Actor) -> tuple[Role, ...]:
    """Roles the actor may give: nobody but a platform admin creates another platform admin."""
    if can(actor, Permission.MANAGE_PLATFORM):
        return tuple(Role)
    if can(actor, Permission.MANAGE_OWN_PEOPLE):
        return tuple(r for r in Role if r is not Role.PLATFORM_ADMIN)
    return ()


def can_manage_group(actor: Actor, coordinator_id: str | None) -> bool:
    """A group's membership is managed by its coordinator, or by a platform admin."""
    if can(actor, Permission.MANAGE_PLATFORM):
        return True
    return coordinator_id is not None and coordinator_id == actor.person_id


def sees_whole_directory(actor: Actor) -> bool:
    """Members of a vetted organization see every organization; platform admins always do."""
    if can(actor, Permission.MANAGE_PLATFORM):
        return True
    return actor.org_vetted and can(actor, Permission.VIEW_DIRECTORY)


def can_see_organization(actor: Actor, org_id: str) -> bool:
    """An organization is visible to the whole directory, and always to its own members."""
    return actor.org_id == org_id or sees_whole_directory(actor)


def can_see_group(actor: Actor, member_org_ids: Collection[str]) -> bool:
    """A group is visible to the whole directory, and always to its member organizations."""
    return actor.org_id in member_org_ids or sees_whole_directory(actor)


def can_see_people_of(actor: Actor, org_id: str) -> bool:
    """Names and roles of people: one's own organization's; platform admins see everyone's."""
    if can(actor, Permission.MANAGE_PLATFORM):
        return True
    return actor.org_id == org_id and can(actor, Permission.VIEW_DIRECTORY)


def can_manage_people_of(actor: Actor, org_id: str) -> bool:
    """Who may invite into, and see account details of, an organization's people."""
    if can(actor, Permission.MANAGE_PLATFORM):
        return True
    return actor.org_id == org_id and can(actor, Permission.MANAGE_OWN_PEOPLE)


def can_edit_organization(actor: Actor, org_id: str) -> bool:
    """An organization's profile is edited by its own admins, or by a platform admin."""
    if can(actor, Permission.MANAGE_PLATFORM):
        return True
    return actor.org_id == org_id and can(actor, Permission.EDIT_OWN_ORGANIZATION)


class InvitationState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


def invitation_state(
    *,
    accepted_at: datetime | None,
    revoked_at: datetime | None,
    expires_at: datetime,
    at: datetime,
) -> InvitationState:
    """Where an invitation stands at `at`; a used or revoked link stays so after it expires."""
    if accepted_at is not None:
        return InvitationState.ACCEPTED
    if revoked_at is not None:
        return InvitationState.REVOKED
    if at >= expires_at:
        return InvitationState.EXPIRED
    return InvitationState.PENDING
