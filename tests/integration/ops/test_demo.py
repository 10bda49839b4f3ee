"""The demo world: who and what it holds, that it is fixed, that seeding twice changes nothing."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest
from shapely.geometry import shape
from sqlalchemy import func, select
from tests.conftest import MutableClock
from tests.factories import make_org

from accord.auth.domain import mfa_required
from accord.core.audit.models import AuditEntry
from accord.core.db import Database
from accord.core.errors import Conflict
from accord.ops.demo import (
    DEMO_ADMIN_EMAIL,
    DEMO_DISPATCHER_EMAIL,
    DEMO_GROUP_NAME,
    DEMO_INVITEE_EMAIL,
    DEMO_MALL_MANAGER_EMAIL,
    DEMO_ORGS,
    DEMO_PEOPLE,
    demo_id,
    person_by_email,
    seed_demo,
    sign_in_rows,
)
from accord.orgs.domain import OrgKind, Role, Sector, VettingState
from accord.orgs.geo import clean_service_area
from accord.orgs.models import Group, Invitation, Organization, Person
from accord.settings import Settings

PORT_CITY = (-121.29, 37.95)  # lon, lat


def _counts(db: Database) -> dict[str, Any]:
    with db.reading() as s:
        return {
            model.__name__: s.scalar(select(func.count()).select_from(model))
            for model in (Organization, Person, Group, Invitation, AuditEntry)
        }


def _km_from_port_city(lon: float, lat: float) -> float:
    east = (lon - PORT_CITY[0]) * 111.32 * math.cos(math.radians(PORT_CITY[1]))
    north = (lat - PORT_CITY[1]) * 111.32
    return math.hypot(east, north)


def test_demo_world_holds_every_partner_with_fixed_ids(
    db: Database, settings: Settings, clock: MutableClock
) -> None:
    assert seed_demo(db, settings, now=clock()) > 0
    with db.reading() as s:
        orgs = {o.name: o for o in s.scalars(select(Organization))}
    assert set(orgs) == {o.name for o in DEMO_ORGS}
    for demo in DEMO_ORGS:
        org = orgs[demo.name]
        assert org.id == demo_id("organization", demo.name) == demo.id
        assert (org.sector, org.kind) == (demo.sector, demo.kind)
        assert org.contacts
        assert org.capabilities
        assert org.service_area == clean_service_area(demo.service_area)
    kinds = {o.kind for o in orgs.values()}
    assert {OrgKind.POLICE, OrgKind.FIRE, OrgKind.EMERGENCY_MANAGEMENT, OrgKind.FUSION_CENTER,
            OrgKind.GUARD_COMPANY, OrgKind.ALARM_MONITORING, OrgKind.BUSINESS, OrgKind.HOSPITAL,
            OrgKind.CRITICAL_INFRASTRUCTURE, OrgKind.CAMPUS} <= kinds  # fmt: skip
    assert orgs["Port City Police Department"].sector is Sector.PUBLIC
    pending = {o.name for o in orgs.values() if o.vetting_state is VettingState.PENDING}
    assert pending == {"Delta Waterfront Hotel", "Ironclad Event Staffing"}


def test_service_areas_are_real_places_around_port_city() -> None:
    for demo in DEMO_ORGS:
        area = shape(demo.service_area)
        assert area.is_valid
        centre = area.centroid
        # Everything but the regional fusion center sits within the county, near the city.
        limit = 120 if demo.kind is OrgKind.FUSION_CENTER else 25
        assert _km_from_port_city(centre.x, centre.y) < limit, demo.name
        assert demo.domain.endswith(".example")  # RFC 2606


def test_demo_people_have_every_role_and_the_dispatcher_needs_no_mfa(
    db: Database, settings: Settings, clock: MutableClock
) -> None:
    seed_demo(db, settings, now=clock())
    with db.reading() as s:
        people = {p.email: p for p in s.scalars(select(Person))}
    assert set(people) == {p.email for p in DEMO_PEOPLE}
    assert Counter(p.role for p in people.values()).keys() == set(Role)
    for persona in DEMO_PEOPLE:
        person = people[persona.email]
        assert person.id == persona.id == demo_id("person", persona.email)
        assert (person.role, person.cji_cleared) == (persona.role, persona.cji_cleared)
        assert person.org_id == persona.org.id
    dispatcher = people[DEMO_DISPATCHER_EMAIL]
    assert dispatcher.role is Role.DISPATCHER
    assert not mfa_required(dispatcher.role.value, dispatcher.cji_cleared, ("platform_admin",))
    assert people[DEMO_ADMIN_EMAIL].role is Role.PLATFORM_ADMIN
    assert any(p.cji_cleared for p in people.values())


def test_retail_council_and_pending_invitation(
    db: Database, settings: Settings, clock: MutableClock
) -> None:
    seed_demo(db, settings, now=clock())
    with db.reading() as s:
        group = s.get_one(Group, demo_id("group", DEMO_GROUP_NAME))
        members = {m.organization.name for m in group.members}
        invitation = s.get_one(Invitation, demo_id("invitation", DEMO_INVITEE_EMAIL))
    assert group.coordinator_id == person_by_email(DEMO_MALL_MANAGER_EMAIL).id
    assert members == {
        "Delta Crossing Mall",
        "Sentinel Patrol Services",
        "Harborline Security",
        "Port City Police Department",
    }
    assert invitation.accepted_at is None
    assert invitation.revoked_at is None
    # Created at a fixed past date, yet still valid when the demo is seeded.
    assert invitation.created_at < clock() < invitation.expires_at


def test_seeding_twice_changes_nothing(
    db: Database, settings: Settings, clock: MutableClock
) -> None:
    seed_demo(db, settings, now=clock())
    before = _counts(db)
    with db.reading() as s:
        actions = Counter(s.scalars(select(AuditEntry.action)))
    clock.advance(days=3)
    assert seed_demo(db, settings, now=clock()) == 0
    assert _counts(db) == before
    assert actions["org.created"] == len(DEMO_ORGS)
    assert actions["person.created"] == len(DEMO_PEOPLE)
    assert actions["org.vetting.changed"] == sum(o.vetted for o in DEMO_ORGS)
    assert actions["group.created"] == 1
    assert actions["person.invited"] == 1


def test_sign_in_table_tells_who_enrols_mfa(
    db: Database, settings: Settings, clock: MutableClock
) -> None:
    seed_demo(db, settings, now=clock())
    rows = {row[0]: row for row in sign_in_rows(db, settings)}
    assert rows[DEMO_DISPATCHER_EMAIL][3] == "password only"
    assert "authenticator at first sign-in" in rows[DEMO_ADMIN_EMAIL][3]
    assert "CJI" in rows["karen.liu@portcitypd.example"][3]
    assert "pending vetting" in rows["nina.petrova@deltawaterfronthotel.example"][3]


def test_a_database_with_other_organizations_is_refused(
    db: Database, settings: Settings, clock: MutableClock
) -> None:
    make_org(db, name="Somewhere Else Sheriff's Office")
    with pytest.raises(Conflict, match="not the demo world"):
        seed_demo(db, settings, now=clock())
