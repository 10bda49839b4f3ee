"""Use cases on organizations: create, edit the profile, change the vetting state."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.core.audit.service import record
from accord.core.db import Database
from accord.core.errors import Conflict, Invalid
from accord.orgs.domain import (
    Actor,
    OrgKind,
    Permission,
    Sector,
    VettingState,
    can,
    can_edit_organization,
)
from accord.orgs.geo import clean_service_area
from accord.orgs.guards import audit_actor, check, load_org
from accord.orgs.models import Organization
from accord.orgs.profile import clean_capabilities, clean_contacts, clean_text

__all__ = [
    "UNSET",
    "Unset",
    "change_vetting",
    "create_organization",
    "update_organization",
]

NAME_MAX = 200
SHORT_NAME_MAX = 40
DESCRIPTION_MAX = 5000


class Unset(Enum):
    """A keyword argument left out of a partial update."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET


def _ensure_name_free(s: Session, name: str, org_id: uuid.UUID | None = None) -> None:
    stmt = select(Organization.id).where(func.lower(Organization.name) == name.lower())
    if org_id is not None:
        stmt = stmt.where(Organization.id != org_id)
    if s.scalar(stmt) is not None:
        raise Conflict(f"An organization named {name!r} already exists.")


def create_organization(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    name: str,
    sector: Sector,
    kind: OrgKind,
    short_name: str = "",
    description: str = "",
    service_area: Mapping[str, Any] | None = None,
    contacts: Iterable[Mapping[str, Any]] = (),
    capabilities: Iterable[str] = (),
    ip: str = "",
) -> Organization:
    """A new organization, pending vetting; platform admins (or the console) create them."""
    check(
        actor,
        lambda a: can(a, Permission.MANAGE_PLATFORM),
        "Only platform administrators create organizations.",
    )
    name = clean_text("name", name, max_length=NAME_MAX)
    short = clean_text("short_name", short_name, max_length=SHORT_NAME_MAX, required=False)
    org = Organization(
        name=name,
        short_name=short or name[:SHORT_NAME_MAX],
        sector=Sector(sector),
        kind=OrgKind(kind),
        description=clean_text(
            "description", description, max_length=DESCRIPTION_MAX, required=False
        ),
        service_area=clean_service_area(service_area),
        contacts=clean_contacts(contacts),
        capabilities=clean_capabilities(capabilities),
        vetting_state=VettingState.PENDING,
        created_at=at,
        updated_at=at,
    )
    with db.transaction() as s:
        _ensure_name_free(s, name)
        s.add(org)
        s.flush()
        record(
            s,
            action="org.created",
            at=at,
            **audit_actor(actor),
            org_id=org.id,
            target_type="organization",
            target_id=str(org.id),
            details={"name": org.name, "sector": org.sector.value, "kind": org.kind.value},
            ip=ip,
        )
    return org


def _cleaned_changes(
    name: str | Unset,
    short_name: str | Unset,
    description: str | Unset,
    service_area: Mapping[str, Any] | Unset | None,
    contacts: Iterable[Mapping[str, Any]] | Unset,
    capabilities: Iterable[str] | Unset,
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if not isinstance(name, Unset):
        changes["name"] = clean_text("name", name, max_length=NAME_MAX)
    if not isinstance(short_name, Unset):
        changes["short_name"] = clean_text("short_name", short_name, max_length=SHORT_NAME_MAX)
    if not isinstance(description, Unset):
        changes["description"] = clean_text(
            "description", description, max_length=DESCRIPTION_MAX, required=False
        )
    if not isinstance(service_area, Unset):
        changes["service_area"] = clean_service_area(service_area)
    if not isinstance(contacts, Unset):
        changes["contacts"] = clean_contacts(contacts)
    if not isinstance(capabilities, Unset):
        changes["capabilities"] = clean_capabilities(capabilities)
    return changes


def update_organization(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    org_id: uuid.UUID,
    name: str | Unset = UNSET,
    short_name: str | Unset = UNSET,
    description: str | Unset = UNSET,
    service_area: Mapping[str, Any] | Unset | None = UNSET,
    contacts: Iterable[Mapping[str, Any]] | Unset = UNSET,
    capabilities: Iterable[str] | Unset = UNSET,
    ip: str = "",
) -> Organization:
    """Edit the profile (never the vetting state); own-organization admins or platform admins."""
    changes = _cleaned_changes(name, short_name, description, service_area, contacts, capabilities)
    with db.transaction() as s:
        org = load_org(s, actor, org_id)
        check(
            actor,
            lambda a: can_edit_organization(a, str(org.id)),
            "Only this organization's administrators may edit its profile.",
        )
        if "name" in changes:
            _ensure_name_free(s, changes["name"], org.id)
        changed = sorted(k for k, v in changes.items() if getattr(org, k) != v)
        for key in changed:
            setattr(org, key, changes[key])
        if changed:
            org.updated_at = at
            record(
                s,
                action="org.updated",
                at=at,
                **audit_actor(actor),
                org_id=org.id,
                target_type="organization",
                target_id=str(org.id),
                details={"fields": changed},
                ip=ip,
            )
    return org


def change_vetting(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    org_id: uuid.UUID,
    state: VettingState,
    reason: str,
    ip: str = "",
) -> Organization:
    """Vet, suspend or return an organization to pending; platform admins only, with a reason."""
    check(
        actor,
        lambda a: can(a, Permission.VET_ORGANIZATIONS),
        "Only platform administrators change an organization's vetting.",
    )
    reason = reason.strip()
    if not reason:
        raise Invalid(
            "Give a reason for the vetting decision; it is kept in the audit log.",
            errors=[{"field": "reason", "message": "is required"}],
        )
    reason = clean_text("reason", reason, max_length=DESCRIPTION_MAX)
    state = VettingState(state)
    with db.transaction() as s:
        org = load_org(s, actor, org_id)
        old = org.vetting_state
        if old is state:
            raise Conflict(f"The organization is already {state.value}.")
        org.vetting_state = state
        org.vetting_reason = reason
        org.vetting_changed_at = at
        org.updated_at = at
        record(
            s,
            action="org.vetting.changed",
            at=at,
            **audit_actor(actor),
            org_id=org.id,
            target_type="organization",
            target_id=str(org.id),
            details={"old": old.value, "new": state.value, "reason": reason},
            ip=ip,
        )
    return org
