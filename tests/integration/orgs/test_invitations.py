"""Invitations: who may invite, the single-use link, expiry, revocation and racing accepts."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tests.factories import (
    AT,
    DEFAULT_PASSWORD,
    actor_of,
    make_org,
    make_person,
    port_city_fire,
    port_city_police,
)

from accord.core.audit.models import AuditEntry
from accord.core.db import Database
from accord.core.errors import AccordError, Conflict, Forbidden, Invalid, NotFound
from accord.core.security import digest, verify_password
from accord.orgs import invitations
from accord.orgs.domain import Role
from accord.orgs.invitations import INVALID_LINK, IssuedInvitation
from accord.orgs.models import Invitation, Organization, Person
from accord.orgs.people import deactivate_person

URL = "https://accord.portcity.example"


def invite(
    db: Database, org: Organization, email: str = "New.Officer@PortCity.gov", **kw: object
) -> IssuedInvitation:
    kw.setdefault("actor", None)
    kw.setdefault("role", Role.ANALYST)
    return invitations.invite_person(
        db,
        at=AT,
        org_id=org.id,
        email=email,
        public_url=URL,
        **kw,  # type: ignore[arg-type]
    )


def accept(db: Database, secret: str, **kw: object) -> Person:
    kw.setdefault("at", AT + timedelta(hours=1))
    return invitations.accept_invitation(
        db,
        secret=secret,
        display_name="Nia Officer",
        password=DEFAULT_PASSWORD,
        **kw,  # type: ignore[arg-type]
    )


def count(db: Database, action: str) -> int:
    with db.reading() as s:
        return int(
            s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
            )
            or 0
        )


def test_an_invitation_stores_only_the_hash_and_returns_the_link_once(db: Database) -> None:
    issued = invite(db, port_city_police(db), cji_cleared=True)
    assert issued.link == f"{URL}/invitations/{issued.secret}"
    assert issued.invitation.email == "new.officer@portcity.gov"
    assert issued.invitation.token_hash == digest(issued.secret)
    assert issued.invitation.expires_at == AT + timedelta(hours=72)
    with db.reading() as s:
        row = s.get_one(Invitation, issued.invitation.id)
    assert issued.secret not in (row.token_hash, row.email)
    assert count(db, "person.invited") == 1


def test_accepting_creates_the_account_with_the_invited_role_and_clearance(
    db: Database,
) -> None:
    police = port_city_police(db)
    issued = invite(db, police, role=Role.DISPATCHER, cji_cleared=True)
    person = accept(db, issued.secret)
    assert (person.org_id, person.role, person.cji_cleared) == (police.id, Role.DISPATCHER, True)
    assert person.email == "new.officer@portcity.gov"
    assert person.display_name == "Nia Officer"
    assert verify_password(person.password_hash, DEFAULT_PASSWORD)
    assert count(db, "invitation.accepted") == 1
    with db.reading() as s:
        assert s.get_one(Invitation, issued.invitation.id).accepted_at == AT + timedelta(hours=1)


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
def test_who_may_invite(db: Database, role: Role, own: bool, allowed: bool) -> None:
    police, fire = port_city_police(db), port_city_fire(db)
    inviter = make_person(db, police if own else fire, role=role)
    if allowed:
        assert invite(db, police, actor=actor_of(inviter)).invitation.invited_by_id == inviter.id
    else:
        with pytest.raises(Forbidden):
            invite(db, police, actor=actor_of(inviter))


def test_an_org_admin_may_not_invite_a_platform_admin(db: Database) -> None:
    police = port_city_police(db)
    admin = make_person(db, police, role=Role.ORG_ADMIN)
    with pytest.raises(Forbidden):
        invite(db, police, actor=actor_of(admin), role=Role.PLATFORM_ADMIN)


def test_no_invitation_for_an_existing_account_or_a_live_invitation(db: Database) -> None:
    police = port_city_police(db)
    taken = make_person(db, police)
    with pytest.raises(Conflict):
        invite(db, police, email=taken.email.upper())
    deactivate_person(db, actor=None, at=AT, person_id=taken.id)
    with pytest.raises(Conflict, match="deactivated"):
        invite(db, police, email=taken.email)
    invite(db, police, email="fresh@example.org")
    with pytest.raises(Conflict):
        invite(db, port_city_fire(db), email="FRESH@example.org")


def test_an_expired_invitation_may_be_sent_again(db: Database) -> None:
    police = port_city_police(db)
    invite(db, police, email="late@example.org")
    again = invitations.invite_person(
        db,
        actor=None,
        at=AT + timedelta(hours=73),
        org_id=police.id,
        email="late@example.org",
        role=Role.VIEWER,
        public_url=URL,
    )
    assert again.invitation.role is Role.VIEWER


def _reason(db: Database, secret: str, at_hours: float = 1) -> str:
    with pytest.raises(NotFound) as caught:
        invitations.find_invitation_by_secret(db, secret=secret, at=AT + timedelta(hours=at_hours))
    assert caught.value.detail == INVALID_LINK
    reason: str = caught.value.extensions["reason"]
    return reason


def test_a_link_is_single_use(db: Database) -> None:
    issued = invite(db, port_city_police(db))
    accept(db, issued.secret)
    with pytest.raises(NotFound) as caught:
        accept(db, issued.secret)
    assert caught.value.detail == INVALID_LINK
    assert caught.value.extensions["reason"] == "accepted"
    assert "sign in" in caught.value.extensions["explanation"]


def test_unknown_expired_used_and_revoked_links_give_the_same_message(db: Database) -> None:
    police = port_city_police(db)
    used, expired, revoked = (invite(db, police, email=f"{n}@example.org") for n in "abc")
    accept(db, used.secret)
    invitations.revoke_invitation(db, actor=None, at=AT, invitation_id=revoked.invitation.id)
    assert _reason(db, "not-a-real-secret") == "unknown"
    assert _reason(db, used.secret) == "accepted"
    assert _reason(db, expired.secret, at_hours=72) == "expired"
    assert _reason(db, revoked.secret) == "revoked"


def test_an_expired_link_cannot_be_accepted(db: Database) -> None:
    issued = invite(db, port_city_police(db))
    with pytest.raises(NotFound, match="cannot be used") as caught:
        accept(db, issued.secret, at=AT + timedelta(hours=72, seconds=1))
    assert "expired" in caught.value.extensions["explanation"]
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0


def test_a_weak_password_leaves_the_link_usable(db: Database) -> None:
    issued = invite(db, port_city_police(db))
    with pytest.raises(Invalid) as caught:
        invitations.accept_invitation(
            db, secret=issued.secret, display_name="Nia", password="short", at=AT
        )
    assert caught.value.extensions["errors"][0]["field"] == "password"
    assert accept(db, issued.secret).is_active


def test_revocation_rules(db: Database) -> None:
    police, fire = port_city_police(db), port_city_fire(db)
    issued = invite(db, police)
    fire_admin = make_person(db, fire, role=Role.ORG_ADMIN)
    analyst = make_person(db, police)
    for outsider in (fire_admin, analyst):
        with pytest.raises(NotFound):
            invitations.revoke_invitation(
                db, actor=actor_of(outsider), at=AT, invitation_id=issued.invitation.id
            )
    admin = make_person(db, police, role=Role.ORG_ADMIN)
    revoked = invitations.revoke_invitation(
        db, actor=actor_of(admin), at=AT, invitation_id=issued.invitation.id
    )
    assert revoked.revoked_at == AT
    with pytest.raises(Conflict):
        invitations.revoke_invitation(
            db, actor=actor_of(admin), at=AT, invitation_id=issued.invitation.id
        )
    assert count(db, "invitation.revoked") == 1


def test_two_concurrent_accepts_create_exactly_one_account(db: Database) -> None:
    issued = invite(db, make_org(db))
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def run(name: str) -> None:
        barrier.wait()
        try:
            outcomes.append(
                invitations.accept_invitation(
                    db, secret=issued.secret, display_name=name, password=DEFAULT_PASSWORD, at=AT
                )
            )
        except AccordError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in ("First", "Second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    people = [o for o in outcomes if isinstance(o, Person)]
    refused = [o for o in outcomes if isinstance(o, AccordError)]
    assert len(people) == 1
    assert len(refused) == 1
    assert isinstance(refused[0], NotFound)
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1
    assert count(db, "invitation.accepted") == 1


def test_an_account_made_meanwhile_wins_over_the_invitation(db: Database) -> None:
    police = port_city_police(db)
    issued = invite(db, police, email="race@example.org")
    make_person(db, police, email="race@example.org")
    with pytest.raises(Conflict):
        accept(db, issued.secret)
    # The whole acceptance rolled back: the link is not spent by a failed attempt.
    with db.reading() as s:
        assert s.get_one(Invitation, issued.invitation.id).accepted_at is None
