"""API shapes of organizations, groups, people and invitations; secrets never leave."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from accord.orgs.domain import (
    InvitationState,
    OrgKind,
    Role,
    Sector,
    VettingState,
    invitation_state,
)
from accord.orgs.models import Group, Invitation, Organization, Person

__all__ = [
    "AcceptBody",
    "CjiChange",
    "Contact",
    "GroupCreate",
    "GroupMemberAdd",
    "GroupMemberRead",
    "GroupPage",
    "GroupRead",
    "GroupUpdate",
    "InvitationCreate",
    "InvitationIssued",
    "InvitationPage",
    "InvitationRead",
    "OrganizationCreate",
    "OrganizationPage",
    "OrganizationRead",
    "OrganizationUpdate",
    "PersonPage",
    "PersonRead",
    "RoleChange",
    "VettingChange",
    "group_read",
    "invitation_read",
    "organization_read",
    "person_read",
]

Capability = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class Strict(BaseModel):
    """An input: unknown fields are refused (422), not ignored."""

    model_config = ConfigDict(extra="forbid")


class Contact(Strict):
    name: str = Field(min_length=1, max_length=200)
    title: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)


class OrganizationCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    short_name: str = Field(default="", max_length=40)
    sector: Sector
    kind: OrgKind
    description: str = Field(default="", max_length=5000)
    service_area: dict[str, Any] | None = Field(
        default=None, description="GeoJSON Polygon or MultiPolygon (WGS84)"
    )
    contacts: list[Contact] = Field(default_factory=list, max_length=50)
    capabilities: list[Capability] = Field(default_factory=list, max_length=100)


class OrganizationUpdate(Strict):
    """Only the fields sent change; the vetting state changes through /vetting."""

    name: str = Field(default="", min_length=1, max_length=200)
    short_name: str = Field(default="", min_length=1, max_length=40)
    description: str = Field(default="", max_length=5000)
    service_area: dict[str, Any] | None = None
    contacts: list[Contact] = Field(default_factory=list, max_length=50)
    capabilities: list[Capability] = Field(default_factory=list, max_length=100)


class VettingChange(Strict):
    state: VettingState
    reason: str = Field(min_length=1, max_length=5000)


class OrganizationRead(BaseModel):
    id: uuid.UUID
    name: str
    short_name: str
    sector: Sector
    kind: OrgKind
    description: str
    service_area: dict[str, Any] | None
    contacts: list[dict[str, str]]
    capabilities: list[str]
    vetting_state: VettingState
    vetting_changed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    model_config = ConfigDict(from_attributes=True)


class OrganizationPage(BaseModel):
    items: list[OrganizationRead]
    next_cursor: str | None
    limit: int


class GroupCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)


class GroupUpdate(Strict):
    """Only the fields sent change."""

    name: str = Field(default="", min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    coordinator_id: uuid.UUID | None = None


class GroupMemberAdd(Strict):
    org_id: uuid.UUID


class GroupMemberRead(BaseModel):
    org_id: uuid.UUID
    name: str
    added_at: datetime


class GroupRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    coordinator_id: uuid.UUID | None
    members: list[GroupMemberRead]
    created_at: datetime


class GroupPage(BaseModel):
    items: list[GroupRead]
    next_cursor: str | None
    limit: int


class PersonRead(BaseModel):
    """A person; account details are null unless the reader manages the person's organization."""

    id: uuid.UUID
    org_id: uuid.UUID
    display_name: str
    role: Role
    active: bool
    email: str | None = None
    cji_cleared: bool | None = None
    mfa_enabled: bool | None = None
    locked: bool | None = None
    deactivated_at: datetime | None = None
    last_sign_in_at: datetime | None = None
    created_at: datetime | None = None


class PersonPage(BaseModel):
    items: list[PersonRead]
    next_cursor: str | None
    limit: int


class RoleChange(Strict):
    role: Role


class CjiChange(Strict):
    cji_cleared: bool


class InvitationCreate(Strict):
    org_id: uuid.UUID
    email: str = Field(min_length=3, max_length=254)
    role: Role
    display_name: str = Field(default="", max_length=200)
    cji_cleared: bool = False


class InvitationRead(BaseModel):
    id: uuid.UUID
    org_id: uuid.UUID
    email: str
    display_name: str
    role: Role
    cji_cleared: bool
    state: InvitationState
    invited_by_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None


class InvitationIssued(InvitationRead):
    """The new invitation with its link: shown this once, then only its hash is kept."""

    token: str
    link: str


class InvitationPage(BaseModel):
    items: list[InvitationRead]
    next_cursor: str | None
    limit: int


class AcceptBody(Strict):
    token: str = Field(min_length=1, max_length=200)
    display_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=4096)


def organization_read(org: Organization) -> OrganizationRead:
    return OrganizationRead.model_validate(org)


def group_read(group: Group) -> GroupRead:
    members = sorted(group.members, key=lambda m: (m.organization.name, str(m.org_id)))
    return GroupRead(
        id=group.id,
        name=group.name,
        description=group.description,
        coordinator_id=group.coordinator_id,
        members=[
            GroupMemberRead(org_id=m.org_id, name=m.organization.name, added_at=m.added_at)
            for m in members
        ],
        created_at=group.created_at,
    )


def person_read(person: Person, *, details: bool) -> PersonRead:
    """The person; with `details` (the reader manages them) the account fields too."""
    read = PersonRead(
        id=person.id,
        org_id=person.org_id,
        display_name=person.display_name,
        role=person.role,
        active=person.is_active,
    )
    if not details:
        return read
    return read.model_copy(
        update={
            "email": person.email,
            "cji_cleared": person.cji_cleared,
            "mfa_enabled": person.mfa_enabled,
            "locked": person.locked_at is not None,
            "deactivated_at": person.deactivated_at,
            "last_sign_in_at": person.last_sign_in_at,
            "created_at": person.created_at,
        }
    )


def invitation_read(invitation: Invitation, *, at: datetime) -> InvitationRead:
    state = invitation_state(
        accepted_at=invitation.accepted_at,
        revoked_at=invitation.revoked_at,
        expires_at=invitation.expires_at,
        at=at,
    )
    return InvitationRead(
        id=invitation.id,
        org_id=invitation.org_id,
        email=invitation.email,
        display_name=invitation.display_name,
        role=invitation.role,
        cji_cleared=invitation.cji_cleared,
        state=state,
        invited_by_id=invitation.invited_by_id,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        accepted_at=invitation.accepted_at,
        revoked_at=invitation.revoked_at,
    )
