"""The world of the agreement tests: the coordinator, the police, a guard company, outsiders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest
from tests.factories import AT, actor_of, make_org, make_person, platform_office, port_city_police

from accord.agreements.models import Agreement
from accord.core.audit.service import list_entries
from accord.core.db import Database
from accord.core.errors import NotFound
from accord.orgs.domain import OrgKind, Role, Sector
from accord.orgs.models import Organization, Person
from accord.sharing import access
from accord.sharing.domain import Category, Purpose, Tlp
from accord.sharing.service import share_record


@dataclass
class World:
    office: Organization
    police: Organization
    guards: Organization
    outsider: Organization
    pending: Organization
    coordinator: Person
    police_admin: Person
    officer: Person
    guards_admin: Person
    guard: Person
    stranger: Person


@pytest.fixture
def world(db: Database) -> World:
    office, police = platform_office(db), port_city_police(db)
    guards = make_org(db, "Delta Guard Services", sector=Sector.PRIVATE, kind=OrgKind.GUARD_COMPANY)
    outsider = make_org(
        db, "Riverside Alarm Co", sector=Sector.PRIVATE, kind=OrgKind.ALARM_MONITORING
    )
    pending = make_org(
        db,
        "Bayside Alarm Monitoring",
        sector=Sector.PRIVATE,
        kind=OrgKind.ALARM_MONITORING,
        vetted=False,
    )
    return World(
        office=office,
        police=police,
        guards=guards,
        outsider=outsider,
        pending=pending,
        coordinator=make_person(db, office, role=Role.PLATFORM_ADMIN, name="Pat Coordinator"),
        police_admin=make_person(db, police, role=Role.ORG_ADMIN, name="Olive Admin"),
        officer=make_person(db, police, name="Ofc. Dana Reyes"),
        guards_admin=make_person(db, guards, role=Role.ORG_ADMIN, name="Gil Supervisor"),
        guard=make_person(db, guards, name="Sam Guard"),
        stranger=make_person(db, outsider, role=Role.ORG_ADMIN, name="Rita Outsider"),
    )


def share(
    db: Database,
    author: Person,
    tlp: Tlp = Tlp.AMBER,
    categories: frozenset[Category] = frozenset({Category.GENERAL}),
    at: datetime = AT,
) -> uuid.UUID:
    """A record shared by `author`'s organization, as the notes feature would share it."""
    with db.transaction() as s:
        return share_record(
            s,
            actor=actor_of(author),
            kind="note",
            tlp=tlp,
            categories=categories,
            title=f"{tlp.label} note",
            summary="Two people seen testing door handles on Harbour Street.",
            summary_category=min(categories),  # inside the set, so nothing is added
            place=None,
            recipients=[],
            at=at,
        ).id


def sees(db: Database, person: Person, at: datetime) -> set[uuid.UUID]:
    with db.reading() as s:
        viewer = access.viewer_of(s, actor_of(person), at)
        return access.visible_ids(s, viewer, at)


def read(
    db: Database,
    person: Person,
    record_id: uuid.UUID,
    at: datetime,
    purpose: Purpose | None = Purpose.INVESTIGATION,
) -> access.Visible:
    """A restricted read through the access module, as a note's detail route does it."""
    actor = actor_of(person)
    refused: NotFound | None = None
    with db.transaction() as s:
        viewer = access.viewer_of(s, actor, at)
        try:
            return access.read_visible(
                s, viewer, actor, record_id, purpose, at, kind="note", actor_label=person.email
            )
        except NotFound as exc:
            # The refusal it noted for the agreement's accountability commits; then it is raised.
            refused = exc
    raise refused


def agreement(db: Database, agreement_id: uuid.UUID) -> Agreement:
    with db.reading() as s:
        row = s.get_one(Agreement, agreement_id)
        s.expunge(row)
        return row


def actions(db: Database, agreement_id: uuid.UUID) -> list[str]:
    """The audit actions recorded on the agreement, oldest first."""
    with db.reading() as s:
        page = list_entries(s, target_type="agreement", target_id=str(agreement_id), limit=200)
        return [e.action for e in reversed(page.items)]
