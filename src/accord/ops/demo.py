"""The Port City demo world: its personas, and seeding it through the service functions."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from accord.auth.domain import mfa_required
from accord.auth.service import password_policy
from accord.core.db import Database
from accord.core.errors import Conflict
from accord.ops.demo_orgs import DEMO_ORGS, DemoOrganization, demo_id, org_by_key
from accord.ops.demo_sharing import seed_sharing
from accord.orgs.domain import Actor, Role, VettingState
from accord.orgs.groups import add_group_member, create_group
from accord.orgs.invitations import invite_person
from accord.orgs.models import Group, Invitation, Organization, Person
from accord.orgs.people import create_person
from accord.orgs.service import change_vetting, create_organization
from accord.settings import Settings

__all__ = [
    "DEMO_ADMIN_EMAIL",
    "DEMO_ANALYST_EMAIL",
    "DEMO_BASE",
    "DEMO_DISPATCHER_EMAIL",
    "DEMO_GROUP_NAME",
    "DEMO_INVITEE_EMAIL",
    "DEMO_MALL_MANAGER_EMAIL",
    "DEMO_OFFICER_EMAIL",
    "DEMO_ORGS",
    "DEMO_PEOPLE",
    "DemoPerson",
    "demo_id",
    "person_by_email",
    "seed_demo",
    "sign_in_rows",
]

# Every demo timestamp is this instant plus a fixed offset, so two seedings store the same rows.
DEMO_BASE = datetime(2026, 9, 1, 16, 0, tzinfo=UTC)
# The pending invitation keeps its fixed creation time, but its expiry is set from the real
# clock (this long after seeding), or it would have expired before anyone saw the demo.
INVITATION_VALID_FOR = timedelta(days=14)


@dataclass(frozen=True)
class DemoPerson:
    """A demo account; every one signs in with the `demo_password` setting."""

    email: str
    display_name: str
    title: str
    org_key: str
    role: Role
    cji_cleared: bool = False

    @property
    def id(self) -> uuid.UUID:
        return demo_id("person", self.email)

    @property
    def org(self) -> DemoOrganization:
        return org_by_key(self.org_key)

    def actor(self) -> Actor:
        return Actor(str(self.id), str(self.org.id), self.role, self.cji_cleared)


def _p(local: str, name: str, title: str, org: str, role: Role, cji: bool = False) -> DemoPerson:
    return DemoPerson(f"{local}@{org_by_key(org).domain}", name, title, org, role, cji)


R = Role
DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    _p("dana.whitfield", "Dana Whitfield", "Partnership coordinator", "oes", R.PLATFORM_ADMIN),
    _p("luis.ortega", "Luis Ortega", "Emergency services coordinator", "oes", R.ORG_ADMIN),
    _p("priya.natarajan", "Priya Natarajan", "Planning analyst", "oes", R.ANALYST),
    _p("marcus.bell", "Marcus Bell", "Lieutenant, administration", "police", R.ORG_ADMIN, True),
    _p("karen.liu", "Karen Liu", "Crime analyst", "police", R.ANALYST, True),
    _p("jordan.avila", "Jordan Avila", "Public safety dispatcher", "police", R.DISPATCHER),
    _p("sam.trinh", "Sam Trinh", "Patrol officer", "police", R.FIELD_RESPONDER, True),
    _p("rosa.delgado", "Rosa Delgado", "Business liaison (read-only)", "police", R.VIEWER),
    _p("elena.fischer", "Elena Fischer", "Battalion chief", "fire", R.ORG_ADMIN),
    _p("tom.becker", "Tom Becker", "Fire dispatcher", "fire", R.DISPATCHER),
    _p("aisha.grant", "Aisha Grant", "Captain, Engine 3", "fire", R.FIELD_RESPONDER),
    _p("nathan.cole", "Nathan Cole", "Fusion center director", "fusion", R.ORG_ADMIN, True),
    _p("mei.tanaka", "Mei Tanaka", "Intelligence analyst", "fusion", R.ANALYST, True),
    _p("victor.salinas", "Victor Salinas", "Operations manager", "sentinel", R.ORG_ADMIN),
    _p("brianna.hughes", "Brianna Hughes", "Patrol supervisor", "sentinel", R.FIELD_RESPONDER),
    _p("grace.okoye", "Grace Okoye", "Director of security", "harborline", R.ORG_ADMIN),
    _p("devon.price", "Devon Price", "Security officer", "harborline", R.FIELD_RESPONDER),
    _p("hector.ruiz", "Hector Ruiz", "Central station manager", "alarm", R.ORG_ADMIN),
    _p("lily.tran", "Lily Tran", "Alarm operator", "alarm", R.DISPATCHER),
    _p("monica.hale", "Monica Hale", "Security manager", "mall", R.ORG_ADMIN),
    _p("chris.navarro", "Chris Navarro", "Loss prevention analyst", "mall", R.ANALYST),
    _p("fatima.siddiqui", "Fatima Siddiqui", "Director of security", "hospital", R.ORG_ADMIN),
    _p("ben.adeyemi", "Ben Adeyemi", "Security dispatcher", "hospital", R.DISPATCHER),
    _p("erik.lindqvist", "Erik Lindqvist", "Facility security officer", "terminal", R.ORG_ADMIN),
    _p("paula.souza", "Paula Souza", "Gate supervisor", "terminal", R.VIEWER),
    _p("sarah.kim", "Sarah Kim", "Chief of campus safety", "campus", R.ORG_ADMIN),
    _p("omar.haddad", "Omar Haddad", "Campus safety officer", "campus", R.FIELD_RESPONDER),
    _p("nina.petrova", "Nina Petrova", "Security manager (applicant)", "hotel", R.ORG_ADMIN),
)  # fmt: skip

DEMO_ADMIN_EMAIL = "dana.whitfield@deltacounty-oes.example"
DEMO_DISPATCHER_EMAIL = "jordan.avila@portcitypd.example"
DEMO_ANALYST_EMAIL = "karen.liu@portcitypd.example"
DEMO_OFFICER_EMAIL = "sam.trinh@portcitypd.example"
DEMO_MALL_MANAGER_EMAIL = "monica.hale@deltacrossing.example"

DEMO_GROUP_NAME = "Downtown Retail Security Council"
DEMO_GROUP_DESCRIPTION = (
    "Retail security managers, their patrol contractors and Port City PD's business liaison "
    "unit: shoplifting crews, BOLOs and holiday-season staffing for downtown and Pacific Avenue."
)
DEMO_GROUP_MEMBERS = ("mall", "sentinel", "harborline", "police")  # the coordinator's org first
DEMO_INVITEE_EMAIL = "riley.brooks@portcityfire.example"
DEMO_INVITEE = DemoPerson(
    DEMO_INVITEE_EMAIL, "Riley Brooks", "Firefighter-paramedic", "fire", Role.FIELD_RESPONDER
)


def person_by_email(email: str) -> DemoPerson:
    """The demo persona who signs in with `email`."""
    for person in DEMO_PEOPLE:
        if person.email == email:
            return person
    raise KeyError(email)


_ID_KEYS: dict[type[Any], tuple[str, str]] = {
    Organization: ("organization", "name"),
    Person: ("person", "email"),
    Group: ("group", "name"),
    Invitation: ("invitation", "email"),
}


def _assign_demo_ids(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.new:
        kind_attr = _ID_KEYS.get(type(obj))
        if kind_attr is not None and obj.id is None:
            obj.id = demo_id(kind_attr[0], getattr(obj, kind_attr[1]))


@contextmanager
def _demo_ids(db: Database) -> Iterator[None]:
    """New rows made by the service functions get uuid5 ids from their names, not UUIDv7s."""
    event.listen(db.sessions, "before_flush", _assign_demo_ids)
    try:
        yield
    finally:
        event.remove(db.sessions, "before_flush", _assign_demo_ids)


def _ensure_demo_database(db: Database) -> None:
    with db.reading() as s:
        if s.get(Organization, DEMO_ORGS[0].id) is not None:
            return
        if s.scalar(select(func.count()).select_from(Organization)):
            raise Conflict(
                "this database already holds organizations that are not the demo world; "
                "run the demo in an empty folder (accord demo --data-dir DIR)"
            )


def _existing(db: Database, model: type[Any], ids: list[uuid.UUID]) -> set[uuid.UUID]:
    with db.reading() as s:
        return set(s.scalars(select(model.id).where(model.id.in_(ids))))


def _create_organizations(db: Database) -> int:
    existing = _existing(db, Organization, [o.id for o in DEMO_ORGS])
    missing = [(i, o) for i, o in enumerate(DEMO_ORGS) if o.id not in existing]
    for index, org in missing:
        create_organization(
            db, actor=None, at=DEMO_BASE + timedelta(minutes=20 * index), name=org.name,
            sector=org.sector, kind=org.kind, short_name=org.short_name,
            description=org.description, service_area=org.service_area,
            contacts=org.contacts, capabilities=org.capabilities,
        )  # fmt: skip
    return len(missing)


def _joined_at(person: DemoPerson) -> datetime:
    # The admin's account comes first: she vets the organizations on day one.
    if person is DEMO_PEOPLE[0]:
        return DEMO_BASE + timedelta(hours=5)
    return DEMO_BASE + timedelta(days=2, minutes=20 * DEMO_PEOPLE.index(person))


def _create_people(db: Database, settings: Settings, people: tuple[DemoPerson, ...]) -> int:
    """Accounts, made by the platform admin (the admin herself by the console)."""
    existing = _existing(db, Person, [p.id for p in people])
    admin = DEMO_PEOPLE[0]
    created = 0
    for person in people:
        if person.id in existing:
            continue
        create_person(
            db, actor=None if person is admin else admin.actor(), at=_joined_at(person),
            email=person.email, display_name=person.display_name, org_id=person.org.id,
            role=person.role,
            password=settings.demo_password.get_secret_value(),
            cji_cleared=person.cji_cleared, policy=password_policy(settings),
        )  # fmt: skip
        created += 1
    return created


def _vet_organizations(db: Database) -> int:
    with db.reading() as s:
        done = Organization.vetting_state == VettingState.VETTED
        vetted = set(s.scalars(select(Organization.id).where(done)))
    wanted = [(i, o) for i, o in enumerate(DEMO_ORGS) if o.vetted and o.id not in vetted]
    for index, org in wanted:
        change_vetting(
            db, actor=DEMO_PEOPLE[0].actor(), at=DEMO_BASE + timedelta(days=1, minutes=30 * index),
            org_id=org.id, state=VettingState.VETTED,
            reason="Founding partner: memorandum of understanding signed, references checked.",
        )  # fmt: skip
    return len(wanted)


def _create_group(db: Database) -> int:
    group_id = demo_id("group", DEMO_GROUP_NAME)
    coordinator = person_by_email(DEMO_MALL_MANAGER_EMAIL)
    at = DEMO_BASE + timedelta(days=7)
    created = 0
    if not _existing(db, Group, [group_id]):
        create_group(
            db, actor=coordinator.actor(), at=at, name=DEMO_GROUP_NAME,
            description=DEMO_GROUP_DESCRIPTION,
        )  # fmt: skip
        created += 1
    with db.reading() as s:
        members = {m.org_id for m in s.get_one(Group, group_id).members}
    for index, key in enumerate(DEMO_GROUP_MEMBERS):
        org_id = org_by_key(key).id
        if org_id not in members:
            add_group_member(
                db, actor=coordinator.actor(), at=at + timedelta(minutes=10 * (index + 1)),
                group_id=group_id, org_id=org_id,
            )  # fmt: skip
            created += 1
    return created


def _invite(db: Database, settings: Settings, now: datetime) -> int:
    if _existing(db, Invitation, [demo_id("invitation", DEMO_INVITEE_EMAIL)]):
        return 0
    at = DEMO_BASE + timedelta(days=60)
    hours = math.ceil((now + INVITATION_VALID_FOR - at) / timedelta(hours=1))
    invite_person(
        db, actor=person_by_email("elena.fischer@portcityfire.example").actor(), at=at,
        org_id=DEMO_INVITEE.org.id, email=DEMO_INVITEE.email, role=DEMO_INVITEE.role,
        public_url=settings.effective_public_url, display_name=DEMO_INVITEE.display_name,
        valid_hours=max(hours, settings.invitation_valid_hours),
    )  # fmt: skip
    return 1


def seed_demo(db: Database, settings: Settings, *, now: datetime) -> int:
    """Create whatever is missing of the demo world; the number of records created (0: reused).

    Everything goes through the service functions, so the audit log tells how the world was
    built. A database holding other organizations is refused, never mixed with the demo.
    """
    _ensure_demo_database(db)
    with _demo_ids(db):
        created = _create_organizations(db)
        created += _create_people(db, settings, DEMO_PEOPLE[:1])
        created += _vet_organizations(db)
        created += _create_people(db, settings, DEMO_PEOPLE)
        created += _create_group(db)
        created += _invite(db, settings, now)
    created += seed_sharing(db, base=DEMO_BASE, now=now)
    return created


def _mfa_note(person: DemoPerson, settings: Settings, enrolled: set[uuid.UUID]) -> str:
    if person.id in enrolled:
        note = "code from the authenticator"
    elif mfa_required(person.role.value, person.cji_cleared, settings.mfa_required_roles):
        why = "CJI-cleared" if person.cji_cleared else person.role.label.lower()
        note = f"{why}: sets up an authenticator at first sign-in"
    else:
        note = "password only"
    return note if person.org.vetted else f"{note}; organization pending vetting"


def sign_in_rows(db: Database, settings: Settings) -> list[tuple[str, str, str, str]]:
    """(e-mail, organization, role, MFA) of every persona, for the table `accord demo` prints."""
    with db.reading() as s:
        enrolled = set(s.scalars(select(Person.id).where(Person.mfa_enabled_at.is_not(None))))
    return [
        (p.email, p.org.short_name, p.role.label, _mfa_note(p, settings, enrolled))
        for p in DEMO_PEOPLE
    ]
