"""Loading records inside a write, with NotFound for those the actor may not know of."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.core.errors import Forbidden, NotFound
from accord.orgs.domain import Actor, can_see_group, can_see_organization, can_see_people_of
from accord.orgs.models import Group, Organization, Person

__all__ = [
    "CLI_LABEL",
    "audit_actor",
    "check",
    "load_group",
    "load_org",
    "load_person",
    "load_person_by_email",
    "normalize_email",
]

# The audit label of changes made by the operator at the console (no signed-in actor).
CLI_LABEL = "cli"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def audit_actor(actor: Actor | None) -> dict[str, Any]:
    """The actor_id and actor_label keyword arguments of an audit record."""
    if actor is None:
        return {"actor_id": None, "actor_label": CLI_LABEL}
    return {"actor_id": uuid.UUID(actor.person_id), "actor_label": ""}


def check(actor: Actor | None, rule: Callable[[Actor], bool], message: str) -> None:
    """Forbidden with `message` unless the console (no actor) or `rule` allows it."""
    if actor is not None and not rule(actor):
        raise Forbidden(message)


def load_org(s: Session, actor: Actor | None, org_id: uuid.UUID) -> Organization:
    org = s.get(Organization, org_id)
    if org is None or (actor is not None and not can_see_organization(actor, str(org.id))):
        raise NotFound("No such organization.")
    return org


def load_person(s: Session, actor: Actor | None, person_id: uuid.UUID) -> Person:
    person = s.get(Person, person_id)
    if person is None or (actor is not None and not can_see_people_of(actor, str(person.org_id))):
        raise NotFound("No such person.")
    return person


def load_person_by_email(s: Session, email: str) -> Person:
    person = s.scalar(select(Person).where(Person.email == normalize_email(email)))
    if person is None:
        raise NotFound(f"No account with the e-mail address {normalize_email(email)}.")
    return person


def load_group(s: Session, actor: Actor | None, group_id: uuid.UUID) -> Group:
    group = s.get(Group, group_id)
    if group is None or (
        actor is not None and not can_see_group(actor, [str(m.org_id) for m in group.members])
    ):
        raise NotFound("No such group.")
    return group
