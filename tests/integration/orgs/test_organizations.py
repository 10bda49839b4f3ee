"""Creating organizations, editing their profiles and vetting them, with permissions and audit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from tests.factories import AT, actor_of, make_org, make_person, port_city_police

from accord.core.audit.models import AuditEntry
from accord.core.db import Database
from accord.core.errors import Conflict, Forbidden, Invalid, NotFound
from accord.core.ids import new_id
from accord.orgs import service
from accord.orgs.domain import OrgKind, Role, Sector, VettingState

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}


def audit(db: Database, action: str) -> list[AuditEntry]:
    with db.reading() as s:
        stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
        return list(s.scalars(stmt))


def test_the_console_creates_an_organization_pending_vetting(db: Database) -> None:
    org = service.create_organization(
        db,
        actor=None,
        at=AT,
        name="Port City Police Department",
        sector=Sector.PUBLIC,
        kind=OrgKind.POLICE,
        service_area=SQUARE,
        contacts=[{"name": "Watch commander", "phone": "+1 503 555 0100"}],
        capabilities=["K9", "drone"],
    )
    assert org.vetting_state is VettingState.PENDING
    assert org.short_name == "Port City Police Department"
    assert org.capabilities == ["k9", "drone"]
    (entry,) = audit(db, "org.created")
    assert entry.actor_label == "cli"
    assert entry.target_id == str(org.id)


def test_a_platform_admin_creates_organizations_and_others_may_not(db: Database) -> None:
    office = make_org(db, "Partnership Office")
    admin = make_person(db, office, role=Role.PLATFORM_ADMIN)
    org_admin = make_person(db, office, role=Role.ORG_ADMIN)
    kw: dict[str, Any] = {"at": AT, "sector": Sector.PRIVATE, "kind": OrgKind.BUSINESS}
    made = service.create_organization(db, actor=actor_of(admin), name="Mall", **kw)
    assert made.name == "Mall"
    with pytest.raises(Forbidden):
        service.create_organization(db, actor=actor_of(org_admin), name="Other", **kw)


def test_organization_names_are_unique_in_any_case(db: Database) -> None:
    make_org(db, "Port City Fire Rescue")
    with pytest.raises(Conflict):
        make_org(db, "PORT CITY FIRE RESCUE")


def test_bad_service_area_is_refused_naming_the_field(db: Database) -> None:
    with pytest.raises(Invalid) as caught:
        service.create_organization(
            db,
            actor=None,
            at=AT,
            name="X",
            sector=Sector.PUBLIC,
            kind=OrgKind.FIRE,
            service_area={"type": "Point", "coordinates": [0, 0]},
        )
    assert caught.value.extensions["errors"][0]["field"] == "service_area"


@pytest.mark.parametrize(
    ("role", "own", "allowed"),
    [
        (Role.PLATFORM_ADMIN, False, True),
        (Role.ORG_ADMIN, True, True),
        (Role.ORG_ADMIN, False, False),
        (Role.ANALYST, True, False),
        (Role.DISPATCHER, True, False),
        (Role.FIELD_RESPONDER, True, False),
        (Role.VIEWER, True, False),
    ],
)
def test_who_may_edit_an_organization_profile(
    db: Database, role: Role, own: bool, allowed: bool
) -> None:
    police = port_city_police(db)
    elsewhere = make_org(db, "Elsewhere")
    editor = make_person(db, police if own else elsewhere, role=role)
    change = {"description": "Sworn officers of Port City.", "service_area": SQUARE}
    if allowed:
        org = service.update_organization(
            db, actor=actor_of(editor), at=AT, org_id=police.id, **change
        )
        assert org.description == change["description"]
        assert audit(db, "org.updated")[0].details == {"fields": ["description", "service_area"]}
    else:
        with pytest.raises(Forbidden):
            service.update_organization(
                db, actor=actor_of(editor), at=AT, org_id=police.id, **change
            )


def test_editing_leaves_vetting_alone_and_unsent_fields_as_they_were(db: Database) -> None:
    police = port_city_police(db)
    org = service.update_organization(db, actor=None, at=AT, org_id=police.id, short_name="PPB")
    assert org.short_name == "PPB"
    assert org.name == "Port City Police Department"
    assert org.vetting_state is VettingState.VETTED


def test_an_edit_that_changes_nothing_is_not_audited(db: Database) -> None:
    police = port_city_police(db)
    service.update_organization(db, actor=None, at=AT, org_id=police.id, short_name="PCPD")
    assert audit(db, "org.updated") == []


def test_renaming_onto_another_organizations_name_conflicts(db: Database) -> None:
    police = port_city_police(db)
    make_org(db, "Port City Fire Rescue")
    with pytest.raises(Conflict):
        service.update_organization(
            db, actor=None, at=AT, org_id=police.id, name="port city fire rescue"
        )


def test_unknown_organization_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        service.update_organization(db, actor=None, at=AT, org_id=new_id(), name="x")


def test_an_organization_hidden_from_the_actor_is_not_found(db: Database) -> None:
    police = port_city_police(db)
    pending = make_org(db, "Pending Guards", vetted=False)
    guard_admin = make_person(db, pending, role=Role.ORG_ADMIN)
    with pytest.raises(NotFound):
        service.update_organization(
            db, actor=actor_of(guard_admin, pending), at=AT, org_id=police.id, name="x"
        )


def test_vetting_needs_a_reason(db: Database) -> None:
    org = make_org(db, vetted=False)
    with pytest.raises(Invalid) as caught:
        service.change_vetting(
            db, actor=None, at=AT, org_id=org.id, state=VettingState.VETTED, reason="  "
        )
    assert caught.value.extensions["errors"][0]["field"] == "reason"


def test_vetting_is_audited_with_old_and_new_state_and_reason(db: Database) -> None:
    org = make_org(db, vetted=False)
    changed = service.change_vetting(
        db,
        actor=None,
        at=AT,
        org_id=org.id,
        state=VettingState.SUSPENDED,
        reason="Licence lapsed",
    )
    assert changed.vetting_state is VettingState.SUSPENDED
    assert changed.vetting_reason == "Licence lapsed"
    assert changed.vetting_changed_at == AT
    (entry,) = audit(db, "org.vetting.changed")
    assert entry.details == {"old": "pending", "new": "suspended", "reason": "Licence lapsed"}


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.PLATFORM_ADMIN])
def test_only_platform_admins_vet(db: Database, role: Role) -> None:
    org = make_org(db, vetted=False)
    person = make_person(db, org, role=role)
    with pytest.raises(Forbidden):
        service.change_vetting(
            db,
            actor=actor_of(person),
            at=AT,
            org_id=org.id,
            state=VettingState.VETTED,
            reason="self-vetting",
        )


def test_setting_the_same_vetting_state_again_conflicts(db: Database) -> None:
    org = make_org(db)
    with pytest.raises(Conflict):
        service.change_vetting(
            db, actor=None, at=AT, org_id=org.id, state=VettingState.VETTED, reason="again"
        )
