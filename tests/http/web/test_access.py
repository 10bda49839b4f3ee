"""Forms need the session's CSRF token; each role reaches only the pages its permissions allow."""

from __future__ import annotations

import re
import uuid

from fastapi import FastAPI
from tests.factories import AT
from tests.http.web.conftest import SignIn, TestClient, World
from tests.http.web.test_pages import console_routes

from accord.core.db import Database
from accord.orgs import groups
from accord.orgs.models import Person

# Forms that work before a session exists, each with its own protection (tested elsewhere).
OWN_PROTECTION = {"/sign-in", "/mfa", "/mfa/enrol", "/invitations/{secret}"}
# The account forms declare their fields required: a form without them is a 422 before the
# token is looked at. Either way nothing happens.
REQUIRED_FIELD = ("/account", "/sign-out")
# File uploads declare the file required the same way.
REQUIRED_FILE = "/attachments"


def _concrete(path: str, world: World, group_id: uuid.UUID) -> str:
    ids = {
        "{org_id}": str(world.police.id),
        "{person_id}": str(world.people["analyst"].id),
        "{group_id}": str(group_id),
        "{invitation_id}": str(uuid.uuid4()),
        "{token_id}": str(uuid.uuid4()),
        "{agreement_id}": str(uuid.uuid4()),
        "{number}": "1",
        "{note_id}": str(uuid.uuid4()),
        "{attachment_id}": str(uuid.uuid4()),
        "{kind}": "organization",
        "{target_id}": str(uuid.uuid4()),
    }
    for name, value in ids.items():
        path = path.replace(name, value)
    return path


def test_every_console_form_refuses_a_post_without_the_csrf_token(
    app: FastAPI, client: TestClient, world: World, sign_in: SignIn, db: Database
) -> None:
    group = groups.create_group(
        db,
        actor=None,
        at=AT,
        name="Harbour safety forum",
        coordinator_id=world.people["platform_admin"].id,
    )
    sign_in(world.people["platform_admin"])
    routes = [p for p in console_routes(app, "POST") if p not in OWN_PROTECTION]
    assert len(routes) >= 15
    for path in routes:
        url = _concrete(path, world, group.id)
        for data in ({}, {"csrf_token": "forged-token"}):
            response = client.post(url, data={**data, "reason": "x", "role": "viewer"})
            required = path.startswith(REQUIRED_FIELD) or path.endswith(REQUIRED_FILE)
            refused = {403, 422} if required else {403}
            assert response.status_code in refused, (url, data, response.status_code)
    # Nothing changed: the analyst is still active and the police still vetted.
    people = client.get(f"/people/{world.people['analyst'].id}").text
    assert "Deactivated" not in people
    assert "Vetted" in client.get(f"/orgs/{world.police.id}").text


def _post(client: TestClient, url: str, csrf: str, **data: str) -> int:
    return client.post(url, data={"csrf_token": csrf, **data}).status_code


def test_only_auditors_open_the_audit_log(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    for role in ("analyst", "dispatcher", "field_responder", "viewer"):
        sign_in(world.people[role])
        assert client.get("/audit").status_code == 404, role
        assert client.get("/audit/0").status_code == 404, role
        assert 'href="/audit"' not in client.get("/").text, role


def test_an_org_admin_sees_only_their_own_organizations_audit_entries(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    sign_in(world.people["mall_admin"])
    html = client.get("/audit").text
    assert "Entries about Harbour Point Mall Security" in html
    assert "Harbour Point Mall Security" in html
    assert "Port City Police Department" not in html
    sign_in(world.people["platform_admin"])
    html = client.get("/audit").text
    assert "Every entry on the platform" in html
    assert "Port City Police Department" in html


def test_an_org_admin_cannot_create_or_vet_organizations(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    csrf = sign_in(world.people["org_admin"])
    assert client.get("/orgs/new").status_code == 403
    assert _post(client, "/orgs/new", csrf, name="Rogue", sector="private", kind="other") == 403
    vet = f"/orgs/{world.pending.id}/vetting"
    assert _post(client, vet, csrf, state="vetted", reason="trust me") in (403, 404)
    profile = client.get(f"/orgs/{world.police.id}").text
    assert f'action="/orgs/{world.police.id}/vetting"' not in profile
    assert "Vetting decision" not in profile
    assert "Create organization" not in client.get("/orgs").text


def test_only_an_organizations_admins_edit_its_profile(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    csrf = sign_in(world.people["mall_admin"])
    edit = f"/orgs/{world.police.id}/edit"
    assert client.get(edit).status_code == 403
    assert _post(client, edit, csrf, name="Hijacked", short_name="X") == 403
    assert f'href="{edit}"' not in client.get(f"/orgs/{world.police.id}").text
    csrf = sign_in(world.people["dispatcher"])
    assert client.get(edit).status_code == 403
    assert _post(client, edit, csrf, name="Hijacked", short_name="X") == 403


def test_people_of_other_organizations_stay_out_of_reach(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    csrf = sign_in(world.people["org_admin"])
    mall_person = world.people["mall_admin"]
    assert client.get(f"/people/{mall_person.id}").status_code == 404
    assert _post(client, f"/people/{mall_person.id}/deactivate", csrf) == 404
    # Asking for another organization's list shows one's own instead.
    html = client.get(f"/people?org={world.mall.id}").text
    assert "Mall Manager" not in html
    assert "Dee Spatcher" in html


def test_colleagues_see_names_and_roles_but_not_account_details_or_actions(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    csrf = sign_in(world.people["analyst"])
    dispatcher: Person = world.people["dispatcher"]
    html = client.get(f"/people/{dispatcher.id}").text
    assert "Dee Spatcher" in html
    assert dispatcher.email not in html
    assert "Deactivate" not in html
    assert _post(client, f"/people/{dispatcher.id}/deactivate", csrf) == 403
    assert _post(client, f"/people/{dispatcher.id}/role", csrf, role="viewer") == 403
    people = client.get("/people").text
    assert "Invite someone" not in people
    assert dispatcher.email not in people


def test_roles_without_the_permission_cannot_create_groups_or_invite(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    csrf = sign_in(world.people["dispatcher"])
    assert "Create a group" not in client.get("/groups").text
    assert _post(client, "/groups", csrf, name="Shadow group") == 403
    status = _post(
        client,
        "/people/invitations",
        csrf,
        email="x@example.org",
        role="viewer",
        org_id=str(world.police.id),
    )
    assert status == 403


def test_only_the_coordinator_or_a_platform_admin_manages_a_groups_members(
    client: TestClient, world: World, sign_in: SignIn, db: Database
) -> None:
    group = groups.create_group(
        db,
        actor=None,
        at=AT,
        name="Retail security council",
        coordinator_id=world.people["mall_admin"].id,
    )
    csrf = sign_in(world.people["org_admin"])
    page = client.get(f"/groups/{group.id}").text
    assert "Add an organization" not in page
    # The coordinator is in another organization: named by organization only.
    assert "Mall Manager" not in page
    assert "a member of Harbour Point Mall Security" in page
    members = f"/groups/{group.id}/members"
    assert _post(client, members, csrf, org_id=str(world.police.id)) == 403


def test_pending_organizations_are_hidden_from_members_of_others(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    sign_in(world.people["pending_admin"])
    assert client.get(f"/orgs/{world.police.id}").status_code == 404
    assert client.get(f"/orgs/{world.police.id}/edit").status_code == 404


def test_an_org_admin_cannot_change_their_own_vetting(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    csrf = sign_in(world.people["mall_admin"])
    url = f"/orgs/{world.mall.id}/vetting"
    assert _post(client, url, csrf, state="suspended", reason="self-suspension") == 403
    html = client.get(f"/orgs/{world.mall.id}").text
    assert re.search(r'id="vetting-state">.*Vetted', html)
