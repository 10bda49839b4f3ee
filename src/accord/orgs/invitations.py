"""Use cases on invitations: invite, revoke, look up by link, accept (single use)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from accord.core.audit.service import record
from accord.core.db import Database
from accord.core.errors import Conflict, Forbidden, NotFound
from accord.core.ids import new_secret
from accord.core.security import PasswordPolicy, digest, hash_password
from accord.orgs.domain import (
    Actor,
    InvitationState,
    Role,
    can_manage_people_of,
    invitation_state,
    roles_assignable_by,
)
from accord.orgs.guards import audit_actor, check, load_org
from accord.orgs.models import Invitation, Person
from accord.orgs.people import check_password, ensure_email_free
from accord.orgs.profile import clean_email, clean_text

__all__ = [
    "INVALID_LINK",
    "IssuedInvitation",
    "accept_invitation",
    "find_invitation_by_secret",
    "invitation_link",
    "invite_person",
    "revoke_invitation",
]

NAME_MAX = 200
INVALID_LINK = "This invitation link cannot be used."
# Told only to whoever holds the secret link, that is the invitee.
EXPLANATIONS = {
    "unknown": "This link is not one we sent; check that it was copied whole.",
    "expired": "This invitation has expired; ask your administrator for a new one.",
    "accepted": "This invitation has already been used; sign in instead.",
    "revoked": "This invitation was withdrawn; ask your administrator about it.",
}


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation and its one-time secret; the secret is never shown again."""

    invitation: Invitation
    secret: str
    link: str


def invitation_link(public_url: str, secret: str) -> str:
    return f"{public_url.rstrip('/')}/invitations/{secret}"


def _unusable(reason: str) -> NotFound:
    # The same detail for every reason; the explanation helps the invitee who holds the link.
    key = str(reason)
    return NotFound(INVALID_LINK, reason=key, explanation=EXPLANATIONS[key])


def _ensure_no_live_invitation(s: Session, email: str, at: datetime) -> None:
    live = s.scalar(
        select(Invitation.id).where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > at,
        )
    )
    if live is not None:
        raise Conflict(f"{email} already has an invitation waiting; revoke it to send another.")


def invite_person(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    org_id: uuid.UUID,
    email: str,
    role: Role,
    public_url: str,
    display_name: str = "",
    cji_cleared: bool = False,
    valid_hours: int = 72,
    ip: str = "",
) -> IssuedInvitation:
    """Invite someone into an organization: its admins, or any platform admin."""
    email = clean_email(email)
    display_name = clean_text("display_name", display_name, max_length=NAME_MAX, required=False)
    role = Role(role)
    secret = new_secret(32)
    with db.transaction() as s:
        org = load_org(s, actor, org_id)
        check(
            actor,
            lambda a: can_manage_people_of(a, str(org.id)),
            "Only this organization's administrators may invite people into it.",
        )
        if actor is not None and role not in roles_assignable_by(actor):
            raise Forbidden(f"Your role may not make anyone {role.label.lower()}.")
        ensure_email_free(s, email)
        _ensure_no_live_invitation(s, email, at)
        invitation = Invitation(
            org_id=org.id,
            email=email,
            display_name=display_name,
            role=role,
            cji_cleared=cji_cleared,
            token_hash=digest(secret),
            invited_by_id=uuid.UUID(actor.person_id) if actor else None,
            created_at=at,
            expires_at=at + timedelta(hours=valid_hours),
        )
        s.add(invitation)
        s.flush()
        details = {"email": email, "role": role.value, "cji_cleared": cji_cleared}
        _record(s, actor, invitation, "person.invited", at, details, ip)
    return IssuedInvitation(invitation, secret, invitation_link(public_url, secret))


def revoke_invitation(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    invitation_id: uuid.UUID,
    ip: str = "",
) -> Invitation:
    """Withdraw an invitation that has not been used; its link stops working at once."""
    with db.transaction() as s:
        invitation = s.get(Invitation, invitation_id)
        if invitation is None or (
            actor is not None and not can_manage_people_of(actor, str(invitation.org_id))
        ):
            raise NotFound("No such invitation.")
        state = _state(invitation, at)
        if state is not InvitationState.PENDING:
            raise Conflict(f"This invitation is {state.value}; there is nothing to revoke.")
        invitation.revoked_at = at
        _record(s, actor, invitation, "invitation.revoked", at, {"email": invitation.email}, ip)
        return invitation


def _state(invitation: Invitation, at: datetime) -> InvitationState:
    return invitation_state(
        accepted_at=invitation.accepted_at,
        revoked_at=invitation.revoked_at,
        expires_at=invitation.expires_at,
        at=at,
    )


def find_invitation_by_secret(db: Database, *, secret: str, at: datetime) -> Invitation:
    """The pending invitation behind a link, with its organization; NotFound otherwise."""
    with db.reading() as s:
        invitation = s.scalar(
            select(Invitation)
            .options(joinedload(Invitation.organization))
            .where(Invitation.token_hash == digest(secret))
        )
    if invitation is None:
        raise _unusable("unknown")
    state = _state(invitation, at)
    if state is not InvitationState.PENDING:
        raise _unusable(state)
    return invitation


def accept_invitation(
    db: Database,
    *,
    secret: str,
    display_name: str,
    password: str,
    at: datetime,
    policy: PasswordPolicy | None = None,
    ip: str = "",
) -> Person:
    """Create the invitee's account and use up the link, exactly once even under races."""
    invitation = find_invitation_by_secret(db, secret=secret, at=at)
    display_name = clean_text(
        "display_name", display_name or invitation.display_name, max_length=NAME_MAX
    )
    check_password(policy or PasswordPolicy(), password, invitation.email, display_name)
    password_hash = hash_password(password)
    with db.transaction() as s:
        # The conditional UPDATE is the single-use check: of two racing accepts, the second
        # finds accepted_at set (PostgreSQL re-checks the row after the first commits).
        used = s.execute(
            update(Invitation)
            .where(
                Invitation.id == invitation.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > at,
            )
            .values(accepted_at=at)
            .execution_options(synchronize_session=False)
        )
        if getattr(used, "rowcount", 0) != 1:
            raise _unusable(_state(s.get_one(Invitation, invitation.id), at))
        ensure_email_free(s, invitation.email)
        person = Person(
            org_id=invitation.org_id,
            email=invitation.email,
            display_name=display_name,
            role=invitation.role,
            cji_cleared=invitation.cji_cleared,
            password_hash=password_hash,
            password_changed_at=at,
            is_active=True,
            created_at=at,
        )
        s.add(person)
        s.flush()
        _record_acceptance(s, invitation, person, at, ip)
        return person


def _record_acceptance(
    s: Session, invitation: Invitation, person: Person, at: datetime, ip: str
) -> None:
    who: dict[str, Any] = {"actor_id": person.id, "actor_label": person.email}
    record(
        s,
        action="invitation.accepted",
        at=at,
        **who,
        org_id=invitation.org_id,
        target_type="invitation",
        target_id=str(invitation.id),
        details={"person_id": str(person.id)},
        ip=ip,
    )
    record(
        s,
        action="person.created",
        at=at,
        **who,
        org_id=person.org_id,
        target_type="person",
        target_id=str(person.id),
        details={
            "role": person.role.value,
            "cji_cleared": person.cji_cleared,
            "invitation_id": str(invitation.id),
        },
        ip=ip,
    )


def _record(
    s: Session,
    actor: Actor | None,
    invitation: Invitation,
    action: str,
    at: datetime,
    details: dict[str, Any],
    ip: str,
) -> None:
    record(
        s,
        action=action,
        at=at,
        **audit_actor(actor),
        org_id=invitation.org_id,
        target_type="invitation",
        target_id=str(invitation.id),
        details=details,
        ip=ip,
    )
