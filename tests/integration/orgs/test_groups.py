"""Groups: creating them, choosing the coordinator, adding and removing member organizations."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.factories import (
    AT,
    actor_of,
    harbour_mall,
    make_org,
    make_person,
    port_city_fire,
    port_city_police,
)

from accord.core.audit.models import AuditEntry
from accord.core.db import Database
from accord.core.errors import Conflict, Forbidden, NotFound
from accord.orgs import groups
from accord.orgs.domain import Role
from accord.orgs.models import Group, Organization, Person

Council = tuple[Group, Person, Organization]


def actions(db: Database) -> list[str]:
    with db.reading() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_the_creator_coordinates_and_their_organization_is_the_first_member(db: Database) -> None:
    mall = harbour_mall(db)
    manager = make_person(db, mall, role=Role.ORG_ADMIN)
    group = groups.create_group(
        db, actor=actor_of(manager), at=AT, name="Downtown Retail Security Council"
    )
    assert group.coordinator_id == manager.id
    assert [m.org_id for m in group.members] == [mall.id]
    assert "group.created" in actions(db)


@pytest.mark.parametrize("role", [Role.ANALYST, Role.DISPATCHER, Role.FIELD_RESPONDER, Role.VIEWER])
def test_roles_without_create_groups_may_not_create_one(db: Database, role: Role) -> None:
    person = make_person(db, port_city_police(db), role=role)
    with pytest.raises(Forbidden):
        groups.create_group(db, actor=actor_of(person), at=AT, name="Council")


def test_group_names_are_unique(db: Database) -> None:
    groups.create_group(db, actor=None, at=AT, name="Council")
    with pytest.raises(Conflict):
        groups.create_group(db, actor=None, at=AT, name="council")


@pytest.fixture
def council(db: Database) -> Council:
    mall = harbour_mall(db)
    coordinator = make_person(db, mall, role=Role.ORG_ADMIN, name="Mia Mall")
    group = groups.create_group(db, actor=actor_of(coordinator), at=AT, name="Council")
    return group, coordinator, mall


def test_the_coordinator_adds_and_removes_members(db: Database, council: Council) -> None:
    group, coordinator, _ = council
    police = port_city_police(db)
    added = groups.add_group_member(
        db, actor=actor_of(coordinator), at=AT, group_id=group.id, org_id=police.id
    )
    assert {m.org_id for m in added.members} == {police.id, coordinator.org_id}
    removed = groups.remove_group_member(
        db, actor=actor_of(coordinator), at=AT, group_id=group.id, org_id=police.id
    )
    assert [m.org_id for m in removed.members] == [coordinator.org_id]
    assert actions(db)[-2:] == ["group.member.added", "group.member.removed"]


@pytest.mark.parametrize("role", [Role.ORG_ADMIN, Role.ANALYST])
def test_others_may_not_manage_membership(db: Database, council: Council, role: Role) -> None:
    group, _, mall = council
    police = port_city_police(db)
    outsider = make_person(db, police, role=role)
    colleague = make_person(db, mall, role=role)
    for person in (outsider, colleague):
        with pytest.raises(Forbidden):
            groups.add_group_member(
                db, actor=actor_of(person), at=AT, group_id=group.id, org_id=police.id
            )


def test_a_platform_admin_manages_any_group(db: Database, council: Council) -> None:
    group, _, _ = council
    admin = make_person(db, make_org(db, "Office"), role=Role.PLATFORM_ADMIN)
    fire = port_city_fire(db)
    updated = groups.add_group_member(
        db, actor=actor_of(admin), at=AT, group_id=group.id, org_id=fire.id
    )
    assert fire.id in {m.org_id for m in updated.members}


def test_only_vetted_organizations_join(db: Database, council: Council) -> None:
    group, coordinator, _ = council
    pending = make_org(db, "New Guards Ltd", vetted=False)
    with pytest.raises(Conflict):
        groups.add_group_member(
            db, actor=actor_of(coordinator), at=AT, group_id=group.id, org_id=pending.id
        )
    with pytest.raises(Conflict):
        groups.add_group_member(db, actor=None, at=AT, group_id=group.id, org_id=pending.id)


def test_adding_a_member_twice_conflicts(db: Database, council: Council) -> None:
    group, coordinator, mall = council
    with pytest.raises(Conflict):
        groups.add_group_member(
            db, actor=actor_of(coordinator), at=AT, group_id=group.id, org_id=mall.id
        )


def test_the_coordinators_own_organization_cannot_be_removed(
    db: Database, council: Council
) -> None:
    group, coordinator, mall = council
    with pytest.raises(Conflict):
        groups.remove_group_member(
            db, actor=actor_of(coordinator), at=AT, group_id=group.id, org_id=mall.id
        )


def test_removing_a_non_member_is_not_found(db: Database, council: Council) -> None:
    group, coordinator, _ = council
    police = port_city_police(db)
    with pytest.raises(NotFound):
        groups.remove_group_member(
            db, actor=actor_of(coordinator), at=AT, group_id=group.id, org_id=police.id
        )


def test_the_coordinator_hands_over_to_someone_of_a_member_organization(
    db: Database, council: Council
) -> None:
    group, coordinator, _ = council
    police = port_city_police(db)
    sergeant = make_person(db, police, role=Role.ANALYST)
    with pytest.raises(Conflict):
        groups.set_group_coordinator(
            db, actor=actor_of(coordinator), at=AT, group_id=group.id, person_id=sergeant.id
        )
    groups.add_group_member(
        db, actor=actor_of(coordinator), at=AT, group_id=group.id, org_id=police.id
    )
    handed = groups.set_group_coordinator(
        db, actor=actor_of(coordinator), at=AT, group_id=group.id, person_id=sergeant.id
    )
    assert handed.coordinator_id == sergeant.id
    with pytest.raises(Forbidden):
        groups.add_group_member(
            db, actor=actor_of(coordinator), at=AT, group_id=group.id, org_id=police.id
        )


def test_a_group_hidden_from_an_unvetted_member_is_not_found(
    db: Database, council: Council
) -> None:
    group, _, _ = council
    pending = make_org(db, "Pending Org", vetted=False)
    admin = make_person(db, pending, role=Role.ORG_ADMIN)
    with pytest.raises(NotFound):
        groups.update_group(
            db, actor=actor_of(admin, pending), at=AT, group_id=group.id, name="Mine"
        )


def test_the_coordinator_renames_the_group(db: Database, council: Council) -> None:
    group, coordinator, _ = council
    renamed = groups.update_group(
        db, actor=actor_of(coordinator), at=AT, group_id=group.id, name="Harbour Council"
    )
    assert renamed.name == "Harbour Council"
    assert actions(db)[-1] == "group.updated"
