"""People in the console: invitations shown once and accepted, what admins do to accounts."""

from __future__ import annotations

import re

from tests.factories import AT, DEFAULT_PASSWORD
from tests.http.web.conftest import SignIn, TestClient, World, csrf_of

from accord.core.db import Database
from accord.orgs.domain import Role
from accord.orgs.invitations import invite_person, revoke_invitation
from accord.orgs.models import Person

NEW_PASSWORD = "tidal basin lantern seventeen"
LINK = re.compile(r'id="invitation-link" class="secret">([^<]+)<')


def test_an_invitation_link_is_shown_once_then_accepted(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    csrf = sign_in(world.people["org_admin"])
    roles = client.get("/people").text
    assert 'value="platform_admin"' not in roles  # roles_assignable_by the org admin
    created = client.post(
        "/people/invitations",
        data={
            "csrf_token": csrf,
            "org_id": str(world.police.id),
            "email": "Nia@PCPD.example",
            "display_name": "Nia Analyst",
            "role": "analyst",
            "cji_cleared": "yes",
        },
    )
    assert created.status_code == 201
    link = LINK.search(created.text)
    assert link
    assert 'data-copy="#invitation-link"' in created.text
    assert link.group(1) not in client.get("/people").text  # never shown again
    assert client.get("/people/invitations").headers["location"] == "/people"  # a reload
    assert "nia@pcpd.example" in client.get("/people").text  # listed as pending

    client.cookies.clear()
    path = link.group(1).removeprefix("http://127.0.0.1:8000")
    page = client.get(path)
    assert page.status_code == 200
    assert "Join Port City Police Department on Accord" in page.text
    assert "nia@pcpd.example" in page.text
    mismatch = client.post(
        path,
        data={
            "display_name": "Nia Analyst",
            "password": NEW_PASSWORD,
            "password_confirm": "something else entirely",
        },
    )
    assert mismatch.status_code == 422
    assert "does not match the password" in mismatch.text
    weak = client.post(
        path, data={"display_name": "Nia Analyst", "password": "short", "password_confirm": "short"}
    )
    assert weak.status_code == 422
    assert "at least 12 characters" in weak.text
    accepted = client.post(
        path,
        data={
            "display_name": "Nia Analyst",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/sign-in?notice=account-created"
    assert "Your account is ready." in client.get(accepted.headers["location"]).text
    used = client.get(path)
    assert used.status_code == 404
    assert "already been used" in used.text

    form = client.get("/sign-in")
    signed = client.post(
        "/sign-in",
        data={
            "email": "nia@pcpd.example",
            "password": NEW_PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "/",
        },
    )
    assert signed.status_code == 303


def test_unusable_invitation_links_say_why(client: TestClient, world: World, db: Database) -> None:
    revoked = invite_person(
        db,
        actor=None,
        at=AT,
        org_id=world.police.id,
        email="r@pcpd.example",
        role=Role.VIEWER,
        public_url="http://testserver",
    )
    revoke_invitation(db, actor=None, at=AT, invitation_id=revoked.invitation.id)
    expired = invite_person(
        db,
        actor=None,
        at=AT,
        org_id=world.police.id,
        email="e@pcpd.example",
        role=Role.VIEWER,
        public_url="http://testserver",
        valid_hours=1,
    )
    for secret, why in [
        (revoked.secret, "withdrawn"),
        (expired.secret, "expired"),
        ("not-a-real-secret", "not one we sent"),
    ]:
        response = client.get(f"/invitations/{secret}")
        assert response.status_code == 404
        assert why in response.text
        posted = client.post(
            f"/invitations/{secret}",
            data={"display_name": "X", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        )
        assert posted.status_code == 404


def test_an_org_admin_revokes_a_pending_invitation(
    client: TestClient, world: World, sign_in: SignIn, db: Database
) -> None:
    issued = invite_person(
        db,
        actor=None,
        at=AT,
        org_id=world.police.id,
        email="t@pcpd.example",
        role=Role.VIEWER,
        public_url="http://testserver",
    )
    csrf = sign_in(world.people["org_admin"])
    url = f"/people/invitations/{issued.invitation.id}/revoke"
    assert "data-confirm=" in client.get("/people").text
    response = client.post(url, data={"csrf_token": csrf})
    assert response.status_code == 303
    assert "withdrawn" in client.get(response.headers["location"]).text
    again = client.post(url, data={"csrf_token": csrf})
    assert again.status_code == 409
    assert client.get(f"/invitations/{issued.secret}").status_code == 404


def _act(client: TestClient, csrf: str, person: Person, action: str, **data: str) -> str:
    response = client.post(f"/people/{person.id}/{action}", data={"csrf_token": csrf, **data})
    assert response.status_code == 303, response.text[:400]
    return client.get(response.headers["location"]).text


def test_an_org_admin_changes_role_clearance_and_status_of_a_colleague(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    dispatcher = world.people["dispatcher"]
    csrf = sign_in(world.people["org_admin"])
    page = _act(client, csrf, dispatcher, "role", role="analyst")
    assert "The role was changed." in page
    assert re.search(r'id="person-role">Analyst<', page)
    page = _act(client, csrf, dispatcher, "cji", cleared="yes")
    assert re.search(r'id="person-cji">Cleared<', page)
    page = _act(client, csrf, dispatcher, "deactivate")
    assert "Deactivated" in page

    client.cookies.clear()
    form = client.get("/sign-in")
    refused = client.post(
        "/sign-in",
        data={
            "email": dispatcher.email,
            "password": DEFAULT_PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "/",
        },
    )
    assert refused.status_code != 303

    csrf = sign_in(world.people["org_admin"])
    page = _act(client, csrf, dispatcher, "reactivate")
    assert re.search(r'id="person-status">Active<', page)
    raised = client.post(
        f"/people/{dispatcher.id}/role", data={"csrf_token": csrf, "role": "platform_admin"}
    )
    assert raised.status_code == 403


def test_admins_cannot_act_on_their_own_account(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    admin = world.people["org_admin"]
    csrf = sign_in(admin)
    page = client.get(f"/people/{admin.id}").text
    assert "This is your own account" in page
    assert f'action="/people/{admin.id}/deactivate"' not in page
    response = client.post(f"/people/{admin.id}/deactivate", data={"csrf_token": csrf})
    assert response.status_code == 409
    assert "The change was not made" in response.text


def test_an_admin_releases_a_lock_and_resets_two_step_sign_in(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    analyst = world.people["analyst"]
    client.cookies.clear()
    for _ in range(5):
        form = client.get("/sign-in")
        client.post(
            "/sign-in",
            data={
                "email": analyst.email,
                "password": "wrong password!!",
                "csrf_token": csrf_of(form.text),
                "next": "/",
            },
        )
    csrf = sign_in(world.people["org_admin"])
    assert "Locked" in client.get("/people").text
    locked = client.get("/").text.split('id="locked"')[1].split("</section>")[0]
    assert "Ana Lyst" in locked
    page = _act(client, csrf, analyst, "release-lock")
    assert "The account lock was released." in page
    again = client.post(f"/people/{analyst.id}/release-lock", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert "not locked" in again.text
    reset = client.post(f"/people/{analyst.id}/reset-mfa", data={"csrf_token": csrf})
    assert reset.status_code == 303
