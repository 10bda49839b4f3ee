"""Administrators over the API: releasing a locked account, clearing a lost authenticator."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.factories import DEFAULT_PASSWORD, harbour_mall, make_person, token_for

from accord.auth import service
from accord.auth.service import TOTP_CONTEXT
from accord.core.db import Database
from accord.core.errors import Unauthorized
from accord.core.security import FieldCipher, new_totp_secret
from accord.orgs.domain import Role
from accord.orgs.models import Organization, Person
from accord.settings import Settings

if TYPE_CHECKING:
    from starlette.testclient import TestClient
    from tests.conftest import MutableClock

PROBLEM = "application/problem+json"


def _lock(db: Database, settings: Settings, person: Person, clock: MutableClock) -> None:
    quick = settings.model_copy(update={"lockout_attempts": 1})
    with pytest.raises(Unauthorized):
        service.sign_in(db, quick, email=person.email, password="not it at all", at=clock())


def _locked_at(db: Database, person: Person) -> object:
    with db.reading() as s:
        return s.get_one(Person, person.id).locked_at


def test_an_org_admin_releases_a_locked_colleague(
    client: TestClient,
    db: Database,
    settings: Settings,
    clock: MutableClock,
    org: Organization,
    person: Person,
) -> None:
    admin = make_person(db, org, role=Role.ORG_ADMIN)
    _lock(db, settings, person, clock)
    headers = {"authorization": f"Bearer {token_for(db, admin, ['people:write'])}"}

    response = client.post(f"/api/v1/auth/people/{person.id}/release-lock", headers=headers)

    assert response.status_code == 200
    assert response.json() == {"status": "released"}
    assert _locked_at(db, person) is None
    signed_in = client.post(
        "/api/v1/auth/session", json={"email": person.email, "password": DEFAULT_PASSWORD}
    )
    assert signed_in.status_code == 200


def test_releasing_needs_the_write_scope(
    client: TestClient,
    db: Database,
    settings: Settings,
    clock: MutableClock,
    org: Organization,
    person: Person,
) -> None:
    admin = make_person(db, org, role=Role.ORG_ADMIN)
    _lock(db, settings, person, clock)
    headers = {"authorization": f"Bearer {token_for(db, admin, ['people:read'])}"}
    response = client.post(f"/api/v1/auth/people/{person.id}/release-lock", headers=headers)
    assert response.status_code == 403
    assert _locked_at(db, person) is not None


def test_an_admin_of_another_organization_cannot_tell_the_account_exists(
    client: TestClient, db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    outsider = make_person(db, harbour_mall(db), role=Role.ORG_ADMIN)
    _lock(db, settings, person, clock)
    headers = {"authorization": f"Bearer {token_for(db, outsider, ['people:write'])}"}
    for action in ("release-lock", "reset-mfa"):
        response = client.post(f"/api/v1/auth/people/{person.id}/{action}", headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
    assert _locked_at(db, person) is not None


def test_releasing_an_account_that_is_not_locked_is_a_409_problem(
    client: TestClient, db: Database, org: Organization, person: Person
) -> None:
    admin = make_person(db, org, role=Role.ORG_ADMIN)
    headers = {"authorization": f"Bearer {token_for(db, admin, ['people:write'])}"}
    response = client.post(f"/api/v1/auth/people/{person.id}/release-lock", headers=headers)
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM


def test_an_org_admin_clears_a_lost_authenticator(
    client: TestClient,
    db: Database,
    settings: Settings,
    clock: MutableClock,
    org: Organization,
    person: Person,
) -> None:
    admin = make_person(db, org, role=Role.ORG_ADMIN)
    with db.transaction() as s:
        row = s.get_one(Person, person.id)
        row.totp_secret_enc = FieldCipher(settings.effective_field_key_path).seal(
            new_totp_secret(), TOTP_CONTEXT + str(person.id)
        )
        row.mfa_enabled_at = clock()
    headers = {"authorization": f"Bearer {token_for(db, admin, ['people:write'])}"}

    response = client.post(f"/api/v1/auth/people/{person.id}/reset-mfa", headers=headers)

    assert response.status_code == 200
    signed_in = client.post(
        "/api/v1/auth/session", json={"email": person.email, "password": DEFAULT_PASSWORD}
    )
    assert signed_in.json()["mfa_step"] == "none"  # an analyst without clearance: MFA optional
