"""Tests for the pure rules of accord.orgs.domain: permissions, the directory, invitations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.orgs.domain import (
    PERMISSIONS,
    Actor,
    InvitationState,
    Permission,
    Role,
    can,
    can_edit_organization,
    can_manage_group,
    can_manage_people_of,
    can_manage_person,
    can_see_group,
    can_see_organization,
    can_see_people_of,
    invitation_state,
    roles_assignable_by,
    sees_whole_directory,
)

OWN, OTHER = "org-own", "org-other"
ADMINS = (Role.PLATFORM_ADMIN, Role.ORG_ADMIN)
STAFF = (Role.ANALYST, Role.DISPATCHER, Role.FIELD_RESPONDER, Role.VIEWER)


def actor(role: Role, *, vetted: bool = True, person: str = "p1") -> Actor:
    return Actor(person_id=person, org_id=OWN, role=role, org_vetted=vetted)


def test_every_role_has_an_entry_in_the_permission_table() -> None:
    assert set(PERMISSIONS) == set(Role)


def test_platform_admin_holds_every_permission() -> None:
    assert PERMISSIONS[Role.PLATFORM_ADMIN] == frozenset(Permission)


@pytest.mark.parametrize("role", list(Role))
def test_can_follows_the_table(role: Role) -> None:
    for permission in Permission:
        assert can(actor(role), permission) is (permission in PERMISSIONS[role])


@pytest.mark.parametrize("role", STAFF)
def test_staff_manage_nobody(role: Role) -> None:
    assert not can_manage_person(actor(role), OWN, Role.VIEWER)
    assert not can_manage_people_of(actor(role), OWN)
    assert roles_assignable_by(actor(role)) == ()


def test_org_admin_manages_own_people_but_not_platform_admins_or_outsiders() -> None:
    admin = actor(Role.ORG_ADMIN)
    assert can_manage_person(admin, OWN, Role.ANALYST)
    assert can_manage_person(admin, OWN, Role.ORG_ADMIN)
    assert not can_manage_person(admin, OWN, Role.PLATFORM_ADMIN)
    assert not can_manage_person(admin, OTHER, Role.ANALYST)
    assert can_manage_people_of(admin, OWN)
    assert not can_manage_people_of(admin, OTHER)


def test_only_a_platform_admin_assigns_the_platform_admin_role() -> None:
    assert Role.PLATFORM_ADMIN in roles_assignable_by(actor(Role.PLATFORM_ADMIN))
    assert Role.PLATFORM_ADMIN not in roles_assignable_by(actor(Role.ORG_ADMIN))
    assert set(roles_assignable_by(actor(Role.ORG_ADMIN))) == set(Role) - {Role.PLATFORM_ADMIN}


@pytest.mark.parametrize("role", list(Role))
def test_editing_an_organization_needs_its_admin_or_the_platform(role: Role) -> None:
    a = actor(role)
    assert can_edit_organization(a, OWN) is (role in ADMINS)
    assert can_edit_organization(a, OTHER) is (role is Role.PLATFORM_ADMIN)


@pytest.mark.parametrize("role", list(Role))
def test_members_of_vetted_organizations_see_the_whole_directory(role: Role) -> None:
    assert sees_whole_directory(actor(role))
    assert can_see_organization(actor(role), OTHER)


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.PLATFORM_ADMIN])
def test_members_of_unvetted_organizations_see_only_their_own(role: Role) -> None:
    a = actor(role, vetted=False)
    assert not sees_whole_directory(a)
    assert can_see_organization(a, OWN)
    assert not can_see_organization(a, OTHER)
    assert can_see_group(a, [OWN, OTHER])
    assert not can_see_group(a, [OTHER])


def test_platform_admins_see_everything_even_from_an_unvetted_organization() -> None:
    a = actor(Role.PLATFORM_ADMIN, vetted=False)
    assert sees_whole_directory(a)
    assert can_see_people_of(a, OTHER)


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.PLATFORM_ADMIN])
def test_people_are_visible_within_ones_own_organization_only(role: Role) -> None:
    assert can_see_people_of(actor(role), OWN)
    assert not can_see_people_of(actor(role), OTHER)


def test_a_group_is_managed_by_its_coordinator_or_a_platform_admin() -> None:
    assert can_manage_group(actor(Role.ANALYST, person="c"), "c")
    assert not can_manage_group(actor(Role.ORG_ADMIN, person="x"), "c")
    assert not can_manage_group(actor(Role.ORG_ADMIN, person="x"), None)
    assert can_manage_group(actor(Role.PLATFORM_ADMIN), None)


T0 = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


def test_invitation_states() -> None:
    expires = T0 + timedelta(hours=72)
    kw = {"accepted_at": None, "revoked_at": None, "expires_at": expires}
    assert invitation_state(**kw, at=T0) is InvitationState.PENDING
    assert invitation_state(**kw, at=expires) is InvitationState.EXPIRED
    assert invitation_state(**{**kw, "accepted_at": T0}, at=T0) is InvitationState.ACCEPTED
    assert invitation_state(**{**kw, "revoked_at": T0}, at=T0) is InvitationState.REVOKED


@given(
    accepted=st.booleans(),
    revoked=st.booleans(),
    hours=st.integers(min_value=-500, max_value=500),
)
def test_a_used_or_revoked_invitation_never_becomes_pending(
    accepted: bool, revoked: bool, hours: int
) -> None:
    state = invitation_state(
        accepted_at=T0 if accepted else None,
        revoked_at=T0 if revoked else None,
        expires_at=T0 + timedelta(hours=72),
        at=T0 + timedelta(hours=hours),
    )
    if accepted or revoked:
        assert state in (InvitationState.ACCEPTED, InvitationState.REVOKED)
    else:
        assert (state is InvitationState.PENDING) is (hours < 72)
