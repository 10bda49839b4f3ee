"""Test data made through the service functions, and a few named personas of the demo world."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from accord.auth.tokens import create_api_token
from accord.core.db import Database
from accord.orgs import service
from accord.orgs.domain import Actor, OrgKind, Role, Sector, VettingState
from accord.orgs.models import Organization, Person
from accord.orgs.people import create_person

__all__ = [
    "ALL_SCOPES",
    "AT",
    "DEFAULT_PASSWORD",
    "actor_of",
    "harbour_mall",
    "make_org",
    "make_person",
    "platform_office",
    "port_city_fire",
    "port_city_police",
    "token_for",
]

# Passes the default password policy (12+ characters, not in the breached list).
DEFAULT_PASSWORD = "correct horse battery staple orange"
# Before the `clock` fixture's start (2026-11-21 15:00 UTC), so records are already there.
AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ALL_SCOPES = ("orgs:read", "orgs:write", "people:read", "people:write")

_numbers = itertools.count(1)


def make_org(
    db: Database,
    name: str | None = None,
    *,
    sector: Sector = Sector.PUBLIC,
    kind: OrgKind = OrgKind.POLICE,
    vetted: bool = True,
    at: datetime | None = None,
    short_name: str = "",
) -> Organization:
    """An organization, vetted unless told otherwise, created as the console would."""
    at = at or AT
    org = service.create_organization(
        db,
        actor=None,
        at=at,
        name=name or f"Organization {next(_numbers)}",
        short_name=short_name,
        sector=sector,
        kind=kind,
    )
    if vetted:
        org = service.change_vetting(
            db, actor=None, at=at, org_id=org.id, state=VettingState.VETTED, reason="test world"
        )
    return org


def make_person(
    db: Database,
    org: Organization,
    email: str | None = None,
    *,
    role: Role = Role.ANALYST,
    password: str = DEFAULT_PASSWORD,
    cji_cleared: bool = False,
    name: str | None = None,
    at: datetime | None = None,
) -> Person:
    """An active account in `org`, created as `accord user create` would."""
    number = next(_numbers)
    return create_person(
        db,
        actor=None,
        at=at or AT,
        email=email or f"person{number}@example.org",
        display_name=name or f"Person {number}",
        org_id=org.id,
        role=role,
        password=password,
        cji_cleared=cji_cleared,
    )


def actor_of(person: Person, org: Organization | None = None) -> Actor:
    """The Actor a signed-in `person` would be (vetted unless `org` says otherwise)."""
    vetted = org is None or org.vetting_state is VettingState.VETTED
    return Actor(
        person_id=str(person.id),
        org_id=str(person.org_id),
        role=person.role,
        cji_cleared=person.cji_cleared,
        org_vetted=vetted,
    )


def token_for(
    db: Database,
    person: Person,
    scopes: Sequence[str] = ALL_SCOPES,
    *,
    at: datetime | None = None,
) -> str:
    """A bearer token for `person`, made by the console, valid for a year from `at`."""
    at = at or AT
    secret, _ = create_api_token(
        db,
        actor=None,
        person_id=person.id,
        name=f"test {uuid.uuid4().hex[:8]}",
        scopes=tuple(scopes),
        expires_at=at + timedelta(days=365),
        at=at,
    )
    return secret


# Named organizations of the demo world, so tests read like stories.


def port_city_police(db: Database) -> Organization:
    return make_org(db, "Port City Police Department", short_name="PCPD")


def port_city_fire(db: Database) -> Organization:
    return make_org(db, "Port City Fire Rescue", kind=OrgKind.FIRE, short_name="PCFR")


def harbour_mall(db: Database) -> Organization:
    return make_org(
        db,
        "Harbour Point Mall Security",
        sector=Sector.PRIVATE,
        kind=OrgKind.BUSINESS,
        short_name="Harbour Mall",
    )


def platform_office(db: Database) -> Organization:
    """The partnership office that runs the platform; its staff are platform admins."""
    return make_org(
        db,
        "Port City Partnership Office",
        kind=OrgKind.EMERGENCY_MANAGEMENT,
        short_name="Partnership",
    )
