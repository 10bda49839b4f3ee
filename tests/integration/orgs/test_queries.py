"""Reads of the directory: filters, cursor pagination and who sees what."""

from __future__ import annotations

import pytest
from tests.factories import (
    AT,
    actor_of,
    harbour_mall,
    make_org,
    make_person,
    port_city_fire,
    port_city_police,
)

from accord.core.db import Database
from accord.core.errors import Forbidden, Invalid, NotFound
from accord.orgs import groups, invitations, people, queries
from accord.orgs.domain import OrgKind, Role, Sector, VettingState


def names(items: list) -> list[str]:
    return [getattr(i, "name", None) or i.display_name for i in items]


def test_organizations_are_listed_by_name_across_pages(db: Database) -> None:
    for name in ["Delta", "alpha", "Charlie", "Bravo", "Echo"]:
        make_org(db, name)
    seen: list[str] = []
    cursor = None
    with db.reading() as s:
        while True:
            page = queries.list_organizations(s, actor=None, cursor=cursor, limit=2)
            seen += names(page.items)
            assert page.limit == 2
            cursor = page.next_cursor
            if cursor is None:
                break
    assert seen == ["Bravo", "Charlie", "Delta", "Echo", "alpha"]


def test_filters_and_case_insensitive_search(db: Database) -> None:
    port_city_police(db)
    port_city_fire(db)
    harbour_mall(db)
    make_org(
        db, "Port 100%_Guards", vetted=False, sector=Sector.PRIVATE, kind=OrgKind.GUARD_COMPANY
    )
    with db.reading() as s:
        assert names(queries.list_organizations(s, actor=None, q="PORT CITY").items) == [
            "Port City Fire Rescue",
            "Port City Police Department",
        ]
        assert names(queries.list_organizations(s, actor=None, q="0%_").items) == [
            "Port 100%_Guards"
        ]
        assert names(queries.list_organizations(s, actor=None, q="%").items) == ["Port 100%_Guards"]
        private = queries.list_organizations(s, actor=None, sector=Sector.PRIVATE).items
        assert names(private) == ["Harbour Point Mall Security", "Port 100%_Guards"]
        fire = queries.list_organizations(s, actor=None, kind=OrgKind.FIRE).items
        assert names(fire) == ["Port City Fire Rescue"]
        pending = queries.list_organizations(s, actor=None, vetting_state=VettingState.PENDING)
        assert names(pending.items) == ["Port 100%_Guards"]


def test_a_tampered_cursor_is_invalid(db: Database) -> None:
    with db.reading() as s, pytest.raises(Invalid):
        queries.list_organizations(s, actor=None, cursor="garbage!")


def test_members_of_an_unvetted_organization_see_only_their_own(db: Database) -> None:
    port_city_police(db)
    pending = make_org(db, "Pending Guards", vetted=False)
    guard = make_person(db, pending)
    actor = actor_of(guard, pending)
    with db.reading() as s:
        assert names(queries.list_organizations(s, actor=actor).items) == ["Pending Guards"]
        police_id = queries.list_organizations(s, actor=None, q="police").items[0].id
        with pytest.raises(NotFound):
            queries.get_organization(s, actor=actor, org_id=police_id)
        assert queries.get_organization(s, actor=actor, org_id=pending.id).name == pending.name


def test_people_lists_are_own_organization_only_and_platform_admins_see_all(
    db: Database,
) -> None:
    police, fire = port_city_police(db), port_city_fire(db)
    officer = make_person(db, police, name="Olu Officer")
    make_person(db, police, name="Ada Analyst")
    firefighter = make_person(db, fire, name="Fay Fire")
    admin = make_person(db, make_org(db, "Office"), role=Role.PLATFORM_ADMIN, name="Pat Admin")
    with db.reading() as s:
        mine = queries.list_people(s, actor=actor_of(officer))
        assert names(mine.items) == ["Ada Analyst", "Olu Officer"]
        theirs = queries.list_people(s, actor=actor_of(officer), org_id=fire.id)
        assert theirs.items == []
        everyone = queries.list_people(s, actor=actor_of(admin))
        assert names(everyone.items) == ["Ada Analyst", "Fay Fire", "Olu Officer", "Pat Admin"]
        with pytest.raises(NotFound):
            queries.get_person(s, actor=actor_of(officer), person_id=firefighter.id)
        assert queries.get_person(s, actor=actor_of(admin), person_id=firefighter.id)


def test_only_managers_see_deactivated_colleagues(db: Database) -> None:
    police = port_city_police(db)
    officer = make_person(db, police, name="Olu")
    admin = make_person(db, police, role=Role.ORG_ADMIN, name="Ann")
    gone = make_person(db, police, name="Gus")
    people.deactivate_person(db, actor=None, at=AT, person_id=gone.id)
    with db.reading() as s:
        assert names(queries.list_people(s, actor=actor_of(officer), active=False).items) == []
        assert names(queries.list_people(s, actor=actor_of(admin), active=False).items) == ["Gus"]
        with pytest.raises(NotFound):
            queries.get_person(s, actor=actor_of(officer), person_id=gone.id)
        assert not queries.get_person(s, actor=actor_of(admin), person_id=gone.id).is_active


def test_people_filters(db: Database) -> None:
    police = port_city_police(db)
    make_person(db, police, name="Dan Dispatch", role=Role.DISPATCHER)
    make_person(db, police, name="Ada Analyst")
    with db.reading() as s:
        dispatchers = queries.list_people(s, actor=None, role=Role.DISPATCHER)
        assert names(dispatchers.items) == ["Dan Dispatch"]
        assert names(queries.list_people(s, actor=None, q="ANALYST").items) == ["Ada Analyst"]
        assert queries.list_people(s, actor=None, org_id=police.id, active=True).items


def test_groups_are_visible_to_the_directory_and_to_their_members(db: Database) -> None:
    mall = harbour_mall(db)
    coordinator = make_person(db, mall, role=Role.ORG_ADMIN)
    group = groups.create_group(db, actor=actor_of(coordinator), at=AT, name="Council")
    groups.create_group(db, actor=None, at=AT, name="Another")
    officer = make_person(db, port_city_police(db))
    pending = make_org(db, "Pending", vetted=False)
    outsider = make_person(db, pending)
    with db.reading() as s:
        assert names(queries.list_groups(s, actor=actor_of(officer)).items) == [
            "Another",
            "Council",
        ]
        assert names(queries.list_groups(s, actor=None, org_id=mall.id).items) == ["Council"]
        assert queries.list_groups(s, actor=actor_of(outsider, pending)).items == []
        with pytest.raises(NotFound):
            queries.get_group(s, actor=actor_of(outsider, pending), group_id=group.id)
        found = queries.get_group(s, actor=actor_of(officer), group_id=group.id)
        assert [m.organization.name for m in found.members] == [mall.name]


def test_invitations_are_listed_newest_first_for_their_admins(db: Database) -> None:
    police, fire = port_city_police(db), port_city_fire(db)
    admin = make_person(db, police, role=Role.ORG_ADMIN)
    analyst = make_person(db, police)
    fire_admin = make_person(db, fire, role=Role.ORG_ADMIN)
    for hour, email in enumerate(["a@x.org", "b@x.org", "c@x.org"]):
        invitations.invite_person(
            db,
            actor=None,
            at=AT.replace(hour=hour),
            org_id=police.id,
            email=email,
            role=Role.ANALYST,
            public_url="http://x",
        )
    with db.reading() as s:
        page = queries.list_invitations(s, actor=actor_of(admin), org_id=police.id, limit=2)
        assert [i.email for i in page.items] == ["c@x.org", "b@x.org"]
        rest = queries.list_invitations(
            s, actor=actor_of(admin), org_id=police.id, cursor=page.next_cursor
        )
        assert [i.email for i in rest.items] == ["a@x.org"]
        with pytest.raises(Forbidden):
            queries.list_invitations(s, actor=actor_of(analyst), org_id=police.id)
        with pytest.raises(Forbidden):
            queries.list_invitations(s, actor=actor_of(fire_admin), org_id=police.id)
        with pytest.raises(NotFound):
            queries.get_invitation(s, actor=actor_of(fire_admin), invitation_id=page.items[0].id)
