"""Accounts: creating them, changing roles and CJI clearance, deactivating and reactivating."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.factories import (
    AT,
    DEFAULT_PASSWORD,
    actor_of,
    make_org,
    make_person,
    port_city_fire,
    port_city_police,
)

from accord.auth.models import WebSession
from accord.core.audit.models import AuditEntry
from accord.core.db import Database
from accord.core.errors import Conflict, Forbidden, Invalid, NotFound
from accord.core.ids import new_id
from accord.core.security import PasswordPolicy, verify_password
from accord.orgs import people
from accord.orgs.domain import Role
from accord.orgs.models import Organization, Person


def audit(db: Database, action: str) -> list[AuditEntry]:
    with db.reading() as s:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list(s.scalars(stmt))


def test_the_default_password_passes_the_default_policy() -> None:
    assert PasswordPolicy().problems(DEFAULT_PASSWORD, ("person", "Person 1")) == []


def test_create_person_hashes_with_argon2id_and_lowercases_the_email(db: Database) -> None:
    police = port_city_police(db)
    person = make_person(db, police, email="  Dana.Dispatch@PortCity.gov ")
    assert person.email == "dana.dispatch@portcity.gov"
    assert person.password_hash is not None
    assert person.password_hash.startswith("$argon2id$")
    assert verify_password(person.password_hash, DEFAULT_PASSWORD)
    (entry,) = audit(db, "person.created")
    assert entry.target_id == str(person.id)


def test_a_weak_password_is_refused_with_the_policy_messages(db: Database) -> None:
    police = port_city_police(db)
    with pytest.raises(Invalid) as caught:
        make_person(db, police, password="password")
    fields = {e["field"] for e in caught.value.extensions["errors"]}
    assert fields == {"password"}


def test_one_account_per_email(db: Database) -> None:
    police = port_city_police(db)
    make_person(db, police, email="a@example.org")
    with pytest.raises(Conflict):
        make_person(db, police, email="A@example.org")


def test_only_platform_admins_create_accounts_directly(db: Database) -> None:
    police = port_city_police(db)
    admin = make_person(db, police, role=Role.ORG_ADMIN)
    with pytest.raises(Forbidden):
        people.create_person(
            db,
            actor=actor_of(admin),
            at=AT,
            email="x@example.org",
            display_name="X",
            org_id=police.id,
            role=Role.ANALYST,
            password=DEFAULT_PASSWORD,
        )


# role of the actor, whether the target is in the actor's organization, target role, allowed
CHANGE_ROLE_CASES = [
    (Role.PLATFORM_ADMIN, False, Role.ANALYST, True),
    (Role.ORG_ADMIN, True, Role.ANALYST, True),
    (Role.ORG_ADMIN, True, Role.ORG_ADMIN, True),
    (Role.ANALYST, True, Role.VIEWER, False),
    (Role.DISPATCHER, True, Role.VIEWER, False),
    (Role.FIELD_RESPONDER, True, Role.VIEWER, False),
    (Role.VIEWER, True, Role.VIEWER, False),
]


@pytest.mark.parametrize(("role", "same_org", "target_role", "allowed"), CHANGE_ROLE_CASES)
def test_who_may_change_a_role(
    db: Database, role: Role, same_org: bool, target_role: Role, allowed: bool
) -> None:
    police, fire = port_city_police(db), port_city_fire(db)
    actor = make_person(db, police if same_org else fire, role=role)
    target = make_person(db, police, role=target_role)
    if allowed:
        changed = people.change_role(
            db, actor=actor_of(actor), at=AT, person_id=target.id, role=Role.DISPATCHER
        )
        assert changed.role is Role.DISPATCHER
        (entry,) = audit(db, "person.role.changed")
        assert entry.details == {"old": target_role.value, "new": "dispatcher"}
    else:
        with pytest.raises(Forbidden):
            people.change_role(
                db, actor=actor_of(actor), at=AT, person_id=target.id, role=Role.DISPATCHER
            )


def test_an_org_admin_of_another_organization_does_not_find_the_person(db: Database) -> None:
    police, fire = port_city_police(db), port_city_fire(db)
    fire_admin = make_person(db, fire, role=Role.ORG_ADMIN)
    officer = make_person(db, police)
    with pytest.raises(NotFound):
        people.change_role(
            db, actor=actor_of(fire_admin), at=AT, person_id=officer.id, role=Role.VIEWER
        )
    with pytest.raises(NotFound):
        people.deactivate_person(db, actor=actor_of(fire_admin), at=AT, person_id=officer.id)


def test_an_org_admin_may_not_make_a_platform_admin(db: Database) -> None:
    police = port_city_police(db)
    admin = make_person(db, police, role=Role.ORG_ADMIN)
    analyst = make_person(db, police)
    with pytest.raises(Forbidden):
        people.change_role(
            db, actor=actor_of(admin), at=AT, person_id=analyst.id, role=Role.PLATFORM_ADMIN
        )


def test_an_org_admin_may_not_touch_a_platform_admin_of_their_organization(
    db: Database,
) -> None:
    office = make_org(db, "Office")
    admin = make_person(db, office, role=Role.ORG_ADMIN)
    platform = make_person(db, office, role=Role.PLATFORM_ADMIN)
    with pytest.raises(Forbidden):
        people.deactivate_person(db, actor=actor_of(admin), at=AT, person_id=platform.id)


def test_nobody_changes_their_own_role_or_deactivates_themselves(db: Database) -> None:
    police = port_city_police(db)
    admin = make_person(db, police, role=Role.ORG_ADMIN)
    with pytest.raises(Conflict):
        people.change_role(db, actor=actor_of(admin), at=AT, person_id=admin.id, role=Role.VIEWER)
    with pytest.raises(Conflict):
        people.deactivate_person(db, actor=actor_of(admin), at=AT, person_id=admin.id)
    with pytest.raises(Conflict):
        people.set_cji_clearance(db, actor=actor_of(admin), at=AT, person_id=admin.id, cleared=True)


def test_the_last_platform_admin_stays(db: Database) -> None:
    office = make_org(db, "Office")
    only = make_person(db, office, role=Role.PLATFORM_ADMIN)
    with pytest.raises(Conflict):
        people.change_role(db, actor=None, at=AT, person_id=only.id, role=Role.ORG_ADMIN)
    with pytest.raises(Conflict):
        people.deactivate_person(db, actor=None, at=AT, person_id=only.id)
    second = make_person(db, office, role=Role.PLATFORM_ADMIN)
    people.deactivate_person(db, actor=actor_of(second), at=AT, person_id=only.id)


@pytest.mark.parametrize(("role", "allowed"), [(Role.ORG_ADMIN, True), (Role.ANALYST, False)])
def test_who_may_set_cji_clearance(db: Database, role: Role, allowed: bool) -> None:
    police = port_city_police(db)
    actor = make_person(db, police, role=role)
    officer = make_person(db, police)
    if not allowed:
        with pytest.raises(Forbidden):
            people.set_cji_clearance(
                db, actor=actor_of(actor), at=AT, person_id=officer.id, cleared=True
            )
        return
    cleared = people.set_cji_clearance(
        db, actor=actor_of(actor), at=AT, person_id=officer.id, cleared=True
    )
    assert cleared.cji_cleared is True
    (entry,) = audit(db, "person.cji_clearance.changed")
    assert entry.details == {"old": False, "new": True}


def _sessions(db: Database, person: Person, count: int) -> None:
    with db.transaction() as s:
        for i in range(count):
            s.add(
                WebSession(
                    token_hash=f"{person.id.hex}{i:032d}",
                    person_id=person.id,
                    csrf_token="x",
                    created_at=AT,
                    last_seen_at=AT,
                    expires_at=AT + timedelta(hours=12),
                )
            )


def test_deactivation_keeps_the_row_ends_sessions_and_is_audited(db: Database) -> None:
    police = port_city_police(db)
    admin = make_person(db, police, role=Role.ORG_ADMIN)
    officer = make_person(db, police)
    _sessions(db, officer, 2)
    later = AT + timedelta(days=1)
    done = people.deactivate_person(db, actor=actor_of(admin), at=later, person_id=officer.id)
    assert done.is_active is False
    assert done.deactivated_at == later
    with db.reading() as s:
        row = s.get_one(Person, officer.id)
        assert row.email == officer.email
        ended = list(s.scalars(select(WebSession).where(WebSession.person_id == officer.id)))
    assert [(w.ended_at, w.end_reason) for w in ended] == [(later, "deactivated")] * 2
    (entry,) = audit(db, "person.deactivated")
    assert entry.details == {"sessions_ended": 2}
    assert audit(db, "person.created")[-1].target_id == str(officer.id)


def test_deactivating_twice_conflicts_and_reactivation_restores(db: Database) -> None:
    police = port_city_police(db)
    officer = make_person(db, police, role=Role.DISPATCHER, cji_cleared=True)
    people.deactivate_person(db, actor=None, at=AT, person_id=officer.id)
    with pytest.raises(Conflict):
        people.deactivate_person(db, actor=None, at=AT, person_id=officer.id)
    back = people.reactivate_person(db, actor=None, at=AT, person_id=officer.id)
    assert (back.is_active, back.deactivated_at, back.role, back.cji_cleared) == (
        True,
        None,
        Role.DISPATCHER,
        True,
    )
    with pytest.raises(Conflict):
        people.reactivate_person(db, actor=None, at=AT, person_id=officer.id)
    assert len(audit(db, "person.reactivated")) == 1


def test_unknown_people_are_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        people.deactivate_person(db, actor=None, at=AT, person_id=new_id())


def test_creating_in_an_unknown_organization_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        make_person(db, Organization(id=new_id()))
