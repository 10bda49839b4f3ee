"""Use cases on accounts: create, change role or CJI clearance, deactivate and reactivate."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.auth.sessions import end_all_sessions
from accord.core.audit.service import record
from accord.core.db import Database
from accord.core.errors import Conflict, Forbidden, Invalid
from accord.core.security import PasswordPolicy, hash_password
from accord.orgs.domain import Actor, Permission, Role, can, can_manage_person, roles_assignable_by
from accord.orgs.guards import audit_actor, check, load_org, load_person
from accord.orgs.models import Person
from accord.orgs.profile import clean_email, clean_text

__all__ = [
    "change_role",
    "check_password",
    "create_person",
    "deactivate_person",
    "ensure_email_free",
    "reactivate_person",
    "set_cji_clearance",
]

NAME_MAX = 200


def check_password(policy: PasswordPolicy, password: str, email: str, display_name: str) -> None:
    """Invalid with the policy's messages when `password` is refused."""
    problems = policy.problems(password, (email.split("@")[0], display_name))
    if problems:
        raise Invalid(
            " ".join(problems), errors=[{"field": "password", "message": p} for p in problems]
        )


def ensure_email_free(s: Session, email: str) -> None:
    """Conflict when an account, active or not, already signs in with `email`."""
    person = s.scalar(select(Person).where(Person.email == email))
    if person is None:
        return
    if person.is_active:
        raise Conflict(f"An account with the e-mail address {email} already exists.")
    raise Conflict(f"{email} belongs to a deactivated account; reactivate it instead.")


def create_person(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    email: str,
    display_name: str,
    org_id: uuid.UUID,
    role: Role,
    password: str,
    cji_cleared: bool = False,
    policy: PasswordPolicy | None = None,
    ip: str = "",
) -> Person:
    """An account with a password, made by the console or a platform admin (no invitation)."""
    check(
        actor,
        lambda a: can(a, Permission.MANAGE_PLATFORM),
        "Only platform administrators create accounts directly; invite people instead.",
    )
    email = clean_email(email)
    display_name = clean_text("display_name", display_name, max_length=NAME_MAX)
    role = Role(role)
    check_password(policy or PasswordPolicy(), password, email, display_name)
    password_hash = hash_password(password)
    with db.transaction() as s:
        org = load_org(s, actor, org_id)
        ensure_email_free(s, email)
        person = Person(
            org_id=org.id,
            email=email,
            display_name=display_name,
            role=role,
            cji_cleared=cji_cleared,
            password_hash=password_hash,
            password_changed_at=at,
            is_active=True,
            created_at=at,
        )
        s.add(person)
        s.flush()
        _record(
            s,
            actor,
            person,
            "person.created",
            at,
            {"role": role.value, "cji_cleared": cji_cleared},
            ip,
        )
        return person


def _managed(s: Session, actor: Actor | None, person_id: uuid.UUID) -> Person:
    """The person, when the actor manages them: NotFound if unknown to them, else Forbidden."""
    person = load_person(s, actor, person_id)
    check(
        actor,
        lambda a: can_manage_person(a, str(person.org_id), person.role),
        "Only this organization's administrators may manage its accounts.",
    )
    return person


def _not_self(actor: Actor | None, person: Person, what: str) -> None:
    if actor is not None and actor.person_id == str(person.id):
        raise Conflict(f"You cannot {what} your own account; ask another administrator.")


def _keep_one_platform_admin(s: Session, person: Person) -> None:
    if person.role is not Role.PLATFORM_ADMIN or not person.is_active:
        return
    others = s.scalar(
        select(func.count())
        .select_from(Person)
        .where(
            Person.role == Role.PLATFORM_ADMIN, Person.is_active.is_(True), Person.id != person.id
        )
    )
    if not others:
        raise Conflict("This is the last active platform administrator; appoint another first.")


def change_role(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    person_id: uuid.UUID,
    role: Role,
    ip: str = "",
) -> Person:
    """Give a person another role, among those the actor may assign."""
    role = Role(role)
    with db.transaction() as s:
        person = _managed(s, actor, person_id)
        _not_self(actor, person, "change the role of")
        if actor is not None and role not in roles_assignable_by(actor):
            raise Forbidden(f"Your role may not make anyone {role.label.lower()}.")
        old = person.role
        if old is role:
            return person
        if role is not Role.PLATFORM_ADMIN:
            _keep_one_platform_admin(s, person)
        person.role = role
        _record(
            s, actor, person, "person.role.changed", at, {"old": old.value, "new": role.value}, ip
        )
        return person


def set_cji_clearance(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    person_id: uuid.UUID,
    cleared: bool,
    ip: str = "",
) -> Person:
    """Record that a person is (or is no longer) cleared for criminal-justice information."""
    with db.transaction() as s:
        person = _managed(s, actor, person_id)
        _not_self(actor, person, "change the CJI clearance of")
        if person.cji_cleared is cleared:
            return person
        person.cji_cleared = cleared
        details = {"old": not cleared, "new": cleared}
        _record(s, actor, person, "person.cji_clearance.changed", at, details, ip)
        return person


def deactivate_person(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    person_id: uuid.UUID,
    ip: str = "",
) -> Person:
    """Close an account but keep its row and history; every session ends at once."""
    with db.transaction() as s:
        person = _managed(s, actor, person_id)
        _not_self(actor, person, "deactivate")
        if not person.is_active:
            raise Conflict("This account is already deactivated.")
        _keep_one_platform_admin(s, person)
        person.is_active = False
        person.deactivated_at = at
        ended = end_all_sessions(s, person.id, reason="deactivated", at=at)
        _record(s, actor, person, "person.deactivated", at, {"sessions_ended": ended}, ip)
        return person


def reactivate_person(
    db: Database,
    *,
    actor: Actor | None,
    at: datetime,
    person_id: uuid.UUID,
    ip: str = "",
) -> Person:
    """Open a deactivated account again, with its role and clearance as they were."""
    with db.transaction() as s:
        person = _managed(s, actor, person_id)
        if person.is_active:
            raise Conflict("This account is already active.")
        person.is_active = True
        person.deactivated_at = None
        _record(s, actor, person, "person.reactivated", at, {}, ip)
        return person


def _record(
    s: Session,
    actor: Actor | None,
    person: Person,
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
        org_id=person.org_id,
        target_type="person",
        target_id=str(person.id),
        details=details,
        ip=ip,
    )
